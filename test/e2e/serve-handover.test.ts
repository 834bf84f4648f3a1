import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devcEnv, uniquePrefix } from './support/devc.js';
import { removeWorkspaces } from './support/docker.js';
import { freePort, gatewayRequest, multipart, startGateway } from './support/gateway.js';
import { Browser, idToken, startIssuer, type TestClient, type TestIssuer } from './support/oidc.js';

// Subdomain mode with --auth oidc, on the real engine and a real OpenID provider: the gateway's session
// cookie stays on its host; a workspace host gets its own cookie, for that workspace only, by a
// one-minute ticket the signed-in gateway host signs. `*.localhost` reaches loopback (RFC 6761).
const prefix = uniquePrefix('gwho');
let issuer: TestIssuer;
let gateway: ResultPromise | undefined;
let client: TestClient;
let port: number;
let home: string;
let name: string;
const at = (workspace: string): string => `http://${workspace}.ws.localhost:${port}`;

beforeAll(async () => {
  port = await freePort();
  home = `http://gw.localhost:${port}`;
  client = {
    client_id: 'devc',
    client_secret: 'devc-handover-secret-0123456789abcdef',
    redirect_uris: [`${home}/auth/callback`],
  };
  issuer = await startIssuer([client]);
  ({ process: gateway } = await startGateway(
    [
      '--auth',
      'oidc',
      '--oidc-issuer',
      issuer.url,
      '--oidc-client-id',
      'devc',
      '--listen',
      `127.0.0.1:${port}`,
      '--public-url',
      home,
      '--wildcard-domain',
      'ws.localhost',
    ],
    await devcEnv({ DEVC_OIDC_CLIENT_SECRET: client.client_secret }),
  ));
  // alice's workspace: a dev8 image in an empty folder, made through the API with her ID token.
  const token = await idToken(issuer, client, 'alice');
  const { body, type } = await multipart({ name: prefix, variant: 'base' });
  const made = await gatewayRequest(`http://127.0.0.1:${port}`, '/api/v1/workspaces', {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': type },
    body,
  });
  expect(made.status, made.body).toBe(202);
  name = (JSON.parse(made.body) as { name: string }).name;
  const log = await gatewayRequest(`http://127.0.0.1:${port}`, `/api/v1/workspaces/${name}/logs`, {
    headers: { Authorization: `Bearer ${token}` },
    timeoutMs: 600_000,
  });
  expect(log.body).toContain('event: ready');
}, 700_000);

afterAll(async () => {
  gateway?.kill('SIGTERM');
  await gateway;
  await removeWorkspaces(prefix);
  await issuer?.close();
});

async function signIn(user: string): Promise<Browser> {
  issuer.nextUser = user;
  const browser = new Browser();
  const first = await browser.get(`${home}/`);
  const back = await browser.walk(first.location!, `${home}/auth/callback`);
  const callback = await browser.get(back.url);
  expect(callback.cookies.join('\n')).not.toMatch(/domain=/i);
  return browser;
}

describe('devc serve --auth oidc --wildcard-domain: the hand-over to a workspace host', () => {
  it('signs the workspace host in with its own cookie, bound to the workspace; code-server answers', async () => {
    const browser = await signIn('alice');
    const first = await browser.get(`${at(name)}/`);
    expect(first.status).toBe(302);
    expect(first.location).toBe(`${home}/auth/workspace?name=${name}&next=%2F`);
    const ticketed = await browser.get(first.location!);
    expect(ticketed.status).toBe(302);
    const landing = new URL(ticketed.location!);
    expect(landing.origin).toBe(at(name));
    expect(landing.pathname).toBe('/.devc/session');
    const set = await browser.get(landing.href);
    expect(set.status).toBe(302);
    expect(set.location).toBe(`${at(name)}/`);
    expect(set.cookies.join('\n')).toMatch(/^devc-editor=[^;]+; Path=\/; HttpOnly; SameSite=Lax/m);
    expect(set.cookies.join('\n')).not.toMatch(/domain=/i);
    const editor = await browser.get(`${at(name)}/`);
    expect(editor.status).toBe(302);
    expect(editor.location).toContain('folder=');

    // The ticket names its workspace: at another host it is nothing.
    const elsewhere = await new Browser().get(`${at('other-alice')}/.devc/session${landing.search}`);
    expect(elsewhere.status).toBe(401);
    // The editor cookie names its workspace too: sent to another host, the browser is anonymous there.
    const cookie = browser.cookie(new URL(at(name)).host, 'devc-editor')!;
    const copied = await new Browser().get(`${at('other-alice')}/`, { cookie: `devc-editor=${cookie}` });
    expect(copied.status).toBe(302);
    expect(copied.location).toContain('/auth/workspace?name=other-alice');
    // Nor is the gateway's own session cookie any good at a workspace host.
    const session = browser.cookie(new URL(home).host, 'devc-session')!;
    const wrongHost = await new Browser().get(`${at(name)}/`, { cookie: `devc-session=${session}` });
    expect(wrongHost.status).toBe(302);
    expect(wrongHost.location).toContain('/auth/workspace');
  });

  it("gives no ticket for another user's workspace", async () => {
    const bob = await signIn('bob');
    const refused = await bob.get(`${home}/auth/workspace?name=${name}&next=%2F`);
    expect(refused.status).toBe(404);
    const open = await bob.get(`${at(name)}/`);
    expect(open.status).toBe(302);
    expect((await bob.get(open.location!)).status).toBe(404);
  });

  it('sends the hand-over only to a path on the workspace host', async () => {
    const browser = await signIn('alice');
    const ticketed = await browser.get(
      `${home}/auth/workspace?name=${name}&next=${encodeURIComponent('//evil.example/')}`,
    );
    const set = await browser.get(ticketed.location!);
    expect(set.location).toBe(`${at(name)}/`);
  });
});
