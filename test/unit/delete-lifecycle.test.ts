import { execFileSync } from 'node:child_process';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteWorkspace, UnsavedWorkError } from '../../src/services/delete.js';
import { startWorkspace, stopMarker, stopWorkspace, userStoppedAt } from '../../src/services/lifecycle.js';
import { NotYoursError } from '../../src/services/ownership.js';
import type { Workspace } from '../../src/workspace/model.js';
import { serviceContext, sshGreeter } from './support/context.js';
import { FakeBackend, FakeClusterBackend, fakeWorkspace } from './support/fake-backend.js';

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

describe('deleteWorkspace on a cluster (the engine checks unsaved work)', () => {
  it.each([
    ['nothing unsaved: removed', 'running', undefined, false, ['remove shop']],
    [
      'uncommitted work: refused',
      'running',
      { uncommitted: ['a.ts'], unpushed: [] },
      false,
      UnsavedWorkError,
    ],
    ['not running, so unchecked: refused', 'stopped', undefined, false, UnsavedWorkError],
    ['--force: removed unchecked', 'running', { uncommitted: ['a.ts'], unpushed: [] }, true, ['remove shop']],
  ] as const)('%s', async (_label, state, unsaved, force, expected) => {
    const backend = new FakeClusterBackend();
    const { ctx, homeId } = await serviceContext(backend);
    const workspace = fakeWorkspace('shop', { home: homeId, state });
    backend.workspaces.set('shop', workspace);
    if (unsaved) backend.unsaved.set('shop', { uncommitted: [...unsaved.uncommitted], unpushed: [] });
    const deleting = deleteWorkspace(ctx, { workspace, backend }, force);
    if (Array.isArray(expected)) {
      await deleting;
      expect(backend.callsOf('remove')).toEqual(expected);
      expect(backend.callsOf('unsavedWork')).toEqual(force ? [] : ['unsavedWork shop']);
    } else {
      await expect(deleting).rejects.toBeInstanceOf(expected);
      expect(backend.callsOf('remove')).toEqual([]);
    }
  });

  it('lists what would be lost', async () => {
    const backend = new FakeClusterBackend();
    const { ctx, homeId } = await serviceContext(backend);
    const workspace = fakeWorkspace('shop', { home: homeId });
    backend.workspaces.set('shop', workspace);
    backend.unsaved.set('shop', { uncommitted: ['a.ts'], unpushed: ['abc123 wip'], stashed: [] });
    await expect(deleteWorkspace(ctx, { workspace, backend }, false)).rejects.toMatchObject({
      message: 'Workspace shop has work that is not pushed anywhere.',
      details: 'uncommitted: a.ts\nunpushed:    abc123 wip',
    });
  });
});

describe('deleteWorkspace on Docker (the clone is here)', () => {
  async function withClone(dirty: boolean) {
    const backend = new FakeBackend();
    const made = await serviceContext(backend);
    const clone = path.join(made.ctx.paths.workspacesDir, 'shop', 'src', 'shop');
    await mkdir(clone, { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.test', ...args], {
        cwd: clone,
        stdio: 'ignore',
      });
    git('init', '-q', '-b', 'main');
    await writeFile(path.join(clone, 'README'), 'hi\n');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    // A commit with no remote to hold it is unpushed either way; leave the tree clean or not.
    if (dirty) await writeFile(path.join(clone, 'README'), 'changed\n');
    const workspace = fakeWorkspace('shop', { home: made.homeId, sourcePath: clone });
    backend.workspaces.set('shop', workspace);
    return { ...made, backend, workspace, clone };
  }

  it('work in the clone: refused, nothing removed', async () => {
    const { ctx, backend, workspace, clone } = await withClone(true);
    await expect(deleteWorkspace(ctx, { workspace, backend }, false)).rejects.toMatchObject({
      details: expect.stringContaining('uncommitted: README'),
    });
    expect(backend.callsOf('remove')).toEqual([]);
    expect(await exists(clone)).toBe(true);
  });

  it('--force: the workspace and devc’s folder for it go', async () => {
    const { ctx, backend, workspace } = await withClone(true);
    await deleteWorkspace(ctx, { workspace, backend }, true);
    expect(backend.callsOf('remove')).toEqual(['remove shop']);
    expect(await exists(path.join(ctx.paths.workspacesDir, 'shop'))).toBe(false);
  });

  it('another home’s: refused without --force; with it, removed and this home’s folder left alone', async () => {
    const backend = new FakeBackend();
    const { ctx, t } = await serviceContext(backend);
    const workspace: Workspace = fakeWorkspace('theirs', { home: 'another-home' });
    backend.workspaces.set('theirs', workspace);
    const folder = path.join(ctx.paths.workspacesDir, 'theirs');
    await mkdir(folder, { recursive: true });
    await expect(deleteWorkspace(ctx, { workspace, backend }, false)).rejects.toBeInstanceOf(NotYoursError);
    expect(backend.callsOf('remove')).toEqual([]);
    await deleteWorkspace(ctx, { workspace, backend }, true);
    expect(backend.callsOf('remove')).toEqual(['remove theirs']);
    expect(await exists(folder)).toBe(true);
    expect(t.stderr()).toContain('--force is deleting it anyway');
  });
});

describe('stop and start', () => {
  it.each([
    ['running', true, ['stop shop']],
    ['starting', true, ['stop shop']],
    ['exited', false, []],
  ] as const)('stopping a %s workspace', async (state, stopped, calls) => {
    const backend = new FakeBackend([fakeWorkspace('shop', { state })]);
    const { ctx } = await serviceContext(backend);
    const workspace = backend.workspaces.get('shop');
    if (!workspace) throw new Error('no fixture');
    expect(await stopWorkspace(ctx, { workspace, backend })).toBe(stopped);
    expect(backend.callsOf('stop')).toEqual(calls);
    expect(await userStoppedAt(ctx, 'shop')).toEqual(stopped ? expect.any(String) : undefined);
  });

  it.each([
    ['exited', true, ['start shop']],
    ['running', false, []],
  ] as const)(
    'starting a %s workspace waits for SSH and forgets the user’s stop',
    async (state, started, calls) => {
      const greeter = await sshGreeter();
      closers.push(greeter.close);
      const backend = new FakeBackend([fakeWorkspace('shop', { state })]);
      backend.sshPort = greeter.port;
      const { ctx } = await serviceContext(backend);
      await mkdir(path.dirname(stopMarker(ctx, 'shop')), { recursive: true });
      await writeFile(stopMarker(ctx, 'shop'), '2026-06-15T10:00:00.000Z');
      const workspace = backend.workspaces.get('shop');
      if (!workspace) throw new Error('no fixture');
      const result = await startWorkspace(ctx, { workspace, backend });
      expect(result).toMatchObject({ started, workspace: { state: 'running' } });
      expect(backend.callsOf('start')).toEqual(calls);
      expect(await userStoppedAt(ctx, 'shop')).toBe(started ? undefined : '2026-06-15T10:00:00.000Z');
      // The host key is pinned when it was not already.
      expect(await readFile(ctx.paths.knownHosts, 'utf8')).toContain('shop.devc ssh-ed25519');
    },
  );
});
