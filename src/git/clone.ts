import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AuthError, CancelledError, DevcError } from '../errors.js';

export interface CloneOptions {
  url: string;
  branch: string | undefined;
  dest: string;
  /** A token for https remotes; never in argv, the URL, the environment of git, or .git/config. */
  token: string | undefined;
  signal?: AbortSignal;
}

/** Clones blobless into `dest`, atomically: on any failure nothing is left behind. */
export async function cloneRepository(options: CloneOptions): Promise<void> {
  await gitIntoDest(
    options,
    (git, partial) =>
      git([
        'clone',
        '--quiet',
        '--filter=blob:none',
        ...(options.branch ? ['--branch', options.branch] : []),
        '--',
        options.url,
        partial,
      ]),
    (stderr) => cloneError(options, stderr),
  );
}

/** Runs one git command; throws what `toError` makes of its stderr when it fails. */
export type Git = (args: string[]) => Promise<void>;

/**
 * Fills `<dest>.partial-<pid>` with `steps`, then renames it to `dest` (`replace`: removing a `dest`
 * that is there first); on any failure the partial folder goes. git gets the token only through a
 * one-off askpass script, never prompts, and never asks a credential helper.
 */
export async function gitIntoDest(
  options: CloneOptions,
  steps: (git: Git, partial: string) => Promise<void>,
  toError: (stderr: string) => DevcError,
  replace = false,
): Promise<void> {
  const partial = `${options.dest}.partial-${process.pid}`;
  await mkdir(path.dirname(options.dest), { recursive: true });
  const askpass = options.token ? await writeAskpass(options.token) : undefined;
  // Loaded when needed: execa takes ~100 ms to import, which every `up` would pay.
  const { execa } = await import('execa');
  const git: Git = async (args) => {
    const result = await execa('git', ['-c', 'credential.helper=', ...args], {
      reject: false,
      stdin: 'ignore',
      env: {
        GIT_TERMINAL_PROMPT: '0',
        GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
        GIT_ASKPASS: askpass?.script ?? '',
      },
      ...(options.signal ? { cancelSignal: options.signal } : {}),
    });
    if (result.isCanceled) throw new CancelledError();
    if (result.exitCode !== 0) throw toError(String(result.stderr));
  };
  try {
    await steps(git, partial);
    if (replace) await rm(options.dest, { recursive: true, force: true });
    await rename(partial, options.dest);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  } finally {
    if (askpass) await rm(askpass.dir, { recursive: true, force: true });
  }
}

/** Git asks this script for credentials; it reads the token from a file only this user can read. */
export async function writeAskpass(token: string): Promise<{ dir: string; script: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-askpass-'));
  await chmod(dir, 0o700);
  const tokenFile = path.join(dir, 'token');
  await writeFile(tokenFile, token, { mode: 0o600 });
  const script = path.join(dir, 'askpass');
  const quoted = `'${tokenFile.replace(/'/g, `'\\''`)}'`;
  await writeFile(
    script,
    `#!/bin/sh\ncase "$1" in\n  Username*) echo x-access-token ;;\n  *) cat ${quoted} ;;\nesac\n`,
    { mode: 0o700 },
  );
  return { dir, script };
}

function cloneError(options: CloneOptions, stderr: string): DevcError {
  const url = options.url;
  const details = stderr.trim();
  if (/Remote branch .* not found/i.test(stderr)) {
    return new DevcError(`Branch ${options.branch ?? ''} does not exist in ${url}.`, {
      hint: 'Check the name after @.',
      details,
    });
  }
  if (
    /Could not resolve host|Failed to connect|Connection refused|Connection timed out|Network is unreachable|Couldn't connect|Could not read from remote repository\.\s*$/i.test(
      stderr,
    ) &&
    !/Permission denied|Repository not found/i.test(stderr)
  ) {
    return new DevcError(`Can't reach the host of ${url}.`, {
      hint: 'Check your network and the URL (DEVC_GITHUB_URL / DEVC_GITLAB_URL change where short references point).',
      details,
    });
  }
  if (
    /Authentication failed|could not read (Username|Password)|Repository not found|not found|HTTP 40[134]|terminal prompts disabled|Permission denied|access denied/i.test(
      stderr,
    )
  ) {
    return new AuthError(`Repository ${url} was not found, or you have no access to it.`, {
      hint: options.token
        ? 'The token was refused: check that GITHUB_TOKEN (or GH_TOKEN) can read this repository.'
        : 'If it is private, set GITHUB_TOKEN (or GH_TOKEN) to a token that can read it.',
      details,
    });
  }
  return new DevcError(`Cloning ${url} failed.`, { hint: 'See the git output above.', details });
}
