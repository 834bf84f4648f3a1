import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, devcProcess, json, uniquePrefix } from './support/devc.js';
import { dockerOut, removeWorkspaces, workspaceContainers } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';

interface ViewJson {
  name: string;
  state: string;
  stateReason: string;
  stoppedBy: string | null;
  repository: { url: string; branch: string | null; commit: string | null };
  image: string;
  variant: string | null;
  createdAt: string;
  startedAt: string | null;
  stoppedAt: string | null;
  lastUsedAt: string | null;
  idleTimeoutSeconds: number | null;
  idleSecondsLeft: number | null;
  activeConnections: number | null;
  ports: unknown[];
  disk: { sourceBytes: number | null; homeBytes: number | null };
}

const prefix = uniquePrefix('lc');
const repo = `${prefix}-app`;
let git: GitServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  await git.createRepo(`acme/${repo}`, { 'README.md': '# app\n' });
  await git.createRepo(`acme/${prefix}-other`, { 'README.md': '# other\n' });
  await git.createRepo(`acme/${prefix}-idle`, { 'README.md': '# idle\n' });
  await git.createRepo(`acme/${prefix}-held`, { 'README.md': '# held\n' });
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
});

const exec = (name: string, script: string) => devc(['exec', '-w', name, '--', 'sh', '-c', script], env);
const view = async (name: string) => json<ViewJson>(await devc(['view', '-w', name, '--json'], env));
const engineState = (name: string) => dockerOut(['inspect', '-f', '{{.State.Status}}', `devc-${name}`]);

/** Files in home, source and /shared that must outlive stop and start. */
const durableFiles = `cat ~/keep-home.txt /workspaces/${repo}/keep-source.txt /shared/${prefix}.txt`;

describe('stop and resume keep the work', () => {
  it('up, then files written in home, the source and /shared', async () => {
    const up = await devc(['up', `acme/${repo}`, '--idle-timeout', '0', '--json'], env);
    expect(up.exitCode, up.stderr).toBe(0);
    const write = await exec(
      repo,
      `echo home > ~/keep-home.txt && echo source > keep-source.txt && echo shared > /shared/${prefix}.txt`,
    );
    expect(write.exitCode, write.stderr).toBe(0);
  });

  it('stop: the engine says exited, list says stopped, view says the user stopped it', async () => {
    const stop = await devc(['stop', '-w', repo], env);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stderr).toContain(`Stopped workspace ${repo}`);
    expect(await engineState(repo)).toBe('exited');
    const list = json<{ name: string; state: string }[]>(await devc(['list', '--json'], env));
    expect(list.find((w) => w.name === repo)?.state).toBe('stopped');
    const v = await view(repo);
    expect(v).toMatchObject({
      state: 'stopped',
      stoppedBy: 'user',
      stateReason: expect.stringContaining('user'),
    });
    expect(v.stoppedAt).not.toBeNull();
    const again = await devc(['stop', '-w', repo], env);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('already stopped');
  });

  it('start brings it back and the files are all there', async () => {
    const start = await devc(['start', '-w', repo], env);
    expect(start.exitCode, start.stderr).toBe(0);
    expect(await engineState(repo)).toBe('running');
    const files = await exec(repo, durableFiles);
    expect(files.stdout).toBe('home\nsource\nshared\n');
  });

  it('exec on a stopped workspace starts it first and says so', async () => {
    expect((await devc(['stop', '-w', repo], env)).exitCode).toBe(0);
    const run = await exec(repo, durableFiles);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`${repo} is stopped; starting it`));
    expect(run.stdout).toBe('home\nsource\nshared\n');
  });

  it('ssh on a stopped workspace starts it first and says so', async () => {
    expect((await devc(['stop', '-w', repo], env)).exitCode).toBe(0);
    const run = await devc(['ssh', '-w', repo, '--', 'sh', '-c', 'cat ~/keep-home.txt'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/is stopped; starting it/);
    expect(run.stdout).toBe('home\n');
  });

  it('up on a stopped workspace resumes the same one', async () => {
    expect((await devc(['stop', '-w', repo], env)).exitCode).toBe(0);
    const up = await devc(['up', `acme/${repo}`, '--json'], env);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(json<{ name: string; state: string }>(up)).toMatchObject({ name: repo, state: 'running' });
    expect(await workspaceContainers(repo)).toEqual([repo]);
    expect((await exec(repo, durableFiles)).stdout).toBe('home\nsource\nshared\n');
  });

  it('rebuild makes a new container and keeps home, source and /shared', async () => {
    const before = await dockerOut(['inspect', '-f', '{{.Id}}', `devc-${repo}`]);
    const run = await devc(['rebuild', '-w', repo], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await dockerOut(['inspect', '-f', '{{.Id}}', `devc-${repo}`])).not.toBe(before);
    expect((await exec(repo, durableFiles)).stdout).toBe('home\nsource\nshared\n');
    // The new container's host key is pinned: ssh works without a prompt.
    expect((await devc(['ssh', '-w', repo, '--', 'true'], env)).exitCode).toBe(0);
  });

  it('/shared is the same volume in a second workspace of the same user', async () => {
    const other = `${prefix}-other`;
    const up = await devc(['up', `acme/${other}`, '--idle-timeout', '0'], env);
    expect(up.exitCode, up.stderr).toBe(0);
    expect((await exec(other, `cat /shared/${prefix}.txt`)).stdout).toBe('shared\n');
    // …and home is not shared: each workspace has its own.
    expect((await exec(other, 'test -e ~/keep-home.txt; echo $?')).stdout).toBe('1\n');
  });
});

describe('view and logs', () => {
  it('view --json: state, repository, commit, image, times, idle timeout, disk', async () => {
    const v = await view(repo);
    expect(v).toMatchObject({
      name: repo,
      state: 'running',
      stoppedBy: null,
      repository: { url: `${git.baseUrl}/acme/${repo}.git`, branch: 'main' },
      variant: 'base',
      idleTimeoutSeconds: 0,
      idleSecondsLeft: null,
      ports: [],
    });
    expect(v.repository.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(v.image).toContain('dev8-base');
    for (const t of [v.createdAt, v.startedAt, v.lastUsedAt]) expect(Date.parse(t ?? '')).not.toBeNaN();
    expect(v.disk.sourceBytes).toBeGreaterThan(0);
    expect(v.disk.homeBytes).toBeGreaterThan(0);
  });

  it('view in text names the fields', async () => {
    const run = await devc(['view', '-w', repo], env);
    expect(run.exitCode, run.stderr).toBe(0);
    for (const field of [
      'state',
      'repository',
      'branch',
      'image',
      'created',
      'last used',
      'idle stop',
      'disk',
    ])
      expect(run.stdout).toContain(field);
    expect(run.stdout).toContain('never');
  });

  it('list shows the idle timeout', async () => {
    const list = await devc(['list'], env);
    expect(list.stdout.split('\n')[0]).toContain('IDLE');
    const row = list.stdout.split('\n').find((l) => l.startsWith(`${repo} `));
    expect(row).toContain('never');
  });

  it('logs prints the container output; --tail limits it', async () => {
    const all = await devc(['logs', '-w', repo], env);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.stdout.trim().length).toBeGreaterThan(0);
    const two = await devc(['logs', '-w', repo, '--tail', '2'], env);
    expect(two.exitCode).toBe(0);
    expect(two.stdout.trimEnd().split('\n').length).toBeLessThanOrEqual(2);
    expect((await devc(['logs', '-w', repo, '--tail', 'lots'], env)).exitCode).toBe(2);
  });

  it('logs -f follows new output until Ctrl-C (exit 130)', async () => {
    const follow = devcProcess(['logs', '-w', repo, '-f', '--tail', '0'], env);
    let seen = '';
    follow.stdout?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    // The agent logs each SSH login; make one while following.
    const deadline = Date.now() + 120_000;
    while (!seen.includes('Accepted publickey') && Date.now() < deadline) {
      await devc(['ssh', '-w', repo, '--', 'true'], env);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(seen).toContain('Accepted publickey');
    follow.kill('SIGINT');
    expect((await follow).exitCode).toBe(130);
  });

  it('logs --build: says clearly when there is no build log, prints it when there is', async () => {
    const none = await devc(['logs', '-w', repo, '--build'], env);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain('has no build log');
    const file = path.join(env.DEVC_HOME!, 'workspaces', repo, 'build.log');
    writeFileSync(file, 'step 1\nstep 2\nstep 3\n');
    const some = await devc(['logs', '-w', repo, '--build', '--tail', '2'], env);
    expect(some.exitCode, some.stderr).toBe(0);
    expect(some.stdout).toBe('step 2\nstep 3\n');
  });
});

/** Polls the engine until the container is in `state`; fails after a generous deadline (never a timing assertion). */
async function waitForState(name: string, state: string, deadlineMs = 240_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while ((await engineState(name)) !== state) {
    if (Date.now() > deadline) throw new Error(`${name} did not become ${state}: ${await engineState(name)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe('idle stop', () => {
  it('a workspace with a 5 s idle timeout stops itself, and says why', async () => {
    const name = `${prefix}-idle`;
    const up = await devc(['up', `acme/${name}`, '--idle-timeout', '5s'], env);
    expect(up.exitCode, up.stderr).toBe(0);
    const row = (await devc(['list'], env)).stdout.split('\n').find((l) => l.startsWith(`${name} `));
    expect(row).toContain(' 5s ');
    await waitForState(name, 'exited');
    const v = await view(name);
    expect(v).toMatchObject({ state: 'stopped', stoppedBy: 'idle', idleTimeoutSeconds: 5 });
    expect(v.stateReason).toContain('idle');
    expect((await devc(['logs', '-w', name], env)).stdout).toMatch(/idle/);
  });

  it('an open SSH session keeps it up; once the session ends, it stops', async () => {
    const name = `${prefix}-held`;
    const up = await devc(['up', `acme/${name}`, '--idle-timeout', '5s'], env);
    expect(up.exitCode, up.stderr).toBe(0);
    const session = devcProcess(
      ['ssh', '-w', name, '--', 'sh', '-c', 'echo open; sleep 25; echo closing'],
      env,
    );
    await new Promise<void>((resolve, reject) => {
      session.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('open') && resolve());
      void session.then((r) => reject(new Error(`ssh ended early: ${String(r.stderr)}`)));
    });
    // Three idle timeouts with the session open: still running, and view counts the connection.
    await new Promise((r) => setTimeout(r, 15_000));
    expect(await engineState(name)).toBe('running');
    const v = await view(name);
    expect(v.activeConnections).toBeGreaterThan(0);
    expect(v.idleSecondsLeft).toBe(5);
    const ended = await session;
    expect(ended.exitCode, String(ended.stderr)).toBe(0);
    expect(String(ended.stdout)).toContain('closing');
    await waitForState(name, 'exited');
    expect((await view(name)).stoppedBy).toBe('idle');
  });
});
