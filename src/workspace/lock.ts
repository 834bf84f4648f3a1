import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DevcError } from '../errors.js';
import { backoff } from '../wait/backoff.js';

/** A lock folder without a readable pid is someone's half-made or half-removed lock for this long. */
export const LOCK_GRACE_MS = 30_000;

/**
 * Holds an exclusive lock (a folder holding its owner's pid) while `work` runs; waits for another
 * holder, breaks one whose owner is gone.
 *
 * The folder is made complete under a temporary name and renamed into place (a rename never replaces a
 * folder that has a file in it), so a lock is never seen without its pid. Making the folder in place and
 * writing the pid after left a moment in which a second `up` took the empty pid for a dead owner and
 * went ahead.
 */
export async function withLock<T>(
  locksDir: string,
  key: string,
  work: () => Promise<T>,
  timeoutMs = 15 * 60_000,
  /** Called once when another holder makes this call wait (to say so). */
  onWait?: () => void,
): Promise<T> {
  await mkdir(locksDir, { recursive: true, mode: 0o700 });
  const dir = path.join(locksDir, `${key.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 120)}.lock`);
  const mine = `${dir}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  await mkdir(mine, { mode: 0o700 });
  try {
    await writeFile(path.join(mine, 'pid'), String(process.pid), { mode: 0o600 });
    await acquire(mine, dir, key, Date.now() + timeoutMs, onWait);
  } catch (error) {
    await rm(mine, { recursive: true, force: true });
    throw error;
  }
  try {
    return await work();
  } finally {
    await release(dir);
  }
}

/**
 * Lets go of a held lock: moved aside first, then removed. Removing it in place would empty it for a
 * moment (its pid file first), and a waiter's rename replaces an empty folder: the removal would then
 * fail on (or take) the new holder's lock.
 */
async function release(dir: string): Promise<void> {
  const gone = `${dir}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.done`;
  const moved = await rename(dir, gone).then(
    () => true,
    () => false,
  );
  if (moved) await rm(gone, { recursive: true, force: true });
}

async function acquire(
  mine: string,
  dir: string,
  key: string,
  deadline: number,
  onWait?: () => void,
): Promise<void> {
  const wait = backoff({ first: 50, max: 500, factor: 2, deadline });
  let told = false;
  for (;;) {
    try {
      await rename(mine, dir);
      return;
    } catch (error) {
      const holder = await holderOf(dir);
      if (holder.kind === 'none') {
        // Gone already: its holder let go between the rename and the look.
        if (heldCodes.has((error as NodeJS.ErrnoException).code ?? '')) continue;
        throw error;
      }
      if (holder.kind === 'stale' && (await breakLock(dir, holder.pid))) continue;
      if (wait.expired())
        throw new DevcError(`Another devc is still working on ${key}.`, {
          hint: `If none is running, remove ${dir}.`,
        });
      if (!told) onWait?.();
      told = true;
      await wait.pause();
    }
  }
}

/** What rename says when the target folder exists. */
const heldCodes = new Set(['EEXIST', 'ENOTEMPTY']);

type Holder = { kind: 'none' } | { kind: 'live' } | { kind: 'stale'; pid: string };

/** Who holds the lock folder `dir`: nobody, a live process, or a process that is gone. */
export async function holderOf(dir: string, now = Date.now()): Promise<Holder> {
  let made: number;
  try {
    made = (await stat(dir)).mtimeMs;
  } catch {
    return { kind: 'none' };
  }
  const text = await readFile(path.join(dir, 'pid'), 'utf8').catch(() => '');
  const pid = Number(text);
  if (!/^\d+$/.test(text.trim()) || pid <= 0) {
    // A lock made by an older devc (folder first, pid after) or one cut short: live for a while.
    return now - made > LOCK_GRACE_MS ? { kind: 'stale', pid: text } : { kind: 'live' };
  }
  return processAlive(pid) ? { kind: 'live' } : { kind: 'stale', pid: text };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is another user's.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes a dead holder's lock; false when it could not be moved. It is moved aside first, so that of
 * two waiters breaking it at once only one does; if what was moved is not the lock judged dead (a new
 * holder got in meanwhile), it goes back.
 */
async function breakLock(dir: string, deadPid: string): Promise<boolean> {
  const aside = `${dir}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.stale`;
  try {
    await rename(dir, aside);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
  const pid = await readFile(path.join(aside, 'pid'), 'utf8').catch(() => '');
  // A new holder got in meanwhile: its lock goes back, unless yet another took the place.
  if (
    pid !== deadPid &&
    (await rename(aside, dir).then(
      () => true,
      () => false,
    ))
  )
    return true;
  await rm(aside, { recursive: true, force: true });
  return true;
}
