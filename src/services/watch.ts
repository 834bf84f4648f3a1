import { hasEvents, hasUsage, type Backend, type WorkspaceUsage } from '../backends/backend.js';
import type { Context } from '../context.js';
import { describeError } from '../errors.js';
import type { Workspace } from '../workspace/model.js';
import { sleep } from '../wait/backoff.js';
import { repeat } from '../wait/repeat.js';

/** Every workspace as last seen, with what the engine says about it right now. */
export interface Snapshot {
  /** False until the first list has come back. */
  loaded: boolean;
  workspaces: Workspace[];
  /** CPU and memory of running workspaces, by name (filled in a few seconds after the list). */
  usage: ReadonlyMap<string, WorkspaceUsage>;
  /** Why the engine can't be listed, when it can't. */
  engineError: { message: string; hint: string | undefined } | undefined;
  /** True while an engine event stream is connected; false means the view only polls. */
  live: boolean;
}

export interface WatchOptions {
  /** The slow poll that catches what events miss (and the retry while the engine is down). */
  pollMs?: number;
  /** How often CPU and memory are read. */
  usageMs?: number;
}

export const emptySnapshot: Snapshot = {
  loaded: false,
  workspaces: [],
  usage: new Map(),
  engineError: undefined,
  live: false,
};

/**
 * Keeps a snapshot fresh until the signal aborts: engine events trigger a re-list at once, a slow poll
 * catches anything they miss, and usage is read every few seconds for running workspaces.
 */
export function watchWorkspaces(
  ctx: Context,
  onChange: (snapshot: Snapshot) => void,
  signal: AbortSignal,
  options: WatchOptions = {},
): void {
  const pollMs = options.pollMs ?? 10_000;
  const usageMs = options.usageMs ?? 3_000;
  let snapshot = emptySnapshot;
  const set = (change: Partial<Snapshot>): void => {
    if (signal.aborted) return;
    snapshot = { ...snapshot, ...change };
    onChange(snapshot);
  };
  let listing: Promise<void> | undefined;
  let again = false;
  // One list at a time; a burst of events while one runs makes exactly one more.
  const refresh = (): Promise<void> => {
    if (listing) {
      again = true;
      return listing;
    }
    listing = (async () => {
      do {
        again = false;
        await listAll(ctx).then(
          (workspaces) => set({ loaded: true, workspaces, engineError: undefined }),
          (error: unknown) => {
            const { message, hint } = describeError(error);
            set({ loaded: true, engineError: { message, hint } });
          },
        );
      } while (again && !signal.aborted);
      listing = undefined;
    })();
    return listing;
  };

  const readAll = async (): Promise<void> => {
    const running = snapshot.workspaces.filter((w) => w.state === 'running');
    set({ usage: await readUsage(ctx, running, signal) });
  };
  void (async () => {
    await refresh();
    await Promise.all([
      repeat(refresh, pollMs, signal),
      followEvents(ctx, signal, pollMs, refresh, (live) => set({ live })),
      repeat(readAll, usageMs, signal, { now: true }),
    ]);
  })();
}

async function listAll(ctx: Context): Promise<Workspace[]> {
  const all: Workspace[] = [];
  for (const backend of await ctx.backends()) all.push(...(await backend.list()));
  return all.sort((a, b) => a.name.localeCompare(b.name));
}

/** One event stream per backend that has one; reconnects (after a pause) when a stream ends. */
async function followEvents(
  ctx: Context,
  signal: AbortSignal,
  retryMs: number,
  refresh: () => Promise<void>,
  setLive: (live: boolean) => void,
): Promise<void> {
  const backends = await ctx.backends().catch(() => [] as Backend[]);
  const streams = backends.filter(hasEvents);
  if (streams.length === 0) return;
  await Promise.all(
    streams.map(async (backend) => {
      while (!signal.aborted) {
        setLive(true);
        await backend.events(() => void refresh(), signal).catch(() => undefined);
        setLive(false);
        await sleep(retryMs, signal);
        // Events may have been missed while the stream was down.
        if (!signal.aborted) await refresh();
      }
    }),
  );
}

async function readUsage(
  ctx: Context,
  running: Workspace[],
  signal: AbortSignal,
): Promise<Map<string, WorkspaceUsage>> {
  const usage = new Map<string, WorkspaceUsage>();
  if (running.length === 0) return usage;
  for (const backend of await ctx.backends()) {
    if (!hasUsage(backend)) continue;
    const names = running.filter((w) => w.backend === backend.kind).map((w) => w.name);
    if (names.length === 0) continue;
    const found = await backend.usage(names, signal).catch(() => new Map<string, WorkspaceUsage>());
    for (const [name, value] of found) usage.set(name, value);
  }
  return usage;
}
