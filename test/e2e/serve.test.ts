import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, uniquePrefix } from './support/devc.js';
import {
  gatewayRequest,
  HEADERS_GATEWAY,
  openWebSocket,
  startGateway as startServe,
  type Answer,
  type RequestOptions,
} from './support/gateway.js';
import { removeWorkspaces } from './support/docker.js';
import {
  editor as editorPage,
  followLog as followWorkspaceLog,
  isWorkbench,
} from './support/gateway-editor.js';
import { startGitServer, type GitServer } from './support/git-server.js';

// `devc serve --auth headers` behind a trusted proxy address, on the real engine: per-user workspaces,
// the waiting page and its log, the code-server proxy (HTTP and WebSocket), forged identities, CSRF.
const prefix = uniquePrefix('gw');
const repo = `${prefix}-shop`;
let git: GitServer;
let env: NodeJS.ProcessEnv;
let gateway: ResultPromise | undefined;
let base: string;

/** One request to the gateway, from `from` (a loopback address: 127.0.0.1 is the trusted proxy). */
const request = (path: string, options: RequestOptions = {}): Promise<Answer> =>
  gatewayRequest(base, path, { timeoutMs: 20_000, ...options });

const followLog = (name: string, user: string) => followWorkspaceLog(base, name, user);

async function startGateway(extra: string[] = []): Promise<void> {
  ({ process: gateway, base } = await startServe(
    [...HEADERS_GATEWAY, '--admin-group', 'ops', ...extra],
    env,
  ));
}

async function stopGateway(): Promise<void> {
  gateway?.kill('SIGTERM');
  await gateway;
  gateway = undefined;
}

const editor = (workspace: string, user: string): Promise<Answer> => editorPage(base, workspace, user);

let name: string;

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  await git.createRepo(`acme/${repo}`, { 'README.md': '# shop\n' });
  await startGateway();
});

afterAll(async () => {
  await stopGateway();
  await removeWorkspaces(prefix);
  await removeWorkspaces(repo);
  await git?.close();
});

describe('devc serve: who a request is from', () => {
  it('answers /healthz without an identity', async () => {
    const res = await request('/healthz');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
  });

  it.each([
    ['no identity', {}],
    ['identity headers from a peer that is not the proxy', { user: 'alice', from: '127.0.0.2' }],
    [
      'an underscore spelling from a peer that is not the proxy',
      { headers: { X_Auth_Request_User: 'alice' }, from: '127.0.0.2' },
    ],
  ])('%s: 401, nothing made', async (_case, options) => {
    for (const path of ['/', `/github/acme/${repo}`, '/api/v1/workspaces']) {
      const res = await request(path, options);
      expect(res.status, path).toBe(401);
    }
  });

  it('refuses an underscore twin from the proxy itself (400)', async () => {
    const res = await request('/api/v1/workspaces', {
      user: 'alice',
      headers: { X_Auth_Request_User: 'bob' },
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).message).toMatch(/spelled with "_"/);
  });
});

describe('devc serve: a workspace per user', () => {
  it('opens /github/OWNER/REPO: a waiting page, the log, then code-server through the gateway', async () => {
    const page = await request(`/github/acme/${repo}`, { user: 'alice' });
    expect(page.status).toBe(200);
    name = /\/api\/v1\/workspaces\/([a-z0-9-]+)\/logs/.exec(page.body)?.[1] ?? '';
    expect(name).toBe(`${repo}-alice`);
    const log = await followLog(name, 'alice');
    expect(log.end, log.text).toBe('ready');
    expect(log.text).toContain('The editor answers');

    const workbench = await editor(name, 'alice');
    expect(workbench.status).toBe(200);
    expect(isWorkbench(workbench.body)).toBe(true);
    // code-server's session stays with the gateway.
    expect(String(workbench.headers['set-cookie'] ?? '')).not.toMatch(/code-server-session/);

    // The workspace is alice's, by label, and the API shows the CLI's JSON shape.
    const listed = JSON.parse((await request('/api/v1/workspaces', { user: 'alice' })).body) as {
      name: string;
      owner: string;
      state: string;
    }[];
    expect(listed.map((w) => [w.name, w.owner, w.state])).toEqual([[name, 'alice', 'running']]);
    const owner = await execa('docker', [
      'inspect',
      '-f',
      '{{index .Config.Labels "dev.devc.owner"}}',
      `devc-${name}`,
    ]);
    expect(owner.stdout.trim()).toBe('alice');
  });

  it("another user reaches nothing of alice's: page, API and WebSocket are 404", async () => {
    expect((await request(`/w/${name}/`, { user: 'bob' })).status).toBe(404);
    expect((await request(`/api/v1/workspaces/${name}`, { user: 'bob' })).status).toBe(404);
    expect((await request(`/api/v1/workspaces/${name}/logs`, { user: 'bob' })).status).toBe(404);
    const stop = await request(`/api/v1/workspaces/${name}/stop`, {
      user: 'bob',
      method: 'POST',
      headers: { 'X-Devc-Request': '1' },
    });
    expect(stop.status).toBe(404);
    expect(JSON.parse((await request('/api/v1/workspaces', { user: 'bob' })).body)).toEqual([]);
    expect(await upgradeStatus(`/w/${name}/`, 'bob', base)).toBe(404);
  });

  it("admits a WebSocket to the editor from the gateway's own origin only", async () => {
    expect(
      await upgradeStatus(
        `/w/${name}/?reconnectionToken=t&reconnection=false&skipWebSocketFrames=false`,
        'alice',
        'http://evil.example',
      ),
    ).toBe(403);
    expect(
      await upgradeStatus(
        `/w/${name}/?reconnectionToken=t&reconnection=false&skipWebSocketFrames=false`,
        'alice',
        base,
      ),
    ).toBe(101);
  });

  it('needs the CSRF header for changes made with ambient credentials', async () => {
    const bare = await request(`/api/v1/workspaces/${name}/stop`, { user: 'alice', method: 'POST' });
    expect(bare.status).toBe(403);
    expect(JSON.parse(bare.body).message).toMatch(/x-devc-request/);
    const made = await request('/api/v1/workspaces', {
      user: 'alice',
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ repository: `github/acme/${repo}` }),
    });
    expect(made.status).toBe(403);
  });

  it.each([
    ['a malformed reference', '/open?repo=not%20a%20repo', 400],
    ['a local path', '/open?repo=%2Fetc', 400],
    ['a file:// URL', '/open?repo=file%3A%2F%2F%2Fsrv%2Fgit', 400],
    ['a host the gateway does not clone from', '/open?repo=https%3A%2F%2F169.254.169.254%2Fx.git', 400],
    ['an unknown page', '/nothing-here', 404],
  ])('%s: %s, nothing made', async (_case, path, status) => {
    const res = await request(path, { user: 'carol' });
    expect(res.status).toBe(status);
    expect(JSON.parse((await request('/api/v1/workspaces', { user: 'carol' })).body)).toEqual([]);
  });

  it('stops through the API, wakes on the next visit, and a restarted gateway knows it all', async () => {
    const stop = await request(`/api/v1/workspaces/${name}/stop`, {
      user: 'alice',
      method: 'POST',
      headers: { 'X-Devc-Request': '1' },
    });
    expect(stop.status).toBe(200);
    await stopGateway();
    await startGateway();
    const view = JSON.parse((await request(`/api/v1/workspaces/${name}`, { user: 'alice' })).body) as {
      state: string;
    };
    expect(view.state).not.toBe('running');
    const waiting = await request(`/w/${name}/`, { user: 'alice' });
    expect(waiting.status).toBe(200);
    expect(waiting.body).toContain(`Starting ${name}`);
    const log = await followLog(name, 'alice');
    expect(log.end, log.text).toBe('ready');
    const woken = await editor(name, 'alice');
    expect(isWorkbench(woken.body), `${woken.status} ${woken.body.slice(0, 400)}`).toBe(true);
  });

  it('an admin lists every workspace and may stop it, but not open it', async () => {
    const all = await request('/api/v1/workspaces?all=1', {
      user: 'olga',
      headers: { 'X-Auth-Request-Groups': 'ops' },
    });
    expect((JSON.parse(all.body) as { name: string }[]).map((w) => w.name)).toContain(name);
    expect(
      (await request(`/w/${name}/`, { user: 'olga', headers: { 'X-Auth-Request-Groups': 'ops' } })).status,
    ).toBe(404);
  });

  it('deletes through the API', async () => {
    const res = await request(`/api/v1/workspaces/${name}?force=1`, {
      user: 'alice',
      method: 'DELETE',
      headers: { 'X-Devc-Request': '1' },
    });
    expect(res.status).toBe(200);
    const gone = await devc(['list', '--json'], env);
    expect(gone.stdout).not.toContain(name);
  });
});

describe('devc serve: scale to zero', () => {
  it('a workspace nobody uses stops by itself, and the next visit wakes it with its files', async () => {
    await stopGateway();
    await startGateway(['--idle-timeout', '10s']);
    const page = await request(`/github/acme/${repo}`, { user: 'dora' });
    const dora = /\/api\/v1\/workspaces\/([a-z0-9-]+)\/logs/.exec(page.body)?.[1] ?? '';
    expect(dora).toBe(`${repo}-dora`);
    expect((await followLog(dora, 'dora')).end).toBe('ready');
    await execa('docker', ['exec', '-u', 'dev', `devc-${dora}`, 'sh', '-c', 'echo kept > ~/note']);
    let state = 'running';
    for (let i = 0; i < 60 && state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      state = (
        JSON.parse((await request(`/api/v1/workspaces/${dora}`, { user: 'dora' })).body) as { state: string }
      ).state;
    }
    expect(state).not.toBe('running');
    const waiting = await request(`/w/${dora}/`, { user: 'dora' });
    expect(waiting.body).toContain(`Starting ${dora}`);
    expect((await followLog(dora, 'dora')).end).toBe('ready');
    expect(isWorkbench((await editor(dora, 'dora')).body)).toBe(true);
    const note = await execa('docker', ['exec', '-u', 'dev', `devc-${dora}`, 'cat', '/home/dev/note']);
    expect(note.stdout.trim()).toBe('kept');
  });
});

/** The status a WebSocket upgrade gets (101 when admitted). */
async function upgradeStatus(path: string, user: string, origin: string): Promise<number> {
  const { status, socket } = await openWebSocket(base, path, user, origin);
  socket?.destroy();
  return status;
}
