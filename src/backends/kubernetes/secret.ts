import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { DevcError } from '../../errors.js';

/**
 * The Secret's files: what the Docker side mounts from devc's config folder (authorized key, code-server
 * secret, GitHub token), plus the SSH host key devc makes here (so it is pinned before the pod exists
 * and stays the same across stops) and, with a token, a git credential file for the in-cluster clone.
 */
export async function secretFiles(
  configPath: string,
  cloneUrl: string | undefined,
  previous: Record<string, string> | undefined,
): Promise<Record<string, string>> {
  const read = (file: string): Promise<string | undefined> =>
    readFile(path.join(configPath, file), 'utf8').catch(() => undefined);
  const files: Record<string, string> = {};
  for (const file of ['authorized_keys', 'code-server-secret', 'github-token', 'ai.env', 'remote.env']) {
    const content = await read(file);
    if (content !== undefined) files[file] = content;
  }
  const token = files['github-token']?.trim();
  const credential = token && cloneUrl ? gitCredential(cloneUrl, token) : undefined;
  if (credential) files['git-credentials'] = credential;
  const hostKey =
    previous?.ssh_host_ed25519_key && previous['ssh_host_ed25519_key.pub'] ? previous : await makeHostKey();
  files.ssh_host_ed25519_key = hostKey.ssh_host_ed25519_key ?? '';
  files['ssh_host_ed25519_key.pub'] = hostKey['ssh_host_ed25519_key.pub'] ?? '';
  files['devc-host-key'] = '';
  return files;
}

/** A line for git's store helper: the token for this URL's host only. */
function gitCredential(url: string, token: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
    return `${parsed.protocol}//x-access-token:${encodeURIComponent(token)}@${parsed.host}\n`;
  } catch {
    return undefined;
  }
}

async function makeHostKey(): Promise<Record<string, string>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-hostkey-'));
  try {
    const key = path.join(dir, 'key');
    const made = await execa(
      'ssh-keygen',
      ['-q', '-t', 'ed25519', '-N', '', '-C', 'devc-workspace', '-f', key],
      { reject: false },
    );
    if (made.exitCode !== 0)
      throw new DevcError("Can't make an SSH host key with ssh-keygen.", {
        hint: 'Install the OpenSSH client, or run `devc doctor`.',
        details: String(made.stderr),
      });
    return {
      ssh_host_ed25519_key: await readFile(key, 'utf8'),
      'ssh_host_ed25519_key.pub': await readFile(`${key}.pub`, 'utf8'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A Secret's data, decoded. */
export function decodeSecret(data: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}
