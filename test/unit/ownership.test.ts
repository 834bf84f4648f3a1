import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toWorkspaces, type InspectedContainer } from '../../src/backends/docker/inspect.js';
import { leftoverWorkspaces } from '../../src/backends/docker/leftovers.js';
import type { KubeTarget } from '../../src/backends/kubernetes/client.js';
import { listWorkspaces as kubeList } from '../../src/backends/kubernetes/lookup.js';
import { main } from '../../src/cli.js';
import { createContext, type Context } from '../../src/context.js';
import { resolvePaths } from '../../src/paths.js';
import { deleteMany } from '../../src/services/cleanup.js';
import { deleteWorkspace, removeWorkspaceFolder } from '../../src/services/delete.js';
import { listForUser } from '../../src/services/list.js';
import { isOwnedBy } from '../../src/services/ownership.js';
import { selectWorkspace } from '../../src/services/select.js';
import { ensureHomeId, readHomeId } from '../../src/workspace/home-id.js';
import type { Workspace } from '../../src/workspace/model.js';
import { checkWorkspaceName, isWorkspaceName } from '../../src/workspace/name.js';
import { FakeBackend } from './support/fake-backend.js';
import { testIO } from './support/io.js';

describe('workspace names', () => {
  it.each([
    ['shop', true],
    ['a', true],
    ['0-x', true],
    ['a'.repeat(40), true],
    ['a'.repeat(41), false],
    ['', false],
    ['.', false],
    ['..', false],
    ['../x', false],
    ['a/b', false],
    ['-shop', false],
    ['Shop', false],
    ['shop_1', false],
    ['shop\n', false],
    ['sh op', false],
  ])('%j → %s', (name, valid) => {
    expect(isWorkspaceName(name)).toBe(valid);
    if (valid) expect(checkWorkspaceName(name)).toBe(name);
    else
      expect(() => checkWorkspaceName(name)).toThrow(
        `${JSON.stringify(name)} is not a valid workspace name.`,
      );
  });

  it.each([
    [['view', '-w', '']],
    [['delete', '-w', '']],
    [['delete', '-w', '..']],
    [['delete', '-w', '../x']],
    [['stop', '--workspace', '/etc']],
    [['logs', '--build', '-w', '../../x']],
  ])('%j is a usage error (exit 2) before any engine is asked', async (argv) => {
    const t = testIO();
    const code = await main(argv, { io: t.io, env: { DEVC_HOME: '/nonexistent/devc-unit' } });
    expect(code).toBe(2);
    const name = argv[argv.length - 1] ?? '';
    expect(t.stderr().split('\n')[0]).toBe(`error: ${JSON.stringify(name)} is not a valid workspace name.`);
  });
});

describe('names read from engine labels', () => {
  const container = (name: string, label: string | undefined): InspectedContainer => ({
    Id: `${name}0123456789abcdef`,
    Name: `/${name}`,
    Created: '2026-06-15T10:00:00Z',
    Config: { Image: 'i', Labels: label === undefined ? {} : { 'dev.devc.workspace': label } },
    State: { Status: 'running', Running: true, ExitCode: 0, Error: '', StartedAt: '', FinishedAt: '' },
    NetworkSettings: { Ports: null },
  });

  it('Docker: a container whose label is no valid name is left out, one warning naming it', () => {
    const warnings: string[] = [];
    const found = toWorkspaces(
      [
        container('devc-shop', 'shop'),
        container('x-dotdot', '..'),
        container('x-empty', ''),
        container('x-none', undefined),
      ],
      (m) => warnings.push(m),
    );
    expect(found.map((w) => w.name)).toEqual(['shop']);
    expect(warnings).toEqual([
      'Ignored container x-dotdot: its dev.devc.workspace label ".." is not a valid workspace name.',
      'Ignored container x-empty: its dev.devc.workspace label "" is not a valid workspace name.',
      'Ignored container x-none: its dev.devc.workspace label "" is not a valid workspace name.',
    ]);
  });

  it('Kubernetes: a claim whose label is no valid name is left out, one warning naming it', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'devc-own-'));
    const pvc = (name: string, label: string) => ({
      metadata: { name, labels: { 'dev.devc.workspace': label, 'dev.devc.home': 'h1' }, annotations: {} },
    });
    const target = {
      context: 'c',
      namespace: 'ns',
      namespaceNamed: true,
      core: {
        listNamespacedPersistentVolumeClaim: () =>
          Promise.resolve({ items: [pvc('devc-shop', 'shop'), pvc('evil', '..')] }),
        listNamespacedPod: () => Promise.resolve({ items: [] }),
      },
    } as unknown as KubeTarget;
    const warnings: string[] = [];
    const found = await kubeList({ DEVC_HOME: home, DEVC_NAMESPACE: 'ns' }, target, (m) => warnings.push(m));
    expect(found.map((w) => [w.name, w.home, w.state])).toEqual([['shop', 'h1', 'stopped']]);
    expect(warnings).toEqual([
      'Ignored persistent volume claim evil in namespace ns: its dev.devc.workspace label ".." is not a valid workspace name.',
    ]);
  });
});

describe('workspaces whose container is gone (Docker)', () => {
  const volume = (name: string, labels: Record<string, string>) => ({ Name: name, Labels: labels });

  it.each([
    ['a volume without a container is missing', ['devc-a-home'], [], ['a']],
    ['a volume whose container is there is not', ['devc-a-home'], ['a'], []],
    ['two volumes of one workspace are one', ['devc-a-home', 'a_compose_db'], [], ['a']],
  ])('%s', (_label, volumes, containers, names) => {
    const found = leftoverWorkspaces(
      volumes.map((v) => volume(v, { 'dev.devc.workspace': 'a' })),
      new Set(containers),
    );
    expect(found.map((w) => w.name)).toEqual(names);
    for (const w of found) expect(w.state).toBe('missing');
  });

  it('reads the home volume labels, says how to bring it back or remove it, and skips invalid names', () => {
    const warnings: string[] = [];
    const [found, ...rest] = leftoverWorkspaces(
      [
        volume('a_compose_db', { 'dev.devc.workspace': 'a' }),
        volume('devc-a-home', {
          'dev.devc.workspace': 'a',
          'dev.devc.repository': 'https://example.invalid/acme/a.git',
          'dev.devc.source': '/h/workspaces/a/src/a',
          'dev.devc.owner': 'alice',
          'dev.devc.home': 'h1',
        }),
        volume('devc-..-home', { 'dev.devc.workspace': '..' }),
      ],
      new Set(),
      (m) => warnings.push(m),
    );
    expect(rest).toEqual([]);
    expect(found).toMatchObject({
      name: 'a',
      state: 'missing',
      sourcePath: '/h/workspaces/a/src/a',
      owner: 'alice',
      home: 'h1',
      stateReason:
        'its container is gone; `devc up https://example.invalid/acme/a.git --name a` brings it back, `devc delete -w a` removes what is left',
    });
    expect(warnings).toEqual([
      'Ignored volume devc-..-home: its dev.devc.workspace label ".." is not a valid workspace name.',
    ]);
  });
});

describe('whose a workspace is', () => {
  it.each([
    ['labelled with this home', 'h1', 'h1', false, true],
    ['labelled with another home', 'h2', 'h1', true, false],
    ['labelled, and this home has made none', 'h2', undefined, false, false],
    ['older devc (no label), this home has its folder', undefined, 'h1', true, true],
    ['older devc (no label), no folder here', undefined, 'h1', false, false],
    ['older devc, a fresh home with its folder', undefined, undefined, true, true],
  ])('%s → mine: %s', (_label, label, homeId, hasFolder, mine) => {
    expect(isOwnedBy({ home: label }, homeId, hasFolder)).toBe(mine);
  });

  it('the home id is made once, 0600, and read back the same', async () => {
    const paths = resolvePaths({
      DEVC_HOME: path.join(await mkdtemp(path.join(os.tmpdir(), 'devc-own-')), 'h'),
    });
    expect(await readHomeId(paths)).toBeUndefined();
    const [a, b] = await Promise.all([ensureHomeId(paths), ensureHomeId(paths)]);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(b).toBe(a);
    expect(await readHomeId(paths)).toBe(a);
    expect((await stat(paths.homeIdFile)).mode & 0o777).toBe(0o600);
    await writeFile(paths.homeIdFile, 'not an id\n');
    await expect(readHomeId(paths)).rejects.toThrow(/home-id is damaged/);
  });
});

/** A DEVC_HOME with its id, and an engine holding what `engine(homeId)` says. */
async function fixture(engine: (homeId: string) => { workspaces: Workspace[]; leftovers?: Workspace[] }) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'devc-own-'));
  const env = { DEVC_HOME: path.join(root, 'home'), HOME: root };
  const homeId = await ensureHomeId(resolvePaths(env));
  const { workspaces, leftovers = [] } = engine(homeId);
  const backend = new FakeBackend(workspaces, leftovers);
  /** The names removed, in order. */
  const removed = (): string[] => backend.callsOf('remove').map((c) => c.slice('remove '.length));
  const t = testIO();
  const ctx: Context = createContext({
    io: t.io,
    env,
    cwd: root,
    backendFactory: () => Promise.resolve(backend),
  });
  return { ctx, t, removed };
}

const ws = (name: string, home: string | undefined, extra: Partial<Workspace> = {}): Workspace => ({
  name,
  backend: 'docker',
  state: 'running',
  stateReason: undefined,
  repository: { url: `https://example.invalid/${name}.git`, branch: undefined },
  image: 'i',
  variant: undefined,
  folder: `/workspaces/${name}`,
  user: 'dev',
  sourcePath: undefined,
  owner: 'alice',
  home,
  createdAt: '2026-06-15T10:00:00Z',
  id: name,
  ...extra,
});

describe('choosing a workspace', () => {
  it.each([
    ['-w names another home’s: chosen (reading is fine)', 'theirs', undefined, 'theirs'],
    ['no -w: only this home’s count', undefined, undefined, 'mine'],
    [
      '-w names another home’s for a stop: refused, naming whose',
      'theirs',
      'stop',
      /^Workspace theirs was made by another devc home \(owner alice\)\.$/,
    ],
    ['-w names this home’s for a stop', 'mine', 'stop', 'mine'],
  ] as const)('%s', async (_label, name, change, expected) => {
    const { ctx } = await fixture((homeId) => ({ workspaces: [ws('mine', homeId), ws('theirs', 'other')] }));
    const chosen = selectWorkspace(ctx, name, change ? { change } : {});
    if (typeof expected === 'string') expect((await chosen).workspace.name).toBe(expected);
    else await expect(chosen).rejects.toThrow(expected);
  });

  it('with --force, a change of another’s goes ahead and says whose it is', async () => {
    const { ctx, t } = await fixture(() => ({ workspaces: [ws('theirs', 'other')] }));
    expect((await selectWorkspace(ctx, 'theirs', { change: 'rebuild', force: true })).workspace.name).toBe(
      'theirs',
    );
    expect(t.stderr()).toContain(
      'Workspace theirs was made by another devc home (owner alice); --force is rebuilding it anyway.',
    );
  });

  it('no -w and only other homes’ workspaces: none of them is picked', async () => {
    const f = await fixture(() => ({ workspaces: [ws('theirs', 'other')] }));
    await expect(selectWorkspace(f.ctx, undefined)).rejects.toThrow('You have no workspaces.');
  });

  it('a workspace whose container is gone: delete and view choose it, the rest say so', async () => {
    const f = await fixture(() => ({
      workspaces: [],
      leftovers: [ws('gone', undefined, { state: 'missing' })],
    }));
    expect((await selectWorkspace(f.ctx, 'gone', { missing: true })).workspace.state).toBe('missing');
    await expect(selectWorkspace(f.ctx, 'gone')).rejects.toThrow(
      'Workspace gone is missing: its container is gone.',
    );
    await expect(selectWorkspace(f.ctx, 'nothing')).rejects.toThrow('There is no workspace named nothing.');
  });
});

describe('deleting', () => {
  it('another home’s workspace: refused without --force (nothing removed); with it, removed and said whose', async () => {
    const f = await fixture(() => ({ workspaces: [ws('theirs', 'other')] }));
    // This home's folder of the same name is not that workspace's: it stays either way.
    const folder = path.join(f.ctx.paths.workspacesDir, 'theirs');
    await mkdir(folder, { recursive: true });
    const selected = await selectWorkspace(f.ctx, 'theirs', { missing: true });
    await expect(deleteWorkspace(f.ctx, selected, false)).rejects.toThrow(
      'Workspace theirs was made by another devc home (owner alice).',
    );
    expect(f.removed()).toEqual([]);
    await deleteWorkspace(f.ctx, selected, true);
    expect(f.removed()).toEqual(['theirs']);
    expect(f.t.stderr()).toContain(
      'was made by another devc home (owner alice); --force is deleting it anyway.',
    );
    expect((await stat(folder)).isDirectory()).toBe(true);
  });

  it('delete --all takes only this home’s, including one whose container is gone', async () => {
    const f = await fixture((homeId) => ({
      workspaces: [
        ws('labelled-mine', homeId),
        ws('legacy-mine', undefined),
        ws('theirs', 'other'),
        ws('legacy-theirs', undefined),
      ],
      leftovers: [ws('gone', undefined, { state: 'missing' })],
    }));
    // Older devc's workspaces are this home's when it has their folder.
    for (const name of ['legacy-mine', 'gone'])
      await mkdir(path.join(f.ctx.paths.workspacesDir, name), { recursive: true });
    const result = await deleteMany(f.ctx, { olderThanSeconds: undefined, force: true });
    expect(result.deleted.sort()).toEqual(['gone', 'labelled-mine', 'legacy-mine']);
    expect(f.removed().sort()).toEqual(['gone', 'labelled-mine', 'legacy-mine']);
  });

  it.each([[''], ['..'], ['.'], ['a/b'], ['../workspaces']])(
    'the folder of %j is never removed',
    async (name) => {
      const f = await fixture(() => ({ workspaces: [] }));
      await mkdir(f.ctx.paths.workspacesDir, { recursive: true });
      await expect(removeWorkspaceFolder(f.ctx.paths.workspacesDir, name)).rejects.toThrow(
        /refuses to remove/,
      );
      expect((await stat(f.ctx.paths.workspacesDir)).isDirectory()).toBe(true);
      expect(await readFile(f.ctx.paths.homeIdFile, 'utf8')).toMatch(/^[0-9a-f]{32}\n$/);
    },
  );
});

describe('list', () => {
  it('shows every home’s workspaces and the missing ones, each saying whether it is this home’s', async () => {
    const f = await fixture((homeId) => ({
      workspaces: [ws('mine', homeId), ws('theirs', 'other')],
      leftovers: [ws('gone', homeId, { state: 'missing' }), ws('left', 'other', { state: 'missing' })],
    }));
    const listed = await listForUser(f.ctx, () => undefined);
    expect(listed.map(({ workspace, mine }) => [workspace.name, workspace.state, mine])).toEqual([
      ['gone', 'missing', true],
      ['left', 'missing', false],
      ['mine', 'running', true],
      ['theirs', 'running', false],
    ]);
  });
});
