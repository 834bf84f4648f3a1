import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Signed cookies that hold their own state (a session, a sign-in in progress): nothing is kept in the
 * gateway, so a restart or a second replica with the same secret reads them alike. The key is derived
 * from the OIDC client secret (HKDF), never the secret itself.
 */
export class CookieSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'devc-serve', 'session cookies v1', 32));
  }

  /** `payload` with an expiry, as `base64url(json).base64url(hmac)`. */
  sign(payload: object, ttlSeconds: number): string {
    const body = Buffer.from(
      JSON.stringify({ ...payload, exp: Math.floor(Date.now() / 1000) + ttlSeconds }),
    ).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The payload of a cookie this signer made and that has not expired; undefined otherwise. */
  verify<T>(value: string | undefined): T | undefined {
    if (!value) return undefined;
    const [body, mac, extra] = value.split('.');
    if (!body || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { exp?: unknown };
      if (typeof payload.exp !== 'number' || payload.exp < Date.now() / 1000) return undefined;
      return payload as T;
    } catch {
      return undefined;
    }
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

/** One cookie's value from the request (the first, if the browser sent it twice). */
export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * A Set-Cookie header: HttpOnly, SameSite=Lax, Path=/, and over https `Secure` (the name then starts
 * with `__Host-`, which browsers accept only that way: no Domain, so no other host gets it).
 */
export function setCookie(name: string, value: string, secure: boolean, maxAgeSeconds: number): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}
