import { describe, expect, it, vi } from 'vitest';
import type { Backend, WorkspaceEvent } from '../../src/backends/backend.js';
import { createContext } from '../../src/context.js';
import { EngineError } from '../../src/errors.js';
import { watchWorkspaces, type Snapshot } from '../../src/services/watch.js';
import type { Workspace } from '../../src/workspace/model.js';
import { testIO } from './support/io.js';

function workspace(name: string, state: Workspace['state']): Workspace {
  return {
    name,
    backend: 'docker',
    state,
    stateReason: undefined,
    repository: { url: `https://example.test/${name}.git`, branch: 'main' },
    image: 'img',
    variant: undefined,
    folder: `/workspaces/${name}`,
    sourcePath: undefined,
    createdAt: '2026-01-01T00:00:00Z',
    id: name,
    user: 'dev',
  };
}

/** A backend whose list the test changes, with an event stream the test drives. */
function fakeBackend() {
  let workspaces: Workspace[] = [workspace('a', 'running')];
  let emit: ((event: WorkspaceEvent) => void) | undefined;
  let failing = false;
  const backend = {
    kind: 'docker' as const,
    list: vi.fn(() =>
      failing
        ? Promise.reject(new EngineError("Can't reach the Docker engine."))
        : Promise.resolve(workspaces),
    ),
    events: vi.fn(
      (onEvent: (event: WorkspaceEvent) => void, signal: AbortSignal) =>
        new Promise<void>((resolve) => {
          emit = onEvent;
          signal.addEventListener('abort', () => resolve(), { once: true });
        }),
    ),
    usage: vi.fn((names: string[]) =>
      Promise.resolve(new Map(names.map((n) => [n, { cpuPercent: 1, memoryBytes: 1024 }]))),
    ),
  };
  return {
    backend: backend as unknown as Backend,
    spy: backend,
    set: (next: Workspace[]) => (workspaces = next),
    fail: (value: boolean) => (failing = value),
    emit: (event: WorkspaceEvent) => emit?.(event),
  };
}

function watch(fake: ReturnType<typeof fakeBackend>, options = { pollMs: 3_600_000, usageMs: 3_600_000 }) {
  const ctx = createContext({
    io: testIO().io,
    env: {},
    backendFactory: () => Promise.resolve(fake.backend),
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

    fake.set([workspace('a', 'stopped'), workspace('b', 'running')]);
    fake.emit({ name: 'a', action: 'die' });
    await vi.waitFor(() =>
      expect(latest()?.workspaces.map((w) => [w.name, w.state])).toEqual([
        ['a', 'stopped'],
        ['b', 'running'],
      ]),
    );
    abort.abort();
    expect(fake.spy.usage).toHaveBeenCalledWith(['a'], expect.any(AbortSignal));
  });

  it('reports an unreachable engine and recovers on the poll', async () => {
    const fake = fakeBackend();
    fake.fail(true);
    const { abort, latest } = watch(fake, { pollMs: 20, usageMs: 3_600_000 });
    await vi.waitFor(() => expect(latest()?.engineError?.message).toBe("Can't reach the Docker engine."));
    fake.fail(false);
    await vi.waitFor(() => expect(latest()?.engineError).toBeUndefined());
    expect(latest()?.workspaces.map((w) => w.name)).toEqual(['a']);
    abort.abort();
  });

  it('stops listing once aborted', async () => {
    const fake = fakeBackend();
    const { abort, latest } = watch(fake, { pollMs: 10, usageMs: 10 });
    await vi.waitFor(() => expect(latest()?.loaded).toBe(true));
    abort.abort();
    const calls = fake.spy.list.mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fake.spy.list.mock.calls.length).toBe(calls);
  });
});
