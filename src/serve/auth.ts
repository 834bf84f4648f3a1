import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import {
  identityFromHeaders,
  identityHeaderKeys,
  isTrustedPeer,
  trustedPeers,
  type HeaderAuthOptions,
  type HeaderIdentity,
} from './identity.js';

export type AuthMode = 'none' | 'headers' | 'oidc' | 'jwt';

/** How the gateway learns who a request is from; one per server, chosen by `--auth`. */
export interface Authenticator {
  mode: AuthMode;
  identify(req: IncomingMessage): Promise<HeaderIdentity>;
  /** Header keys (collapsed, identity.ts headerKey) never passed on to a workspace. */
  identityHeaders: Set<string>;
  /**
   * Whether this request's identity rode on something the browser adds by itself (a cookie, or a
   * proxy's headers made from one): such requests need the CSRF header to change anything.
   */
  ambient(req: IncomingMessage): boolean;
  /** Answers its own routes (OIDC: /auth/callback, /auth/logout); true when it did. */
  route?(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Whether the peer is a proxy that speaks for users (`--trusted-proxy`): its requests are users', not its own. */
  fromProxy?(req: IncomingMessage): boolean;
  /** Sends a browser with no identity to sign in (OIDC: to the issuer); without it, a 401. */
  challenge?(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** `--auth none`: every request is the one local user (the server listens on loopback only). */
export function noAuth(user = localUser()): Authenticator {
  return {
    mode: 'none',
    identify: () => Promise.resolve({ kind: 'identified', identity: { user, groups: [] } }),
    identityHeaders: new Set(),
    ambient: () => true,
  };
}

/** `--auth headers`: a forward-auth proxy (oauth2-proxy, Authentik) says who it is. */
export function headerAuth(options: HeaderAuthOptions): Authenticator {
  const peers = trustedPeers(options.trustedProxies);
  return {
    mode: 'headers',
    identify: (req) =>
      Promise.resolve(identityFromHeaders(req.rawHeaders, req.socket.remoteAddress, options, peers)),
    identityHeaders: identityHeaderKeys(options),
    ambient: () => true,
    fromProxy: (req) => isTrustedPeer(peers, req.socket.remoteAddress),
  };
}

function localUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'local';
  }
}
