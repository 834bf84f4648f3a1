import type { ResultPromise } from 'execa';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { devc, devcEnv, uniquePrefix } from './support/devc.js';
import {
  gatewayRequest,
  HEADERS_GATEWAY,
  openWebSocket,
  startGateway,
  type Answer,
  type RequestOptions,
} from './support/gateway.js';
import { removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';

// The gateway's metrics, file API and home page buttons, on the real engine with one workspace.
const prefix = uniquePrefix('gwapi');
const repo = `${prefix}-notes`;
let git: GitServer;
let env: NodeJS.ProcessEnv;
let gateway: ResultPromise;
let base: string;
let name: string;

const request = (path: string, options: RequestOptions = {}): Promise<Answer> =>
  gatewayRequest(base, path, options);

const change = { 'X-Devc-Request': '1' };
const scrape = async (): Promise<string> => text(await request('/metrics', { from: '127.0.0.2' }));

/** A WebSocket to the editor through the gateway, left open. */
async function openEditorSocket(): Promise<Duplex> {
  const path = `/w/${name}/?reconnectionToken=t&reconnection=false&skipWebSocketFrames=false`;
  const { status, socket } = await openWebSocket(base, path, 'alice', base);
  if (!socket) throw new Error(`no upgrade: ${status}`);
  return socket;
}
const text = (a: Answer): string => a.body;

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  await git.createRepo(`acme/${repo}`, { 'README.md': '# notes\n' });
  ({ process: gateway, base } = await startGateway(
    [...HEADERS_GATEWAY, '--admin-group', 'ops', '--max-upload', '1k'],
    env,
  ));
  const made = await request('/api/v1/workspaces', {
    user: 'alice',
    method: 'POST',
    headers: { ...change, 'Content-Type': 'application/json' },
    body: JSON.stringify({ repository: `github/acme/${repo}` }),
  });
  expect(made.status, text(made)).toBe(202);
  name = (JSON.parse(text(made)) as { name: string }).name;
  const log = await request(`/api/v1/workspaces/${name}/logs`, { user: 'alice' });
  expect(text(log)).toContain('event: ready');
}, 600_000);

afterAll(async () => {
  gateway?.kill('SIGTERM');
  await gateway;
  await removeWorkspaces(repo);
  await git?.close();
});

describe('devc serve: metrics, files, page', () => {
  it('/metrics: workspaces by state, cold starts, requests; for loopback scrapers and admins only', async () => {
    // 127.0.0.2 is loopback but not the trusted proxy: a scraper on this host.
    const scraped = await request('/metrics', { from: '127.0.0.2' });
    expect(scraped.status).toBe(200);
    expect(scraped.headers['content-type']).toContain('text/plain; version=0.0.4');
    const body = text(scraped);
    expect(body).toContain('devc_workspaces{state="running"} 1');
    expect(body).toContain('devc_cold_start_seconds_count 1');
    expect(body).toMatch(/devc_requests_total\{route="api",status="202"\} 1/);
    expect(body).toContain('devc_websocket_sessions 0');
    expect(body).not.toContain('alice');
    // Through the proxy, a user's request: admins only.
    expect((await request('/metrics', { user: 'alice' })).status).toBe(403);
    expect((await request('/metrics')).status).toBe(401);
    const admin = await request('/metrics', { user: 'olga', headers: { 'X-Auth-Request-Groups': 'ops' } });
    expect(admin.status).toBe(200);
    expect(text(admin)).toContain('# TYPE devc_wake_seconds histogram');
  });

  it('uploads a file and downloads it back; lists a folder', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 65]);
    const put = await request(`/api/v1/workspaces/${name}/files?path=docs/data.bin`, {
      user: 'alice',
      method: 'PUT',
      headers: change,
      body: bytes,
    });
    expect(put.status, text(put)).toBe(200);
    const got = await request(`/api/v1/workspaces/${name}/files?path=docs/data.bin`, { user: 'alice' });
    expect(got.status).toBe(200);
    expect(got.bytes.equals(bytes)).toBe(true);
    const listing = await request(`/api/v1/workspaces/${name}/files?path=.`, { user: 'alice' });
    const entries = (JSON.parse(text(listing)) as { entries: { name: string; type: string }[] }).entries;
    expect(entries).toContainEqual(expect.objectContaining({ name: 'README.md', type: 'file' }));
    expect(entries).toContainEqual(expect.objectContaining({ name: 'docs', type: 'dir' }));
    const readme = await request(`/api/v1/workspaces/${name}/files?path=README.md`, { user: 'alice' });
    expect(text(readme)).toBe('# notes\n');
  });

  it('refuses paths that leave the workspace folder (.., absolute, a planted symlink) with nothing written', async () => {
    const planted = await devc(['exec', '-w', name, '--', 'ln', '-s', '/etc', 'out'], env);
    expect(planted.exitCode, planted.stderr).toBe(0);
    for (const p of ['../etc/passwd', '/etc/passwd', 'out/passwd', 'out', 'docs/../../x']) {
      const got = await request(`/api/v1/workspaces/${name}/files?path=${encodeURIComponent(p)}`, {
        user: 'alice',
      });
      expect(got.status, p).toBe(400);
    }
    for (const p of ['out/devc-escape', '../devc-escape', '/tmp/devc-escape']) {
      const put = await request(`/api/v1/workspaces/${name}/files?path=${encodeURIComponent(p)}`, {
        user: 'alice',
        method: 'PUT',
        headers: change,
        body: 'x',
      });
      expect(put.status, p).toBe(400);
    }
    const looked = await devc(
      [
        'exec',
        '-w',
        name,
        '--',
        'sh',
        '-c',
        'ls /etc/devc-escape /tmp/devc-escape ../devc-escape 2>/dev/null | wc -l',
      ],
      env,
    );
    expect(looked.stdout.trim()).toBe('0');
  });

  it('413 over --max-upload, 403 without the CSRF header, 404 for another user', async () => {
    const big = await request(`/api/v1/workspaces/${name}/files?path=big.bin`, {
      user: 'alice',
      method: 'PUT',
      headers: change,
      body: Buffer.alloc(2048),
    });
    expect(big.status).toBe(413);
    const csrf = await request(`/api/v1/workspaces/${name}/files?path=x.txt`, {
      user: 'alice',
      method: 'PUT',
      body: 'x',
    });
    expect(csrf.status).toBe(403);
    const listing = await request(`/api/v1/workspaces/${name}/files?path=.`, { user: 'alice' });
    expect(text(listing)).not.toMatch(/big\.bin|x\.txt/);
    expect((await request(`/api/v1/workspaces/${name}/files?path=README.md`, { user: 'bob' })).status).toBe(
      404,
    );
    const bobPut = await request(`/api/v1/workspaces/${name}/files?path=b.txt`, {
      user: 'bob',
      method: 'PUT',
      headers: change,
      body: 'b',
    });
    expect(bobPut.status).toBe(404);
  });

  it('the home page has open, stop and delete buttons for the workspace', async () => {
    const page = text(await request('/', { user: 'alice' }));
    for (const act of ['open', 'stop', 'delete'])
      expect(page).toContain(`<button type="button" data-act="${act}" data-name="${name}"`);
    expect(page).toContain("'X-Devc-Request': '1'");
    expect(page).toContain('Delete anyway');
  });

  it('counts open WebSocket sessions, and a wake after a stop', async () => {
    const socket = await openEditorSocket();
    expect(await scrape()).toContain('devc_websocket_sessions 1');
    socket.destroy();
    await vi.waitFor(async () => expect(await scrape()).toContain('devc_websocket_sessions 0'), {
      timeout: 10_000,
      interval: 200,
    });
    const stop = await request(`/api/v1/workspaces/${name}/stop`, {
      user: 'alice',
      method: 'POST',
      headers: change,
    });
    expect(stop.status, text(stop)).toBe(200);
    expect(await scrape()).toContain('devc_workspaces{state="stopped"} 1');
    const waiting = await request(`/w/${name}/`, { user: 'alice' });
    expect(text(waiting)).toContain(`Starting ${name}`);
    expect(text(await request(`/api/v1/workspaces/${name}/logs`, { user: 'alice' }))).toContain(
      'event: ready',
    );
    const after = await scrape();
    expect(after).toContain('devc_wake_seconds_count 1');
    expect(after).toContain('devc_cold_start_seconds_count 1');
  }, 180_000);
});
