import { gitIn } from './trusted.js';

/** What deleting a working tree would lose: uncommitted files and commits on no remote. */
export interface UnsavedWork {
  uncommitted: string[];
  unpushed: string[];
  /** Stash entries: they live only in this clone. */
  stashed?: string[];
}

/** Reads a working tree's unsaved work. A folder that is not a git repository counts as all unsaved. */
export async function findUnsavedWork(dir: string): Promise<UnsavedWork> {
  const status = await gitIn(dir, ['status', '--porcelain=v1', '--untracked-files=all']);
  if (status.exitCode !== 0) return { uncommitted: [`${dir} (not a git repository)`], unpushed: [] };
  const uncommitted = String(status.stdout)
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(3));
  // HEAD too: commits made on a detached HEAD are on no branch at all.
  const log = await gitIn(dir, ['log', '--branches', 'HEAD', '--not', '--remotes', '--format=%h %s']);
  const unpushed = String(log.stdout).split('\n').filter(Boolean);
  const stash = await gitIn(dir, ['stash', 'list', '--format=%gd %s']);
  const stashed = stash.exitCode === 0 ? stash.stdout.split('\n').filter(Boolean) : [];
  return { uncommitted, unpushed, stashed };
}

export function hasUnsavedWork(work: UnsavedWork): boolean {
  return work.uncommitted.length > 0 || work.unpushed.length > 0 || (work.stashed?.length ?? 0) > 0;
}
