import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import { readHomeId } from '../workspace/home-id.js';
import type { Workspace } from '../workspace/model.js';

/**
 * Whether a workspace is this DEVC_HOME's: one labelled with a home id is the home's with that id; one
 * made by an older devc (no label) is this home's when this home has its folder, as before the label.
 */
export function isOwnedBy(
  workspace: Pick<Workspace, 'home'>,
  homeId: string | undefined,
  hasFolder: boolean,
): boolean {
  if (workspace.home !== undefined) return workspace.home === homeId;
  return hasFolder;
}

/** Says whether workspaces are this DEVC_HOME's; reads the home id once for all of them. */
export async function ownershipCheck(ctx: Context): Promise<(workspace: Workspace) => Promise<boolean>> {
  const homeId = await readHomeId(ctx.paths);
  return async (workspace) =>
    isOwnedBy(
      workspace,
      homeId,
      workspace.home === undefined && (await exists(path.join(ctx.paths.workspacesDir, workspace.name))),
    );
}

/** What a command does that only the DEVC_HOME that made a workspace may do without --force. */
export type Change = 'delete' | 'stop' | 'rebuild';

const doing: Record<Change, string> = { delete: 'deleting', stop: 'stopping', rebuild: 'rebuilding' };

/** Another DEVC_HOME's workspace, which a change needs --force for. */
export class NotYoursError extends DevcError {}

/**
 * Refuses to change another DEVC_HOME's workspace unless `force`, naming whose it is; with `force`,
 * says whose it is and goes on. Resolves to whether the workspace is this DEVC_HOME's.
 */
export async function checkOwnership(
  ctx: Context,
  workspace: Workspace,
  change: Change,
  force: boolean,
): Promise<boolean> {
  if (await (await ownershipCheck(ctx))(workspace)) return true;
  const whose = `Workspace ${workspace.name} was made by another devc home (owner ${workspace.owner ?? 'unknown'})`;
  if (!force) {
    throw new NotYoursError(`${whose}.`, {
      hint: `Run \`devc ${change}\` with the DEVC_HOME that made it, or add --force to ${change} it anyway${change === 'delete' ? ' (its unsaved work is not checked)' : ''}.`,
    });
  }
  ctx.io.warn(`${whose}; --force is ${doing[change]} it anyway.`);
  return false;
}

function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
