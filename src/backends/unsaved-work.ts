import type { ExecResult } from './backend.js';
import type { UnsavedWork } from '../git/safety.js';
import type { Workspace } from '../workspace/model.js';

// The same three questions src/git/safety.ts asks of a clone on this machine.
const UNSAVED_WORK = `set -e
git status --porcelain=v1 --untracked-files=all; echo @@devc@@
git log --branches HEAD --not --remotes --format='%h %s'; echo @@devc@@
git stash list --format='%gd %s'`;

/**
 * What deleting would lose of a repository that lives only in the PVC (uncommitted files, commits on
 * no remote, stashes), read with git in the running pod.
 */
export async function unsavedWorkIn(
  workspace: Workspace,
  exec: (command: string[], workdir: string) => Promise<ExecResult>,
): Promise<UnsavedWork> {
  const result = await exec(['sh', '-c', UNSAVED_WORK], workspace.folder);
  if (result.exitCode !== 0)
    return { uncommitted: [`${workspace.folder} (not a git repository)`], unpushed: [] };
  const [status = '', log = '', stash = ''] = result.stdout.split(/@@devc@@\n?/);
  const lines = (text: string): string[] => text.split('\n').filter(Boolean);
  return { uncommitted: lines(status).map((l) => l.slice(3)), unpushed: lines(log), stashed: lines(stash) };
}
