import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DevcError } from '../errors.js';

/** Holds an exclusive lock (a directory) while `work` runs; waits for another holder, breaks stale ones. */
export async function withLock<T>(
  locksDir: string,
  key: string,
  work: () => Promise<T>,
  timeoutMs = 15 * 60_000,
): Promise<T> {
  await mkdir(locksDir, { recursive: true });
  const dir = path.join(locksDir, `${key.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 120)}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    try {
      await mkdir(dir);
      await writeFile(path.join(dir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await isStale(dir)) {
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new DevcError(`Another devc is still working on ${key}.`, {
          hint: `If none is running, remove ${dir}.`,
        });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  try {
    return await work();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function isStale(dir: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number(await readFile(path.join(dir, 'pid'), 'utf8'));
  } catch {
    return false; // being created right now
  }
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
