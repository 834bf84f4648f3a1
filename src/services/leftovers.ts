import path from 'node:path';
import { listsLeftovers, type Backend, type ListOptions } from '../backends/backend.js';
import type { Context } from '../context.js';
import { holderOf } from '../workspace/lock.js';
import type { Workspace } from '../workspace/model.js';

/**
 * Workspaces of this backend whose container is gone (`docker rm -f`) while their data stays: state
 * missing. Not those this DEVC_HOME's `devc up` is making right now: their volume comes before their
 * container (minutes before, when an image is built).
 */
export async function leftoversOf(
  ctx: Context,
  backend: Backend,
  options: ListOptions = {},
): Promise<Workspace[]> {
  if (!listsLeftovers(backend)) return [];
  const found = await backend.leftovers(options);
  const settled: Workspace[] = [];
  for (const workspace of found) if (!(await beingCreated(ctx, workspace.name))) settled.push(workspace);
  return settled;
}

/** Whether a live `devc up` of this DEVC_HOME holds the name's lock (services/up.ts: `name-NAME`). */
async function beingCreated(ctx: Context, name: string): Promise<boolean> {
  const holder = await holderOf(path.join(ctx.paths.locksDir, `name-${name}.lock`));
  return holder.kind === 'live';
}
