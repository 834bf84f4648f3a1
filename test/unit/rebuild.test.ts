import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rebuild } from '../../src/services/rebuild.js';
import type { Workspace } from '../../src/workspace/model.js';
import { serviceContext, sshGreeter } from './support/context.js';
import { FakeBackend, FakeClusterBackend, fakeWorkspace } from './support/fake-backend.js';

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

const CONFIG = '.devcontainer/devcontainer.json';

/** A workspace `shop` on `backend` whose source (in the temp folder) holds `config` as its devcontainer.json. */
async function setUp(backend: FakeBackend, config: string | undefined, extra: Partial<Workspace> = {}) {
  const greeter = await sshGreeter();
  closers.push(greeter.close);
  backend.sshPort = greeter.port;
  const made = await serviceContext(backend);
  const source = path.join(made.root, 'shop');
  await mkdir(path.join(source, '.devcontainer'), { recursive: true });
  if (config !== undefined) await writeFile(path.join(source, CONFIG), config);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.test', ...args], {
      cwd: source,
      stdio: 'ignore',
    });
  // A branch with a commit: what the rebuild reads its branch from.
  git('init', '-q', '-b', 'main');
  git('commit', '-q', '--allow-empty', '-m', 'first');
  const workspace = fakeWorkspace('shop', {
    home: made.homeId,
    sourcePath: source,
    devcontainerConfig: CONFIG,
    backend: backend.kind,
    ...extra,
  });
  backend.workspaces.set('shop', workspace);
  const run = () => rebuild(made.ctx, { workspace, backend }, false, made.progress);
  return { ...made, run, workspace };
}

describe('rebuild checks before it removes anything', () => {
  it.each([
    ['a config that is not JSON', '{ nope', {}, 'is not valid JSON', 'Workspace shop is unchanged.'],
    ['a config that holds no object', '[]', {}, 'holds no JSON object', 'Workspace shop is unchanged.'],
    [
      'no source folder',
      undefined,
      { sourcePath: undefined },
      'Workspace shop has no source folder devc can rebuild from.',
      'devc delete -w shop',
    ],
  ] as const)('%s: refused, the old container kept', async (_label, config, extra, message, hint) => {
    const backend = new FakeBackend();
    const { run } = await setUp(backend, config, extra);
    await expect(run()).rejects.toMatchObject({
      message: expect.stringContaining(message),
      hint: expect.stringContaining(hint),
    });
    expect(backend.callsOf('remove')).toEqual([]);
  });

  it('a cluster workspace whose config lives only in it, and which can’t stream it out: refused after starting it', async () => {
    const backend = new FakeClusterBackend();
    const { run } = await setUp(backend, undefined, { sourcePath: undefined, state: 'stopped' });
    await expect(run()).rejects.toThrow("Can't read the config of shop from its engine.");
    expect(backend.callsOf('start')).toEqual(['start shop']);
    expect(backend.callsOf('remove')).toEqual([]);
  });
});

describe('rebuild', () => {
  it('removes the container keeping its data, and makes it again with the same labels', async () => {
    const backend = new FakeClusterBackend();
    const { run } = await setUp(backend, '{ "image": "example.test/dev:2" }', {
      home: 'the-home-that-made-it',
      idleTimeoutSeconds: 900,
    });
    const rebuilt = await run();
    expect(backend.callsOf('remove')).toEqual(['remove shop keepData']);
    expect(rebuilt).toMatchObject({ name: 'shop', state: 'running', image: 'example.test/dev:2' });
    expect(backend.specs[0]).toMatchObject({
      home: 'the-home-that-made-it',
      devcontainerConfig: CONFIG,
      env: { DEVC_IDLE_TIMEOUT: '900' },
    });
  });

  it('a create that fails after the removal: what it made goes, the files stay, the error says how to go on', async () => {
    const backend = new FakeClusterBackend();
    const { run } = await setUp(backend, '{ "image": "example.test/dev:2" }');
    backend.fail('createFromDevcontainer');
    await expect(run()).rejects.toMatchObject({
      message: 'Rebuilding shop failed: The fake engine refuses createFromDevcontainer.',
      hint: expect.stringContaining('Its files are kept.'),
    });
    expect(backend.callsOf('remove')).toEqual(['remove shop keepData', 'remove shop keepData']);
  });
});
