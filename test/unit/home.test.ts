import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureHome } from '../../src/home.js';
import { resolvePaths } from '../../src/paths.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'devc-home-unit-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

describe('ensureHome', () => {
  it('makes DEVC_HOME and its folders 0700 whatever the umask', async () => {
    const paths = resolvePaths({ DEVC_HOME: path.join(tmp, 'new', 'devc') });
    const before = process.umask(0);
    try {
      await ensureHome(paths);
    } finally {
      process.umask(before);
    }
    for (const dir of [paths.home, paths.workspacesDir, paths.logsDir, paths.locksDir])
      expect(await mode(dir), dir).toBe(0o700);
    expect((await readdir(paths.home)).sort()).toEqual(['locks', 'logs', 'workspaces']);
  });

  it("tightens devc's own folders but leaves a DEVC_HOME the user made as it is", async () => {
    const paths = resolvePaths({ DEVC_HOME: path.join(tmp, 'mine') });
    await mkdir(paths.home);
    await chmod(paths.home, 0o755);
    await mkdir(paths.workspacesDir);
    await chmod(paths.workspacesDir, 0o755);
    await ensureHome(paths);
    expect(await mode(paths.home)).toBe(0o755);
    expect(await mode(paths.workspacesDir)).toBe(0o700);
  });

  it('says so when DEVC_HOME is a file', async () => {
    const file = path.join(tmp, 'a-file');
    await writeFile(file, 'x');
    await expect(ensureHome(resolvePaths({ DEVC_HOME: file }))).rejects.toMatchObject({
      message: `DEVC_HOME (${file}) is not a folder.`,
      exitCode: 1,
    });
  });

  it("says so when one of devc's folders is a file", async () => {
    const paths = resolvePaths({ DEVC_HOME: tmp });
    await writeFile(paths.logsDir, 'x');
    await expect(ensureHome(paths)).rejects.toThrow(`${paths.logsDir} is not a folder.`);
  });
});
