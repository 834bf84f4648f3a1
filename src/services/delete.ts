import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import type { Backend } from '../backends/backend.js';
import { findUnsavedWork, hasUnsavedWork, type UnsavedWork } from '../git/safety.js';
import { unpinHostKey } from '../ssh/known-hosts.js';
import type { Selected } from './select.js';

/** Deleting would lose uncommitted or unpushed work (the details list it). */
export class UnsavedWorkError extends DevcError {}

/** Deletes a workspace and what devc made for it. Refuses to drop unsaved work unless `force`. */
export async function deleteWorkspace(ctx: Context, selected: Selected, force: boolean): Promise<void> {
  const { workspace, backend } = selected;
  const workspaceDir = path.join(ctx.paths.workspacesDir, workspace.name);
  const ownsSource = workspace.sourcePath !== undefined && isInside(workspace.sourcePath, workspaceDir);
  if (!force && (ownsSource || hasRemoteSource(backend))) {
    // Where the clone lives in the engine (Kubernetes: the PVC), the engine checks it.
    const work = hasRemoteSource(backend)
      ? await backend.unsavedWork(workspace.name)
      : await findUnsavedWork(workspace.sourcePath ?? workspaceDir);
    if (!work) {
      throw new UnsavedWorkError(
        `Workspace ${workspace.name} is not running, so devc can't check it for unpushed work.`,
        {
          hint: `Start it (\`devc start -w ${workspace.name}\`) and delete again, or delete anyway with --force.`,
        },
      );
    }
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

/** A backend that keeps the clone itself and can say what deleting it would lose. */
interface RemoteSource {
  unsavedWork(name: string): Promise<UnsavedWork | undefined>;
}

function hasRemoteSource(backend: Backend): backend is Backend & RemoteSource {
  return typeof (backend as Partial<RemoteSource>).unsavedWork === 'function';
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
