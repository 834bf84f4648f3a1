import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ed25519KeyPair } from '../../src/ssh/host-key.js';

describe('ed25519KeyPair', () => {
  it('writes a private key OpenSSH reads, whose public key is the one it returns', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devc-host-key-'));
    try {
      const pair = ed25519KeyPair('devc-workspace');
      const file = path.join(dir, 'key');
      writeFileSync(file, pair.privateKey, { mode: 0o600 });
      // ssh-keygen derives the public key from the private one: both halves must agree.
      const derived = execFileSync('ssh-keygen', ['-y', '-f', file]).toString().trim();
      expect(pair.publicKey).toBe(`${derived.split(' ').slice(0, 2).join(' ')} devc-workspace\n`);
      expect(execFileSync('ssh-keygen', ['-l', '-f', file]).toString()).toMatch(/^256 SHA256:.* \(ED25519\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes a new pair every time', () => {
    expect(ed25519KeyPair('a').publicKey).not.toBe(ed25519KeyPair('a').publicKey);
  });
});
