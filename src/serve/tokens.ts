import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { DevcError } from '../errors.js';
import { isUserName, type Identity } from './identity.js';

/** Signatures an ID token may carry: asymmetric only (never `none`, never a shared-secret HMAC). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** What the gateway needs of an OpenID issuer, from its discovery document. */
export interface IssuerMetadata {
  issuer: string;
  jwks_uri: string;
  authorization_endpoint?: string;
}

/**
 * Reads the issuer's discovery document. Its `issuer` must be the one configured (no redirect to
 * another), and its key URL is the only one ever used: never one named by a token or a request.
 */
export async function discoverIssuer(issuer: string): Promise<IssuerMetadata> {
  const base = issuer.replace(/\/+$/, '');
  let metadata: IssuerMetadata;
  try {
    const res = await fetch(`${base}/.well-known/openid-configuration`, {
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    metadata = (await res.json()) as IssuerMetadata;
  } catch (error) {
    throw new DevcError(`Can't read the OpenID issuer ${issuer}: ${(error as Error).message}.`, {
      hint: 'Check --oidc-issuer and that this host reaches it.',
    });
  }
  if (metadata.issuer?.replace(/\/+$/, '') !== base || typeof metadata.jwks_uri !== 'string')
    throw new DevcError(
      `${issuer} says it is issuer ${metadata.issuer ?? '(none)'}: not the one configured.`,
    );
  return metadata;
}

/** Verifies ID tokens of one issuer for one audience (the gateway's client id). */
export function tokenVerifier(
  metadata: IssuerMetadata,
  audience: string,
): (token: string) => Promise<Identity | undefined> {
  const keys = createRemoteJWKSet(new URL(metadata.jwks_uri));
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: metadata.issuer,
        audience,
        algorithms: ALGORITHMS,
        clockTolerance: 5,
      });
      return identityOfClaims(payload);
    } catch {
      return undefined;
    }
  };
}

/** The user an ID token's claims name: preferred_username, else email, else sub. */
export function identityOfClaims(claims: JWTPayload & Record<string, unknown>): Identity | undefined {
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const user = str(claims.preferred_username) ?? str(claims.email) ?? str(claims.sub);
  if (!user || !isUserName(user)) return undefined;
  const groups = Array.isArray(claims.groups)
    ? claims.groups.filter((g): g is string => typeof g === 'string')
    : [];
  const email = str(claims.email);
  return { user, ...(email ? { email } : {}), groups };
}
