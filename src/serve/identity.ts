import { BlockList, isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

/** Who a request is from, as the gateway decides it. */
export interface Identity {
  /** The user's stable name (the forward-auth user, the token's subject or preferred name). */
  user: string;
  email?: string;
  groups: string[];
}

/** `--auth headers`: identity from a forward-auth proxy (oauth2-proxy, Authentik's outpost). */
export interface HeaderAuthOptions {
  userHeader: string;
  emailHeader?: string;
  groupsHeader?: string;
  /** Peers whose identity headers are believed (`--trusted-proxy`, CIDR or address; no default). */
  trustedProxies: string[];
}

/** What the gateway concluded about a request's identity headers. */
export type HeaderIdentity =
  | { kind: 'identified'; identity: Identity }
  | { kind: 'anonymous' }
  /** A malformed identity (400), or a token that did not verify (401). */
  | { kind: 'refused'; reason: string; status?: 400 | 401 };

export const DEFAULT_USER_HEADER = 'X-Auth-Request-User';

/**
 * A header name as a proxy or a CGI-style server might collapse it: lower case, `_` read as `-`.
 * `X_Auth_Request_User` and `x-auth-request-user` are the same header to nginx with
 * `underscores_in_headers on`, to WSGI and to PHP: the gateway treats them as one everywhere.
 */
export function headerKey(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}

/** The identity header names configured, in their collapsed form. */
export function identityHeaderKeys(options: HeaderAuthOptions): Set<string> {
  return new Set(
    [options.userHeader, options.emailHeader, options.groupsHeader]
      .filter((h): h is string => Boolean(h))
      .map(headerKey),
  );
}

/** Parses `--trusted-proxy` values (an address or CIDR each); a bad one is a usage error upstream. */
export function trustedPeers(values: string[]): BlockList {
  const list = new BlockList();
  for (const value of values) {
    const [address, bits, extra] = value.split('/');
    const family = isIP(address ?? '');
    if (family === 0 || extra !== undefined) throw new Error(`not an address or CIDR: ${value}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) {
      list.addAddress(address!, type);
      continue;
    }
    const prefix = Number(bits);
    if (!/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128))
      throw new Error(`not an address or CIDR: ${value}`);
    list.addSubnet(address!, prefix, type);
  }
  return list;
}

/** Whether the socket's peer is one of the trusted proxies (IPv4-mapped IPv6 read as IPv4). */
/** Whether an address (as a socket reports it: IPv4-mapped forms too) is this host's loopback. */
export function isLoopback(address: string): boolean {
  const host = address.replace(/^::ffff:(?=\d+\.)/i, '');
  return host === '::1' || /^127\./.test(host);
}

export function isTrustedPeer(peers: BlockList, remoteAddress: string | undefined): boolean {
  if (!remoteAddress) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
  const address = mapped ? mapped[1]! : remoteAddress;
  const family = isIP(address);
  if (family === 0) return false;
  return peers.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Identity from a forward-auth proxy's headers. `rawHeaders` is Node's list of names and values as
 * received. From a peer that is not a trusted proxy every identity header, in any case or `_`
 * spelling, is ignored and the request is anonymous. From a trusted proxy the configured header must
 * come exactly once, spelled with `-` (a `_` twin could be the client's own, passed through): a second
 * copy or a twin is refused rather than guessed at.
 */
export function identityFromHeaders(
  rawHeaders: string[],
  remoteAddress: string | undefined,
  options: HeaderAuthOptions,
  peers: BlockList,
): HeaderIdentity {
  if (!isTrustedPeer(peers, remoteAddress)) return { kind: 'anonymous' };
  const values = new Map<string, string[]>();
  const keys = identityHeaderKeys(options);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const key = headerKey(name);
    if (!keys.has(key)) continue;
    if (name.includes('_')) return { kind: 'refused', reason: `identity header ${name} spelled with "_"` };
    values.set(key, [...(values.get(key) ?? []), rawHeaders[i + 1]!]);
  }
  const one = (header: string | undefined): string | undefined => {
    if (!header) return undefined;
    const found = values.get(headerKey(header)) ?? [];
    if (found.length > 1) throw new RepeatedHeader(header);
    return found[0]?.trim() || undefined;
  };
  try {
    const user = one(options.userHeader);
    if (!user) return { kind: 'anonymous' };
    if (!isUserName(user)) return { kind: 'refused', reason: `${options.userHeader} is not a user name` };
    const email = one(options.emailHeader);
    const groups = (one(options.groupsHeader) ?? '')
      .split(/[,|]/)
      .map((g) => g.trim())
      .filter(Boolean);
    return { kind: 'identified', identity: { user, ...(email ? { email } : {}), groups } };
  } catch (error) {
    if (error instanceof RepeatedHeader)
      return { kind: 'refused', reason: `${error.header} came more than once` };
    throw error;
  }
}

class RepeatedHeader extends Error {
  constructor(readonly header: string) {
    super(header);
  }
}

/** A user name the gateway can keep in a label: printable, no control characters, at most 253. */
export function isUserName(value: string): boolean {
  return value.length > 0 && value.length <= 253 && /^[\p{L}\p{N}._@+-]+$/u.test(value);
}

/**
 * The request's headers with every identity header removed (any case, any `_` spelling): what goes
 * on to code-server and the workspace's apps, and what the gateway itself reads identity from once it
 * has decided.
 */
export function withoutIdentityHeaders(headers: IncomingHttpHeaders, keys: Set<string>): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!keys.has(headerKey(name))) out[name] = value;
  return out;
}
