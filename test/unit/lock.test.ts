import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { holderOf, LOCK_GRACE_MS, withLock } from '../../src/workspace/lock.js';

let locks: string;
beforeEach(async () => {
  locks = path.join(await mkdtemp(path.join(os.tmpdir(), 'devc-lock-')), 'locks');
});
afterEach(async () => {
  await rm(path.dirname(locks), { recursive: true, force: true });
});

/** A pid that no process has: one that just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid;
}

async function plant(key: string, pid: string, ageMs = 0): Promise<string> {
  const dir = path.join(locks, `${key}.lock`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'pid'), pid);
  if (ageMs > 0) {
    const then = new Date(Date.now() - ageMs);
    await utimes(dir, then, then);
  }
  return dir;
}

/**
 * Lets go of a planted lock as a holder does: moved aside, then removed. Removing it in place empties it
 * for a moment, the waiter's rename takes the empty folder, and the removal fails with ENOTEMPTY.
 */
async function letGo(dir: string): Promise<void> {
  await rename(dir, `${dir}.gone`);
  await rm(`${dir}.gone`, { recursive: true });
}

describe('withLock', () => {
  it('waits for a lock whose pid file is still empty (being made) instead of breaking it', async () => {
    await plant('up-x', '');
    let ran = false;
    await expect(withLock(locks, 'up-x', () => Promise.resolve((ran = true)), 300)).rejects.toThrow(
      'Another devc is still working on up-x.',
    );
    expect(ran).toBe(false);
  });

  it('goes ahead once the holder of an empty-pid lock lets go', async () => {
    const dir = await plant('up-x', '');
    const order: string[] = [];
    const waiting = withLock(locks, 'up-x', () => Promise.resolve(order.push('second')));
    await new Promise((r) => setTimeout(r, 150));
    order.push('first done');
    await letGo(dir);
    await waiting;
    expect(order).toEqual(['first done', 'second']);
  });

  it('says once that it waits (an image build held by another devc), and not when it need not', async () => {
    const told: string[] = [];
    const dir = await plant('image-x', String(process.ppid));
    const waiting = withLock(
      locks,
      'image-x',
      () => Promise.resolve('built'),
      5000,
      () => told.push('wait'),
    );
    await new Promise((r) => setTimeout(r, 400));
    await letGo(dir);
    await expect(waiting).resolves.toBe('built');
    expect(told).toEqual(['wait']);
    await withLock(
      locks,
      'image-x',
      () => Promise.resolve(),
      5000,
      () => told.push('again'),
    );
    expect(told).toEqual(['wait']);
  });

  it('waits for a live holder', async () => {
    await plant('up-x', String(process.ppid));
    await expect(withLock(locks, 'up-x', () => Promise.resolve(1), 300)).rejects.toThrow(
      /Another devc is still working on up-x\./,
    );
  });

  it.each([
    ['a dead pid', () => String(deadPid()), 0],
    ['an empty pid past the grace period', () => '', LOCK_GRACE_MS + 5000],
    ['a garbage pid past the grace period', () => 'x', LOCK_GRACE_MS + 5000],
  ])('breaks a lock with %s, and leaves nothing behind', async (_, pid, age) => {
    await plant('up-x', pid(), age);
    await expect(withLock(locks, 'up-x', () => Promise.resolve('ran'), 5000)).resolves.toBe('ran');
    expect(await readdir(locks)).toEqual([]);
  });

  it('lets one holder in at a time when many start at once (the race of two `up`s)', async () => {
    let inside = 0;
    let most = 0;
    const work = async (): Promise<void> => {
      inside += 1;
      most = Math.max(most, inside);
      await new Promise((r) => setTimeout(r, 5));
      inside -= 1;
    };
    await Promise.all(Array.from({ length: 6 }, () => withLock(locks, 'up-x', work)));
    expect(most).toBe(1);
    expect(await readdir(locks)).toEqual([]);
  });

  it('hands over cleanly when holders come and go quickly (a release never meets the next holder)', async () => {
    let inside = 0;
    let most = 0;
    const work = async (): Promise<void> => {
      inside += 1;
      most = Math.max(most, inside);
      await Promise.resolve();
      inside -= 1;
    };
    for (let round = 0; round < 5; round++)
      await Promise.all(Array.from({ length: 30 }, () => withLock(locks, 'known_hosts', work)));
    expect(most).toBe(1);
    expect(await readdir(locks)).toEqual([]);
  });

  it('makes the locks folder private and releases the lock when the work fails', async () => {
    await expect(withLock(locks, 'up-x', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await stat(locks)).mode & 0o777).toBe(0o700);
    expect(await readdir(locks)).toEqual([]);
  });
});

describe('holderOf', () => {
  it.each([
    ['no folder', 'none', undefined, 0],
    ['a live pid', 'live', String(process.pid), 0],
    ['a dead pid', 'stale', 'dead', 0],
    ['an empty pid, fresh', 'live', '', 0],
    ['an empty pid, old', 'stale', '', LOCK_GRACE_MS + 5000],
  ])('%s → %s', async (_, kind, pid, age) => {
    const dir =
      pid === undefined
        ? path.join(locks, 'none.lock')
        : await plant('k', pid === 'dead' ? String(deadPid()) : pid, age);
    expect((await holderOf(dir)).kind).toBe(kind);
  });
});
