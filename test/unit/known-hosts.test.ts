import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isPinned, pinHostKey, unpinHostKey } from '../../src/ssh/known-hosts.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('pinHostKey', () => {
  it('keeps every key when many workspaces are pinned at once (the gateway makes 20 together)', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'devc-known-'));
    const file = path.join(dir, 'ssh', 'known_hosts');
    const names = Array.from({ length: 8 }, (_, i) => `w${i}`);
    await Promise.all(names.map((n) => pinHostKey(file, n, `ssh-ed25519 AAAA${n}`)));
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines.sort()).toEqual(names.map((n) => `${n}.devc ssh-ed25519 AAAA${n}`).sort());
    await Promise.all(names.slice(0, 4).map((n) => unpinHostKey(file, n)));
    for (const n of names) expect(await isPinned(file, n), n).toBe(names.indexOf(n) >= 4);
  }, 60_000);
});
