import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { DevcError } from '../errors.js';
import type { Workspace } from '../workspace/model.js';
import type { Gateway } from './gateway.js';
import { html, refuse, startJob } from './gateway.js';
import type { Identity } from './identity.js';
import { waitingPage } from './pages.js';
import { proxyRequest, proxyUpgrade, type Upstream } from './proxy.js';
import { routeOf } from './route.js';
import { editorUrl, hostIdentity, workspaceHost, workspaceOrigin } from './subdomain.js';
import { workspaceOf } from './workspaces.js';

const CODE_SERVER_PORT = 8080;
/** How long a workspace found running and owned is believed so without asking the engine again. */
const RECHECK_MS = 1000;

/**
 * A request for a workspace's editor: `/w/NAME/…` (path mode), or any path at `NAME.DOMAIN` with
 * `--wildcard-domain` (subdomain mode, where `/w/NAME/…` on the gateway's own host only sends the
 * browser there: code-server and the workspace's apps never share the gateway's origin). The user's
 * own workspace only; another's is a 404 like a missing one. Not running: the waiting page wakes it.
 */
export async function workspaceRequest(
  gateway: Gateway,
  identity: Identity,
  name: string,
  rest: string,
  req: IncomingMessage,
  res: ServerResponse,
  hosted = false,
): Promise<void> {
  const subdomains = gateway.config.wildcardDomain !== undefined;
  const seen = gateway.checked.get(name);
  const session = gateway.sessions.get(name);
  if (
    (hosted || !subdomains) &&
    rest !== '' &&
    session &&
    seen?.owner === identity.user &&
    Date.now() - seen.at < RECHECK_MS
  )
    return proxy(gateway, name, session, rest, req, res);
  const workspace = await workspaceOf(gateway.ctx, identity, name);
  if (!workspace) return refuse(res, false, 404, `No workspace ${name} of yours.`);
  if (workspace.state !== 'running' || (hosted && gateway.jobs.get(name)?.ended === false)) {
    // The waiting page lives on the gateway's host, beside the log it follows.
    if (hosted) return redirect(res, `${gateway.config.publicOrigin}/w/${name}/`);
    startJob(gateway, identity, name, workspace.repository.url);
    return html(res, 200, waitingPage(name, workspace.repository.url, editorUrl(gateway.config, name)));
  }
  if (!hosted && (rest === '' || subdomains)) {
    const search = new URL(req.url ?? '/', 'http://x').search;
    return redirect(
      res,
      subdomains ? `${editorUrl(gateway.config, name)}${rest.slice(1)}${search}` : `/w/${name}/`,
    );
  }
  const upstream = await upstreamOf(gateway, workspace);
  gateway.checked.set(name, { owner: identity.user, at: Date.now() });
  proxy(gateway, name, upstream, rest, req, res);
}

function proxy(
  gateway: Gateway,
  name: string,
  upstream: Upstream,
  rest: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const target = rest + new URL(req.url ?? '/', 'http://x').search;
  proxyRequest(req, res, upstream, target, gateway.config.auth.identityHeaders, () =>
    gateway.sessions.delete(name),
  );
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { Location: location, 'Cache-Control': 'no-store' }).end();
}

/**
 * A WebSocket upgrade: only to the user's own running workspace, and only from a page of the editor's
 * own origin (the `--public-url` origin in path mode, `NAME.DOMAIN` in subdomain mode): a page
 * elsewhere must not drive the editor with the user's credentials.
 */
export async function upgrade(
  gateway: Gateway,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const deny = (status: number, reason: string): void => {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  const { config } = gateway;
  const hosted = workspaceHost(req, config);
  const route = routeOf(req.url ?? '/');
  let name: string;
  let rest: string;
  if (hosted !== undefined) {
    if (hosted === null) return deny(404, 'Not Found');
    name = hosted;
    rest = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.headers.origin !== workspaceOrigin(config, name)) return deny(403, 'Forbidden');
  } else {
    if (route.kind !== 'workspace' || config.wildcardDomain !== undefined) return deny(404, 'Not Found');
    if (req.headers.origin !== config.publicOrigin) return deny(403, 'Forbidden');
    ({ name, rest } = route);
  }
  const identity =
    hosted !== undefined ? await hostIdentity(gateway, req, name) : await config.auth.identify(req);
  if (identity.kind !== 'identified') return deny(401, 'Unauthorized');
  const workspace = await workspaceOf(gateway.ctx, identity.identity, name);
  if (!workspace || workspace.state !== 'running') return deny(404, 'Not Found');
  const upstream = await upstreamOf(gateway, workspace);
  const target = rest + (new URL(req.url ?? '/', 'http://x').search ?? '');
  proxyUpgrade(req, socket, head, upstream, target, config.auth.identityHeaders);
  gateway.metrics.webSockets += 1;
  socket.once('close', () => (gateway.metrics.webSockets -= 1));
}

/** Where the workspace's code-server answers and a session with it (logged in with its secret). */
export async function upstreamOf(gateway: Gateway, workspace: Workspace): Promise<Upstream> {
  const known = gateway.sessions.get(workspace.name);
  if (known) return known;
  const backend = await gateway.ctx.backend(workspace.backend);
  const { host, port } = await backend.endpoint(workspace.name, CODE_SERVER_PORT);
  const secretFile = path.join(
    gateway.ctx.paths.workspacesDir,
    workspace.name,
    'config',
    'code-server-secret',
  );
  const secret = (await readFile(secretFile, 'utf8')).trim();
  const login = await fetch(`http://${host}:${port}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ password: secret }).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  await login.body?.cancel();
  const cookies = login.headers.getSetCookie();
  if (cookies.length === 0)
    throw new DevcError(`code-server of ${workspace.name} refused the gateway's login.`);
  const upstream = { host, port, cookies };
  gateway.sessions.set(workspace.name, upstream);
  return upstream;
}
