import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { AuthError, DevcError } from '../../errors.js';
import { collector, execIn, type ExecTarget } from './exec.js';
import { gitIntoDest, type CloneOptions } from '../../git/clone.js';

/** What to fetch, and with which token: the same as a clone's. */
export type PlanningFetch = CloneOptions;

/**
 * What devc must read before making a Kubernetes workspace (top-level file names for the image
 * variant, .devcontainer/), fetched without the rest: one commit, no blobs but those files. The
 * repository itself is cloned inside the cluster.
 */
export async function fetchForPlanning(options: PlanningFetch): Promise<void> {
  await gitIntoDest(
    options,
    async (git, partial) => {
      await git([
        'clone',
        '--quiet',
        '--depth',
        '1',
        '--filter=blob:none',
        '--sparse',
        ...(options.branch ? ['--branch', options.branch] : []),
        '--',
        options.url,
        partial,
      ]);
      await git(['-C', partial, 'sparse-checkout', 'add', '.devcontainer']);
    },
    (stderr) => fetchError(options, stderr),
    true,
  );
}

function fetchError(options: PlanningFetch, stderr: string): DevcError {
  const details = stderr.trim();
  if (/Remote branch .* not found/i.test(stderr))
    return new DevcError(`Branch ${options.branch ?? ''} does not exist in ${options.url}.`, {
      hint: 'Check the name after @.',
      details,
    });
  if (
    /Authentication failed|could not read (Username|Password)|Repository not found|HTTP 40[134]|terminal prompts disabled|Permission denied/i.test(
      stderr,
    )
  )
    return new AuthError(`Repository ${options.url} was not found, or you have no access to it.`, {
      hint: options.token
        ? 'The token was refused: check that GITHUB_TOKEN (or GH_TOKEN) can read it.'
        : 'If it is private, set GITHUB_TOKEN (or GH_TOKEN).',
      details,
    });
  return new DevcError(`Can't read ${options.url}.`, { hint: 'Check the URL and your network.', details });
}

/**
 * Uploads a local working tree (as it is, .git included) into `folder` of the running pod, as a tar
 * stream; `first`, a shell command, runs before (e.g. waits until the pod has prepared its volume).
 */
export async function uploadTree(
  target: ExecTarget,
  local: string,
  folder: string,
  first = ':',
): Promise<void> {
  const tar = packTree(local);
  const errors = collector();
  const code = await execIn(
    target,
    [
      'sh',
      '-c',
      `${first} && mkdir -p "$1" && exec tar -x -f - -C "$1" --no-same-owner`,
      'devc-upload',
      folder,
    ],
    {
      stdin: tar.stream,
      stdout: null,
      stderr: errors.stream,
    },
  );
  await tar.packed;
  if (code !== 0)
    throw new DevcError(`Can't upload ${local} into the workspace.`, { details: errors.text() });
}

/** `local` as a tar stream (`tar -c`); `packed` rejects, naming the folder, when tar fails. */
export function packTree(local: string): { stream: Readable; packed: Promise<void> } {
  const tar = spawn('tar', ['-c', '-f', '-', '-C', local, '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  tar.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const packed = new Promise<void>((resolve, reject) =>
    tar.on('close', (code) =>
      code === 0 ? resolve() : reject(new DevcError(`Can't read ${local}.`, { details: errors })),
    ),
  );
  // Awaited by the caller after its exec; a rejection before then is not unhandled.
  packed.catch(() => undefined);
  return { stream: tar.stdout, packed };
}
