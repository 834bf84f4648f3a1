import { chmod, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/context.js';
import { credentialsFile } from '../../src/credentials/keychain.js';
import { checkSecretName, secretScope, storedSecrets } from '../../src/credentials/secrets.js';
import { resolveToken, TOKEN_ACCOUNT } from '../../src/credentials/token.js';
import { setSecret } from '../../src/services/secret.js';
import { testIO } from './support/io.js';
import { memoryKeychain } from './support/keychain.js';

/** A context with its own DEVC_HOME, an in-memory keychain (working or broken) and `gh` from `ghScript`. */
async function context(options: { broken?: boolean; env?: NodeJS.ProcessEnv; ghScript?: string } = {}) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'devc-cred-'));
  const bin = path.join(root, 'bin');
  await import('node:fs/promises').then((fs) => fs.mkdir(bin));
  if (options.ghScript) {
    await writeFile(path.join(bin, 'gh'), `#!/bin/sh\n${options.ghScript}\n`);
    await chmod(path.join(bin, 'gh'), 0o755);
  }
  const memory = memoryKeychain({ broken: options.broken ?? false });
  const t = testIO();
  const env = { DEVC_HOME: path.join(root, 'home'), PATH: `${bin}:/usr/bin:/bin`, ...options.env };
  const ctx = createContext({ io: t.io, env, systemKeychain: memory.system });
  return { ctx, t, memory, file: credentialsFile(ctx.paths) };
}

describe('the keychain and its fallback file', () => {
  it('keeps values in the OS keychain when it answers, and writes no file', async () => {
    const { ctx, t, memory, file } = await context();
    const keychain = await ctx.keychain();
    expect(await keychain.set(TOKEN_ACCOUNT, 'ghp_one')).toBe('keychain');
    expect(memory.entries.get(TOKEN_ACCOUNT)).toBe('ghp_one');
    expect(await keychain.get(TOKEN_ACCOUNT)).toEqual({ value: 'ghp_one', store: 'keychain' });
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    expect(t.stderr()).toBe('');
  });

  it('falls back to a 0600 file only after one warning line, and reads and deletes there', async () => {
    const { ctx, t, file } = await context({ broken: true });
    const keychain = await ctx.keychain();
    expect(await keychain.get(TOKEN_ACCOUNT)).toBeUndefined();
    expect(t.stderr()).toBe(''); // nothing used yet, nothing to warn about
    expect(await keychain.set(TOKEN_ACCOUNT, 'ghp_two')).toBe('file');
    expect(await keychain.set('secret/*/A', 'x')).toBe('file');
    expect(t.stderr().trim().split('\n')).toEqual([
      `! No OS keychain answers (the Secret Service has no unlocked keyring): devc uses ${file} (mode 0600) instead.`,
    ]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      [TOKEN_ACCOUNT]: 'ghp_two',
      'secret/*/A': 'x',
    });
    expect(await keychain.get(TOKEN_ACCOUNT)).toEqual({ value: 'ghp_two', store: 'file' });
    expect(await keychain.accounts()).toEqual([TOKEN_ACCOUNT, 'secret/*/A']);
    expect(await keychain.delete(TOKEN_ACCOUNT)).toBe(true);
    expect(await keychain.delete(TOKEN_ACCOUNT)).toBe(false);
    expect(await keychain.probe()).toEqual({
      reachable: false,
      reason: 'the Secret Service has no unlocked keyring',
    });
  });

  it('moves a value out of the file once the keychain takes it', async () => {
    const { ctx, memory, file } = await context();
    await import('node:fs/promises').then((fs) => fs.mkdir(ctx.paths.home, { recursive: true }));
    await writeFile(file, JSON.stringify({ [TOKEN_ACCOUNT]: 'old', other: 'kept' }), { mode: 0o600 });
    await (await ctx.keychain()).set(TOKEN_ACCOUNT, 'new');
    expect(memory.entries.get(TOKEN_ACCOUNT)).toBe('new');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ other: 'kept' });
  });

  it('says which file is broken', async () => {
    const { ctx, file } = await context({ broken: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(ctx.paths.home, { recursive: true }));
    await writeFile(file, '{ nope');
    await expect((await ctx.keychain()).get(TOKEN_ACCOUNT)).rejects.toThrow(
      /credentials.json is not valid JSON/,
    );
  });
});

describe('resolveToken: GITHUB_TOKEN, GH_TOKEN, the keychain, then gh', () => {
  it.each([
    [{ GITHUB_TOKEN: 'env1', GH_TOKEN: 'env2' }, true, 'env1', 'GITHUB_TOKEN'],
    [{ GH_TOKEN: 'env2' }, true, 'env2', 'GH_TOKEN'],
    [{}, true, 'stored', 'keychain'],
    [{ GITHUB_TOKEN: '' }, false, 'from-gh', 'gh'],
  ])('env %j, stored %s → %s from %s', async (env, stored, token, source) => {
    const { ctx } = await context({ env, ghScript: '[ "$1 $2" = "auth token" ] && echo from-gh' });
    if (stored) await (await ctx.keychain()).set(TOKEN_ACCOUNT, 'stored');
    expect(await resolveToken(ctx)).toEqual({ token, source });
  });

  it('is undefined when gh is there but logged out, or not there at all', async () => {
    const loggedOut = await context({ ghScript: 'echo "not logged in" >&2; exit 1' });
    expect(await resolveToken(loggedOut.ctx)).toBeUndefined();
    const none = await context();
    expect(await resolveToken(none.ctx)).toBeUndefined();
  });

  it('names the fallback file as the source when that is where the token is', async () => {
    const { ctx } = await context({ broken: true });
    await (await ctx.keychain()).set(TOKEN_ACCOUNT, 'in-file');
    expect(await resolveToken(ctx)).toEqual({ token: 'in-file', source: 'file' });
  });
});

describe('secret names and scopes', () => {
  it.each(['NPM_TOKEN', '_x', 'a1', 'Db_Password'])('%s is a valid name', (name) => {
    expect(() => checkSecretName(name)).not.toThrow();
  });
  it.each([
    ['1ABC', /not a valid secret name/],
    ['MY-TOKEN', /not a valid secret name/],
    ['A B', /not a valid secret name/],
    ['', /not a valid secret name/],
    ['DEVC_HOME', /can't start with DEVC_/],
    ['github_token', /can't start with GITHUB_/],
  ])('%j is refused', (name, message) => {
    expect(() => checkSecretName(name)).toThrow(message);
  });

  it('normalises every reference form to the clone URL, and refuses local folders', () => {
    const ctx = { env: { DEVC_GITHUB_URL: 'http://127.0.0.1:9/' }, cwd: '/tmp' };
    const url = secretScope(ctx, 'acme/shop');
    expect(url).toBe(secretScope(ctx, 'github/acme/shop'));
    expect(url).toBe(secretScope(ctx, 'acme/shop@dev'));
    expect(secretScope(ctx, undefined)).toBeUndefined();
    expect(() => secretScope(ctx, './shop')).toThrow(/not a local folder/);
  });

  it("gives a workspace every repository's secrets overlaid by its repository's own", async () => {
    const { ctx } = await context();
    const shop = secretScope(ctx, 'acme/shop');
    await setSecret(ctx, 'NPM_TOKEN', undefined, 'all-npm');
    await setSecret(ctx, 'DB', undefined, 'all-db');
    await setSecret(ctx, 'DB', shop, 'shop-db');
    await setSecret(ctx, 'OTHER', secretScope(ctx, 'acme/blog'), 'blog');
    expect(await storedSecrets(ctx, shop)).toEqual({ NPM_TOKEN: 'all-npm', DB: 'shop-db' });
    expect(await storedSecrets(ctx, undefined)).toEqual({ NPM_TOKEN: 'all-npm', DB: 'all-db' });
  });
});

describe('reading a value', () => {
  it('asks at a terminal without echo; backspace edits; Enter ends', async () => {
    const { readSecretValue } = await import('../../src/ui/secret-input.js');
    const t = testIO({ tty: true });
    const answer = readSecretValue(t.io, 'Value of X:', new AbortController().signal);
    t.io.stdin.push('s3cx\u007fret\r');
    expect(await answer).toBe('s3cret');
    expect(t.stderr()).toBe('Value of X: \n');
  });

  it('cancels on Ctrl-C, and reads all of a pipe without its last newline', async () => {
    const { readSecretValue } = await import('../../src/ui/secret-input.js');
    const tty = testIO({ tty: true });
    const cancelled = readSecretValue(tty.io, 'Token:', new AbortController().signal);
    tty.io.stdin.push('abc\u0003');
    await expect(cancelled).rejects.toThrow(/Cancelled/);
    const pipe = testIO();
    const piped = readSecretValue(pipe.io, 'Token:', new AbortController().signal);
    pipe.io.stdin.push('line one\nline two\n');
    pipe.io.stdin.push(null);
    expect(await piped).toBe('line one\nline two');
    const empty = testIO();
    const none = readSecretValue(empty.io, 'Token:', new AbortController().signal);
    empty.io.stdin.push('\n');
    empty.io.stdin.push(null);
    await expect(none).rejects.toThrow(/The value is empty/);
  });
});
