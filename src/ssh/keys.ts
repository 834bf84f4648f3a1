import { mkdir, readFile, access } from 'node:fs/promises';
import { DevcError } from '../errors.js';
import type { Paths } from '../paths.js';

/** devc's own ed25519 key pair, made on first use. Resolves to the public key line. */
export async function ensureKeyPair(paths: Paths): Promise<string> {
  await mkdir(paths.sshDir, { recursive: true, mode: 0o700 });
  const publicKey = `${paths.privateKey}.pub`;
  try {
    await access(paths.privateKey);
  } catch {
    // Loaded when needed: execa takes ~100 ms to import, which every `up` would pay.
    const { execa } = await import('execa');
    const result = await execa(
      'ssh-keygen',
      ['-q', '-t', 'ed25519', '-N', '', '-C', 'devc', '-f', paths.privateKey],
      {
        reject: false,
        stdin: 'ignore',
      },
    );
    if (result.exitCode !== 0) {
      throw new DevcError("Can't make devc's SSH key.", {
        hint: 'Install the OpenSSH client (ssh-keygen), or run `devc doctor`.',
        details: String(result.stderr),
      });
    }
  }
  return (await readFile(publicKey, 'utf8')).trim();
}
