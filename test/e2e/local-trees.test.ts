// Local trees (research/adversarial-turn2.md R15, D03b, D14, D14b): devc never changes the ownership of
// a tree it did not make, refuses the root, system and home folders, and brings up a tree that is on no
// branch (not a git repository, or a detached HEAD) even when its config needs a pull or a build.
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, uniquePrefix, type Run, removeHome } from './support/devc.js';
import { dockerOut, removeWorkspaces, workspaceContainers } from './support/docker.js';
import { leftovers, nothing } from './support/leftovers.js';

const prefix = uniquePrefix('lt');
let env: NodeJS.ProcessEnv;
let sandbox: string;
/** Images the Dev Containers CLI built for this file's workspaces, removed at the end. */
const builtImages = new Set<string>();

beforeAll(async () => {
  env = await devcEnv();
  sandbox = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
});

afterAll(async () => {
  for (const name of await workspaceContainers(prefix))
    builtImages.add(await dockerOut(['inspect', '-f', '{{.Config.Image}}', `devc-${name}`]));
  await removeWorkspaces(prefix);
  // Only what the CLI built for these trees (vsc-<folder>-…), never a shared image such as dev8-base.
  const ours = [...builtImages].filter((image) => image.startsWith('vsc-'));
  if (ours.length) await execa('docker', ['rmi', ...ours], { reject: false });
  await rm(sandbox, { recursive: true, force: true });
  await removeHome(env.DEVC_HOME);
});

/** The line a user reads: the first `error:` line. */
const message = (run: Run): string => run.stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '';

/** Containers (of any DEVC_HOME) whose local tree is `source`. */
const containersOf = (source: string): Promise<string> =>
  dockerOut(['ps', '-a', '-q', '--filter', `label=dev.devc.source=${source}`]);

/** Writes files (path → content) under `dir`. */
async function tree(dir: string, files: Record<string, string>): Promise<string> {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
  return dir;
}

/** Every entry under `dir` (itself included) as `path uid:gid mode`. */
async function ownership(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string): Promise<void> => {
    const s = await lstat(p);
    out.push(`${path.relative(dir, p) || '.'} ${s.uid}:${s.gid} ${(s.mode & 0o7777).toString(8)}`);
    if (s.isDirectory()) for (const entry of await readdir(p)) await walk(path.join(p, entry));
  };
  await walk(dir);
  return out.sort();
}

const git = (dir: string, ...args: string[]) =>
  execa('git', ['-C', dir, '-c', 'user.name=T', '-c', 'user.email=t@example.invalid', ...args]);

describe('R15: the root, system and home folders are refused (exit 2), and nothing is made', () => {
  const refused = (folder: string, reason: string) =>
    `error: Refusing to use ${folder} as a workspace: ${reason}. Run devc up in a project folder.`;

  it.each([
    ['/etc', '/etc', undefined, 'it is a system folder'],
    ['../../etc (from /usr/share)', '../../etc', '/usr/share', 'it is a system folder'],
    ['/', '/', undefined, 'it is the root folder'],
    ['/usr/lib', '/usr/lib', undefined, 'it is a system folder'],
  ])('devc up %s', async (_case, reference, cwd, reason) => {
    const run = await devc(['up', reference], env, cwd ? { cwd } : {});
    expect(run.exitCode, run.stderr).toBe(2);
    const folder = path.resolve(cwd ?? '/', reference);
    expect(message(run)).toBe(refused(folder, reason));
    expect(await containersOf(folder)).toBe('');
    expect(await leftovers(env.DEVC_HOME!, prefix)).toEqual(nothing);
  });

  it('devc up through a link to /etc names /etc', async () => {
    const link = path.join(sandbox, 'link-to-etc');
    await symlink('/etc', link);
    const run = await devc(['up', link], env);
    expect(run.exitCode, run.stderr).toBe(2);
    expect(message(run)).toBe(refused('/etc', 'it is a system folder'));
    expect(await containersOf(link)).toBe('');
    expect(await leftovers(env.DEVC_HOME!, prefix)).toEqual(nothing);
  });

  it.each([
    ['~', (home: string) => [home]],
    ['. in home', () => ['.']],
  ])('devc up %s (the home folder itself)', async (_case, args) => {
    const home = await mkdtemp(path.join(sandbox, 'home-'));
    const run = await devc(['up', ...args(home)], { ...env, HOME: home }, { cwd: home });
    expect(run.exitCode, run.stderr).toBe(2);
    expect(message(run)).toBe(refused(home, 'it is your home folder'));
    expect(await containersOf(home)).toBe('');
    expect(await leftovers(env.DEVC_HOME!, prefix)).toEqual(nothing);
  });
});

describe('R15: a root-owned tree comes up and stays as it was', () => {
  it('keeps every file root-owned, with its mode (a 0600 file too)', async () => {
    const dir = await tree(path.join(sandbox, 'rootowned'), {
      'README.md': '# mine\n',
      'secret.txt': 'only root\n',
      'src/deep/main.sh': 'echo hi\n',
    });
    await chmod(path.join(dir, 'secret.txt'), 0o600);
    await chmod(path.join(dir, 'src/deep'), 0o750);
    const before = await ownership(dir);
    expect(
      before.every((line) => line.split(' ')[1] === '0:0'),
      before.join('\n'),
    ).toBe(true);

    const run = await devc(['up', dir, '--name', `${prefix}-rootowned`, '--idle-timeout', '0'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    // The workspace user sees the tree (mounted where the agent expects it) …
    const ls = await devc(['exec', '-w', `${prefix}-rootowned`, '--', 'cat', 'README.md'], env);
    expect(ls.stdout, ls.stderr).toBe('# mine\n');
    // … and on the host nothing changed owner or mode.
    expect(await ownership(dir)).toEqual(before);
  });
});

describe('D03b, D14, D14b: a tree on no branch comes up with a pull or a build config', () => {
  const dockerfile = {
    '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' } }),
    '.devcontainer/Dockerfile': 'FROM debian:bookworm-slim\nRUN echo built > /built-by-dockerfile\n',
  };

  it('D03b a non-git tree whose image does not exist names the image, not a hook', async () => {
    const image = `devc-test/does-not-exist:${prefix}`;
    const dir = await tree(path.join(sandbox, 'noimage'), {
      '.devcontainer.json': JSON.stringify({ image }),
    });
    const name = `${prefix}-noimage`;
    const run = await devc(['up', dir, '--name', name], env);
    expect(run.exitCode, run.stderr).toBe(1);
    expect(message(run)).toMatch(/image pull/);
    expect(run.stderr).toContain(image);
    expect(run.stderr).not.toMatch(/postAttachCommand|printed no result|id-label/);
    expect(await workspaceContainers(name)).toEqual([]);
    expect(existsSync(path.join(env.DEVC_HOME!, 'workspaces', name))).toBe(false);
  });

  it.each([
    ['D14 a non-git tree', 'nogit', () => Promise.resolve()],
    [
      'D14b a git tree on a detached HEAD',
      'detached',
      async (dir: string) => {
        await git(dir, 'init', '-q', '-b', 'main');
        await git(dir, 'add', '-A');
        await git(dir, 'commit', '-qm', 'first');
        await git(dir, 'checkout', '-q', '--detach');
      },
    ],
  ])('%s with a build.dockerfile comes up', async (_case, kind, prepare) => {
    const dir = await tree(path.join(sandbox, kind), dockerfile);
    await prepare(dir);
    const name = `${prefix}-${kind}`;
    const run = await devc(['up', dir, '--name', name, '--idle-timeout', '0'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    const built = await devc(['exec', '-w', name, '--', 'cat', '/built-by-dockerfile'], env);
    expect(built.stdout, built.stderr).toBe('built\n');
    // No branch: the label is left out, and the workspace reads back with none.
    expect(
      await dockerOut(['inspect', '-f', '{{index .Config.Labels "dev.devc.branch"}}', `devc-${name}`]),
    ).toBe('');
    expect(
      await dockerOut(['inspect', '-f', '{{index .Config.Labels "dev.devc.source"}}', `devc-${name}`]),
    ).toBe(dir);
  });
});
