import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { backoff, sleep } from '../wait/backoff.js';

/** True when `pid` is a live process (and, where /proc tells, a devc forwarder rather than a reused pid). */
export function isForwarderAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('forwarder-main');
  } catch {
    return true; // no /proc (macOS): the pid is alive, trust it
  }
}

export async function readPid(file: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Claims the pid file for this process; false when a live forwarder already holds it. */
export async function claimPidFile(file: string): Promise<boolean> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await readPid(file);
      if (holder === null) {
        // Being written by another starter right now, or empty from a crash: give it a moment.
        await sleep(100);
        if ((await readPid(file)) === null) await rm(file, { force: true });
        continue;
      }
      if (holder !== process.pid && isForwarderAlive(holder)) return false;
      await rm(file, { force: true });
    }
  }
  return false;
}

/** Removes the pid file if this process still holds it. */
export async function releasePidFile(file: string): Promise<void> {
  if ((await readPid(file)) === process.pid) await rm(file, { force: true });
}

/** Ends a forwarder process: SIGTERM, then SIGKILL if it is still there after five seconds. */
export async function endForwarder(pid: number): Promise<void> {
  if (!isForwarderAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const wait = backoff({ first: 50, max: 50, deadline: Date.now() + 5000 });
  while (isForwarderAlive(pid)) {
    if (wait.expired()) {
      process.kill(pid, 'SIGKILL');
      return;
    }
    await wait.pause();
  }
}

/**
 * Claims a workspace's pid file for this process, ending the forwarder that holds it if any (one
 * per-workspace forwarder of an earlier devc): resolves to that forwarder's pid, or null.
 */
export async function takeOverPidFile(file: string): Promise<number | null> {
  const holder = await readPid(file);
  const other = holder !== null && holder !== process.pid && isForwarderAlive(holder) ? holder : null;
  if (other !== null) await endForwarder(other);
  await rm(file, { force: true });
  if (!(await claimPidFile(file))) throw new Error(`another forwarder holds ${file}`);
  return other;
}
