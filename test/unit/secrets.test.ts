// Secrets: the secrets file's formats, what devc writes for the agent, what the agent makes of it
// (images/agent/lib/devc-agent/secrets.sh, run for the current user), and masking.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SECRETS_IN_WORKSPACE, withSecretHooks, withSecrets } from '../../src/devcontainer/secret-hooks.js';
import { writeSecrets } from '../../src/services/secrets.js';
import { maskSecrets, secretValues } from '../../src/workspace/secret-values.js';
import { parseDotenv, parseJsonSecrets, readSecretsFile } from '../../src/workspace/secrets-file.js';

const LIB = path.resolve('images/agent/lib/devc-agent');
const temps: string[] = [];
afterEach(() => temps.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devc-secrets-'));
  temps.push(dir);
  return dir;
}

describe('dotenv secrets files', () => {
  it.each([
    ['A=1', { A: '1' }],
    ['export A=1\n\n# comment\nB = two words  # note', { A: '1', B: 'two words' }],
    [`A='single # kept'`, { A: 'single # kept' }],
    ['A="line1\\nline2"', { A: 'line1\nline2' }],
    ['A="multi\nline"\nB=x', { A: 'multi\nline', B: 'x' }],
    ["A='no \\n here'", { A: 'no \\n here' }],
    ['A=', { A: '' }],
    ['A=x\r\nB=y\r\n', { A: 'x', B: 'y' }],
    ['A=a"b$c', { A: 'a"b$c' }],
  ])('%j', (text, expected) => {
    expect(parseDotenv(text)).toEqual(expected);
  });

  it.each([
    ['A=1\nnot an assignment', /does not parse at line 2: expected NAME=value/],
    ['A=1\n\n1BAD=x', /line 3: "1BAD" is not a valid secret name/],
    ['MY-SECRET=x', /"MY-SECRET" is not a valid secret name/],
  ])('refuses %j', (text, message) => {
    expect(() => parseDotenv(text)).toThrow(message);
  });
});

describe('JSON secrets files', () => {
  it('reads an object of strings', () => {
    expect(parseJsonSecrets('{"A": "x y", "B_2": "\\"q\\""}')).toEqual({ A: 'x y', B_2: '"q"' });
  });
  it.each([
    ['{"A": 1}', /gives A a value that is not a string/],
    ['["A"]', /is not a JSON object/],
    ['{"A": ', /is not valid JSON/],
    ['{"bad name": "x"}', /"bad name" is not a valid secret name/],
  ])('refuses %j', (text, message) => {
    expect(() => parseJsonSecrets(text)).toThrow(message);
  });

  it('names the file, never a value, and exits 2', async () => {
    const file = path.join(tempDir(), 'secrets.json');
    writeFileSync(file, '{"A": "hunter2", "B": 3}');
    const error = (await readSecretsFile(file).catch((e: unknown) => e)) as Error & { exitCode: number };
    expect(error.message).toBe(`The secrets file ${file} gives B a value that is not a string.`);
    expect(error.exitCode).toBe(2);
    await expect(readSecretsFile(path.join(tempDir(), 'missing'))).rejects.toThrow(
      /Can't read the secrets file/,
    );
  });
});

const SOURCE = `if [ -r ${SECRETS_IN_WORKSPACE} ]; then . ${SECRETS_IN_WORKSPACE}; fi`;
const TRICKY = `it's "quoted" \\ $HOME \`x\` %h 100%`;

/** Writes the secrets as devc does, then runs the agent's secrets step on them (rootless: as this user). */
function agentSecrets(secrets: Record<string, string>) {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'config'));
  mkdirSync(path.join(dir, 'run'));
  return writeSecrets(dir, { secrets }).then(() => {
    const r = spawnSync(
      'sh',
      [
        '-c',
        '. "$0/common.sh"; . "$0/secrets.sh"; secrets; printf "%s" "$SECRETS_SETENV" >"$RUN_DIR/setenv"',
        LIB,
      ],
      {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          CONF: path.join(dir, 'config'),
          RUN_DIR: path.join(dir, 'run'),
          ROOTLESS: '1',
          USER_NAME: 'dev',
          USER_UID: String(process.getuid?.() ?? 0),
          USER_GID: String(process.getgid?.() ?? 0),
        },
      },
    );
    return { dir, ...r };
  });
}

describe('the secrets a workspace gets (devc writes, the agent reads at every start)', () => {
  it('keeps every value exactly, in a file only the user reads; names and values never logged', async () => {
    const secrets = { TRICKY, MULTI: 'a\nb\n', EMPTY: '' };
    const r = await agentSecrets(secrets);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      'devc-agent: warning: secret MULTI has several lines; SSH sessions get it from login shells only\n' +
        'devc-agent: 3 secret(s) passed to dev\n',
    );
    const file = path.join(r.dir, 'config', 'secrets.env');
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect(readFileSync(file, 'utf8')).not.toContain('quoted');
    const sh = path.join(r.dir, 'run', 'secrets.sh');
    expect((statSync(sh).mode & 0o777).toString(8)).toBe('600');
    const env = spawnSync('sh', ['-c', '. "$0"; printf "%s|%s|%s" "$TRICKY" "$MULTI" "$EMPTY"', sh], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: '/nonexistent' },
    });
    // $(...) drops a value's trailing newlines; the rest comes through as it was.
    expect(env.stdout).toBe(`${TRICKY}|a\nb|`);
    expect(readFileSync(path.join(r.dir, 'run', 'setenv'), 'utf8')).toBe(
      ' "TRICKY=it\'s \\"quoted\\" \\\\ $HOME `x` %h 100%" "EMPTY="',
    );
  });

  it('writes nothing when there are no secrets (and removes what a previous start had)', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'config'));
    await writeSecrets(dir, { secrets: { A: 'xyz' } });
    await writeSecrets(dir, { secrets: {} });
    expect(() => statSync(path.join(dir, 'config', 'secrets.env'))).toThrow(/ENOENT/);
  });
});

describe('masking', () => {
  it('replaces each value, and each line of a multi-line one; short values are left', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'config'));
    await writeSecrets(dir, { secrets: { A: 's3cr3t-value', B: 'line-one\nline-two', C: 'ab' } });
    const values = await secretValues(path.join(dir, 'config'));
    expect(maskSecrets('got s3cr3t-value and line-two; ab stays', values)).toBe('got *** and ***; ab stays');
  });
});

describe('commands run with the secrets (exec, lifecycle hooks)', () => {
  it.each([
    ['a string', 'echo hi', `${SOURCE}; echo hi`],
    ['an argv', ['npm', 'ci'], ['/bin/sh', '-c', `${SOURCE}; exec "$@"`, 'devc', 'npm', 'ci']],
    [
      'an object of both',
      { a: 'make', b: ['x'] },
      { a: `${SOURCE}; make`, b: ['/bin/sh', '-c', `${SOURCE}; exec "$@"`, 'devc', 'x'] },
    ],
    ['an empty argv (left as it is)', [], []],
  ])('wraps %s', (_what, hook, wrapped) => {
    const config = withSecretHooks({ image: 'x', postCreateCommand: hook, remoteUser: 'dev' });
    expect(config).toEqual({ image: 'x', postCreateCommand: wrapped, remoteUser: 'dev' });
    // Once only: a label devc's own build wrote is wrapped already, and is read again on every start.
    expect(withSecretHooks(config)).toEqual(config);
  });

  it('keeps the argv exactly and sources the file when it is readable', () => {
    const dir = tempDir();
    const file = path.join(dir, 'secrets.sh');
    writeFileSync(file, "export MYSECRET='a b'\n");
    const [sh, flag, script, ...rest] = withSecrets([
      'sh',
      '-c',
      'printf "%s|%s" "$MYSECRET" "$1"',
      'x',
      'arg one',
    ]);
    const run = (source: string) =>
      spawnSync(sh ?? '', [flag ?? '', (script ?? '').split(SECRETS_IN_WORKSPACE).join(source), ...rest], {
        encoding: 'utf8',
      });
    expect(run(file).stdout).toBe('a b|arg one');
    expect(run(path.join(dir, 'missing')).stdout).toBe('|arg one');
  });
});
