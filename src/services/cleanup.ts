import type { Context } from '../context.js';
import { describeError } from '../errors.js';
import type { Workspace } from '../workspace/model.js';
import { deleteWorkspace, UnsavedWorkError } from './delete.js';
import { ownershipCheck } from './ownership.js';
import { leftoversOf } from './leftovers.js';
import type { Selected } from './select.js';

export interface CleanupResult {
  deleted: string[];
  /** Kept because deleting would lose work (or failed); details name the files and commits. */
  kept: { name: string; message: string; details: string | undefined }[];
}

/**
 * Workspaces unused for longer than `olderThanSeconds` (all, when undefined). A running workspace is
 * in use; a stopped one was last used when it stopped (or was made, if it never ran).
 */
export function pickForCleanup<T extends { workspace: Workspace }>(
  all: T[],
  olderThanSeconds: number | undefined,
  now = Date.now(),
): T[] {
  if (olderThanSeconds === undefined) return all;
  return all.filter(({ workspace }) => {
    if (workspace.state === 'running' || workspace.state === 'starting') return false;
    const lastUsed = Date.parse(workspace.stoppedAt ?? workspace.createdAt);
    return Number.isFinite(lastUsed) && now - lastUsed > olderThanSeconds * 1000;
  });
}

/** Deletes every chosen workspace that is safe to delete (or all with `force`); keeps going past refusals. */
export async function deleteMany(
  ctx: Context,
  options: { olderThanSeconds: number | undefined; force: boolean },
  onDeleted: (name: string) => void = () => undefined,
): Promise<CleanupResult> {
  // Bulk deletion touches only workspaces this DEVC_HOME made: another's on the same engine (a second
  // user, a CI job) are out of reach of --all. Those whose container is gone are deleted too.
  const mine = await ownershipCheck(ctx);
  const all: Selected[] = [];
  for (const backend of await ctx.backends())
    for (const workspace of [...(await backend.list()), ...(await leftoversOf(ctx, backend))])
      if (await mine(workspace)) all.push({ workspace, backend });
  const result: CleanupResult = { deleted: [], kept: [] };
  for (const selected of pickForCleanup(all, options.olderThanSeconds)) {
    const name = selected.workspace.name;
    try {
      await deleteWorkspace(ctx, selected, options.force);
      result.deleted.push(name);
      onDeleted(name);
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      const described = describeError(error);
      result.kept.push({
        name,
        message: error instanceof UnsavedWorkError ? 'has uncommitted or unpushed work' : described.message,
        details: described.details,
      });
    }
  }
  return result;
}
