import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError, environmentError } from '../../src/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'devc-env-errors-'));
  await writeFile(path.join(dir, 'a-file'), 'x');
  await mkdir(path.join(dir, 'a-folder'));
  await symlink(path.join(dir, 'loop'), path.join(dir, 'loop'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The error Node really throws for this operation. */
async function thrown(operation: () => Promise<unknown>): Promise<unknown> {
  try {
    await operation();
  } catch (error) {
    return error;
  }
  throw new Error('the operation did not fail');
}

describe('file system errors are the environment’s, not a bug in devc', () => {
  it.each([
    [
      'a file in the middle of a path (DEVC_HOME is a file)',
      () => mkdir(path.join(dir, 'a-file', 'locks'), { recursive: true }),
      () => `${path.join(dir, 'a-file')} is a file where devc needs a folder.`,
    ],
    [
      'a folder renamed over (~/.ssh/config is a folder)',
      async () => {
        await writeFile(path.join(dir, 'tmp'), 'x');
        await rename(path.join(dir, 'tmp'), path.join(dir, 'a-folder'));
      },
      () => `${path.join(dir, 'a-folder')} is a folder where devc needs a file.`,
    ],
    [
      'a folder written as a file',
      () => writeFile(path.join(dir, 'a-folder'), 'x'),
      () => `${path.join(dir, 'a-folder')} is a folder where devc needs a file.`,
    ],
    [
      'a symbolic link loop',
      () => readFile(path.join(dir, 'loop')),
      () => `${path.join(dir, 'loop')} is a loop of symbolic links.`,
    ],
  ])('%s', async (_, operation, message) => {
    const described = describeError(await thrown(operation));
    expect(described).toMatchObject({ exitCode: 1, message: message() });
    expect(described.hint).not.toMatch(/bug/);
  });

  it.each([
    ['EACCES', 'open', `Can't open /x/y: permission denied.`],
    ['EACCES', 'mkdir', `Can't write /x/y: permission denied.`],
    ['EPERM', 'scandir', `Can't read /x/y: permission denied.`],
    ['EACCES', 'spawn /x/y', `Can't run /x/y: permission denied.`],
    ['ENOSPC', 'write', 'No space left for /x/y.'],
    ['EROFS', 'open', `Can't write /x/y: the file system is read-only.`],
  ])('%s from %s', (code, syscall, message) => {
    const error = Object.assign(new Error(`${code}: …`), { code, syscall, path: '/x/y' });
    expect(describeError(error)).toMatchObject({ exitCode: 1, message });
  });

  it.each([
    ['no path', Object.assign(new Error('EACCES: …'), { code: 'EACCES' })],
    ['a code devc does not map', Object.assign(new Error('ENOENT: …'), { code: 'ENOENT', path: '/x' })],
    ['not a system error', new TypeError('x is undefined')],
  ])('%s stays a bug', (_, error) => {
    expect(environmentError(error)).toBeUndefined();
    expect(describeError(error).hint).toMatch(/bug in devc/);
  });
});
