import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { createContext } from '../../src/context.js';
import type { WorkspaceDetails } from '../../src/backends/backend.js';
import { fileFromTar, idleTimeoutOf } from '../../src/backends/docker/lifecycle.js';
import { parseTime } from '../../src/backends/details-probe.js';
import { renderView, viewJson } from '../../src/commands/view.js';
import { lastLines } from '../../src/services/logs.js';
import { explainState, viewWorkspace, type WorkspaceView } from '../../src/services/view.js';
import type { Workspace } from '../../src/workspace/model.js';
import { FakeBackend } from './support/fake-backend.js';
import { testIO } from './support/io.js';

const base: Workspace = {
  name: 'shop',
  backend: 'docker',
  state: 'stopped',
  stateReason: 'stopped',
  repository: { url: 'https://example.invalid/acme/shop.git', branch: 'main' },
  image: 'devc/dev8-base:0.1.0',
  variant: 'base',
  folder: '/workspaces/shop',
  user: 'dev',
  sourcePath: undefined,
  createdAt: '2026-06-15T10:00:00.000Z',
  id: 'abc',
  idleTimeoutSeconds: 1800,
  startedAt: '2026-06-15T11:00:00.000Z',
  stoppedAt: '2026-06-15T11:30:00.000Z',
};
const details = (agentStopReason?: string): WorkspaceDetails => ({
  agentStopReason,
  lastActiveAt: undefined,
  activeConnections: undefined,
  homeBytes: undefined,
});

describe('why a workspace is in its state', () => {
  it.each([
    ['running', { state: 'running', stateReason: undefined }, undefined, undefined, undefined],
    ['killed', { state: 'exited', stateReason: 'exited with code 137' }, undefined, undefined, 'exited'],
    ['idle', {}, details('idle'), '2026-06-15T11:29:58.000Z', 'idle'],
    ['devc stop', {}, details(), '2026-06-15T11:29:58.000Z', 'user'],
    ['an old devc stop, then docker stop', {}, details(), '2026-06-14T09:00:00.000Z', 'other'],
    ['docker stop, never devc stop', {}, details(), undefined, 'other'],
  ] as const)('%s → %s', (_label, change, d, userStoppedAt, cause) => {
    expect(explainState({ ...base, ...change }, d, userStoppedAt).cause).toBe(cause);
  });

  it('names the idle timeout in the reason', () => {
    expect(explainState(base, details('idle'), undefined).reason).toBe(
      'stopped after 30m without use (idle timeout)',
    );
  });
});

const view: WorkspaceView = {
  workspace: { ...base, state: 'running', stoppedAt: undefined },
  stateReason: 'running',
  stopCause: undefined,
  commit: '0123456789abcdef0123456789abcdef01234567',
  branch: 'main',
  lastUsedAt: '2026-06-15T11:50:00.000Z',
  idleTimeoutSeconds: 1800,
  idleSecondsLeft: 1200,
  activeConnections: 0,
  sourceBytes: 2048,
  homeBytes: undefined,
  ports: [],
};

describe('view output', () => {
  it('JSON: stable camelCase fields, null for unknowns', () => {
    expect(viewJson(view)).toMatchObject({
      name: 'shop',
      state: 'running',
      stoppedBy: null,
      repository: { url: base.repository.url, branch: 'main', commit: view.commit },
      idleTimeoutSeconds: 1800,
      idleSecondsLeft: 1200,
      stoppedAt: null,
      ports: [],
      disk: { sourceBytes: 2048, homeBytes: null },
    });
  });

  it('text: every field on its own line', () => {
    const text = renderView(view, Date.parse('2026-06-15T12:00:00Z'));
    expect(text).toContain('branch      main @ 0123456789ab');
    expect(text).toContain('idle stop   after 30m without SSH or editor use; 20m left');
    expect(text).toContain('last used   10m ago');
    expect(text).toContain('disk        source 2.0 kB, home unknown');
    expect(renderView({ ...view, idleTimeoutSeconds: 0, idleSecondsLeft: undefined })).toContain('never');
    const prebuilt = { ...view, workspace: { ...view.workspace, imageSource: 'prebuild' as const } };
    expect(renderView(prebuilt)).toMatch(/image +\S+.* \(from a prebuild\)\n/);
    expect(viewJson(prebuilt)).toMatchObject({ imageSource: 'prebuild' });
    expect(viewJson(view)).toMatchObject({ imageSource: null });
  });
});

describe('engine helpers', () => {
  it.each([
    [['PATH=/bin', 'DEVC_IDLE_TIMEOUT=300'], 300],
    [['DEVC_IDLE_TIMEOUT=0'], 0],
    [['PATH=/bin'], 0],
    [null, 0],
    [['DEVC_IDLE_TIMEOUT=abc'], 0],
  ])('idleTimeoutOf(%j) = %i', (env, seconds) => expect(idleTimeoutOf(env)).toBe(seconds));

  it.each([
    ['1781524800', '2026-06-15T12:00:00.000Z'],
    ['2026-06-15T12:00:00Z', '2026-06-15T12:00:00.000Z'],
    ['', undefined],
    ['garbage', undefined],
  ])('parseTime(%j) = %s', (text, iso) => expect(parseTime(text)).toBe(iso));

  it('reads the one file of a tar stream (what docker cp CONTAINER:file - prints)', () => {
    const header = Buffer.alloc(512);
    header.write('stop-reason', 0);
    header.write('00000000005\0', 124);
    const tar = Buffer.concat([header, Buffer.from('idle\n'), Buffer.alloc(1024 - 5)]);
    expect(fileFromTar(tar)).toBe('idle\n');
    expect(fileFromTar(Buffer.alloc(10))).toBeUndefined();
  });

  it.each([
    ['a\nb\nc\n', 2, 'b\nc\n'],
    ['a\nb\nc', 2, 'b\nc'],
    ['a\n', 5, 'a\n'],
    ['a\nb\n', 0, ''],
  ])('lastLines(%j, %i) = %j', (text, n, out) => expect(lastLines(text, n)).toBe(out));
});

describe('lifecycle commands parse', () => {
  it.each([['view'], ['logs'], ['cp'], ['stop'], ['start']])('%s --help has examples', async (cmd) => {
    const t = testIO();
    const code = await main([cmd, '--help'], { io: t.io, env: { DEVC_HOME: '/nonexistent/devc-unit' } });
    expect(code).toBe(0);
    expect(t.stdout()).toContain('Examples:');
  });

  it('logs --tail takes a number (exit 2 otherwise)', async () => {
    const t = testIO();
    const code = await main(['logs', '--tail', 'lots'], {
      io: t.io,
      env: { DEVC_HOME: '/nonexistent/devc-unit' },
    });
    expect(code).toBe(2);
    expect(t.stderr()).toContain('--tail takes a number');
  });
});

describe('last used and idle time left', () => {
  const now = Date.parse('2026-06-15T12:00:00Z');
  const running: Workspace = {
    ...base,
    state: 'running',
    stoppedAt: undefined,
    startedAt: '2026-06-15T11:50:00Z',
  };
  async function viewOf(workspace: Workspace, d: Partial<WorkspaceDetails>) {
    const backend = new FakeBackend([workspace]);
    backend.detailsOf.set(workspace.name, { ...details(), ...d });
    const ctx = createContext({ io: testIO().io, env: { DEVC_HOME: '/nonexistent/devc-unit' } });
    return viewWorkspace(ctx, { workspace, backend }, now);
  }

  it.each([
    ['no activity since the start 10m ago', running, {}, '2026-06-15T11:50:00Z', 1200],
    [
      'an open session: the whole timeout',
      running,
      { activeConnections: 1 },
      '2026-06-15T12:00:00.000Z',
      1800,
    ],
    [
      'the agent recorded activity 2m ago',
      running,
      { lastActiveAt: '2026-06-15T11:58:00.000Z' },
      '2026-06-15T11:58:00.000Z',
      1680,
    ],
    [
      'idle for longer than the timeout',
      { ...running, startedAt: '2026-06-15T10:00:00Z' },
      {},
      '2026-06-15T10:00:00Z',
      0,
    ],
    ['never stops', { ...running, idleTimeoutSeconds: 0 }, {}, '2026-06-15T11:50:00Z', undefined],
    ['stopped by the idle timeout', base, { agentStopReason: 'idle' }, '2026-06-15T11:00:00.000Z', undefined],
  ] as const)('%s', async (_label, workspace, d, lastUsedAt, left) => {
    const v = await viewOf(workspace, d);
    expect(v.lastUsedAt).toBe(lastUsedAt);
    expect(v.idleSecondsLeft).toBe(left);
  });
});
