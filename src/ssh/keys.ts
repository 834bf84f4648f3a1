import { randomBytes } from 'node:crypto';
import { access, constants, link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { DevcError } from '../errors.js';
import type { Paths } from '../paths.js';

/** devc's own ed25519 key pair, made on first use. Resolves to the public key line. */
export async function ensureKeyPair(paths: Paths): Promise<string> {
  await mkdir(paths.sshDir, { recursive: true, mode: 0o700 });
  const publicKey = `${paths.privateKey}.pub`;
  if (!(await readable(paths.privateKey))) await makeKeyPair(paths.privateKey);
  if (!(await readable(publicKey))) {
    // The public half is derived from the private one: a lost .pub needs no new key, and a devc that
    // lost the race to make the pair need not wait for the winner to move its .pub into place.
    const result = await sshKeygen(['-y', '-f', paths.privateKey]);
    if (result.exitCode !== 0)
      throw new DevcError(`Can't read devc's SSH key ${paths.privateKey}.`, {
        hint: 'Move it away and run the command again: devc makes a new one.',
        details: result.stderr,
      });
    await writeAtomically(publicKey, result.stdout);
  }
  return (await readFile(publicKey, 'utf8')).trim();
}

/**
 * Makes the pair under a name of its own, then links it into place: two devc run at once on a fresh
 * DEVC_HOME (CI jobs, scripts) never see half a key, and the first one's key is the one both use.
 */
async function makeKeyPair(privateKey: string): Promise<void> {
  const tmp = `${privateKey}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const result = await sshKeygen(['-q', '-t', 'ed25519', '-N', '', '-C', 'devc', '-f', tmp]);
    if (result.exitCode !== 0) {
      throw new DevcError("Can't make devc's SSH key.", {
        hint: 'Install the OpenSSH client (ssh-keygen), or run `devc doctor`.',
        details: result.stderr,
      });
    }
    const linked = await link(tmp, privateKey).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') return false; // another devc made it first: use theirs
        throw error;
      },
    );
    if (linked) await rename(`${tmp}.pub`, `${privateKey}.pub`);
  } finally {
    await rm(tmp, { force: true });
    await rm(`${tmp}.pub`, { force: true });
  }
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, content, { mode: 0o644 });
  await rename(tmp, file);
}

/**
 * Fails with the next step when devc's private key is gone: every workspace holds only its public half,
 * and ssh itself would just say "Permission denied (publickey)".
 */
export async function requireKey(paths: Paths, workspace: string): Promise<void> {
  if (await readable(paths.privateKey)) return;
  throw new DevcError(
    `devc's SSH key ${paths.privateKey} is missing, so ${workspace} can't be reached over SSH.`,
    {
      hint: `Put it back if you have a copy. Otherwise \`devc rebuild -w ${workspace}\` makes a new key and gives it to the workspace, keeping its files (each workspace needs one rebuild).`,
    },
  );
}

async function readable(file: string): Promise<boolean> {
  return access(file, constants.R_OK).then(
    () => true,
    () => false,
  );
}

async function sshKeygen(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  // Loaded when needed: execa takes ~100 ms to import, which every `up` would pay.
  const { execa } = await import('execa');
  const result = await execa('ssh-keygen', args, { reject: false, stdin: 'ignore' });
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
}
