import { lstat } from 'node:fs/promises';
import path from 'node:path';
import {
  isInside,
  locateRepository,
  withIsolatedGit,
  type IsolatedGit,
  type Repository,
} from './isolated.js';

/** What deleting a working tree would lose: uncommitted files and commits on no remote. */
export interface UnsavedWork {
  uncommitted: string[];
  unpushed: string[];
  /** Stash entries: they live only in this clone. */
  stashed?: string[];
}

// Submodules inside submodules: deeper than this, devc says it can't check instead of reading on.
const MAX_DEPTH = 4;

/**
 * Reads the unsaved work of a clone devc made. The clone is the workspace's: its `.git` must be a real
 * folder (a link or a `gitdir:` file could point anywhere on this machine), and git reads it without
 * any of its config, hooks or filters (see isolated.ts). A folder that is not a git repository, or one
 * devc can't read safely, counts as all unsaved, with the reason as its one entry.
 */
export async function findUnsavedWork(dir: string): Promise<UnsavedWork> {
  const found = await locateRepository(dir, { gitFile: false, searchUp: false });
  if (!found) return cannotCheck(`${dir} (not a git repository)`);
  if ('refused' in found) return cannotCheck(`${found.refused}, so devc can't check this clone`);
  return unsavedIn(found, '', 0);
}

async function unsavedIn(repository: Repository, prefix: string, depth: number): Promise<UnsavedWork> {
  const read = await withIsolatedGit(repository, { index: true }, async (git) => {
    // `dirty`: a submodule whose commit moved still shows; its own files are read below, never by
    // a git that git starts inside it (that one would take the submodule's config).
    const status = await git([
      'status',
      '--porcelain=v1',
      '--untracked-files=all',
      '--ignore-submodules=dirty',
    ]);
    if (status.exitCode !== 0)
      return cannotCheck(`${repository.workTree} (git can't read it: ${firstLine(status.stderr)})`);
    // HEAD too: commits made on a detached HEAD are on no branch at all.
    const log = await git(['log', '--branches', 'HEAD', '--not', '--remotes', '--format=%h %s']);
    const stash = await git(['stash', 'list', '--format=%gd %s']);
    // A submodule's commits and stashes are named after it: "sub: 1a2b3c4 message".
    const named = (line: string) => (prefix ? `${prefix.slice(0, -1)}: ${line}` : line);
    const work: UnsavedWork = {
      uncommitted: lines(status.stdout).map((line) => prefix + line.slice(3)),
      unpushed: lines(log.stdout).map(named),
      stashed: stash.exitCode === 0 ? lines(stash.stdout).map(named) : [],
    };
    return merge(work, ...(await submodules(repository, git, prefix, depth)));
  });
  return 'refused' in read ? cannotCheck(`${prefix || repository.workTree} (${read.refused})`) : read;
}

/** The unsaved work of each checked-out submodule, read the same way. */
async function submodules(
  repository: Repository,
  git: IsolatedGit,
  prefix: string,
  depth: number,
): Promise<UnsavedWork[]> {
  const listed = await git(['ls-files', '--stage', '-z']);
  const paths = listed.stdout
    .split('\0')
    .filter((entry) => entry.startsWith('160000 '))
    .map((entry) => entry.slice(entry.indexOf('\t') + 1));
  const found: UnsavedWork[] = [];
  for (const sub of paths) {
    const name = `${prefix}${sub}/`;
    const tree = path.resolve(repository.workTree, sub);
    // The index is the workspace's too: a path out of the tree, or through a link, is not followed.
    if (!isInside(tree, repository.workTree) || !(await realFolders(repository.workTree, sub))) {
      found.push(cannotCheck(`${name} (a submodule path devc won't follow)`));
      continue;
    }
    if (!(await lstat(path.join(tree, '.git')).catch(() => undefined))) continue; // not checked out
    if (depth >= MAX_DEPTH) {
      found.push(cannotCheck(`${name} (submodules nested too deep to check)`));
      continue;
    }
    const located = await locateRepository(tree, {
      gitFile: { within: repository.commonDir },
      searchUp: false,
    });
    if (!located || 'refused' in located)
      found.push(cannotCheck(`${name} (${located?.refused ?? 'not a git repository'})`));
    else found.push(await unsavedIn(located, name, depth + 1));
  }
  return found;
}

/** Whether every folder on the way from `root` to `root/rel` is a real folder, not a link. */
async function realFolders(root: string, rel: string): Promise<boolean> {
  let dir = root;
  for (const part of rel.split('/')) {
    dir = path.join(dir, part);
    if (!(await lstat(dir).catch(() => undefined))?.isDirectory()) return false;
  }
  return true;
}

function cannotCheck(reason: string): UnsavedWork {
  return { uncommitted: [reason], unpushed: [], stashed: [] };
}

function merge(first: UnsavedWork, ...rest: UnsavedWork[]): UnsavedWork {
  return rest.reduce(
    (all, work) => ({
      uncommitted: [...all.uncommitted, ...work.uncommitted],
      unpushed: [...all.unpushed, ...work.unpushed],
      stashed: [...(all.stashed ?? []), ...(work.stashed ?? [])],
    }),
    first,
  );
}

function lines(text: string): string[] {
  return text.split('\n').filter(Boolean);
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

export function hasUnsavedWork(work: UnsavedWork): boolean {
  return work.uncommitted.length > 0 || work.unpushed.length > 0 || (work.stashed?.length ?? 0) > 0;
}
