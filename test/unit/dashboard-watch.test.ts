import { describe, expect, it, vi } from 'vitest';
import { createContext } from '../../src/context.js';
import { EngineError } from '../../src/errors.js';
import { watchWorkspaces, type Snapshot } from '../../src/services/watch.js';
import type { Workspace } from '../../src/workspace/model.js';
import { FakeBackend, fakeWorkspace } from './support/fake-backend.js';
import { testIO } from './support/io.js';

/** A backend holding workspace a (running); the tests change it, fail its list and send its events. */
function fakeBackend(): FakeBackend {
  return new FakeBackend([fakeWorkspace('a', { state: 'running' })]);
}

/** What the engine holds from now on. */
function set(fake: FakeBackend, workspaces: Workspace[]): void {
  fake.workspaces.clear();
  for (const w of workspaces) fake.workspaces.set(w.name, w);
}

function watch(fake: FakeBackend, options = { pollMs: 3_600_000, usageMs: 3_600_000 }) {
  const ctx = createContext({
    io: testIO().io,
    env: {},
    backendFactory: () => Promise.resolve(fake),
  });
  const abort = new AbortController();
  let latest: Snapshot | undefined;
  watchWorkspaces(ctx, (s) => (latest = s), abort.signal, options);
  return { abort, latest: () => latest };
}

describe('watchWorkspaces', () => {
  it('lists at once, reads usage of running workspaces, and re-lists on an engine event (no poll)', async () => {
    const fake = fakeBackend();
    const { abort, latest } = watch(fake);
    await vi.waitFor(() => expect(latest()?.usage.get('a')).toEqual({ cpuPercent: 1, memoryBytes: 1024 }));
    expect(latest()).toMatchObject({ loaded: true, live: true, engineError: undefined });
    expect(latest()?.workspaces.map((w) => [w.name, w.state])).toEqual([['a', 'running']]);

    set(fake, [fakeWorkspace('a', { state: 'stopped' }), fakeWorkspace('b', { state: 'running' })]);
    fake.emit({ name: 'a', action: 'die' });
    await vi.waitFor(() =>
      expect(latest()?.workspaces.map((w) => [w.name, w.state])).toEqual([
        ['a', 'stopped'],
        ['b', 'running'],
      ]),
    );
    abort.abort();
    expect(fake.callsOf('usage')).toContain('usage a');
  });

  it('reports an unreachable engine and recovers on the poll', async () => {
    const fake = fakeBackend();
    fake.fail('list', new EngineError("Can't reach the Docker engine."));
    const { abort, latest } = watch(fake, { pollMs: 20, usageMs: 3_600_000 });
    await vi.waitFor(() => expect(latest()?.engineError?.message).toBe("Can't reach the Docker engine."));
    fake.heal('list');
    await vi.waitFor(() => expect(latest()?.engineError).toBeUndefined());
    expect(latest()?.workspaces.map((w) => w.name)).toEqual(['a']);
    abort.abort();
  });

  it('stops listing once aborted', async () => {
    const fake = fakeBackend();
    const { abort, latest } = watch(fake, { pollMs: 10, usageMs: 10 });
    await vi.waitFor(() => expect(latest()?.loaded).toBe(true));
    abort.abort();
    const calls = fake.callsOf('list').length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fake.callsOf('list').length).toBe(calls);
  });
});
