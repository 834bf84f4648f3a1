import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { EngineError } from '../../src/errors.js';
import { selectWorkspace, type SelectOptions } from '../../src/services/select.js';
import type { Workspace } from '../../src/workspace/model.js';
import { serviceContext } from './support/context.js';
import { FakeBackend, fakeWorkspace } from './support/fake-backend.js';

/** Selects with `name` and `options` among what `engine(homeId, root)` holds, working in `root/<cwd>`. */
async function select(
  engine: (homeId: string, root: string) => { workspaces: Workspace[]; leftovers?: Workspace[] },
  name: string | undefined,
  options: SelectOptions = {},
  cwd = '',
) {
  const backend = new FakeBackend();
  const { ctx, homeId, root } = await serviceContext(backend, { cwd });
  const { workspaces, leftovers = [] } = engine(homeId, root);
  for (const w of workspaces) backend.workspaces.set(w.name, w);
  for (const w of leftovers) backend.leftoverWorkspaces.set(w.name, w);
  return selectWorkspace(ctx, name, options).then((s) => s.workspace.name);
}

describe('selectWorkspace', () => {
  it.each([
    [
      'one of this home: it',
      (h: string) => ({ workspaces: [fakeWorkspace('a', { home: h })] }),
      undefined,
      {},
      '',
      'a',
    ],
    [
      'one of this home beside another’s: this home’s',
      (h: string) => ({
        workspaces: [fakeWorkspace('a', { home: 'other' }), fakeWorkspace('b', { home: h })],
      }),
      undefined,
      {},
      '',
      'b',
    ],
    [
      'several: the one whose source holds the working directory',
      (h: string, root: string) => ({
        workspaces: [
          fakeWorkspace('a', { home: h, sourcePath: path.join(root, 'a') }),
          fakeWorkspace('b', { home: h, sourcePath: path.join(root, 'b') }),
        ],
      }),
      undefined,
      {},
      'b/src',
      'b',
    ],
    [
      '-w names another home’s: chosen for reading',
      (h: string) => ({
        workspaces: [fakeWorkspace('a', { home: h }), fakeWorkspace('b', { home: 'other' })],
      }),
      'b',
      {},
      '',
      'b',
    ],
    [
      '-w names a missing one that may be chosen (delete, view)',
      () => ({ workspaces: [], leftovers: [fakeWorkspace('gone', { state: 'missing' })] }),
      'gone',
      { missing: true },
      '',
      'gone',
    ],
  ] as const)('%s', async (_label, engine, name, options, cwd, expected) => {
    expect(await select(engine, name, options, cwd)).toBe(expected);
  });

  it.each([
    [
      'none at all',
      () => ({ workspaces: [] }),
      undefined,
      {},
      /^You have no workspaces\.$/,
      'Create one with `devc up REPO`.',
    ],
    [
      'only another home’s',
      () => ({ workspaces: [fakeWorkspace('a', { home: 'other' })] }),
      undefined,
      {},
      /^You have no workspaces\.$/,
      expect.stringContaining('need -w NAME'),
    ],
    [
      'several, none here',
      (h: string) => ({ workspaces: [fakeWorkspace('a', { home: h }), fakeWorkspace('b', { home: h })] }),
      undefined,
      {},
      /^You have 2 workspaces; say which one with -w NAME\.$/,
      'Workspaces: a, b',
    ],
    [
      '-w names nothing',
      () => ({ workspaces: [] }),
      'nope',
      {},
      /^There is no workspace named nope\.$/,
      expect.any(String),
    ],
    [
      '-w names a missing one, for a command that needs it there',
      () => ({ workspaces: [], leftovers: [fakeWorkspace('gone', { state: 'missing' })] }),
      'gone',
      {},
      /^Workspace gone is missing: its container is gone\.$/,
      expect.stringContaining('devc delete -w gone'),
    ],
    [
      '-w names another home’s for a stop',
      () => ({ workspaces: [fakeWorkspace('b', { home: 'other' })] }),
      'b',
      { change: 'stop' },
      /^Workspace b was made by another devc home \(owner alice\)\.$/,
      expect.stringContaining('--force'),
    ],
  ] as const)('refused: %s', async (_label, engine, name, options, message, hint) => {
    await expect(select(engine, name, options)).rejects.toMatchObject({
      message: expect.stringMatching(message),
      hint,
    });
  });
});

describe('selectWorkspace with a Docker engine that does not answer', () => {
  const unreachable = new EngineError("Can't reach the Docker engine.");

  async function contexts() {
    const docker = new FakeBackend();
    docker.find = () => Promise.reject(unreachable);
    docker.leftovers = () => Promise.reject(unreachable);
    const cluster = new FakeBackend();
    cluster.workspaces.set('k', fakeWorkspace('k'));
    // A kubeconfig is there, so the cluster's workspaces are looked for too.
    const kubeconfig = path.join(await mkdtemp(path.join(os.tmpdir(), 'devc-kc-')), 'config');
    await writeFile(kubeconfig, '');
    const { ctx } = await serviceContext(docker, { kubernetes: cluster, env: { KUBECONFIG: kubeconfig } });
    return { ctx, cluster };
  }

  it("-w finds the cluster's workspace (a machine with only a kubeconfig)", async () => {
    const { ctx, cluster } = await contexts();
    const selected = await selectWorkspace(ctx, 'k');
    expect(selected.workspace.name).toBe('k');
    expect(cluster.calls).toContain('find k');
  });

  it('-w of a name no backend has: the engine error, as before', async () => {
    const { ctx } = await contexts();
    await expect(selectWorkspace(ctx, 'nowhere')).rejects.toBe(unreachable);
  });
});
