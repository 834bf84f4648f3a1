import type { IncomingMessage } from 'node:http';
import * as client from 'openid-client';
import { DevcError } from '../errors.js';
import type { Authenticator } from './auth.js';
import { headerKey, type HeaderIdentity, type Identity } from './identity.js';
import { CookieSigner, cookieOf, setCookie } from './session.js';
import { discoverIssuer, identityOfClaims, tokenVerifier } from './tokens.js';

const SESSION_SECONDS = 12 * 3600;
const LOGIN_SECONDS = 600;

export interface OidcOptions {
  issuer: string;
  clientId: string;
  /** From DEVC_OIDC_CLIENT_SECRET, never a flag. */
  clientSecret: string;
  /** Where browsers reach the gateway; the callback is `<publicOrigin>/auth/callback`. */
  publicOrigin: () => string;
}

/** `Authorization: Bearer TOKEN` → TOKEN. */
function bearer(req: IncomingMessage): string | undefined {
  const value = req.headers.authorization;
  return value?.startsWith('Bearer ') ? value.slice(7).trim() || undefined : undefined;
}

/**
 * `--auth jwt`: an ID token in `header` (Authentik's `X-authentik-jwt`, or `Authorization: Bearer`),
 * verified with the issuer's keys for the gateway's client id.
 */
export async function jwtAuth(issuer: string, audience: string, header: string): Promise<Authenticator> {
  const verify = tokenVerifier(await discoverIssuer(issuer), audience);
  const key = headerKey(header);
  const isAuthorization = key === 'authorization';
  return {
    mode: 'jwt',
    identityHeaders: new Set([key]),
    // A proxy that turns its cookie into the header makes it ambient; a script's bearer token is not.
    ambient: () => !isAuthorization,
    async identify(req): Promise<HeaderIdentity> {
      const raw = isAuthorization ? bearer(req) : single(req.headers[key]);
      if (!raw) return { kind: 'anonymous' };
      const identity = await verify(raw);
      return identity
        ? { kind: 'identified', identity }
        : { kind: 'refused', reason: 'the token did not verify', status: 401 };
    },
  };
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

interface Session {
  u: string;
  e?: string;
  g: string[];
}

interface Login {
  state: string;
  nonce: string;
  verifier: string;
  back: string;
}

/**
 * `--auth oidc`: authorization code with PKCE against the issuer; the session is a signed cookie
 * (HttpOnly, SameSite=Lax; `__Host-` and Secure over https). Scripts may send an ID token as
 * `Authorization: Bearer` instead (no CSRF header needed then).
 */
export async function oidcAuth(options: OidcOptions): Promise<Authenticator> {
  const metadata = await discoverIssuer(options.issuer);
  const loopback = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/.test(options.issuer);
  let config: client.Configuration;
  try {
    config = await client.discovery(
      new URL(options.issuer),
      options.clientId,
      undefined,
      client.ClientSecretPost(options.clientSecret),
      // Plain http only for an issuer on this machine (a test or a development issuer).
      loopback ? { execute: [client.allowInsecureRequests] } : undefined,
    );
  } catch (error) {
    throw new DevcError(`Can't use the OpenID issuer ${options.issuer}: ${(error as Error).message}.`);
  }
  const verify = tokenVerifier(metadata, options.clientId);
  const signer = new CookieSigner(options.clientSecret);
  const secure = (): boolean => options.publicOrigin().startsWith('https:');
  const sessionName = (): string => (secure() ? '__Host-devc-session' : 'devc-session');
  const loginName = (): string => (secure() ? '__Host-devc-login' : 'devc-login');
  const callback = (): string => `${options.publicOrigin()}/auth/callback`;

  return {
    mode: 'oidc',
    identityHeaders: new Set(),
    ambient: (req) => bearer(req) === undefined,
    async identify(req): Promise<HeaderIdentity> {
      const token = bearer(req);
      if (token) {
        const identity = await verify(token);
        return identity
          ? { kind: 'identified', identity }
          : { kind: 'refused', reason: 'the token did not verify', status: 401 };
      }
      const session = signer.verify<Session>(cookieOf(req, sessionName()));
      if (!session) return { kind: 'anonymous' };
      return {
        kind: 'identified',
        identity: { user: session.u, ...(session.e ? { email: session.e } : {}), groups: session.g },
      };
    },
    async challenge(req, res): Promise<void> {
      const login: Login = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        verifier: client.randomPKCECodeVerifier(),
        back: sameSitePath(req.url ?? '/'),
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: callback(),
        scope: 'openid email profile',
        code_challenge: await client.calculatePKCECodeChallenge(login.verifier),
        code_challenge_method: 'S256',
        state: login.state,
        nonce: login.nonce,
      });
      res
        .writeHead(302, {
          Location: url.href,
          'Set-Cookie': setCookie(loginName(), signer.sign(login, LOGIN_SECONDS), secure(), LOGIN_SECONDS),
          'Cache-Control': 'no-store',
        })
        .end();
    },
    async route(req, res): Promise<boolean> {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/auth/logout') {
        res.writeHead(302, { Location: '/', 'Set-Cookie': setCookie(sessionName(), '', secure(), 0) }).end();
        return true;
      }
      if (path !== '/auth/callback') return false;
      const login = signer.verify<Login>(cookieOf(req, loginName()));
      if (!login) {
        res
          .writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' })
          .end('The sign-in expired or came from elsewhere. Open the page again.\n');
        return true;
      }
      let identity: Identity | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(
          config,
          new URL(req.url ?? '/', options.publicOrigin()),
          {
            pkceCodeVerifier: login.verifier,
            expectedState: login.state,
            expectedNonce: login.nonce,
            idTokenExpected: true,
          },
        );
        const claims = tokens.claims();
        identity = claims ? identityOfClaims(claims) : undefined;
      } catch {
        identity = undefined;
      }
      if (!identity) {
        res
          .writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' })
          .end('The identity provider did not sign you in. Open the page again.\n');
        return true;
      }
      const session: Session = {
        u: identity.user,
        ...(identity.email ? { e: identity.email } : {}),
        g: identity.groups,
      };
      res
        .writeHead(302, {
          Location: login.back,
          'Set-Cookie': [
            setCookie(sessionName(), signer.sign(session, SESSION_SECONDS), secure(), SESSION_SECONDS),
            setCookie(loginName(), '', secure(), 0),
          ],
          'Cache-Control': 'no-store',
        })
        .end();
      return true;
    },
  };
}

/** Where to go back after signing in: a path on this gateway only (never `//host` or a URL). */
function sameSitePath(target: string): string {
  return target.startsWith('/') && !target.startsWith('//') && !target.startsWith('/\\') ? target : '/';
}
