import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, devcProcess, json, uniquePrefix } from './support/devc.js';
import { dockerOut, removeWorkspaces, workspaceContainers } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';

// Issue 14's weak cases about locks, DEVC_HOME, bad environment and `ports stop` (K01, S06, M02c, M08,
// M10, M11, M12, P08 in research/adversarial-turn2.md). One workspace serves them all.

const prefix = uniquePrefix('ew');
const repo = `acme/${prefix}-plain`;
const ws = `${prefix}-plain`;
let git: GitServer;
let env: NodeJS.ProcessEnv;
let home: string;
const scratch: string[] = [];

beforeAll(async () => {
  git = await startGitServer();
  await git.createRepo(repo, { 'README.md': '# plain\n' });
  // A DEVC_HOME that does not exist yet: devc makes it (S06).
  const base = await mkdtemp(path.join(os.tmpdir(), 'devc-ew-'));
  scratch.push(base);
  home = path.join(base, 'home');
  env = await freshEnv({ DEVC_HOME: home });
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

const firstLine = (stderr: string): string => stderr.split('\n')[0] ?? '';
const volumes = async (): Promise<string[]> =>
  (await dockerOut(['volume', 'ls', '-q', '--filter', 'label=dev.devc.workspace']))
    .split('\n')
    .filter((v) => v.startsWith(`devc-${prefix}`));

/** devc's environment against the git server, with a fresh empty DEVC_HOME unless `extra` names one. */
async function freshEnv(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  const fresh = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  scratch.push(fresh.DEVC_HOME ?? '');
  return { ...fresh, ...extra };
}

describe('K01 + S06: two `up`s of one repository at once, in a DEVC_HOME devc makes', () => {
  it.each([1, 2, 3, 4, 5])('round %i: both succeed, with one workspace', async (round) => {
    if (round > 1) {
      const del = await devc(['delete', '-w', ws, '--force'], env);
      expect(del.exitCode, del.stderr).toBe(0);
    }
    const args = ['up', repo, '--json', '--idle-timeout', '30m'];
    const [a, b] = await Promise.all([devcProcess(args, env), devcProcess(args, env)]);
    for (const run of [a, b]) expect(run.exitCode, String(run.stderr)).toBe(0);
    const names = [a, b].map((run) => json({ exitCode: 0, stdout: String(run.stdout), stderr: '' }).name);
    expect(names).toEqual([ws, ws]);
    expect(await workspaceContainers(prefix)).toEqual([ws]);
    expect(await readdir(path.join(home, 'locks'))).toEqual([]);
  });

  it('DEVC_HOME and its folders are 0700, whatever the umask', async () => {
    for (const dir of [home, ...['workspaces', 'logs', 'locks'].map((d) => path.join(home, d))])
      expect((await stat(dir)).mode & 0o777, dir).toBe(0o700);
  });
});

describe('refused before anything is made', () => {
  it.each([
    {
      id: 'M02c',
      args: ['up', repo, '--name', `${prefix}-long`, '--idle-timeout', '99999999999999h'],
      extra: {},
      exit: 2,
      line: 'error: "99999999999999h" is too long; the most is 30d.',
    },
    {
      id: 'M08',
      args: ['up', `acme/${prefix}-plain`],
      extra: { DEVC_GITHUB_URL: 'not a url' },
      exit: 2,
      line: 'error: DEVC_GITHUB_URL is not a URL: "not a url".',
    },
    {
      id: 'M08 (GitLab)',
      args: ['up', `gitlab/acme/${prefix}-plain`],
      extra: { DEVC_GITLAB_URL: 'gitlab.example.com' },
      exit: 2,
      line: 'error: DEVC_GITLAB_URL is not a URL: "gitlab.example.com".',
    },
  ])('$id: exit $exit, "$line"', async ({ args, extra, exit, line }) => {
    const fresh = await freshEnv(extra);
    const run = await devc(args, fresh);
    expect(run.exitCode, run.stderr).toBe(exit);
    expect(firstLine(run.stderr)).toBe(line);
    expect(run.stderr).not.toContain('bug in devc');
    expect(await readdir(fresh.DEVC_HOME ?? '')).toEqual([]);
    expect(await workspaceContainers(prefix)).toEqual([ws]);
  });
});

describe('M11, M12: environment problems are named as such', () => {
  it.each([
    {
      id: 'M11: DEVC_HOME is a file, `up`',
      args: ['up', repo],
      line: (file: string) => `error: DEVC_HOME (${file}) is not a folder.`,
      homeIsFile: true,
      sshConfigIsFolder: false,
    },
    {
      id: 'M11: DEVC_HOME is a file, `config-ssh`',
      args: ['config-ssh'],
      line: (file: string) => `error: ${file} is a file where devc needs a folder.`,
      homeIsFile: true,
      sshConfigIsFolder: false,
    },
    {
      id: 'M12: ~/.ssh/config is a folder, `config-ssh`',
      args: ['config-ssh'],
      line: (_: string, userHome: string) =>
        `error: ${path.join(userHome, '.ssh', 'config')} is a folder; ssh reads its settings from a file there.`,
      homeIsFile: false,
      sshConfigIsFolder: true,
    },
  ])('$id', async ({ args, line, homeIsFile, sshConfigIsFolder }) => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'devc-ew-env-'));
    scratch.push(base);
    const userHome = path.join(base, 'user');
    await mkdir(path.join(userHome, '.ssh', sshConfigIsFolder ? 'config' : ''), { recursive: true });
    const devcHome = path.join(base, 'devc');
    if (homeIsFile) await writeFile(devcHome, 'not a folder\n');
    else await mkdir(devcHome);
    const run = await devc(args, await freshEnv({ DEVC_HOME: devcHome, HOME: userHome }));
    expect(run.exitCode, run.stderr).toBe(1);
    expect(firstLine(run.stderr)).toBe(line(devcHome, userHome));
    expect(run.stderr).not.toContain('bug in devc');
    // Nothing left: the file as it was, no devc files, ~/.ssh untouched.
    if (homeIsFile) expect(await readFile(devcHome, 'utf8')).toBe('not a folder\n');
    else expect(await readdir(devcHome)).toEqual([]);
    expect(await readdir(path.join(userHome, '.ssh'))).toEqual(sshConfigIsFolder ? ['config'] : []);
    if (sshConfigIsFolder) expect(await readdir(path.join(userHome, '.ssh', 'config'))).toEqual([]);
    expect(await workspaceContainers(prefix)).toEqual([ws]);
  });
});

describe('with the workspace', () => {
  it('M02c: a resume with another --idle-timeout says the workspace keeps its own', async () => {
    const run = await devc(['up', repo, '--idle-timeout', '2h'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      `Workspace ${ws} keeps its idle timeout of 30m: --idle-timeout applies to new workspaces only`,
    );
    const list = json<{ name: string; idleTimeoutSeconds: number }[]>(await devc(['list', '--json'], env));
    expect(list.find((w) => w.name === ws)?.idleTimeoutSeconds).toBe(1800);
  });

  it('P08: `ports stop` of a port never forwarded says so and records nothing', async () => {
    const run = await devc(['ports', 'stop', '-w', ws, '4444'], env);
    expect(run.exitCode).toBe(1);
    expect(firstLine(run.stderr)).toBe(`error: Port 4444 is not forwarded for workspace ${ws}.`);
    const requests = path.join(home, 'workspaces', ws, 'forwarder', 'requests.json');
    const stopped = existsSync(requests)
      ? (JSON.parse(await readFile(requests, 'utf8')) as { stopped: number[] }).stopped
      : [];
    expect(stopped).not.toContain(4444);
  });

  it("M10: without devc's SSH key, `ssh` says what happened; the rebuild it names brings SSH back", async () => {
    const key = path.join(home, 'ssh', 'id_ed25519');
    await rm(key);
    const run = await devc(['ssh', '-w', ws, '--', 'true'], env);
    expect(run.exitCode).toBe(1);
    expect(firstLine(run.stderr)).toBe(
      `error: devc's SSH key ${key} is missing, so ${ws} can't be reached over SSH.`,
    );
    expect(run.stderr).toContain(`devc rebuild -w ${ws}`);
    expect(existsSync(key)).toBe(false);

    const rebuild = await devc(['rebuild', '-w', ws], env);
    expect(rebuild.exitCode, rebuild.stderr).toBe(0);
    const again = await devc(['ssh', '-w', ws, '--', 'echo', 'in'], env);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe('in');
  });

  it('leaves one workspace and its volumes, which delete removes with its folder', async () => {
    const del = await devc(['delete', '-w', ws, '--force'], env);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(await workspaceContainers(prefix)).toEqual([]);
    expect(await volumes()).toEqual([]);
    expect(await readdir(path.join(home, 'workspaces'))).toEqual([]);
  });
});
