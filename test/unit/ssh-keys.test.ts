import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths, type Paths } from '../../src/paths.js';
import { ensureKeyPair, requireKey } from '../../src/ssh/keys.js';

let paths: Paths;
beforeEach(async () => {
  paths = resolvePaths({ DEVC_HOME: await mkdtemp(path.join(os.tmpdir(), 'devc-keys-')) });
});
afterEach(async () => {
  await rm(paths.home, { recursive: true, force: true });
});

describe("devc's SSH key", () => {
  it('is made once, private to the user', async () => {
    const line = await ensureKeyPair(paths);
    expect(line).toMatch(/^ssh-ed25519 \S+ devc$/);
    expect((await stat(paths.privateKey)).mode & 0o777).toBe(0o600);
    expect(await ensureKeyPair(paths)).toBe(line);
  });

  it('made by several devc at once on a fresh home: every one gets the same key (CI jobs, scripts)', async () => {
    const lines = await Promise.all(Array.from({ length: 8 }, () => ensureKeyPair(paths)));
    const keyOf = (text: string): string => text.split(' ').slice(0, 2).join(' ');
    expect(new Set(lines.map(keyOf)).size).toBe(1);
    expect(keyOf(await readFile(`${paths.privateKey}.pub`, 'utf8'))).toBe(keyOf(lines[0]!));
  });

  it('gets its public half back from the private one', async () => {
    const line = await ensureKeyPair(paths);
    await rm(`${paths.privateKey}.pub`);
    const keyOf = (text: string): string => text.split(' ').slice(0, 2).join(' ');
    expect(keyOf(await ensureKeyPair(paths))).toBe(keyOf(line));
    expect(keyOf(await readFile(`${paths.privateKey}.pub`, 'utf8'))).toBe(keyOf(line));
  });

  it('missing: says what happened and names the rebuild that fixes it', async () => {
    await expect(requireKey(paths, 'shop')).rejects.toMatchObject({
      message: `devc's SSH key ${paths.privateKey} is missing, so shop can't be reached over SSH.`,
      hint: expect.stringContaining('`devc rebuild -w shop`'),
      exitCode: 1,
    });
    await ensureKeyPair(paths);
    await expect(requireKey(paths, 'shop')).resolves.toBeUndefined();
  });
});
