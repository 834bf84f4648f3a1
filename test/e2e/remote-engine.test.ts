import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, json, uniquePrefix, type Run } from './support/devc.js';
import { removeRemoteWorkspaces, startEngine, type Engine } from './support/remote-engine.js';
import { commitTree, startGitServer, type GitServer } from './support/git-server.js';
import { answers, PERL_SERVER } from './support/servers.js';

// A second Docker engine reached only as a remote one: support/remote-engine.ts.

const ok = (run: Run): void => expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const prefix = uniquePrefix('re');
let engine: Engine;
let git: GitServer;
let env: NodeJS.ProcessEnv;

/** The docker CLI against the remote engine. */
async function remote(args: string[]): Promise<string> {
  const run = await execa('docker', args, { env: { DOCKER_HOST: engine.ssh }, reject: false });
  return String(run.stdout).trim();
}

/** Whether host:port says an SSH banner within 3 s (the container's own address must not). */
function sshBanner(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (said: boolean): void => {
      s.destroy();
      resolve(said);
    };
    const timer = setTimeout(() => done(false), 3000);
    s.on('data', (chunk: Buffer) => (clearTimeout(timer), done(chunk.toString().startsWith('SSH-'))));
    s.once('error', () => (clearTimeout(timer), done(false)));
  });
}

/** One HTTP/1.0 GET on 127.0.0.1:port, raw (a fresh connection each time): the whole answer. */
function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write('GET / HTTP/1.0\r\n\r\n'));
    let got = '';
    s.setTimeout(10_000, () => s.destroy(new Error('no answer in 10 s')));
    s.on('data', (chunk: Buffer) => (got += chunk.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}

/** The pids of the ssh ControlMasters this test's forwarder service owns (found by its DEVC_HOME). */
async function forwarderMasters(): Promise<number[]> {
  const ps = await execa('pgrep', ['-f', '^ssh -M -S .*engine-[0-9a-f]+\\.sock'], { reject: false });
  const pids = String(ps.stdout).split('\n').filter(Boolean).map(Number);
  const ours: number[] = [];
  for (const pid of pids) {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(`DEVC_HOME=${env.DEVC_HOME}`)) ours.push(pid);
  }
  return ours;
}

/** Until the process is gone or a zombie (its sockets closed), at most 5 s. */
async function ended(pid: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (!stat || /^\d+ \(.*\) Z /.test(stat)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`process ${pid} still runs 5 s after SIGKILL`);
}

async function localTree(name: string, files: Record<string, string>): Promise<string> {
  return commitTree(path.join(await mkdtemp(path.join(os.tmpdir(), 'devc-remote-src-')), name), files);
}

beforeAll(async () => {
  engine = await startEngine();
  git = await startGitServer();
  env = await devcEnv({ DOCKER_HOST: engine.ssh, DEVC_GITHUB_URL: git.baseUrl });
  await git.createRepo(`acme/${prefix}-hello`, {
    'README.md': `# hello from ${prefix}\n`,
    'server.pl': PERL_SERVER,
  });
});

afterAll(async () => {
  await removeRemoteWorkspaces(engine, prefix);
  await git?.close();
});

describe('a Docker engine reached over ssh://', () => {
  const name = `${prefix}-hello`;

  it('up clones here and copies the clone into a volume of the remote engine; ssh and exec work', async () => {
    const up = await devc(['up', `github/acme/${name}`, '--json'], env);
    ok(up);
    const made = json<{ state: string; image: string; codeServer: { url: string | null } }>(up);
    expect(made).toMatchObject({ state: 'running', image: 'devc/dev8-base:0.1.0' });
    // A listener of the `up` process would be gone by now: no URL rather than a dead one.
    expect(made.codeServer.url).toBeNull();
    // Nothing of this machine is bind-mounted: the source and /etc/devc are the engine's volumes.
    const mounts = JSON.parse(await remote(['inspect', '--format', '{{json .Mounts}}', `devc-${name}`])) as {
      Type: string;
      Destination: string;
      Name?: string;
    }[];
    expect(mounts.filter((m) => m.Type === 'bind')).toEqual([]);
    expect(mounts.find((m) => m.Destination === `/workspaces/${name}`)?.Name).toBe(`devc-${name}-src`);
    expect(mounts.find((m) => m.Destination === '/etc/devc')?.Name).toBe(`devc-${name}-config`);
    // The container's address is the engine's, in its namespace: no route from here.
    const address = await remote([
      'inspect',
      '--format',
      '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
      `devc-${name}`,
    ]);
    expect(address).toMatch(/^10\.233\.\d+\.\d+$/);
    expect(await sshBanner(address, 2222)).toBe(false);

    const ssh = await devc(
      ['ssh', '-w', name, '--', 'sh', '-c', 'id -un; cat README.md; touch made-here'],
      env,
    );
    ok(ssh);
    expect(ssh.stdout).toBe(`dev\n# hello from ${prefix}\n`);
    const exec = await devc(['exec', '-w', name, '--', 'git', 'log', '--format=%s'], env);
    ok(exec);
    expect(exec.stdout.trim()).toBe('initial'); // the git fixture's one commit
  });

  it('an app port answers on 127.0.0.1 here, through the engine', async () => {
    for (const [port, addr] of [
      [7411, '0.0.0.0'],
      [7412, '127.0.0.1'],
    ] as const) {
      await remote([
        'exec',
        '-d',
        '-u',
        'dev',
        `devc-${name}`,
        'perl',
        `/workspaces/${name}/server.pl`,
        `${port}`,
        addr,
      ]);
      ok(await devc(['ports', 'forward', '-w', name, String(port)], env));
      const rows = json<{ remote: number; local: number; state: string }[]>(
        await devc(['ports', '-w', name, '--json'], env),
      );
      const local = rows.find((r) => r.remote === port)?.local;
      expect(local).toBeGreaterThan(0);
      expect(await answers(`http://127.0.0.1:${local}/`, `hello from ${port}\n`)).toBe(
        `hello from ${port}\n`,
      );
    }
  });

  it('a port on every address: one SSH connection to the engine host carries each connection, and heals', async () => {
    const rows = json<{ remote: number; local: number }[]>(await devc(['ports', '-w', name, '--json'], env));
    const local = rows.find((r) => r.remote === 7411)!.local;
    await answers(`http://127.0.0.1:${local}/`, 'hello from 7411\n');
    // Twenty connections, all through the one SSH connection (no process per connection; the
    // latency is bench/remote.sh's to measure).
    for (let i = 0; i < 20; i++) expect(await httpGet(local)).toContain('hello from 7411');
    const masters = await forwarderMasters();
    expect(masters).toHaveLength(1);
    process.kill(masters[0]!, 'SIGKILL');
    // A connection made while the kill is still being delivered is lost with the master (its
    // listeners accept until the kernel closes them); "heals" is about the connections after it.
    await ended(masters[0]!);
    expect(await httpGet(local)).toContain('hello from 7411');
    const again = await forwarderMasters();
    expect(again).toHaveLength(1);
    expect(again[0]).not.toBe(masters[0]);
    // Its forwards listen on 127.0.0.1 only.
    const listening = String((await execa('ss', ['-Htlnp'], { reject: false })).stdout)
      .split('\n')
      .filter((l) => l.includes(`pid=${again[0]},`));
    expect(listening.length).toBeGreaterThan(0);
    for (const line of listening) expect(line.split(/\s+/)[3]).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('cp copies files both ways', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-remote-cp-'));
    const blob = randomBytes(2_000_000);
    await writeFile(path.join(dir, 'blob.bin'), blob);
    ok(await devc(['cp', path.join(dir, 'blob.bin'), `${name}:/workspaces/${name}/blob.bin`], env));
    const inside = await devc(['exec', '-w', name, '--', 'sha256sum', 'blob.bin'], env);
    expect(inside.stdout.split(' ')[0]).toBe(sha(blob));
    ok(await devc(['cp', `${name}:/workspaces/${name}/blob.bin`, path.join(dir, 'back.bin')], env));
    expect(sha(await readFile(path.join(dir, 'back.bin')))).toBe(sha(blob));
  });

  it('stop and start keep the edits, and bring the read-only /etc/devc up to date again', async () => {
    const container = `devc-${name}`;
    // Read-only in the workspace, as the bind mount on a local engine is.
    const write = await execa('docker', ['exec', '-u', 'root', container, 'touch', '/etc/devc/x'], {
      env: { DOCKER_HOST: engine.ssh },
      reject: false,
    });
    expect(write.exitCode).not.toBe(0);
    expect(String(write.stderr)).toMatch(/Read-only file system/);
    // A setting changed here reaches the engine's copy at the next start.
    await writeFile(path.join(env.DEVC_HOME!, 'workspaces', name, 'config', 'marker'), 'fresh\n');
    ok(await devc(['stop', '-w', name], env));
    expect(await remote(['inspect', '--format', '{{.State.Running}}', container])).toBe('false');
    ok(await devc(['start', '-w', name], env));
    expect(await remote(['exec', '-u', 'root', container, 'cat', '/etc/devc/marker'])).toBe('fresh');
    const ssh = await devc(['ssh', '-w', name, '--', 'ls', `/workspaces/${name}`], env);
    ok(ssh);
    expect(ssh.stdout.split('\n')).toEqual(expect.arrayContaining(['made-here', 'blob.bin', 'README.md']));
  });

  it('delete refuses while the volume holds unpushed work, and --force removes every engine object', async () => {
    const refused = await devc(['delete', '-w', name], env);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/has work that is not pushed anywhere/);
    expect(refused.stderr).toMatch(/uncommitted: made-here/);
    expect(await remote(['ps', '-aq', '--filter', `name=devc-${name}`])).not.toBe('');

    ok(await devc(['delete', '-w', name, '--force'], env));
    expect(await remote(['ps', '-aq', '--filter', `name=devc-${name}`])).toBe('');
    expect(await remote(['volume', 'ls', '-q', '--filter', `name=devc-${name}-`])).toBe('');
    expect(await readdir(path.join(env.DEVC_HOME!, 'workspaces'))).not.toContain(name);
    // Nothing left to forward: the forwarder service ends, and its SSH connection with it.
    let masters = await forwarderMasters();
    for (let i = 0; i < 50 && masters.length; i++) {
      await new Promise((r) => setTimeout(r, 200));
      masters = await forwarderMasters();
    }
    expect(masters).toEqual([]);
  });
});

describe('a devcontainer.json on a remote engine', () => {
  it('builds there, runs its hooks on the copied source, and runs postStartCommand again on start', async () => {
    const name = `${prefix}-dc`;
    const dir = await localTree(name, {
      '.devcontainer/devcontainer.json': JSON.stringify({
        build: { dockerfile: 'Dockerfile' },
        remoteUser: 'dev',
        postCreateCommand: 'ls ${containerWorkspaceFolder} > /tmp/listing',
        postStartCommand: 'echo started >> /tmp/starts',
      }),
      '.devcontainer/Dockerfile': 'FROM debian:bookworm-slim\nRUN useradd -m -u 1000 dev\n',
      'app.txt': 'app\n',
    });
    ok(await devc(['up', dir, '--name', name, '--trust'], env));
    const mounts = await remote([
      'inspect',
      '--format',
      '{{range .Mounts}}{{.Type}} {{end}}',
      `devc-${name}`,
    ]);
    expect(mounts).not.toContain('bind');
    const inside = await devc(
      ['ssh', '-w', name, '--', 'sh', '-c', 'id -un; stat -c %U app.txt; cat /tmp/listing /tmp/starts'],
      env,
    );
    ok(inside);
    expect(inside.stdout).toBe('dev\ndev\napp.txt\nstarted\n');
    ok(await devc(['stop', '-w', name], env));
    ok(await devc(['start', '-w', name], env));
    // postStartCommand runs in the background after start.
    let starts = '';
    for (let i = 0; i < 60 && starts.split('\n').length < 3; i++) {
      starts = (await devc(['exec', '-w', name, '--', 'cat', '/tmp/starts'], env)).stdout;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(starts).toBe('started\nstarted\n');
    ok(await devc(['delete', '-w', name, '--force'], env));
    expect(await remote(['volume', 'ls', '-q', '--filter', `name=devc-${name}-`])).toBe('');
  });
});

describe('other ways to name a remote engine', () => {
  it('tcp:// with TLS: up of a local folder copies the tree in; ssh; delete', async () => {
    const name = `${prefix}-tls`;
    const dir = await localTree(name, { 'notes.txt': 'over tls\n' });
    const tls = { ...env, DOCKER_HOST: engine.tcp, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: engine.certs };
    ok(await devc(['up', dir, '--name', name, '--json'], tls));
    const ssh = await devc(['ssh', '-w', name, '--', 'cat', 'notes.txt'], tls);
    ok(ssh);
    expect(ssh.stdout).toBe('over tls\n');
    // The user's folder on this machine is not the workspace's: an edit there stays there.
    await writeFile(path.join(dir, 'notes.txt'), 'changed here\n');
    expect((await devc(['exec', '-w', name, '--', 'cat', 'notes.txt'], tls)).stdout).toBe('over tls\n');
    ok(await devc(['delete', '-w', name, '--force'], tls));
    expect(await remote(['ps', '-aq', '--filter', `name=devc-${name}`])).toBe('');
  });

  it('a docker context chosen with `docker context use`', async () => {
    const name = `${prefix}-ctx`;
    const dir = await localTree(name, { 'notes.txt': 'by context\n' });
    const config = await mkdtemp(path.join(os.tmpdir(), 'devc-remote-docker-config-'));
    const ctxEnv: NodeJS.ProcessEnv = { ...env, DOCKER_CONFIG: config };
    delete ctxEnv.DOCKER_HOST;
    const docker = (args: string[]) =>
      execa('docker', args, { env: ctxEnv, extendEnv: false, reject: false });
    expect((await docker(['context', 'create', 'far', '--docker', `host=${engine.ssh}`])).exitCode).toBe(0);
    expect((await docker(['context', 'use', 'far'])).exitCode).toBe(0);
    ok(await devc(['up', dir, '--name', name], ctxEnv));
    const exec = await devc(['exec', '-w', name, '--', 'cat', 'notes.txt'], ctxEnv);
    expect(exec.stdout).toBe('by context\n');
    expect(await remote(['ps', '-q', '--filter', `name=devc-${name}`])).not.toBe('');
    ok(await devc(['delete', '-w', name, '--force'], ctxEnv));
  });
});

describe('doctor', () => {
  it('names the remote engine and how devc works with it, with no ✗', async () => {
    const run = await devc(['doctor'], env);
    const line = run.stdout.split('\n').find((l) => l.includes('engine: '));
    expect(line).toMatch(/^✓ engine: Docker \S+ \(rootful, remote\); .*ports go through the engine's host/);
    expect(line).toContain('remote: the source and devc settings are copied into volumes there');
  });
});

describe('bad input', () => {
  it('an engine that does not answer over ssh: one line, exit 1, nothing made', async () => {
    const name = `${prefix}-gone`;
    const dir = await localTree(name, { 'a.txt': 'a\n' });
    // The engine's own address, a port nothing listens on: refused at once, never leaves the machine.
    const gone = { ...env, DOCKER_HOST: engine.ssh.replace('devc-remote-engine', '10.231.0.2:2200') };
    const run = await devc(['up', dir, '--name', name], gone);
    expect(run.exitCode).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toBe(
      "error: Can't reach the Docker engine at ssh://root@10.231.0.2:2200: ssh: connect to host 10.231.0.2 port 2200: Connection refused.",
    );
    expect(lines).toHaveLength(2); // the error and its next step
    expect(await readdir(path.join(env.DEVC_HOME!, 'workspaces')).catch(() => [])).not.toContain(name);
  });

  it('a client certificate of another CA: one line naming the TLS check, exit 1', async () => {
    const wrong = {
      ...env,
      DOCKER_HOST: engine.tcp,
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: engine.badCerts,
    };
    const run = await devc(['list'], wrong);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(
      /^error: The Docker engine at tcp:\/\/10\.231\.0\.2:2376 failed the TLS check: .*x509.*\.\n/,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(2);
    expect(run.stdout).toBe('');
  });
});
