import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { DevcError } from '../../errors.js';
import { writeAskpass } from '../../git/clone.js';
import { run } from '../../process.js';

/**
 * A remote repository's planning clone (source.ts) holds only its top-level files and .devcontainer/.
 * A build whose context reaches beyond them needs the rest of the commit: the sparse checkout is
 * widened to all of it (its blobs fetched from the same remote, the token through a one-off askpass;
 * no hooks run). A clone that is not sparse (a local tree, a full clone) is left as it is.
 */
export async function completeCheckout(
  env: NodeJS.ProcessEnv,
  sourcePath: string,
  configPath: string,
  signal?: AbortSignal,
): Promise<void> {
  const sparse = await run('git', ['-C', sourcePath, 'config', '--get', 'core.sparseCheckout']);
  if (sparse.stdout.trim() !== 'true') return;
  const token = await readFile(path.join(configPath, 'github-token'), 'utf8').catch(() => undefined);
  const askpass = token ? await writeAskpass(token) : undefined;
  try {
    const widened = await run(
      'git',
      [
        '-C',
        sourcePath,
        '-c',
        'credential.helper=',
        '-c',
        'core.hooksPath=/dev/null',
        'sparse-checkout',
        'disable',
      ],
      {
        env: {
          ...env,
          GIT_TERMINAL_PROMPT: '0',
          GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
          GIT_ASKPASS: askpass?.script ?? '',
        },
        ...(signal ? { signal } : {}),
      },
    );
    if (widened.exitCode !== 0)
      throw new DevcError("Can't fetch the repository's files for the image build.", {
        hint: 'Check the network and your access to the repository, then run `devc up` again.',
        details: widened.stderr.trim(),
      });
  } finally {
    if (askpass) await rm(askpass.dir, { recursive: true, force: true });
  }
}
