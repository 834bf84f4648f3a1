import type { Context } from '../context.js';
import type { Workspace } from '../workspace/model.js';

/** Every workspace on every backend, by name. */
export async function listWorkspaces(ctx: Context): Promise<Workspace[]> {
  const all: Workspace[] = [];
  for (const backend of await ctx.backends()) all.push(...(await backend.list()));
  return all.sort((a, b) => a.name.localeCompare(b.name));
}
