import { run } from '../process.js';

/**
 * Runs git on a workspace's source folder. The in-container user owns that folder, so git on the host
 * calls it "dubious ownership" and refuses; devc made the folder and trusts it, but not the config the
 * workspace could have written into .git: no fsmonitor command runs on the host.
 */
export async function gitIn(
  dir: string,
  args: string[],
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return run('git', ['-c', `safe.directory=${dir}`, '-c', 'core.fsmonitor=false', '-C', dir, ...args]);
}

/** The checked-out branch ('' when detached) and commit of a working tree; undefined when it is none. */
export async function headOf(dir: string): Promise<{ branch: string; commit: string } | undefined> {
  const result = await gitIn(dir, ['rev-parse', 'HEAD', '--abbrev-ref', 'HEAD']);
  if (result.exitCode !== 0) return undefined;
  const [commit = '', branch = ''] = result.stdout.split('\n');
  return { branch: branch === 'HEAD' ? '' : branch, commit };
}
