import { constants } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CancelledError } from '../errors.js';
import { run, type RunResult } from '../process.js';
import { CONFIG_QUERY, gitFileTarget, ISOLATION_ARGS, isolatedConfig, isolatedEnv } from './isolation.js';

/** git bound to one repository, through a GIT_DIR devc made. */
export type IsolatedGit = (args: string[]) => Promise<RunResult>;

/** Where a working tree keeps its repository: HEAD and index in `gitDir`, the rest in `commonDir`. */
export interface Repository {
  workTree: string;
  gitDir: string;
  commonDir: string;
}

/** A repository, none at all, or why devc won't read this one. */
export type Located = Repository | { refused: string } | undefined;

export interface LocateOptions {
  /** Follow a `.git` file (`gitdir: …`, as linked worktrees and submodules have) to `within` or anywhere. */
  gitFile: false | { within?: string };
  /** Look in parent folders too, as git does (a local tree may be a folder of a larger repository). */
  searchUp: boolean;
}

// A hung git (a FIFO planted as a ref) must not hang devc: past this the check counts as failed.
const GIT_TIMEOUT_MS = 120_000;
// HEAD, a gitdir: file, a config, info/exclude: small files; an index can be large.
const SMALL = 1 << 20;
const INDEX = 1 << 30;

/** Finds the repository of `tree` without running git: only real folders and plain files count. */
export async function locateRepository(tree: string, options: LocateOptions): Promise<Located> {
  if (!(await lstat(tree).catch(() => undefined))?.isDirectory()) return undefined;
  for (let dir = tree; ; dir = path.dirname(dir)) {
    const dotGit = path.join(dir, '.git');
    const entry = await lstat(dotGit).catch(() => undefined);
    if (entry?.isDirectory()) return { workTree: dir, gitDir: dotGit, commonDir: dotGit };
    if (entry?.isSymbolicLink()) return { refused: `${dotGit} is a symbolic link, not a folder` };
    if (entry?.isFile()) return viaGitFile(dir, dotGit, options);
    if (entry) return { refused: `${dotGit} is not a folder` };
    if (!options.searchUp || path.dirname(dir) === dir) return undefined;
  }
}

async function viaGitFile(workTree: string, dotGit: string, options: LocateOptions): Promise<Located> {
  if (!options.gitFile) return { refused: `${dotGit} is a file, not a folder` };
  const content = await readPlain(dotGit, SMALL);
  const gitDir = typeof content === 'string' ? undefined : gitFileTarget(content.toString(), workTree);
  if (!gitDir) return { refused: `${dotGit} is not a gitdir: file devc can read` };
  const within = options.gitFile.within;
  if (within) {
    const [real, realWithin] = await Promise.all([realpath(gitDir), realpath(within)].map(orEmpty));
    if (!real || !realWithin || !isInside(real, realWithin))
      return { refused: `${dotGit} points outside ${within}` };
  }
  if (!(await lstat(gitDir).catch(() => undefined))?.isDirectory())
    return { refused: `${dotGit} points at ${gitDir}, which is not a folder` };
  const common = await readPlain(path.join(gitDir, 'commondir'), SMALL);
  const commonDir =
    typeof common === 'string' ? gitDir : path.resolve(gitDir, common.toString().split('\n')[0] ?? '');
  return { workTree, gitDir, commonDir };
}

/**
 * Runs `use` with git on `repository`, through a GIT_DIR made for it: its config is written by devc,
 * HEAD, index and info/exclude are copies, objects, refs, packed-refs and logs are links to the real
 * ones (read only: every command given is a read, and no lock or index write happens), and there are
 * no hooks, no info/attributes and no config of the repository's own. A string is why it can't.
 */
export async function withIsolatedGit<T>(
  repository: Repository,
  options: { index: boolean },
  use: (git: IsolatedGit) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T | { refused: string }> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'devc-gitdir-'));
  try {
    const gitDir = path.join(home, 'repository');
    await mkdir(gitDir);
    const made = await mirror(repository, gitDir, home, options.index, env);
    if (made) return { refused: made };
    const childEnv = isolatedEnv(env, gitDir, repository.workTree);
    return await use((args) => bounded(['-C', repository.workTree, ...ISOLATION_ARGS, ...args], childEnv));
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Fills `gitDir` from the real repository; a string is why it can't. */
async function mirror(
  repository: Repository,
  gitDir: string,
  home: string,
  index: boolean,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const { commonDir } = repository;
  const config = await configFor(commonDir, home, env);
  if ('refused' in config) return config.refused;
  await writeFile(path.join(gitDir, 'config'), config.config);
  // [the real file, its name in devc's GIT_DIR, size limit, whether the repository needs it]
  const copies: [string, string, number, boolean][] = [
    [path.join(repository.gitDir, 'HEAD'), 'HEAD', SMALL, true],
    [path.join(commonDir, 'shallow'), 'shallow', INDEX, false],
    [path.join(commonDir, 'info', 'exclude'), path.join('info', 'exclude'), SMALL, false],
    ...(index
      ? [[path.join(repository.gitDir, 'index'), 'index', INDEX, false] as [string, string, number, boolean]]
      : []),
  ];
  for (const [file, name, limit, required] of copies) {
    const data = await readPlain(file, limit);
    if (data === 'missing' && !required) continue;
    if (typeof data === 'string') return `${file} ${data === 'missing' ? 'is missing' : data}`;
    await mkdir(path.dirname(path.join(gitDir, name)), { recursive: true });
    await writeFile(path.join(gitDir, name), data);
  }
  const links: [string, 'dir' | 'file', boolean][] = [
    [path.join(commonDir, 'objects'), 'dir', true],
    [path.join(commonDir, 'refs'), 'dir', true],
    [path.join(commonDir, 'packed-refs'), 'file', false],
    [path.join(commonDir, 'logs'), 'dir', false],
    // A split index keeps most entries in sharedindex.<hash> beside it.
    ...(index ? await sharedIndexes(repository.gitDir) : []),
  ];
  for (const [real, kind, required] of links) {
    const entry = await lstat(real).catch(() => undefined);
    if (!entry && !required) continue;
    if (!entry) return `${real} is missing`;
    if (kind === 'dir' ? !entry.isDirectory() : !entry.isFile())
      return `${real} is not a ${kind === 'dir' ? 'folder' : 'plain file'}`;
    await symlink(real, path.join(gitDir, path.basename(real)));
  }
  return undefined;
}

/**
 * The config for devc's GIT_DIR. The repository's own is read as data: copied into devc's folder
 * first (it could be a link or a FIFO), then read by `git config --file`, which follows no include.
 */
async function configFor(
  commonDir: string,
  home: string,
  env: NodeJS.ProcessEnv,
): Promise<{ config: string } | { refused: string }> {
  const file = path.join(commonDir, 'config');
  const data = await readPlain(file, SMALL);
  if (data === 'missing') return isolatedConfig('');
  if (typeof data === 'string') return { refused: `${file} ${data}` };
  const copy = path.join(home, 'config-as-data');
  await writeFile(copy, data);
  const read = await bounded(
    ['config', '--file', copy, '--get-regexp', CONFIG_QUERY],
    isolatedEnv(env, path.join(home, 'none'), home),
  );
  // 1: none of the keys is set.
  if (read.exitCode !== 0 && read.exitCode !== 1)
    return { refused: `${file} can't be read: ${read.stderr.split('\n')[0] ?? ''}` };
  return isolatedConfig(read.stdout);
}

async function sharedIndexes(gitDir: string): Promise<[string, 'file', boolean][]> {
  const names = await readdir(gitDir).catch(() => [] as string[]);
  return names
    .filter((n) => /^sharedindex\.[0-9a-f]{40,64}$/.test(n))
    .map((n) => [path.join(gitDir, n), 'file', true]);
}

/**
 * A plain file's bytes, read without following a symbolic link and without blocking on a FIFO;
 * otherwise 'missing' or why not.
 */
async function readPlain(file: string, limit: number): Promise<Buffer | string> {
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  const handle = await open(file, flags).catch((error: NodeJS.ErrnoException) => error);
  if (!('stat' in handle)) {
    if (handle.code === 'ENOENT' || handle.code === 'ENOTDIR') return 'missing';
    return handle.code === 'ELOOP'
      ? 'is a symbolic link'
      : `can't be read (${handle.code ?? handle.message})`;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return 'is not a plain file';
    if (info.size > limit) return 'is too large';
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

async function bounded(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  const signal = AbortSignal.timeout(GIT_TIMEOUT_MS);
  try {
    return await run('git', args, { env, signal });
  } catch (error) {
    if (!(error instanceof CancelledError) || !signal.aborted) throw error;
    return { exitCode: 124, stdout: '', stderr: `git took longer than ${GIT_TIMEOUT_MS / 1000} s` };
  }
}

/** Whether `child` is strictly inside `parent` (both absolute). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

function orEmpty(p: Promise<string>): Promise<string> {
  return p.catch(() => '');
}
