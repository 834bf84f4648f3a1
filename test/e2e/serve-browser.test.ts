import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { execa, type ResultPromise } from 'execa';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoff } from '../../src/wait/backoff.js';
import { devcEnv, uniquePrefix } from './support/devc.js';
import { freePort, startGateway } from './support/gateway.js';
import { removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';
import { startIssuer, type TestIssuer } from './support/oidc.js';

// The gateway as a team deploys it, every part real: Chromium (playwright-core) → oauth2-proxy (reverse
// proxy, OIDC against a real provider) → `devc serve --auth headers` → code-server in the workspace.
const prefix = uniquePrefix('gwb');
const repo = `${prefix}-shop`;
const oauth2Proxy = (await execa('bash', ['scripts/tools.sh', 'path'], { cwd: process.cwd() })).stdout.trim();
const client = { client_id: 'oauth2-proxy', client_secret: randomBytes(16).toString('hex') };

let git: GitServer;
let issuer: TestIssuer;
let gateway: ResultPromise | undefined;
let proxy: ResultPromise | undefined;
let browser: Browser | undefined;
let gatewayUrl: string;
let proxyUrl: string;

/** Waits for `url` to answer 200 (bounded). */
async function answers(url: string, what: string): Promise<void> {
  const pace = backoff({ first: 100, max: 1000, deadline: Date.now() + 30_000 });
  for (;;) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (pace.expired()) throw new Error(`${what} did not answer at ${url}`);
    await pace.pause();
  }
}

/**
 * Opens a terminal from the command palette. A workbench that is still settling (the README opening,
 * a notification) may close the palette under the test, so it tries again, within bounds.
 */
async function openTerminal(page: Page): Promise<void> {
  const terminal = page.locator('.terminal-wrapper .xterm').first();
  const pace = backoff({ first: 1000, max: 5000, deadline: Date.now() + 120_000 });
  const shows = (what: ReturnType<Page['locator']>, timeout: number): Promise<boolean> =>
    what.waitFor({ timeout }).then(
      () => true,
      () => false,
    );
  // Each step gives up within seconds (the palette may close between two of them) and the loop tries
  // again; the page's default timeout would spend two minutes on a palette that is gone.
  const quick = { timeout: 5000 };
  const tried = (step: Promise<unknown>): Promise<boolean> =>
    step.then(
      () => true,
      () => false,
    );
  for (;;) {
    // Focus the workbench itself (the README may be a preview in a webview, which keeps keys).
    await tried(page.locator('.part.statusbar').click(quick));
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input:visible');
    if ((await shows(input, 5000)) && (await tried(input.fill('>Terminal: Create New Terminal', quick)))) {
      const row = page.locator('.quick-input-list .monaco-list-row:visible', {
        hasText: 'Create New Terminal',
      });
      if (await shows(row.first(), 5000)) await tried(input.press('Enter', quick));
    }
    if (await shows(terminal, 10_000)) return;
    if (pace.expired()) {
      await page.screenshot({ path: `/tmp/${prefix}-terminal.png` });
      throw new Error(`no terminal opened (screenshot: /tmp/${prefix}-terminal.png)`);
    }
    await page.keyboard.press('Escape');
    await pace.pause();
  }
}

beforeAll(async () => {
  git = await startGitServer();
  await git.createRepo(`acme/${repo}`, { 'README.md': '# shop\n\nThe browser test reads this line.\n' });
  const port = await freePort();
  proxyUrl = `http://127.0.0.1:${port}`;
  issuer = await startIssuer([{ ...client, redirect_uris: [`${proxyUrl}/oauth2/callback`] }]);
  issuer.nextUser = 'alice';

  ({ process: gateway, base: gatewayUrl } = await startGateway(
    [
      '--auth',
      'headers',
      '--trusted-proxy',
      '127.0.0.1',
      '--user-header',
      'X-Forwarded-User',
      '--email-header',
      'X-Forwarded-Email',
      '--groups-header',
      'X-Forwarded-Groups',
      '--listen',
      '127.0.0.1:0',
      '--public-url',
      proxyUrl,
    ],
    await devcEnv({ DEVC_GITHUB_URL: git.baseUrl }),
  ));

  // Secrets through the environment, never argv (oauth2-proxy reads OAUTH2_PROXY_<FLAG>).
  proxy = execa(
    oauth2Proxy,
    [
      '--provider=oidc',
      `--oidc-issuer-url=${issuer.url}`,
      `--client-id=${client.client_id}`,
      '--code-challenge-method=S256',
      '--insecure-oidc-allow-unverified-email',
      '--email-domain=*',
      `--http-address=127.0.0.1:${port}`,
      `--redirect-url=${proxyUrl}/oauth2/callback`,
      `--upstream=${gatewayUrl}`,
      '--cookie-secure=false',
      '--skip-provider-button',
      '--set-xauthrequest',
      '--pass-user-headers',
    ],
    {
      env: {
        OAUTH2_PROXY_CLIENT_SECRET: client.client_secret,
        OAUTH2_PROXY_COOKIE_SECRET: randomBytes(16).toString('hex'),
      },
      extendEnv: false,
      reject: false,
      timeout: 900_000,
    },
  );
  await answers(`${proxyUrl}/ping`, 'oauth2-proxy');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
});

afterAll(async () => {
  await browser?.close();
  for (const child of [proxy, gateway]) {
    child?.kill('SIGTERM');
    await child;
  }
  await removeWorkspaces(repo);
  await git?.close();
  await issuer?.close();
});

describe('devc serve behind oauth2-proxy, in Chromium', () => {
  it('signs in, waits, opens the editor on the README, and a terminal runs in the workspace', async () => {
    const page = await browser!.newPage();
    page.setDefaultTimeout(120_000);
    // oauth2-proxy → the provider (sign-in finished by support/oidc.ts) → back to the page asked for.
    const landed = await page.goto(`${proxyUrl}/github/acme/${repo}`);
    expect(landed?.status()).toBe(200);
    const name = `${repo}-alice`;
    await page.getByText(`Starting ${name}`).or(page.locator('.monaco-workbench')).first().waitFor();
    // The waiting page moves on by itself when code-server answers.
    await page.waitForURL(new RegExp(`/w/${name}/`), { timeout: 600_000 });
    await page.locator('.monaco-workbench').waitFor();
    await page.locator('.monaco-workbench .tab', { hasText: 'README' }).first().waitFor();

    // The terminal is a WebSocket through oauth2-proxy and the gateway.
    const token = `hello-${randomBytes(6).toString('hex')}`;
    await openTerminal(page);
    await page.locator('.terminal-wrapper .xterm').first().click();
    await page.keyboard.type(`echo ${token} > /tmp/x`);
    await page.keyboard.press('Enter');
    const pace = backoff({ first: 250, max: 2000, deadline: Date.now() + 60_000 });
    let seen = '';
    while (seen !== token && !pace.expired()) {
      await pace.pause();
      const cat = await execa('docker', ['exec', `devc-${name}`, 'cat', '/tmp/x'], { reject: false });
      seen = cat.stdout.trim();
    }
    expect(seen).toBe(token);
    const owner = await execa('docker', [
      'inspect',
      '-f',
      '{{index .Config.Labels "dev.devc.owner"}}',
      `devc-${name}`,
    ]);
    expect(owner.stdout.trim()).toBe('alice');
  });

  it('the same page straight to the gateway, not from the proxy, is 401 whatever it claims', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(
          `${gatewayUrl}/w/${repo}-alice/`,
          { localAddress: '127.0.0.2', headers: { 'X-Forwarded-User': 'alice' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on('error', reject);
    });
    expect(status).toBe(401);
  });
});
