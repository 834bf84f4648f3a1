import { randomBytes } from 'node:crypto';
import { execa, type ResultPromise } from 'execa';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tarGz } from './support/archive.js';
import { devcEnv, uniquePrefix } from './support/devc.js';
import { removeWorkspaces } from './support/docker.js';
import { freePort, gatewayRequest, openWebSocket, startGateway } from './support/gateway.js';
import { startGitServer, type GitServer } from './support/git-server.js';

// The home page in Chromium, keyboard only, and subdomain mode (--wildcard-domain) through real Host
// headers: Chromium's --host-resolver-rules sends *.devc.test to the gateway on 127.0.0.1.
const prefix = uniquePrefix('gwp');
const repo = `${prefix}-notes`;
const name = `${repo}-alice`;
let git: GitServer;
let gateway: ResultPromise | undefined;
let browser: Browser | undefined;
let context: BrowserContext;
let port: number;
let home: string;
let base: string;
const editorHost = (workspace: string): string => `${workspace}.ws.devc.test:${port}`;

beforeAll(async () => {
  git = await startGitServer();
  await git.createRepo(`acme/${repo}`, { 'README.md': '# notes\n\nRead in the browser.\n' });
  port = await freePort();
  home = `http://gw.devc.test:${port}`;
  ({ process: gateway, base } = await startGateway(
    [
      '--auth',
      'headers',
      '--trusted-proxy',
      '127.0.0.1',
      '--listen',
      `127.0.0.1:${port}`,
      '--public-url',
      home,
      '--wildcard-domain',
      'ws.devc.test',
    ],
    await devcEnv({ DEVC_GITHUB_URL: git.baseUrl }),
  ));
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--host-resolver-rules=MAP *.devc.test 127.0.0.1'],
  });
  // The forward-auth proxy's part: who the user is, on every host (what oauth2-proxy adds).
  context = await browser.newContext({ extraHTTPHeaders: { 'X-Auth-Request-User': 'alice' } });
  context.setDefaultTimeout(120_000);
});

afterAll(async () => {
  await browser?.close();
  gateway?.kill('SIGTERM');
  await gateway;
  await removeWorkspaces(prefix);
  await git?.close();
});

describe('the home page, keyboard only, and editors at NAME.DOMAIN', () => {
  it('tab to the open field, open a repository: its editor opens at its own host, and it is listed', async () => {
    const page = await context.newPage();
    await page.goto(`${home}/`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement?.id')).toBe('repo');
    await page.keyboard.type(`github/acme/${repo}`);
    await page.keyboard.press('Enter');
    await page.getByText(`Starting ${name}`).or(page.locator('.monaco-workbench')).first().waitFor();
    await page.waitForURL((url) => url.host === editorHost(name), { timeout: 600_000 });
    // The explorer lists the repository's files: the editor's WebSocket crossed the gateway at NAME.DOMAIN.
    await page.locator('.explorer-folders-view').getByText('README.md').waitFor();

    await page.goto(`${home}/`);
    const row = page.locator('tr', { hasText: name });
    await expect(row.locator('td').nth(1).textContent()).resolves.toBe('running');
    await expect(row.locator('td').nth(4).textContent()).resolves.toBe('now');
  }, 700_000);

  it('the file browser: keyboard to Files, a folder listed, a file read through its download link, one uploaded', async () => {
    const page = await context.newPage();
    await page.goto(`${home}/`);
    // Tab through the page to the button (focus order follows the page).
    const focused = (): Promise<string | null> =>
      page.evaluate<string | null>('document.activeElement?.getAttribute("aria-label") ?? null');
    for (let i = 0; i < 20 && (await focused()) !== `Files ${name}`; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe(`Files ${name}`);
    await page.keyboard.press('Enter');
    const readme = page.locator('#files-list a', { hasText: 'README.md' });
    await readme.waitFor();
    // The link is the file API's download (an attachment); read it the way the browser sends it.
    expect(await readme.getAttribute('download')).toBe('README.md');
    const href = await readme.getAttribute('href');
    const got = await page.evaluate<string, string>(async (url) => (await fetch(url)).text(), href!);
    expect(got).toContain('# notes');
    const token = randomBytes(6).toString('hex');
    await page
      .locator('#files-file')
      .setInputFiles({ name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from(token) });
    await page.getByRole('button', { name: 'Upload file' }).press('Enter');
    await page.locator('#files-list a', { hasText: 'hello.txt' }).waitFor();
    const cat = await execa('docker', [
      'exec',
      `devc-${name}`,
      'sh',
      '-c',
      `cat /workspaces/${repo}/hello.txt`,
    ]);
    expect(cat.stdout).toBe(token);
  }, 120_000);

  it('an uploaded folder (.tar.gz) from the page becomes a workspace whose editor opens', async () => {
    const page = await context.newPage();
    await page.goto(`${home}/`);
    const folder = await tarGz([{ name: 'site/index.html', body: '<h1>uploaded</h1>\n' }]);
    await page
      .locator('#upload-file')
      .setInputFiles({ name: `${prefix}-site.tar.gz`, mimeType: 'application/gzip', buffer: folder });
    await page.getByRole('button', { name: 'Upload', exact: true }).press('Enter');
    const uploaded = `${prefix}-site-alice`;
    await page.waitForURL((url) => url.host === editorHost(uploaded), { timeout: 600_000 });
    await page.locator('.explorer-folders-view').getByText('index.html').waitFor();
  }, 700_000);

  it("subdomain mode: WebSockets only from the editor's own origin, others' hosts 404, /w/NAME/ redirects", async () => {
    const path = '/?reconnectionToken=t&reconnection=false&skipWebSocketFrames=false';
    const own = `http://${editorHost(name)}`;
    const upgrade = async (origin: string, user = 'alice'): Promise<number> => {
      const { status, socket } = await openWebSocket(base, path, user, origin, editorHost(name));
      socket?.destroy();
      return status;
    };
    expect(await upgrade(own)).toBe(101);
    expect(await upgrade(home)).toBe(403);
    expect(await upgrade(`http://${editorHost('other-alice')}`)).toBe(403);
    expect(await upgrade(own, 'bob')).toBe(404);
    const bob = await gatewayRequest(base, '/', { user: 'bob', headers: { Host: editorHost(name) } });
    expect(bob.status).toBe(404);
    const moved = await gatewayRequest(base, `/w/${name}/`, {
      user: 'alice',
      headers: { Host: `gw.devc.test:${port}` },
    });
    expect(moved.status).toBe(302);
    expect(moved.headers.location).toBe(`${own}/`);
    // Every path at the editor's host is the editor's: the gateway's own routes are not there.
    const deep = await gatewayRequest(base, '/healthz', {
      user: 'alice',
      headers: { Host: editorHost(name) },
    });
    expect(deep.body).not.toContain('"status":"ok"');
  });
});
