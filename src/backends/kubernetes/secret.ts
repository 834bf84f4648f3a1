import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ed25519KeyPair } from '../../ssh/host-key.js';
import type { KubeTarget } from './client.js';
import { call } from './errors.js';

/** The secrets file (services/secrets.ts), the one Secret key a start may change. */
const SECRETS = 'secrets.env';

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
  for (const file of [
    'authorized_keys',
    'code-server-secret',
    'github-token',
    'ai.env',
    'remote.env',
    SECRETS,
  ]) {
    const content = await read(file);
    if (content !== undefined) files[file] = content;
  }
  const token = files['github-token']?.trim();
  const credential = token && cloneUrl ? gitCredential(cloneUrl, token) : undefined;
  if (credential) files['git-credentials'] = credential;
  const hostKey =
    previous?.ssh_host_ed25519_key && previous['ssh_host_ed25519_key.pub'] ? previous : makeHostKey();
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

function makeHostKey(): Record<string, string> {
  const { privateKey, publicKey } = ed25519KeyPair('devc-workspace');
  return { ssh_host_ed25519_key: privateKey, 'ssh_host_ed25519_key.pub': publicKey };
}

/** A Secret's data, decoded. */
export function decodeSecret(data: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

/** Replaces the Secret's secrets.env with the config folder's (or drops it), when they differ. */
export async function refreshSecretFile(
  target: KubeTarget,
  namespace: string,
  name: string,
  configPath: string,
): Promise<void> {
  const secret = await call('get', 'secrets', namespace, () =>
    target.core.readNamespacedSecret({ name, namespace }),
  );
  const content = await readFile(path.join(configPath, SECRETS)).catch(() => undefined);
  const data = { ...(secret.data ?? {}) };
  const encoded = content?.toString('base64');
  if (data[SECRETS] === encoded) return;
  if (encoded === undefined) delete data[SECRETS];
  else data[SECRETS] = encoded;
  await call('replace', 'secrets', namespace, () =>
    target.core.replaceNamespacedSecret({ name, namespace, body: { ...secret, data } }),
  );
}
