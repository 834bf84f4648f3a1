import { execFileSync } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { up, type UpOptions } from '../../src/services/up.js';
import type { Workspace } from '../../src/workspace/model.js';
import { serviceContext, sshGreeter } from './support/context.js';
import { FakeBackend, FakeClusterBackend, fakeWorkspace } from './support/fake-backend.js';

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

const URL = 'https://example.test/shop.git';
const IMAGE_CONFIG = { '.devcontainer/devcontainer.json': '{ "image": "example.test/dev:1" }' };

/** A context whose engine is `backend`, its workspaces' SSH answering on a loopback greeter. */
async function setUp<B extends FakeBackend>(
  backend: B,
  workspaces: (homeId: string) => Workspace[] = () => [],
) {
  const greeter = await sshGreeter();
  closers.push(greeter.close);
  backend.sshPort = greeter.port;
  const made = await serviceContext(backend);
  for (const w of workspaces(made.homeId)) backend.workspaces.set(w.name, w);
  const run = (options: Partial<UpOptions> = {}) =>
    up(made.ctx, { reference: URL, ...options }, made.progress);
  return { ...made, backend, run };
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.test', ...args], {
    cwd,
    stdio: 'ignore',
  });
}

describe('up: resume or create', () => {
  it.each([
    ['a stopped one of this home is started', 'exited', ['start shop']],
    ['a running one of this home is only waited for', 'running', []],
  ] as const)('%s', async (_label, state, starts) => {
    const { run, backend } = await setUp(new FakeBackend(), (home) => [
      fakeWorkspace('shop', { state, home, repository: { url: URL, branch: undefined } }),
    ]);
    const result = await run();
    expect(result).toMatchObject({ created: false, workspace: { name: 'shop', state: 'running' } });
    expect(backend.callsOf('start')).toEqual(starts);
    expect(backend.callsOf('create')).toEqual([]);
  });

  it('resumes the oldest of this home’s workspaces of the repository', async () => {
    const { run } = await setUp(new FakeBackend(), (home) => [
      fakeWorkspace('shop-2', { home, repository: { url: URL, branch: 'x' }, createdAt: '2026-01-02' }),
      fakeWorkspace('shop', { home, repository: { url: URL, branch: 'main' }, createdAt: '2026-01-01' }),
    ]);
    expect((await run()).workspace.name).toBe('shop');
  });

  it('another DEVC_HOME’s workspace of the same repository is not resumed: a new one gets a free name', async () => {
    const { run, backend, homeId } = await setUp(new FakeClusterBackend(), () => [
      fakeWorkspace('shop', { home: 'another-home', repository: { url: URL, branch: undefined } }),
    ]);
    backend.repositoryFiles = IMAGE_CONFIG;
    const result = await run();
    expect(result).toMatchObject({ created: true, workspace: { name: 'shop-2', home: homeId } });
    expect(backend.callsOf('start')).toEqual([]);
    expect(backend.callsOf('createFromDevcontainer')).toEqual(['createFromDevcontainer shop-2']);
  });

  it.each([
    ['nothing taken', [], 'shop'],
    ['shop taken', ['shop'], 'shop-2'],
    ['shop and shop-2 taken', ['shop', 'shop-2'], 'shop-3'],
  ])('a new workspace is named after the repository: %s', async (_label, taken, expected) => {
    const { run, backend } = await setUp(new FakeClusterBackend(), () =>
      taken.map((n) =>
        fakeWorkspace(n, { repository: { url: `https://example.test/${n}-other.git`, branch: undefined } }),
      ),
    );
    backend.repositoryFiles = IMAGE_CONFIG;
    expect((await run()).workspace.name).toBe(expected);
  });

  it('a created workspace is labelled with the repository, this home and the idle timeout', async () => {
    const { run, backend, homeId, ctx } = await setUp(new FakeClusterBackend());
    backend.repositoryFiles = IMAGE_CONFIG;
    await run({ idleTimeoutSeconds: 600 });
    expect(backend.specs[0]).toMatchObject({
      name: 'shop',
      repository: { url: URL },
      home: homeId,
      folder: '/workspaces/shop',
      sourcePath: path.join(ctx.paths.workspacesDir, 'shop', 'src', 'shop'),
      env: { DEVC_IDLE_TIMEOUT: '600', GIT_USER_NAME: 'Test User' },
    });
  });

  it.each([
    ['the engine has no idea of the user: the OS user', undefined, undefined, os.userInfo().username],
    ["the engine's user (Kubernetes: the kubeconfig's)", 'kube-ann', undefined, 'kube-ann'],
    ["a signed-in user (the gateway) over the engine's", 'kube-ann', 'ann@example.com', 'ann@example.com'],
  ])('the owner is %s', async (_label, engineUser, signedIn, owner) => {
    const backend = new FakeClusterBackend();
    if (engineUser) Object.assign(backend, { defaultOwner: () => Promise.resolve(engineUser) });
    const { run } = await setUp(backend);
    backend.repositoryFiles = IMAGE_CONFIG;
    await run(signedIn ? { owner: { name: signedIn, gitIdentity: {} } } : {});
    expect(backend.specs[0]?.owner).toBe(owner);
  });
});

describe('up --name', () => {
  it.each([
    [
      'names a workspace of another repository',
      (home: string) => [
        fakeWorkspace('mine', { home, repository: { url: 'https://example.test/x.git', branch: undefined } }),
      ],
      /^Workspace mine holds https:\/\/example\.test\/x\.git, not https:\/\/example\.test\/shop\.git\.$/,
    ],
    [
      'names another home’s workspace of the repository',
      () => [fakeWorkspace('mine', { home: 'another-home', repository: { url: URL, branch: undefined } })],
      /^Workspace mine was made by another devc home \(owner alice\)\.$/,
    ],
  ])('refused when it %s (a usage error, nothing changed)', async (_label, workspaces, message) => {
    const { run, backend } = await setUp(new FakeBackend(), workspaces);
    await expect(run({ name: 'mine' })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(message),
    });
    expect(backend.calls.filter((c) => !c.startsWith('find'))).toEqual([]);
  });

  it('resumes this home’s workspace of the repository by that name', async () => {
    const { run, backend } = await setUp(new FakeBackend(), (home) => [
      fakeWorkspace('mine', { home, state: 'exited', repository: { url: URL, branch: undefined } }),
      fakeWorkspace('shop', { home, repository: { url: URL, branch: undefined } }),
    ]);
    expect((await run({ name: 'mine' })).workspace.name).toBe('mine');
    expect(backend.callsOf('start')).toEqual(['start mine']);
  });

  it('creates under a free name it was given', async () => {
    const { run, backend } = await setUp(new FakeClusterBackend());
    backend.repositoryFiles = IMAGE_CONFIG;
    expect(await run({ name: 'elsewhere' })).toMatchObject({
      created: true,
      workspace: { name: 'elsewhere' },
    });
  });

  it('an invalid name is refused before any engine call', async () => {
    const { run, backend } = await setUp(new FakeBackend());
    await expect(run({ name: '../x' })).rejects.toThrow('"../x" is not a valid workspace name.');
    expect(backend.calls).toEqual([]);
  });
});

describe('up: a failed create leaves nothing', () => {
  it('the engine refusing: what it made and devc’s folder go', async () => {
    const { run, backend, ctx } = await setUp(new FakeClusterBackend());
    backend.repositoryFiles = IMAGE_CONFIG;
    backend.fail('createFromDevcontainer');
    await expect(run()).rejects.toThrow('The fake engine refuses createFromDevcontainer.');
    expect(backend.callsOf('remove')).toEqual(['remove shop']);
    expect(await exists(path.join(ctx.paths.workspacesDir, 'shop'))).toBe(false);
  });

  it('a workspace that never answers: removed too', async () => {
    const { run, backend } = await setUp(new FakeClusterBackend());
    backend.repositoryFiles = IMAGE_CONFIG;
    // The host key can't be read: the wait fails after SSH answers.
    backend.onExec = () => ({ exitCode: 1, stdout: '', stderr: 'no key' });
    await expect(run()).rejects.toThrow("Can't read the SSH host key of workspace shop.");
    expect(backend.callsOf('remove')).toEqual(['remove shop']);
    expect(backend.workspaces.size).toBe(0);
  });

  it('a clone that fails: nothing made, folder gone', async () => {
    const { ctx, backend, progress } = await setUp(new FakeBackend());
    const missing = `file://${path.join(ctx.paths.home, 'nothing-here.git')}`;
    await expect(up(ctx, { reference: missing }, progress)).rejects.toThrow();
    expect(backend.callsOf('remove')).toEqual(['remove nothing-here']);
    expect(await exists(path.join(ctx.paths.workspacesDir, 'nothing-here'))).toBe(false);
  });

  it('a config that does not read after a clone: the clone goes', async () => {
    const { ctx, root, backend, progress } = await setUp(new FakeBackend());
    const work = path.join(root, 'work');
    await mkdir(path.join(work, '.devcontainer'), { recursive: true });
    git(root, 'init', '-q', '-b', 'main', work);
    await writeFile(path.join(work, '.devcontainer', 'devcontainer.json'), '{ not json');
    git(work, 'add', '.');
    git(work, 'commit', '-q', '-m', 'broken config');
    git(root, 'clone', '-q', '--bare', work, path.join(root, 'app.git'));
    const reference = `file://${path.join(root, 'app.git')}`;
    await expect(up(ctx, { reference }, progress)).rejects.toThrow('is not valid JSON');
    expect(backend.callsOf('remove')).toEqual(['remove app']);
    expect(await exists(path.join(ctx.paths.workspacesDir, 'app'))).toBe(false);
  });

  it('files kept from a failed rebuild are used, and kept again when the create fails', async () => {
    const { ctx, root, backend, progress, t } = await setUp(new FakeBackend());
    const kept = path.join(ctx.paths.workspacesDir, 'app', 'src', 'app');
    await mkdir(path.join(kept, '.devcontainer'), { recursive: true });
    git(root, 'init', '-q', '-b', 'main', kept);
    await writeFile(path.join(kept, '.devcontainer', 'devcontainer.json'), '{ not json');
    git(kept, 'add', '.');
    git(kept, 'commit', '-q', '-m', 'work');
    const reference = `file://${path.join(root, 'app.git')}`;
    await expect(up(ctx, { reference }, progress)).rejects.toThrow('is not valid JSON');
    expect(t.stderr()).toContain(`Using the files kept in ${kept}`);
    expect(backend.callsOf('remove')).toEqual(['remove app keepData']);
    expect(await exists(path.join(kept, '.devcontainer', 'devcontainer.json'))).toBe(true);
  });
});
