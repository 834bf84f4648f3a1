import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, uniquePrefix } from './support/devc.js';
import { dockerOut, removeWorkspaces, workspaceContainers } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';

const prefix = uniquePrefix('ds');
let git: GitServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  for (const name of ['work', 'clean', 'dirty', 'old', 'busy'])
    await git.createRepo(`acme/${prefix}-${name}`, { 'README.md': `# ${name}\n` });
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
});

/** The clone on the host, as the workspace's label records it. */
const source = (name: string) =>
  dockerOut(['inspect', '-f', '{{index .Config.Labels "dev.devc.source"}}', `devc-${name}`]);
/** git on the host, in a clone the workspace user owns. */
const hostGit = async (name: string, ...args: string[]) => {
  const dir = await source(name);
  return execa('git', ['-c', `safe.directory=${dir}`, '-C', dir, ...args], { reject: false });
};
const up = async (name: string) => {
  const run = await devc(['up', `acme/${prefix}-${name}`, '--idle-timeout', '0'], env);
  expect(run.exitCode, run.stderr).toBe(0);
  return `${prefix}-${name}`;
};

describe('delete refuses to lose work', () => {
  let ws: string;

  it('refuses a dirty tree, naming the files (exit 1), and keeps everything', async () => {
    ws = await up('work');
    const write = await devc(['exec', '-w', ws, '--', 'sh', '-c', 'echo draft > notes.txt'], env);
    expect(write.exitCode, write.stderr).toBe(0);
    const run = await devc(['delete', '-w', ws], env);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('uncommitted: notes.txt');
    expect(run.stderr).toContain('--force');
    expect(await workspaceContainers(ws)).toEqual([ws]);
    expect(existsSync(path.join(await source(ws), 'notes.txt'))).toBe(true);
  });

  it('refuses an unpushed commit, naming it', async () => {
    const commit = await devc(
      [
        'exec',
        '-w',
        ws,
        '--',
        'sh',
        '-c',
        'git add notes.txt && git -c user.name=T -c user.email=t@example.invalid commit -qm "draft notes"',
      ],
      env,
    );
    expect(commit.exitCode, commit.stderr).toBe(0);
    const run = await devc(['delete', '-w', ws], env);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/unpushed: +[0-9a-f]+ draft notes/);
    expect(run.stderr).not.toContain('uncommitted:');
    expect(await workspaceContainers(ws)).toEqual([ws]);
  });

  it('deletes it once the commit is pushed: container, home volume and clone go', async () => {
    const push = await hostGit(ws, 'push', '-q', 'origin', 'main');
    expect(push.exitCode, String(push.stderr)).toBe(0);
    const run = await devc(['delete', '-w', ws], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await workspaceContainers(ws)).toEqual([]);
    const volumes = await execa('docker', ['volume', 'ls', '-q', '--filter', `name=devc-${ws}-home`]);
    expect(String(volumes.stdout).trim()).toBe('');
    expect(existsSync(path.join(env.DEVC_HOME!, 'workspaces', ws))).toBe(false);
  });
});

describe('delete --all and --older-than keep the same rules', () => {
  it('-w with --all is a usage error', async () => {
    expect((await devc(['delete', '--all', '-w', 'x'], env)).exitCode).toBe(2);
    expect((await devc(['delete', '--older-than', 'soon'], env)).exitCode).toBe(2);
  });

  it('--all deletes the clean one and keeps the dirty one, naming it (exit 1)', async () => {
    const clean = await up('clean');
    const dirty = await up('dirty');
    writeFileSync(path.join(await source(dirty), 'wip.txt'), 'wip\n');
    const run = await devc(['delete', '--all'], env);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`Deleted workspace ${clean}`);
    expect(run.stderr).toContain(`${dirty}: has uncommitted or unpushed work`);
    expect(run.stderr).toContain('uncommitted: wip.txt');
    expect(await workspaceContainers(clean)).toEqual([]);
    expect(await workspaceContainers(dirty)).toEqual([dirty]);
    const forced = await devc(['delete', '--all', '--force'], env);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(await workspaceContainers(dirty)).toEqual([]);
  });

  it('--older-than picks stopped workspaces unused for that long; running ones stay', async () => {
    const old = await up('old');
    const busy = await up('busy');
    expect((await devc(['stop', '-w', old], env)).exitCode).toBe(0);
    const none = await devc(['delete', '--older-than', '1d'], env);
    expect(none.exitCode, none.stderr).toBe(0);
    expect(await workspaceContainers(prefix)).toEqual(expect.arrayContaining([old, busy]));
    // Stopped for more than a second (the engine's clock), so `--older-than 1s` picks it.
    await new Promise((r) => setTimeout(r, 2_500));
    const run = await devc(['delete', '--older-than', '1s'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(`Deleted workspace ${old}`);
    expect(await workspaceContainers(old)).toEqual([]);
    expect(await workspaceContainers(busy)).toEqual([busy]);
  });
});
