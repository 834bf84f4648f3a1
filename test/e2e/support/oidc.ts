import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { loopback } from './browser.js';

/** A real OpenID provider (npm oidc-provider) on 127.0.0.1; whoever signs in next is `nextUser`. */
export interface TestIssuer {
  url: string;
  /** The user the next sign-in is (the provider's own interaction, finished by the test). */
  nextUser: string;
  close(): Promise<void>;
}

export interface TestClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

/**
 * Starts oidc-provider with `clients` (code flow, client_secret_post). Sign-in pages are skipped: the
 * interaction route finishes with `nextUser` and a grant for the asked scopes, as a user who clicks
 * "sign in" and "allow" would. ID tokens carry preferred_username, email and groups, and live `idTokenTtl`
 * seconds.
 */
export async function startIssuer(clients: TestClient[], idTokenTtl = 600): Promise<TestIssuer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer: TestIssuer = {
    url,
    nextUser: 'alice',
    close: () => new Promise((r) => server.close(() => r())),
  };
  const provider = new Provider(url, {
    clients: clients.map((c) => ({
      ...c,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    claims: { email: ['email'], profile: ['preferred_username', 'groups'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    ttl: { IdToken: idTokenTtl },
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({
        sub,
        preferred_username: sub,
        email: `${sub}@example.com`,
        groups: sub.startsWith('admin') ? ['ops'] : ['devs'],
      }),
    }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  });
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) {
      void callback(req, res);
      return;
    }
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      const accountId = issuer.nextUser;
      const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } });
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  return issuer;
}

/** A cookie jar by host, enough for one browser-like walk through redirects. */
export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  /** GET `url`, sending and keeping cookies; redirects are returned, not followed. */
  get(
    url: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; location?: string; body: string; cookies: string[] }> {
    const target = new URL(url);
    const cookies = [...(this.jar.get(target.host) ?? new Map()).entries()]
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
    return new Promise((resolve, reject) => {
      const req = http.get(
        url,
        {
          headers: { ...headers, ...(cookies ? { cookie: cookies } : {}) },
          timeout: 20_000,
          lookup: loopback,
        },
        (res) => {
          const set = res.headers['set-cookie'] ?? [];
          const jar = this.jar.get(target.host) ?? new Map<string, string>();
          for (const c of set) {
            const [pair] = c.split(';');
            const at = pair!.indexOf('=');
            const name = pair!.slice(0, at).trim();
            const value = pair!.slice(at + 1).trim();
            if (value === '' || /max-age=0/i.test(c)) jar.delete(name);
            else jar.set(name, value);
          }
          this.jar.set(target.host, jar);
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              ...(res.headers.location ? { location: new URL(res.headers.location, url).href } : {}),
              body,
              cookies: set,
            }),
          );
        },
      );
      req.on('error', reject);
    });
  }

  /** Follows redirects from `url` until one leaves for `stopAt` (a URL prefix) or a page answers. */
  async walk(url: string, stopAt?: string): Promise<{ status: number; url: string; body: string }> {
    let current = url;
    for (let i = 0; i < 12; i++) {
      const res = await this.get(current);
      if (!res.location || (stopAt && res.location.startsWith(stopAt)))
        return { status: res.status, url: res.location ?? current, body: res.body };
      current = res.location;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  cookie(host: string, name: string): string | undefined {
    return this.jar.get(host)?.get(name);
  }
}

/** An ID token for `client`, got the way a relying party gets one (code flow, then the token endpoint). */
export async function idToken(issuer: TestIssuer, client: TestClient, user: string): Promise<string> {
  issuer.nextUser = user;
  const browser = new Browser();
  const auth = new URL(`${issuer.url}/auth`);
  auth.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: client.redirect_uris[0]!,
    response_type: 'code',
    scope: 'openid email profile',
    nonce: 'n',
    state: 's',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }).toString();
  const landed = await browser.walk(auth.href, client.redirect_uris[0]);
  const code = new URL(landed.url).searchParams.get('code');
  if (!code) throw new Error(`no code: ${landed.url} ${landed.body}`);
  const res = await fetch(`${issuer.url}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirect_uris[0]!,
      client_id: client.client_id,
      client_secret: client.client_secret,
      code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
    }),
  });
  const body = (await res.json()) as { id_token?: string };
  if (!body.id_token) throw new Error(`no id_token: ${JSON.stringify(body)}`);
  return body.id_token;
}
