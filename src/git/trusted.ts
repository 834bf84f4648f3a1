import { locateRepository, withIsolatedGit } from './isolated.js';

/**
 * The checked-out branch ('' when detached) and commit of a working tree; undefined when it is none,
 * or when its repository can't be read safely. The tree may be a workspace's (its files are written
 * by whatever runs there), so git reads it through a GIT_DIR devc made (see isolated.ts): nothing of
 * its config, hooks or attributes runs here. A `.git` file is followed, as the user's own trees can be
 * linked worktrees or submodules.
 */
export async function headOf(dir: string): Promise<{ branch: string; commit: string } | undefined> {
  const repository = await locateRepository(dir, { gitFile: {}, searchUp: true });
  if (!repository || 'refused' in repository) return undefined;
  const result = await withIsolatedGit(repository, { index: false }, (git) =>
    git(['rev-parse', 'HEAD', '--abbrev-ref', 'HEAD']),
  );
  if ('refused' in result || result.exitCode !== 0) return undefined;
  const [commit = '', branch = ''] = result.stdout.split('\n');
  return { branch: branch === 'HEAD' ? '' : branch, commit };
}
