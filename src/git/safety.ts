import { execa } from 'execa';

/** What deleting a working tree would lose: uncommitted files and commits on no remote. */
export interface UnsavedWork {
  uncommitted: string[];
  unpushed: string[];
}

/** Reads a working tree's unsaved work. A folder that is not a git repository counts as all unsaved. */
export async function findUnsavedWork(dir: string): Promise<UnsavedWork> {
  const status = await execa('git', ['-C', dir, 'status', '--porcelain=v1', '--untracked-files=all'], {
    reject: false,
  });
  if (status.exitCode !== 0) return { uncommitted: [`${dir} (not a git repository)`], unpushed: [] };
  const uncommitted = String(status.stdout)
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(3));
  const log = await execa('git', ['-C', dir, 'log', '--branches', '--not', '--remotes', '--format=%h %s'], {
    reject: false,
  });
  const unpushed = String(log.stdout).split('\n').filter(Boolean);
  return { uncommitted, unpushed };
}

export function hasUnsavedWork(work: UnsavedWork): boolean {
  return work.uncommitted.length > 0 || work.unpushed.length > 0;
}
