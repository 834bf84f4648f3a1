import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import { findUnsavedWork, hasUnsavedWork } from '../git/safety.js';
import { unpinHostKey } from '../ssh/known-hosts.js';
import type { Selected } from './select.js';

/** Deleting would lose uncommitted or unpushed work (the details list it). */
export class UnsavedWorkError extends DevcError {}

/** Deletes a workspace and what devc made for it. Refuses to drop unsaved work unless `force`. */
export async function deleteWorkspace(ctx: Context, selected: Selected, force: boolean): Promise<void> {
  const { workspace, backend } = selected;
  const workspaceDir = path.join(ctx.paths.workspacesDir, workspace.name);
  const ownsSource = workspace.sourcePath !== undefined && isInside(workspace.sourcePath, workspaceDir);
  if (!force && ownsSource && workspace.sourcePath) {
    const work = await findUnsavedWork(workspace.sourcePath);
    if (hasUnsavedWork(work)) {
      const lines = [
        ...work.uncommitted.slice(0, 20).map((f) => `uncommitted: ${f}`),
        ...work.unpushed.slice(0, 20).map((c) => `unpushed:    ${c}`),
        ...(work.stashed ?? []).slice(0, 20).map((c) => `stashed:     ${c}`),
      ];
      throw new UnsavedWorkError(`Workspace ${workspace.name} has work that is not pushed anywhere.`, {
        hint: `Commit and push it first, or delete anyway with \`devc delete -w ${workspace.name} --force\`.`,
        details: lines.join('\n'),
      });
    }
  }
  await backend.remove(workspace.name);
  // A local working tree belongs to the user: only what devc made for the workspace goes.
  await rm(ownsSource ? workspaceDir : path.join(workspaceDir, 'config'), { recursive: true, force: true });
  if (!ownsSource) await rm(workspaceDir, { recursive: true, force: true }).catch(() => undefined);
  await unpinHostKey(ctx.paths.knownHosts, workspace.name);
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
