import { generateKeyPair, SignJWT } from 'jose';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv } from './support/devc.js';
import { freePort, startGateway } from './support/gateway.js';
import { Browser, idToken, startIssuer, type TestClient, type TestIssuer } from './support/oidc.js';

// `devc serve --auth oidc` and `--auth jwt` against a real OpenID provider (oidc-provider, in this
// process): the code flow with PKCE, the session cookie, bearer tokens, and tokens that must not pass.
let issuer: TestIssuer;
let env: NodeJS.ProcessEnv;
const gateways: ResultPromise[] = [];
let oidcBase: string;
let jwtBase: string;
let devcClient: TestClient;
let otherClient: TestClient;

async function start(args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const started = await startGateway(['--listen', '127.0.0.1:0', ...args], { ...env, ...extraEnv }, 600_000);
  gateways.push(started.process);
  return started.base;
}

beforeAll(async () => {
  const port = await freePort();
  oidcBase = `http://127.0.0.1:${port}`;
  devcClient = {
    client_id: 'devc',
    client_secret: 'devc-test-secret-0123456789abcdef',
    redirect_uris: [`${oidcBase}/auth/callback`],
  };
  otherClient = {
    client_id: 'other',
    client_secret: 'other-secret-0123456789abcdef',
    redirect_uris: ['http://127.0.0.1:9/cb'],
  };
  issuer = await startIssuer([devcClient, otherClient], 8);
  env = await devcEnv();
  oidcBase = await start(
    [
      '--auth',
      'oidc',
      '--oidc-issuer',
      issuer.url,
      '--oidc-client-id',
      'devc',
      '--public-url',
      oidcBase,
      '--listen',
      `127.0.0.1:${port}`,
    ],
    { DEVC_OIDC_CLIENT_SECRET: devcClient.client_secret },
  );
  jwtBase = await start(['--auth', 'jwt', '--oidc-issuer', issuer.url, '--oidc-client-id', 'devc']);
});

afterAll(async () => {
  for (const g of gateways) g.kill('SIGTERM');
  await Promise.all(gateways);
  await issuer?.close();
});

describe('devc serve --auth oidc', () => {
  it('sends a stranger to the issuer with PKCE, and back signed in with a session cookie', async () => {
    issuer.nextUser = 'alice';
    const browser = new Browser();
    const first = await browser.get(`${oidcBase}/`);
    expect(first.status).toBe(302);
    const auth = new URL(first.location!);
    expect(auth.origin).toBe(issuer.url);
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('redirect_uri')).toBe(`${oidcBase}/auth/callback`);
    expect(first.cookies.join('\n')).toMatch(/^devc-login=[^;]+; Path=\/; HttpOnly; SameSite=Lax/m);

    const back = await browser.walk(first.location!, `${oidcBase}/auth/callback`);
    const callback = await browser.get(back.url);
    expect(callback.status).toBe(302);
    expect(callback.location).toBe(`${oidcBase}/`);
    expect(callback.cookies.join('\n')).toMatch(/^devc-session=[^;]+; Path=\/; HttpOnly; SameSite=Lax/m);
    const home = await browser.get(`${oidcBase}/`);
    expect(home.status).toBe(200);
    expect(home.body).toContain('Workspaces of alice');

    // The same code again: the sign-in it belonged to is over.
    const replay = await new Browser().get(back.url);
    expect(replay.status).toBe(400);
  });

  it('treats a tampered session cookie as no session', async () => {
    issuer.nextUser = 'alice';
    const browser = new Browser();
    const first = await browser.get(`${oidcBase}/`);
    const back = await browser.walk(first.location!, `${oidcBase}/auth/callback`);
    await browser.get(back.url);
    const session = browser.cookie(new URL(oidcBase).host, 'devc-session')!;
    const [body, mac] = session.split('.');
    const forged = Buffer.from(JSON.stringify({ u: 'bob', g: [], exp: 9999999999 })).toString('base64url');
    for (const value of [`${forged}.${mac}`, `${body}.${mac!.slice(1)}A`, 'x']) {
      const res = await new Browser().get(`${oidcBase}/api/v1/workspaces`, {
        cookie: `devc-session=${value}`,
      });
      expect(res.status).toBe(401);
    }
    // Signed in, a change through the API needs the CSRF header.
    const api = await fetch(`${oidcBase}/api/v1/workspaces`, {
      method: 'POST',
      headers: { cookie: `devc-session=${session}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(api.status).toBe(403);
  });

  it('takes an ID token as Authorization: Bearer, without the CSRF header', async () => {
    const token = await idToken(issuer, devcClient, 'carol');
    const list = await fetch(`${oidcBase}/api/v1/workspaces`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual([]);
    const post = await fetch(`${oidcBase}/api/v1/workspaces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(post.status).toBe(400);
    expect(((await post.json()) as { message: string }).message).toMatch(/Say which repository/);
  });

  it('needs DEVC_OIDC_CLIENT_SECRET, never a flag', async () => {
    const run = await devc(
      ['serve', '--auth', 'oidc', '--oidc-issuer', issuer.url, '--oidc-client-id', 'devc'],
      env,
    );
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/DEVC_OIDC_CLIENT_SECRET/);
    const flag = await devc(['serve', '--auth', 'oidc', '--oidc-client-secret', 'x'], env);
    expect(flag.exitCode).toBe(2);
  });
});

describe('devc serve --auth jwt', () => {
  const api = (token?: string): Promise<Response> =>
    fetch(`${jwtBase}/api/v1/workspaces`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('admits an ID token the issuer signed for the gateway', async () => {
    const res = await api(await idToken(issuer, devcClient, 'dave'));
    expect(res.status).toBe(200);
  });

  it.each([
    ['no token', () => Promise.resolve(undefined), 401],
    ['a token for another client', async () => idToken(issuer, otherClient, 'dave'), 401],
    [
      'a token signed with a key of its own',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return new SignJWT({ preferred_username: 'mallory' })
          .setProtectedHeader({ alg: 'RS256', kid: 'forged', jku: 'http://127.0.0.1:9/keys' })
          .setIssuer(issuer.url)
          .setAudience('devc')
          .setSubject('mallory')
          .setIssuedAt()
          .setExpirationTime('10m')
          .sign(privateKey);
      },
      401,
    ],
    [
      'an unsigned token (alg none)',
      () =>
        Promise.resolve(
          `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: issuer.url, aud: 'devc', sub: 'm', exp: 9999999999 })).toString('base64url')}.`,
        ),
      401,
    ],
    [
      'an expired token',
      async () => {
        const token = await idToken(issuer, devcClient, 'erin');
        await new Promise((r) => setTimeout(r, 15_000));
        return token;
      },
      401,
    ],
  ])('refuses %s', async (_case, make, status) => {
    const res = await api(await make());
    expect(res.status).toBe(status);
  });
});
