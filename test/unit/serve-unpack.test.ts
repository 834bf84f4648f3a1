import { lstat, mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { tarGz, type ArchiveEntry } from '../e2e/support/archive.js';
import {
  checkLinkChains,
  entryPath,
  linkTarget,
  unpackTarGz,
  UploadRefused,
} from '../../src/serve/unpack.js';

type Entry = ArchiveEntry;
const archive = tarGz;

const dirs: string[] = [];
async function unpack(bytes: Buffer, limits = { maxBytes: 1 << 20, maxEntries: 100 }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-unpack-'));
  dirs.push(dir);
  await unpackTarGz(Readable.from([bytes]), dir, limits);
  return dir;
}
async function refusal(
  bytes: Buffer,
  limits?: { maxBytes: number; maxEntries: number },
): Promise<UploadRefused> {
  const error: unknown = await unpack(bytes, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UploadRefused);
  return error as UploadRefused;
}

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('entryPath and linkTarget', () => {
  it.each(['/etc/passwd', '../x', 'a/../../x', 'a/..', 'a\0b'])('refuses %j', (name) => {
    expect(() => entryPath(name)).toThrow(UploadRefused);
  });
  it.each([
    ['./a/b/', 'a/b'],
    ['a//b', 'a/b'],
    ['.', ''],
  ])('reads %j as %j', (name, want) => expect(entryPath(name)).toBe(want));
  it('keeps links inside the folder', () => {
    expect(linkTarget('a/l', '../b')).toBe('b');
    expect(() => linkTarget('a/l', '../../b')).toThrow(UploadRefused);
    expect(() => linkTarget('l', '/etc')).toThrow(UploadRefused);
  });
  it('refuses a link read through another link, in either order', () => {
    expect(() =>
      checkLinkChains(
        new Map([
          ['e', 'd/..'],
          ['d', '.'],
        ]),
      ),
    ).toThrow(/through its link d/);
    expect(() =>
      checkLinkChains(
        new Map([
          ['a', 'b'],
          ['b', 'c'],
        ]),
      ),
    ).not.toThrow();
  });
});

describe('unpackTarGz', () => {
  it('unpacks files, folders, inner links and hard links; drops setuid bits', async () => {
    const dir = await unpack(
      await archive([
        { name: 'shop/', type: 'directory' },
        { name: 'shop/README.md', body: '# shop\n', mode: 0o4755 },
        { name: 'shop/docs/a.txt', body: 'a' },
        { name: 'shop/link', type: 'symlink', linkname: 'docs/a.txt' },
        { name: 'shop/hard', type: 'link', linkname: 'shop/docs/a.txt' },
      ]),
    );
    expect(await readFile(path.join(dir, 'shop/README.md'), 'utf8')).toBe('# shop\n');
    expect((await lstat(path.join(dir, 'shop/README.md'))).mode & 0o7777).toBe(0o755);
    expect(await readlink(path.join(dir, 'shop/link'))).toBe('docs/a.txt');
    expect(await readFile(path.join(dir, 'shop/hard'), 'utf8')).toBe('a');
  });

  it.each<[string, Entry[], RegExp]>([
    ['absolute', [{ name: '/tmp/x', body: 'x' }], /absolute/],
    ['..', [{ name: 'a/../../x', body: 'x' }], /out of the folder/],
    ['symlink out', [{ name: 'l', type: 'symlink', linkname: '../../etc' }], /points out/],
    ['absolute symlink', [{ name: 'l', type: 'symlink', linkname: '/etc' }], /absolute path/],
    [
      'write through a link',
      [
        { name: 'd', type: 'directory' },
        { name: 'l', type: 'symlink', linkname: 'd' },
        { name: 'l/x', body: 'x' },
      ],
      /through its own link/,
    ],
    ['hard link out', [{ name: 'h', type: 'link', linkname: '../etc/passwd' }], /out of the folder/],
    ['hard link to nothing', [{ name: 'h', type: 'link', linkname: 'etc/passwd' }], /not to a file/],
    ['device', [{ name: 'tty', type: 'character-device' }], /only files, folders and links/],
    ['fifo', [{ name: 'p', type: 'fifo' }], /only files, folders and links/],
    [
      'a name twice',
      [
        { name: 'a', body: '1' },
        { name: 'a', body: '2' },
      ],
      /twice/,
    ],
  ])('refuses %s with a 400', async (_what, entries, message) => {
    const error = await refusal(await archive(entries));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });

  it('refuses what is not a .tar.gz (400), and stops a bomb or too many files at the limit (413)', async () => {
    expect((await refusal(Buffer.from('PK\x03\x04 a zip, not a tar.gz'))).status).toBe(400);
    expect((await refusal(gzipSync(Buffer.from('not a tar at all, just text'.repeat(40))))).status).toBe(400);
    const bomb = await archive([{ name: 'zeros', body: Buffer.alloc(4 << 20) }]);
    expect(bomb.length).toBeLessThan(16 * 1024);
    const big = await refusal(bomb, { maxBytes: 1 << 20, maxEntries: 10 });
    expect(big.status).toBe(413);
    const many = await refusal(
      await archive(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, body: 'x' }))),
      { maxBytes: 1 << 20, maxEntries: 10 },
    );
    expect(many.status).toBe(413);
    expect(many.message).toContain('--max-upload-files');
  });

  it('writes nothing outside the folder it was given', async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'devc-unpack-parent-'));
    dirs.push(parent);
    const error = await unpackTarGz(
      Readable.from([await archive([{ name: '../escape', body: 'x' }])]),
      parent,
      { maxBytes: 1 << 20, maxEntries: 10 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadRefused);
    expect(await readdir(path.dirname(parent))).not.toContain('escape');
  });
});
