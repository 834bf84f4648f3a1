import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { withLock } from '../workspace/lock.js';

/** The name a workspace's host key is pinned under, and the SSH host alias users type. */
export const hostAlias = (workspace: string): string => `${workspace}.devc`;

/** Pins a host key for a workspace in devc's own known_hosts, replacing any older key for it. */
export async function pinHostKey(knownHosts: string, workspace: string, publicKey: string): Promise<void> {
  const [type, key] = publicKey.trim().split(/\s+/);
  if (!type || !key) throw new Error(`Not an SSH public key: ${publicKey}`);
  const alias = hostAlias(workspace);
  await exclusively(knownHosts, async () => {
    const kept = (await readLines(knownHosts)).filter((line) => line.split(/\s+/)[0] !== alias);
    kept.push(`${alias} ${type} ${key}`);
    await writeAtomic(knownHosts, `${kept.join('\n')}\n`);
  });
}

/**
 * Runs a read-change-write of the file alone: the gateway pins the keys of many new workspaces at
 * once, and two writers that both read before either wrote would lose one's key.
 */
function exclusively<T>(file: string, work: () => Promise<T>): Promise<T> {
  return withLock(path.join(path.dirname(file), '.locks'), path.basename(file), work);
}

/** True when a host key is pinned for the workspace. */
export async function isPinned(knownHosts: string, workspace: string): Promise<boolean> {
  const alias = hostAlias(workspace);
  return (await readLines(knownHosts)).some((line) => line.split(/\s+/)[0] === alias);
}

/** Forgets a workspace's host key. */
export async function unpinHostKey(knownHosts: string, workspace: string): Promise<void> {
  const alias = hostAlias(workspace);
  await exclusively(knownHosts, async () => {
    const lines = await readLines(knownHosts);
    const kept = lines.filter((line) => line.split(/\s+/)[0] !== alias);
    if (kept.length !== lines.length)
      await writeAtomic(knownHosts, kept.length ? `${kept.join('\n')}\n` : '');
  });
}

async function readLines(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  } catch {
    return [];
  }
}

async function writeAtomic(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await rename(tmp, file);
}
