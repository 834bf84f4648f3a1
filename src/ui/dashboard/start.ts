import type { Context } from '../../context.js';
import { describeError } from '../../errors.js';
import type { Snapshot } from '../../services/watch.js';
import { plainFrame } from './plain-frame.js';
import { alternateScreen } from './screen.js';

export interface DashboardOptions {
  /** Print one frame and exit (also what happens without a terminal). */
  once: boolean;
}

/**
 * Starts the dashboard. ink and React take longer to load than the engine takes to answer the first
 * list, so the first frame is drawn as plain text as soon as the list is in, and ink loads after it
 * (loading it alongside the list only slowed the list: both need the one main thread). ink takes over
 * the screen when it is ready, with the same layout, so nothing jumps. A pipe gets that frame only.
 */
export async function startDashboard(ctx: Context, options: DashboardOptions): Promise<void> {
  const live = !options.once && ctx.io.interactive;
  const snapshot = await firstSnapshot(ctx);
  const width = ctx.io.stdout.columns || Number(ctx.env.COLUMNS) || 100;
  if (!live) {
    if (snapshot instanceof Error) throw snapshot;
    ctx.io.out(plainFrame(ctx.io, snapshot, width, Date.now()));
    return;
  }
  const screen = alternateScreen(ctx.io.stdout);
  screen.enter();
  if (!(snapshot instanceof Error)) ctx.io.stdout.write(plainFrame(ctx.io, snapshot, width, Date.now()));
  try {
    const { runDashboard } = await import('./run.js');
    await runDashboard(ctx, snapshot instanceof Error ? undefined : snapshot, screen);
  } finally {
    screen.leave();
  }
}

/** The first list, or the error that stopped it (kept as a value: the live view shows it, a pipe fails). */
async function firstSnapshot(ctx: Context): Promise<Snapshot | Error> {
  const { listWorkspaces } = await import('../../services/list.js');
  try {
    const workspaces = await listWorkspaces(ctx);
    return { loaded: true, workspaces, usage: new Map(), engineError: undefined, live: false };
  } catch (error) {
    return error instanceof Error ? error : new Error(describeError(error).message);
  }
}
