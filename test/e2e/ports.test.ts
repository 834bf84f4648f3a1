import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, json, uniquePrefix } from './support/devc.js';
import { removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';
import { answers, freePort, PERL_SERVER } from './support/servers.js';
import { masterSocket } from '../../src/ssh/master.js';
import { LINGER_MS } from '../../src/transport/workspace-ssh.js';

interface PortRow {
  remote: number;
  local: number | null;
  label: string | null;
  state: string;
  source: string;
  listening: boolean;
  url: string | null;
  message: string | null;
}

const prefix = uniquePrefix('pt');
const name = `${prefix}-web`;
let git: GitServer;
let env: NodeJS.ProcessEnv;
const held: net.Server[] = [];

/** Occupies 127.0.0.1:port until the file's tests end. */
async function hold(port: number): Promise<void> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
  held.push(s);
}

async function serveInside(port: number, addr = '0.0.0.0'): Promise<void> {
  const run = await execa(
    'docker',
    [
      'exec',
      '-u',
      'dev',
      `devc-${name}`,
      'sh',
      '-c',
      `nohup perl /workspaces/${prefix}-web/server.pl ${port} ${addr} >/dev/null 2>&1 &`,
    ],
    { reject: false },
  );
  expect(run.exitCode, String(run.stderr)).toBe(0);
}

async function ports(): Promise<PortRow[]> {
  const run = await devc(['ports', '-w', name, '--json'], env);
  expect(run.exitCode, run.stderr).toBe(0);
  return json<PortRow[]>(run);
}

async function portsUntil(test: (rows: PortRow[]) => boolean, timeoutMs = 60_000): Promise<PortRow[]> {
  const deadline = Date.now() + timeoutMs;
  let rows = await ports();
  while (!test(rows) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    rows = await ports();
  }
  return rows;
}

const portsJson = (): string => path.join(env.DEVC_HOME!, 'workspaces', name, 'ports.json');
const forwarderPid = (): number =>
  Number(readFileSync(path.join(env.DEVC_HOME!, 'workspaces', name, 'forwarder', 'pid'), 'utf8'));

let web: number;
let loop: number;

/** The forwarder's SSH connection to this workspace's sshd (ssh/master.ts), if one runs: its pid. */
async function sshMaster(): Promise<string | undefined> {
  const socket = masterSocket(env.DEVC_HOME!, 'ws', name);
  const ps = await execa('ps', ['-eo', 'pid=,args=']);
  return ps.stdout
    .split('\n')
    .find((line) => line.includes(` -M -S ${socket} `))
    ?.trim()
    .split(/\s+/)[0];
}

/** A remote engine's published sshd is on its own host: its ports go through that host instead. */
const sshdHere = process.env.DEVC_TEST_ENGINE !== 'remote';

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  await git.createRepo(`acme/${prefix}-web`, { 'server.pl': PERL_SERVER });
  web = await freePort();
  const up = await devc(['up', `github/acme/${prefix}-web`, '--json'], env);
  expect(up.exitCode, up.stderr).toBe(0);
  expect(json<{ name: string }>(up).name).toBe(name);
});

afterAll(async () => {
  for (const s of held) s.close();
  await removeWorkspaces(prefix);
  await git?.close();
});

describe('the background forwarder on a real Docker engine', () => {
  it('forwards a forwardPorts port to the same local port, with its label, and up --json lists it', async () => {
    // devc up writes ports.json from devcontainer.json; the test writes it as up would.
    writeFileSync(
      portsJson(),
      JSON.stringify({ forwardPorts: [web], portsAttributes: { [web]: { label: 'Web' } } }),
    );
    await serveInside(web);
    expect(await answers(`http://127.0.0.1:${web}/`, `hello from ${web}\n`)).toBe(`hello from ${web}\n`);
    // The scan that marks it listening runs once a second; the forward itself answered already.
    const rows = await portsUntil((r) => r.some((p) => p.remote === web && p.listening));
    const row = rows.find((p) => p.remote === web);
    expect(row).toMatchObject({
      local: web,
      label: 'Web',
      state: 'forwarded',
      source: 'config',
      listening: true,
    });
    expect(row?.url).toBe(`http://127.0.0.1:${web}/`);

    const again = await devc(['up', `github/acme/${prefix}-web`, '--json'], env);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(json<{ ports: unknown[] }>(again).ports).toContainEqual({
      remote: web,
      local: web,
      url: `http://127.0.0.1:${web}/`,
      label: 'Web',
    });
  });

  it('forwards a port opened later inside the workspace by itself, and `devc ports` shows it', async () => {
    const later = await freePort();
    await serveInside(later);
    const rows = await portsUntil((r) => r.some((p) => p.remote === later));
    const row = rows.find((p) => p.remote === later);
    expect(row).toMatchObject({ local: later, source: 'auto', state: 'forwarded' });
    expect(await answers(row!.url!, `hello from ${later}\n`)).toBe(`hello from ${later}\n`);
    // devc's own ports (sshd, code-server) are not auto-forwarded noise.
    expect(rows.map((p) => p.remote)).not.toContain(2222);
    expect(rows.map((p) => p.remote)).not.toContain(8080);
    const table = await devc(['ports', '-w', name], env);
    expect(table.stdout).toMatch(
      new RegExp(`^${later}\\s+${later}\\s+forwarded\\s+http://127\\.0\\.0\\.1:${later}/`, 'm'),
    );
  });

  it("reaches a server that listens on the workspace loopback only (through the workspace's sshd)", async () => {
    loop = await freePort();
    await serveInside(loop, '127.0.0.1');
    const rows = await portsUntil((r) => r.some((p) => p.remote === loop));
    const url = rows.find((p) => p.remote === loop)!.url!;
    // Connection after connection through one SSH connection, not a handshake or an exec each.
    for (let i = 0; i < 5; i++)
      expect(await answers(url, `hello from ${loop}\n`)).toBe(`hello from ${loop}\n`);
    if (!sshdHere) return;
    expect(await sshMaster()).toBeDefined();
    // Nothing on it for a while: it goes, or the agent would count it as an SSH session for good and
    // the workspace would never stop for inactivity.
    const deadline = Date.now() + LINGER_MS + 15_000;
    while ((await sshMaster()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect(await sshMaster()).toBeUndefined();
  });

  it('answers again after the engine restarts the workspace: the same forwarder heals', async () => {
    const pid = forwarderPid();
    expect((await execa('docker', ['stop', `devc-${name}`], { reject: false })).exitCode).toBe(0);
    expect(await answers(`http://127.0.0.1:${web}/`, 'never', 3000)).not.toContain('hello');
    expect((await execa('docker', ['start', `devc-${name}`], { reject: false })).exitCode).toBe(0);
    // The workspace's own start (postStartCommand in real life) brings its server back.
    await serveInside(web);
    expect(await answers(`http://127.0.0.1:${web}/`, `hello from ${web}\n`)).toBe(`hello from ${web}\n`);
    // Its sshd came back on another published port: the loopback-only server is reached again.
    await serveInside(loop, '127.0.0.1');
    const rows = await portsUntil((r) => r.some((p) => p.remote === loop && p.listening));
    expect(await answers(rows.find((p) => p.remote === loop)!.url!, `hello from ${loop}\n`)).toBe(
      `hello from ${loop}\n`,
    );
    expect(forwarderPid()).toBe(pid);
  });

  it('answers again after devc stop + devc start, with no port command', async () => {
    const stop = await devc(['stop', '-w', name], env);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(await answers(`http://127.0.0.1:${web}/`, 'never', 3000)).not.toContain('hello');
    const start = await devc(['start', '-w', name], env);
    expect(start.exitCode, start.stderr).toBe(0);
    await serveInside(web);
    expect(await answers(`http://127.0.0.1:${web}/`, `hello from ${web}\n`)).toBe(`hello from ${web}\n`);
  });

  it('moves to a free local port when the same one is taken, and says so', async () => {
    const taken = await freePort();
    await hold(taken);
    await serveInside(taken);
    const run = await devc(['ports', 'forward', '-w', name, String(taken)], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(`local port ${taken} was taken`);
    const url = run.stdout.trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(url).not.toContain(`:${taken}/`);
    expect(await answers(url, `hello from ${taken}\n`)).toBe(`hello from ${taken}\n`);
  });

  it('fails clearly when requireLocalPort is set and the local port is taken', async () => {
    const required = await freePort();
    await hold(required);
    writeFileSync(
      portsJson(),
      JSON.stringify({
        forwardPorts: [web, required],
        portsAttributes: { [web]: { label: 'Web' }, [required]: { label: 'Strict', requireLocalPort: true } },
      }),
    );
    const rows = await portsUntil((r) => r.some((p) => p.remote === required));
    const row = rows.find((p) => p.remote === required);
    expect(row).toMatchObject({ state: 'failed', local: null, url: null, label: 'Strict' });
    expect(row?.message).toContain(`local port ${required} is taken`);
    expect(row?.message).toContain('requireLocalPort');
    const run = await devc(['ports', 'forward', '-w', name, String(required)], env);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`Can't forward port ${required}: local port ${required} is taken`);
    expect(run.stderr).toContain('requireLocalPort');
  });

  it('a REMOTE:LOCAL that fails leaves the working forward as it was', async () => {
    const busy = await freePort();
    await hold(busy);
    const run = await devc(['ports', 'forward', '-w', name, `${web}:${busy}`], env);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`local port ${busy} is taken`);
    expect((await ports()).find((p) => p.remote === web)).toMatchObject({ local: web, state: 'forwarded' });
    expect(await answers(`http://127.0.0.1:${web}/`, `hello from ${web}\n`)).toBe(`hello from ${web}\n`);
  });

  it('listens on 127.0.0.1 only (ss)', async () => {
    const ss = await execa('ss', ['-ltnpH'], { reject: false });
    expect(ss.exitCode).toBe(0);
    const pid = forwarderPid();
    const mine = String(ss.stdout)
      .split('\n')
      .filter((l) => l.includes(`pid=${pid},`));
    expect(mine.length).toBeGreaterThanOrEqual(2); // web and the moved one at least
    for (const line of mine) expect(line.split(/\s+/)[3], line).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('ports stop ends one forward; the forwarder ends when the workspace is deleted', async () => {
    const stop = await devc(['ports', 'stop', '-w', name, String(web)], env);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect((await ports()).map((p) => p.remote)).not.toContain(web);
    expect(await answers(`http://127.0.0.1:${web}/`, 'never', 2000)).not.toContain('hello');

    const pid = forwarderPid();
    const del = await devc(['delete', '-w', name, '--force'], env);
    expect(del.exitCode, del.stderr).toBe(0);
    const deadline = Date.now() + 30_000;
    let alive = true;
    while (alive && Date.now() < deadline) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 200));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  });
});
