import type { IncomingMessage, ServerResponse } from 'node:http';
import { UsageError } from '../errors.js';
import type { Gateway, GatewayConfig } from './gateway.js';
import { refuse } from './gateway.js';
import type { HeaderIdentity, Identity } from './identity.js';
import { cookieOf, setCookie } from './session.js';
import { workspaceOf } from './workspaces.js';

/*
 * Subdomain mode (`--wildcard-domain DOMAIN`): each workspace's editor at its own origin,
 * `NAME.DOMAIN`, with the scheme and port of `--public-url`. The gateway's page, API and session
 * cookie stay on the public URL's host: its cookie has no Domain attribute (and is `__Host-` over
 * https), so no workspace host ever receives it, and a workspace's pages (code-server's webviews, the
 * apps it proxies) are another origin than the API, so its scripts can't call the API as the user.
 *
 * With `--auth oidc` a workspace host learns who the browser is through a hand-over: the gateway's
 * host (signed in) signs a ticket for that one workspace, valid a minute; the workspace host turns it
 * into its own host-only cookie, bound to the workspace's name (a cookie for one workspace is worth
 * nothing at another). Its key is made when the gateway starts: a restart costs one more hand-over,
 * never a sign-in. Behind a forward-auth proxy (`--auth headers`, `jwt`) the proxy covers every host.
 */

const TICKET_SECONDS = 60;
const EDITOR_SECONDS = 12 * 3600;
const SESSION_PATH = '/.devc/session';

/** `--wildcard-domain`'s value, checked: a DNS name of at least two labels, lowercased. */
export function parseWildcardDomain(value: string): string {
  const domain = value.toLowerCase().replace(/^\*\./, '').replace(/\.$/, '');
  const label = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?';
  if (!new RegExp(`^${label}(\\.${label})+$`).test(domain))
    throw new UsageError(`--wildcard-domain ${value} is not a domain name.`, {
      hint: 'For example --wildcard-domain ws.example.com, with *.ws.example.com pointing at the gateway.',
    });
  return domain;
}

/**
 * The workspace a request's Host names in subdomain mode: its name; null for a host under the domain
 * that is no workspace name (a 404); undefined for the gateway's own host or without the mode.
 */
export function workspaceHost(req: IncomingMessage, config: GatewayConfig): string | null | undefined {
  const domain = config.wildcardDomain;
  if (domain === undefined) return undefined;
  const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
  if (host === new URL(config.publicOrigin).hostname || !host.endsWith(`.${domain}`)) return undefined;
  const label = host.slice(0, -domain.length - 1);
  return /^[a-z0-9][a-z0-9-]*$/.test(label) ? label : null;
}

/** The origin of a workspace's editor in subdomain mode: `--public-url`'s scheme and port at NAME.DOMAIN. */
export function workspaceOrigin(config: GatewayConfig, name: string): string {
  const url = new URL(config.publicOrigin);
  return `${url.protocol}//${name}.${config.wildcardDomain}${url.port ? `:${url.port}` : ''}`;
}

/** Where the browser opens a workspace's editor: its own host in subdomain mode, else `/w/NAME/`. */
export function editorUrl(config: GatewayConfig, name: string): string {
  return config.wildcardDomain === undefined ? `/w/${name}/` : `${workspaceOrigin(config, name)}/`;
}

const secure = (config: GatewayConfig): boolean => config.publicOrigin.startsWith('https:');
const editorCookie = (config: GatewayConfig): string =>
  secure(config) ? '__Host-devc-editor' : 'devc-editor';

interface HostSession {
  /** The workspace it is for. */
  w: string;
  u: string;
  e?: string;
  g: string[];
  /** A ticket (in a URL, for a minute) rather than a cookie. */
  t?: 1;
}

/** Who a request to workspace `name`'s host is from: the sign-in's own answer, else the hand-over cookie (oidc). */
export async function hostIdentity(
  gateway: Gateway,
  req: IncomingMessage,
  name: string,
): Promise<HeaderIdentity> {
  const { auth } = gateway.config;
  // oidc: a workspace host takes a bearer token or its own cookie, never the gateway's session cookie
  // (which the browser keeps for the gateway's host; one arriving here was put here).
  if (auth.mode !== 'oidc' || req.headers.authorization !== undefined) return auth.identify(req);
  const session = gateway.hostSigner.verify<HostSession>(cookieOf(req, editorCookie(gateway.config)));
  if (!session || session.w !== name || session.t) return { kind: 'anonymous' };
  return { kind: 'identified', identity: identityOf(session) };
}

function identityOf(s: HostSession): Identity {
  return { user: s.u, ...(s.e ? { email: s.e } : {}), groups: s.g };
}

/** `NAME.DOMAIN/…`: the hand-over's landing, the sign-in, then the editor. */
export async function hostRequest(
  gateway: Gateway,
  name: string,
  req: IncomingMessage,
  res: ServerResponse,
  editor: (identity: Identity, rest: string) => Promise<void>,
): Promise<void> {
  const { config } = gateway;
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === SESSION_PATH && config.auth.mode === 'oidc') {
    const ticket = gateway.hostSigner.verify<HostSession>(url.searchParams.get('ticket') ?? undefined);
    if (!ticket || ticket.w !== name || !ticket.t)
      return refuse(
        res,
        false,
        401,
        'This sign-in link is expired or not for this workspace.',
        'Open the workspace again.',
      );
    const session: HostSession = {
      w: ticket.w,
      u: ticket.u,
      g: ticket.g,
      ...(ticket.e ? { e: ticket.e } : {}),
    };
    const cookie = gateway.hostSigner.sign(session, EDITOR_SECONDS);
    res
      .writeHead(302, {
        Location: samePath(url.searchParams.get('next')),
        'Set-Cookie': setCookie(editorCookie(config), cookie, secure(config), EDITOR_SECONDS),
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
      })
      .end();
    return;
  }
  const decided = await hostIdentity(gateway, req, name);
  if (decided.kind === 'refused')
    return refuse(res, false, decided.status ?? 400, `Refused: ${decided.reason}.`);
  if (decided.kind === 'anonymous') {
    if (config.auth.mode === 'oidc' && req.method === 'GET') {
      const next = encodeURIComponent(url.pathname + url.search);
      res
        .writeHead(302, {
          Location: `${config.publicOrigin}/auth/workspace?name=${name}&next=${next}`,
          'Cache-Control': 'no-store',
        })
        .end();
      return;
    }
    return refuse(res, false, 401, 'Sign in first: no identity came with this request.');
  }
  return editor(decided.identity, url.pathname);
}

/** `/auth/workspace?name=NAME&next=PATH` on the gateway's host: a ticket for the user's own workspace's host. */
export async function handOver(
  gateway: Gateway,
  identity: Identity,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const name = url.searchParams.get('name') ?? '';
  const workspace = /^[a-z0-9][a-z0-9-]*$/.test(name) ? await workspaceOf(gateway.ctx, identity, name) : null;
  if (!workspace || gateway.config.wildcardDomain === undefined)
    return refuse(res, false, 404, `No workspace ${name} of yours.`);
  const ticket = gateway.hostSigner.sign(
    { w: name, u: identity.user, ...(identity.email ? { e: identity.email } : {}), g: identity.groups, t: 1 },
    TICKET_SECONDS,
  );
  const next = encodeURIComponent(samePath(url.searchParams.get('next')));
  res
    .writeHead(302, {
      Location: `${workspaceOrigin(gateway.config, name)}${SESSION_PATH}?ticket=${ticket}&next=${next}`,
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
    })
    .end();
}

/** A path on the same host: anything else (`//evil`, `https://…`, `/\evil`) is `/`. */
function samePath(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}
