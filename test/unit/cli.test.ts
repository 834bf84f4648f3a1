import { describe, expect, it } from 'vitest';
import { handleError, main } from '../../src/cli.js';
import { createContext } from '../../src/context.js';
import { CancelledError, UsageError } from '../../src/errors.js';
import { testIO } from './support/io.js';

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const t = testIO({ env });
  const code = await main(argv, { io: t.io, env: { DEVC_HOME: '/nonexistent/devc-unit', ...env } });
  return { code, stdout: t.stdout(), stderr: t.stderr() };
}

describe('flag parsing and exit codes', () => {
  it('--version prints the version on stdout and exits 0', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([['up'], ['list'], ['ssh'], ['exec'], ['delete'], ['doctor'], ['images'], ['prebuild']])(
    '%s --help has examples',
    async (cmd) => {
      const r = await run([cmd, '--help']);
      expect(r.code).toBe(0);
      if (cmd !== 'images') expect(r.stdout).toContain('Examples:');
    },
  );

  it.each([
    [['frobnicate'], 2],
    [['up', '--variant', 'cobol', 'acme/x'], 2],
    [['up', '--backend', 'moon', 'acme/x'], 2],
    [['up', 'not a ref!'], 2],
    [['up', '--name', 'Bad_Name', 'acme/x'], 2],
    [['list', '--bogus'], 2],
    [['ssh', '-A', '--stdio', 'shop.devc'], 2],
    [['code', '--web', '--ide', 'cursor'], 2],
    [['code', '--ide', 'emacs'], 2],
    [['up', '--ide', 'emacs', 'acme/x'], 2],
    [['prebuild', '--platform', 'amd64'], 2],
    [['prebuild', '--registry', 'not a registry!'], 2],
    [['up', '--builder', 'remote', 'acme/x'], 2],
    [['up', '--builder', 'cluster', 'acme/x'], 2],
    [['ssh', '-A', '-w', 'shop'], 1],
  ])('%j exits %i', async (argv, code) => {
    const r = await run(argv);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
  });

  it('ssh -A without an agent: one line saying so, before any workspace is looked for', async () => {
    const r = await run(['ssh', '-A', '-w', 'shop', '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('There is no ssh-agent to forward: SSH_AUTH_SOCK is not set.');
  });

  it('up reads --secrets-file (or DEVC_SECRETS_FILE) before anything else: a missing one exits 2', async () => {
    const flag = await run(['up', 'acme/x', '--secrets-file', '/nonexistent/s.env']);
    expect([flag.code, flag.stderr]).toEqual([
      2,
      expect.stringContaining("Can't read the secrets file /nonexistent/s.env"),
    ]);
    const env = await run(['up', 'acme/x'], { DEVC_SECRETS_FILE: '/nonexistent/e.env' });
    expect([env.code, env.stderr]).toEqual([
      2,
      expect.stringContaining("Can't read the secrets file /nonexistent/e.env"),
    ]);
    const help = await run(['up', '--help']);
    expect(help.stdout).toMatch(/--dotfiles <repo>[\s\S]*DEVC_DOTFILES[\s\S]*--secrets-file <file>/);
  });

  it('up --json on a usage error prints the error object on stdout', async () => {
    const r = await run(['up', 'not a ref!', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({
      outcome: 'error',
      message: expect.stringContaining('not a repository reference'),
    });
  });

  it('prints no escape sequences when not a terminal', async () => {
    const r = await run(['up', 'not a ref!']);
    expect(r.stderr).not.toContain('\u001b[');
  });
});

describe('the top-level handler with --json', () => {
  /** Runs the handler on `error`, after Ctrl-C when `aborted`. */
  function handled(error: unknown, aborted: boolean) {
    const t = testIO();
    const abort = new AbortController();
    if (aborted) abort.abort();
    const ctx = createContext({ io: t.io, env: {}, signal: abort.signal });
    const code = handleError(ctx, error, true);
    return { code, stdout: t.stdout(), stderr: t.stderr() };
  }

  it.each([
    [
      'Ctrl-C (the work rejects with an AbortError)',
      new DOMException('aborted', 'AbortError'),
      true,
      130,
      'Cancelled.',
      '',
    ],
    [
      'a declined question',
      new CancelledError('Cancelled: not trusted.'),
      false,
      130,
      'Cancelled: not trusted.',
      '',
    ],
    ['a usage error', new UsageError('Bad.', { hint: 'Do this.' }), false, 2, 'Bad.', 'Do this.'],
  ])('%s: one line of JSON on stdout, exit %i', (_, error, aborted, exitCode, message, hint) => {
    const r = handled(error, aborted);
    expect(r.code).toBe(exitCode);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual({ outcome: 'error', message, hint });
    expect(r.stderr).toContain(message);
  });
});
