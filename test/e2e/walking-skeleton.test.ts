import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, devcProcess, json, uniquePrefix } from './support/devc.js';
import { dockerOut, removeWorkspaces, workspaceContainers } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';

interface UpJson {
  outcome: string;
  name: string;
  backend: string;
  state: string;
  repository: { url: string; branch: string; commit: string };
  image: string;
  variant: string;
  ssh: { host: string; user: string; command: string };
  codeServer: { url: string | null };
  ports: unknown[];
  createdAt: string;
}

const prefix = uniquePrefix('sk');
let git: GitServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  await git.createRepo(`acme/${prefix}-hello`, { 'README.md': `# hello from ${prefix}\n` });
  await git.createRepo(`acme/${prefix}-secret`, { 'README.md': 'private\n' }, { private: true });
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
});

describe('devc up → ssh on a real Docker engine', () => {
  let ws: UpJson;

  it('up --json prints the contract object with state running', async () => {
    const run = await devc(['up', `github/acme/${prefix}-hello`, '--json'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    ws = json<UpJson>(run);
    expect(ws).toMatchObject({
      outcome: 'success',
      name: `${prefix}-hello`,
      backend: 'docker',
      state: 'running',
      repository: { url: `${git.baseUrl}/acme/${prefix}-hello.git`, branch: 'main' },
      ssh: { user: 'dev', host: `${prefix}-hello.devc` },
    });
    expect(ws.repository.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(ws.image).toContain('dev8-base');
    expect(Date.parse(ws.createdAt)).not.toBeNaN();
  });

  it('a second up resumes the same workspace, no second container', async () => {
    const run = await devc(['up', `github/acme/${prefix}-hello`, '--json'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(json<UpJson>(run).name).toBe(ws.name);
    expect(await workspaceContainers(`${prefix}-hello`)).toEqual([ws.name]);
  });

  it('ssh runs commands through the real sshd, passing exit codes through', async () => {
    const cat = await devc(['ssh', '-w', ws.name, '--', 'cat', `/workspaces/${prefix}-hello/README.md`], env);
    expect(cat.exitCode, cat.stderr).toBe(0);
    expect(cat.stdout).toBe(`# hello from ${prefix}\n`);
    const exit3 = await devc(['ssh', '-w', ws.name, '--', 'sh', '-c', 'exit 3'], env);
    expect(exit3.exitCode).toBe(3);
  });

  it('ssh pins the host key with strict checking (a wrong pin is refused)', async () => {
    const knownHosts = path.join(env.DEVC_HOME!, 'ssh', 'known_hosts');
    const pinned = readFileSync(knownHosts, 'utf8');
    expect(pinned).toMatch(new RegExp(`^${ws.name}\\.devc ssh-ed25519 `, 'm'));
    const bogus = pinned.replace(
      /ssh-ed25519 \S+/,
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv0Vq1mGgVOvIe2W1B9s8l5S3bJ6iGmVJm0Dq8x7g3P',
    );
    const { writeFileSync } = await import('node:fs');
    writeFileSync(knownHosts, bogus);
    try {
      const refused = await devc(['ssh', '-w', ws.name, '--', 'true'], env);
      expect(refused.exitCode).toBe(255);
    } finally {
      writeFileSync(knownHosts, pinned);
    }
  });

  it('exec runs through the engine as uid 1000', async () => {
    const run = await devc(['exec', '-w', ws.name, '--', 'id', '-u'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('1000');
    const code = await devc(['exec', '-w', ws.name, '--', 'sh', '-c', 'exit 7'], env);
    expect(code.exitCode).toBe(7);
  });

  it('list --json shows the workspace with its repository and state', async () => {
    const run = await devc(['list', '--json'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    const mine = json<{ name: string; state: string; repository: { url: string } }[]>(run).find(
      (w) => w.name === ws.name,
    );
    expect(mine).toMatchObject({ state: 'running', repository: { url: ws.repository.url } });
  });

  it('delete --force removes the container and the source folder', async () => {
    const source = path.join(env.DEVC_HOME!, 'workspaces', ws.name, 'src', `${prefix}-hello`);
    expect(existsSync(source)).toBe(true);
    const run = await devc(['delete', '-w', ws.name, '--force'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await workspaceContainers(`${prefix}-hello`)).toEqual([]);
    expect(existsSync(source)).toBe(false);
    const list = json<{ name: string }[]>(await devc(['list', '--json'], env));
    expect(list.filter((w) => w.name.startsWith(prefix))).toEqual([]);
  });
});

describe('private repositories and tokens', () => {
  it('fails with exit 4 and a token hint without a token, leaving nothing behind', async () => {
    const run = await devc(['up', `acme/${prefix}-secret`, '--json'], env);
    expect(run.exitCode).toBe(4);
    const out = json<{ outcome: string; message: string; hint: string }>(run);
    expect(out.outcome).toBe('error');
    expect(out.hint).toMatch(/GITHUB_TOKEN/);
    expect(await workspaceContainers(`${prefix}-secret`)).toEqual([]);
    expect(existsSync(path.join(env.DEVC_HOME!, 'workspaces', `${prefix}-secret`))).toBe(false);
  });

  it('works with GITHUB_TOKEN, and the token appears in no argv, output, inspect or .git/config', async () => {
    const withToken = { ...env, GITHUB_TOKEN: git.token };
    const seenArgs: string[] = [];
    const child = devcProcess(['up', `acme/${prefix}-secret`, '--json'], withToken);
    const watcher = (async () => {
      while (child.exitCode === null) {
        const ps = await execa('ps', ['-eo', 'args'], { reject: false });
        seenArgs.push(String(ps.stdout));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const run = await child;
    await watcher;
    expect(run.exitCode, String(run.stderr)).toBe(0);
    const ws = JSON.parse(String(run.stdout)) as UpJson;
    expect(seenArgs.length).toBeGreaterThan(3);
    expect(seenArgs.join('\n')).not.toContain(git.token);
    expect(String(run.stdout) + String(run.stderr)).not.toContain(git.token);
    expect(await dockerOut(['inspect', `devc-${ws.name}`])).not.toContain(git.token);
    const gitConfig = readFileSync(
      path.join(env.DEVC_HOME!, 'workspaces', ws.name, 'src', `${prefix}-secret`, '.git', 'config'),
      'utf8',
    );
    expect(gitConfig).not.toContain(git.token);
    expect(git.requests.some((r) => r.authorized)).toBe(true);
    expect(git.requests.every((r) => !r.url.includes(git.token))).toBe(true);
  });
});

describe('bad input', () => {
  it('an unknown reference form exits 2 and lists the forms', async () => {
    const run = await devc(['up', 'not a repo!'], env);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('github/OWNER/REPO');
    expect(run.stderr).toContain('REF@BRANCH');
  });

  it('a repository that does not exist: clear error, no container, no folder', async () => {
    const run = await devc(['up', `acme/${prefix}-missing`], env);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/not found|no access/);
    expect(await workspaceContainers(`${prefix}-missing`)).toEqual([]);
    expect(existsSync(path.join(env.DEVC_HOME!, 'workspaces', `${prefix}-missing`))).toBe(false);
  });

  it('an unreachable git host is a different error from not found', async () => {
    const run = await devc(['up', `acme/${prefix}-hello`], { ...env, DEVC_GITHUB_URL: 'http://127.0.0.1:1' });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/Can't reach the host/);
  });

  it('with no Docker engine answering: a clear error naming devc doctor', async () => {
    const run = await devc(['up', `acme/${prefix}-hello`], {
      ...env,
      DOCKER_HOST: 'unix:///tmp/devc-no-engine.sock',
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/Can't reach the Docker engine/);
    expect(run.stderr).toContain('devc doctor');
    expect(existsSync(path.join(env.DEVC_HOME!, 'workspaces', `${prefix}-hello`))).toBe(false);
  });
});
