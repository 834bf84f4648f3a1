import type { Context } from '../context.js';
import type { Workspace } from '../workspace/model.js';
import { leftoversOf } from './leftovers.js';
import { ownershipCheck } from './ownership.js';

/** Every workspace on every backend, by name. */
export async function listWorkspaces(ctx: Context): Promise<Workspace[]> {
  const all: Workspace[] = [];
  for (const backend of await ctx.backends()) all.push(...(await backend.list()));
  return all.sort((a, b) => a.name.localeCompare(b.name));
}

/** One row of `devc list`: a workspace, and whether this DEVC_HOME made it. */
export interface ListedWorkspace {
  workspace: Workspace;
  mine: boolean;
}

/**
 * What `devc list` shows: every workspace on every backend, whichever DEVC_HOME made it, and those
 * whose container is gone while their data stays (state missing). Engine objects whose workspace
 * label is no valid name are left out, each reported to `onIgnored`.
 */
export async function listForUser(
  ctx: Context,
  onIgnored: (message: string) => void,
): Promise<ListedWorkspace[]> {
  const mine = await ownershipCheck(ctx);
  const all: ListedWorkspace[] = [];
  for (const backend of await ctx.backends()) {
    const found = [
      ...(await backend.list({ onIgnored })),
      ...(await leftoversOf(ctx, backend, { onIgnored })),
    ];
    for (const workspace of found) all.push({ workspace, mine: await mine(workspace) });
  }
  return all.sort((a, b) => a.workspace.name.localeCompare(b.workspace.name));
}
