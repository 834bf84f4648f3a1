import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import { loadEditor } from '../services/code.js';
import type { UpOptions } from '../services/up.js';
import type { Authenticator } from './auth.js';
import { isLoopback, type Identity } from './identity.js';
import { Jobs } from './jobs.js';
import { Metrics } from './metrics.js';
import { backoff } from '../wait/backoff.js';
import { upgrade, upstreamOf, workspaceRequest } from './editor.js';
import type { Upstream } from './proxy.js';
import { CookieSigner } from './session.js';
import { editorUrl, handOver, hostRequest, workspaceHost } from './subdomain.js';
import { gatewayReference, routeOf } from './route.js';
import { homePage } from './home.js';
import { messagePage, waitingPage } from './pages.js';
import { handleApi } from './api.js';
import { workspaceNameFor, workspacesOf } from './workspaces.js';

export interface GatewayConfig {
  auth: Authenticator;
  /** The origin browsers reach the gateway at (`--public-url`): WebSocket Origins must be this one. */
  publicOrigin: string;
  /** Members may list and stop every workspace (`--admin-group`). */
  adminGroup: string | undefined;
  /** Hosts repositories may be cloned from. */
  gitHosts: Set<string>;
  /** Idle timeout given to the workspaces it makes, in seconds. */
  idleTimeoutSeconds: number;
  /** The largest file `PUT …/files` or upload takes (`--max-upload`), in bytes. */
  maxUploadBytes: number;
  /** The most entries an uploaded folder may hold (`--max-upload-files`). */
  maxUploadFiles: number;
  /** Subdomain mode (`--wildcard-domain`): each workspace's editor at NAME.DOMAIN. */
  wildcardDomain: string | undefined;
}

const EDITOR_WAIT_MS = 5 * 60_000;

/** Everything a request handler needs: the server's parts; the request's own state stays in its call. */
export interface Gateway {
  ctx: Context;
  config: GatewayConfig;
  jobs: Jobs;
  /** code-server sessions the gateway logged in with, by workspace (a cache: logging in again is fine). */
  sessions: Map<string, Upstream>;
  metrics: Metrics;
  /** Signs subdomain mode's hand-over tickets and editor cookies (a key of this process). */
  hostSigner: CookieSigner;
  /**
   * When each workspace was last found running and whose (a cache of a second, so that an editor's
   * burst of requests asks the engine once); it counts only while `sessions` holds the workspace,
   * which a stop, a delete, a wake or an editor that does not answer clears.
   */
  checked: Map<string, { owner: string; at: number }>;
}

export function createGatewayServer(ctx: Context, config: GatewayConfig): http.Server {
  const gateway: Gateway = {
    ctx,
    config,
    jobs: new Jobs(),
    sessions: new Map(),
    metrics: new Metrics(),
    hostSigner: new CookieSigner(randomBytes(32).toString('hex')),
    checked: new Map(),
  };
  const server = http.createServer((req, res) => {
    const kind = workspaceHost(req, config) === undefined ? routeOf(req.url ?? '/').kind : 'workspace';
    res.on('finish', () => gateway.metrics.request(kind, res.statusCode));
    handle(gateway, req, res).catch((error: unknown) => fail(gateway, res, error));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrade(gateway, req, socket, head).catch(() => socket.destroy());
  });
  return server;
}

async function handle(gateway: Gateway, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const hosted = workspaceHost(req, gateway.config);
  if (hosted === null) return refuse(res, false, 404, 'Not found.');
  if (hosted !== undefined)
    return hostRequest(gateway, hosted, req, res, (identity, rest) =>
      workspaceRequest(gateway, identity, hosted, rest, req, res, true),
    );
  const route = routeOf(req.url ?? '/');
  if (route.kind === 'healthz') return json(res, 200, { status: 'ok' });
  const auth = gateway.config.auth;
  // A scraper on this host (not a proxy speaking for users) reads the metrics without signing in.
  if (route.kind === 'metrics' && isLoopback(req.socket.remoteAddress ?? '') && !auth.fromProxy?.(req))
    return metrics(gateway, res);
  if (auth.route && (await auth.route(req, res))) return;
  const decided = await auth.identify(req);
  if (decided.kind === 'refused')
    return refuse(res, route.kind === 'api', decided.status ?? 400, `Refused: ${decided.reason}.`);
  if (decided.kind === 'anonymous') {
    if (auth.challenge && route.kind !== 'api' && req.method === 'GET') return auth.challenge(req, res);
    return refuse(res, route.kind === 'api', 401, 'Sign in first: no identity came with this request.');
  }
  const identity = decided.identity;
  if (req.url?.split('?')[0] === '/auth/workspace') return handOver(gateway, identity, req, res);
  switch (route.kind) {
    case 'page':
      return html(res, 200, homePage(identity, await workspacesOf(gateway.ctx, identity)));
    case 'open':
      return open(gateway, identity, route.reference, res);
    case 'workspace':
      return workspaceRequest(gateway, identity, route.name, route.rest, req, res);
    case 'api':
      return handleApi(gateway, identity, route.rest, req, res);
    case 'metrics':
      if (isAdmin(gateway, identity)) return metrics(gateway, res);
      return refuse(res, false, 403, "The metrics are for the gateway's admins (--admin-group).");
    default:
      return refuse(res, false, 404, 'Not found.');
  }
}

/** `/github/OWNER/REPO`: the user's own workspace of it, made or woken, then its editor. */
async function open(
  gateway: Gateway,
  identity: Identity,
  reference: string,
  res: ServerResponse,
): Promise<void> {
  const { ctx, config } = gateway;
  const ref = gatewayReference(reference, ctx.env, config.gitHosts);
  const { name, existing } = await workspaceNameFor(ctx, identity, ref);
  const job = gateway.jobs.get(name);
  if (existing?.state === 'running' && (!job || job.ended)) {
    res.writeHead(302, { Location: editorUrl(config, name) }).end();
    return;
  }
  startJob(gateway, identity, name, reference);
  return html(res, 200, waitingPage(name, ref.display, editorUrl(config, name)));
}

/** Makes or wakes `name` for `identity` in the background; the waiting page follows its log. */
export function startJob(
  gateway: Gateway,
  identity: Identity,
  name: string,
  reference: string,
  extra: Pick<UpOptions, 'uploaded' | 'variant'> = {},
): void {
  const { ctx, config } = gateway;
  gateway.jobs.run(name, identity.user, async (progress) => {
    const started = Date.now();
    const backend = await ctx.backend();
    const existing = await backend.find(name);
    gateway.sessions.delete(name);
    const editor = (): Promise<void> =>
      progress.phase('Waiting for the editor', 'The editor answers', () => editorAnswers(gateway, name));
    if (existing) {
      // A wake: the editor is all the browser waits for, so it is watched while SSH comes up.
      const { startWorkspace } = await import('../services/lifecycle.js');
      await Promise.all([
        progress.phase(`Starting workspace ${name}`, `Started workspace ${name}`, () =>
          startWorkspace(ctx, { workspace: existing, backend }),
        ),
        editor(),
      ]);
      gateway.metrics.wake.observe((Date.now() - started) / 1000);
      return;
    }
    const { up } = await import('../services/up.js');
    await up(
      ctx,
      {
        ...extra,
        reference,
        name,
        idleTimeoutSeconds: config.idleTimeoutSeconds,
        owner: {
          name: identity.user,
          gitIdentity: {
            GIT_USER_NAME: identity.user,
            ...(identity.email ? { GIT_USER_EMAIL: identity.email } : {}),
          },
        },
      },
      progress,
    );
    await editor();
    gateway.metrics.coldStart.observe((Date.now() - started) / 1000);
  });
}

/**
 * Resolves once the workspace's code-server takes the gateway's login (polled briskly: a browser waits).
 * Up to 5 minutes: twenty code-servers starting at once on a small host take well over one.
 */
async function editorAnswers(gateway: Gateway, name: string): Promise<void> {
  const backend = await gateway.ctx.backend();
  // One job polls briskly (a browser waits on it: every 50 ms); many at once share the engine's
  // attention (20 jobs: every 4 s each).
  const running = gateway.jobs.running();
  const pace = backoff({
    first: 25,
    max: running <= 1 ? 50 : 200 * running,
    deadline: Date.now() + EDITOR_WAIT_MS,
    signal: gateway.ctx.signal,
  });
  for (;;) {
    const workspace = await backend.find(name);
    if (workspace?.state === 'running') {
      gateway.sessions.delete(name);
      const upstream = await upstreamOf(gateway, workspace).catch(() => undefined);
      // The editor's server loads while the browser is told (services/code.ts).
      if (upstream) return loadEditor(`http://${upstream.host}:${upstream.port}`);
    }
    if (pace.expired())
      throw new DevcError(`The editor of ${name} did not answer within ${EDITOR_WAIT_MS / 60_000} minutes.`, {
        hint: `See \`devc logs -w ${name}\` for what the workspace printed.`,
      });
    await pace.pause();
  }
}

export function isAdmin(gateway: Gateway, identity: Identity): boolean {
  const group = gateway.config.adminGroup;
  return group !== undefined && identity.groups.includes(group);
}

/** `/metrics`: the Prometheus text, with the workspaces by state read from the engine now. */
async function metrics(gateway: Gateway, res: ServerResponse): Promise<void> {
  const states: Record<string, number> = {};
  for (const w of await workspacesOf(gateway.ctx, { user: '', groups: [] }, true))
    states[w.state] = (states[w.state] ?? 0) + 1;
  res
    .writeHead(200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
      'Cache-Control': 'no-store',
    })
    .end(gateway.metrics.render(states));
}

/** The request line, for the gateway's log (never headers: they may carry identities and cookies). */
function req(res: ServerResponse): string {
  return `${res.req?.method ?? ''} ${res.req?.url?.split('?')[0] ?? ''}`;
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
    .end(`${JSON.stringify(body)}\n`);
}

export function html(res: ServerResponse, status: number, body: string): void {
  res
    .writeHead(status, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Frame-Options': 'DENY',
      'Content-Security-Policy':
        "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
      'Referrer-Policy': 'same-origin',
    })
    .end(body);
}

/** An error answer: JSON for the API, a short page otherwise. */
export function refuse(
  res: ServerResponse,
  api: boolean,
  status: number,
  message: string,
  hint?: string,
): void {
  if (api) return json(res, status, { outcome: 'error', message, hint: hint ?? null });
  html(res, status, messagePage(status, message, hint));
}

function fail(gateway: Gateway, res: ServerResponse, error: unknown): void {
  const known = error instanceof DevcError;
  const status = known ? (error.exitCode === 2 ? 400 : 500) : 500;
  const message = known ? error.message : 'The gateway failed on this request; its log says why.';
  if (!known)
    gateway.ctx.io.err(
      `devc serve: ${req(res)} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  if (res.headersSent) {
    res.destroy();
    return;
  }
  refuse(res, res.req?.url?.startsWith('/api/') ?? false, status, message, known ? error.hint : undefined);
}
