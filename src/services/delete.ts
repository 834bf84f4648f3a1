import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import { reportsUnsavedWork, type Backend } from '../backends/backend.js';
import { findUnsavedWork, hasUnsavedWork, type UnsavedWork } from '../git/safety.js';
import { unpinHostKey } from '../ssh/known-hosts.js';
import type { Workspace } from '../workspace/model.js';
import { checkWorkspaceName, isWorkspaceName } from '../workspace/name.js';
import { checkOwnership } from './ownership.js';
import type { Selected } from './select.js';

/** Deleting would lose uncommitted or unpushed work (the details list it). */
export class UnsavedWorkError extends DevcError {}

/**
 * Deletes a workspace and what devc made for it. Refuses to drop unsaved work, and another DEVC_HOME's
 * workspace, unless `force`; this DEVC_HOME's folders are left alone when the workspace is another's.
 */
export async function deleteWorkspace(ctx: Context, selected: Selected, force: boolean): Promise<void> {
  const { workspace, backend } = selected;
  const name = checkWorkspaceName(workspace.name);
  const mine = await checkOwnership(ctx, workspace, 'delete', force);
  const workspaceDir = path.join(ctx.paths.workspacesDir, name);
  if (!force && mine) await refuseUnsavedWork(workspace, backend, workspaceDir);
  await backend.remove(name);
  if (!mine) return;
  // The forwarder service lets go of it first, so it writes nothing into the folder being removed.
  const { stopForwarder } = await import('./forwarder.js');
  await stopForwarder(ctx, name).catch(() => false);
  // A local working tree belongs to the user and lies elsewhere: only devc's folder for it goes.
  await removeWorkspaceFolder(ctx.paths.workspacesDir, name);
  await unpinHostKey(ctx.paths.knownHosts, name);
}

async function refuseUnsavedWork(
  workspace: Workspace,
  backend: Backend,
  workspaceDir: string,
): Promise<void> {
  // Where the clone lives in the engine (Kubernetes: the PVC), the engine checks it.
  const inEngine = reportsUnsavedWork(backend) ? await backend.unsavedWork(workspace.name) : null;
  const work =
    inEngine !== null ? inEngine : await unsavedInClones(await hostClones(workspace, workspaceDir));
  if (!work) {
    throw new UnsavedWorkError(
      `Workspace ${workspace.name} is not running, so devc can't check it for unpushed work.`,
      {
        hint: `Start it (\`devc start -w ${workspace.name}\`) and delete again, or delete anyway with --force.`,
      },
    );
  }
  if (!hasUnsavedWork(work)) return;
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

/**
 * The clones devc made for it on this machine: its source when that is devc's; for one whose
 * container is gone and whose volume recorded no source (older devc), every clone in its src/.
 */
async function hostClones(workspace: Workspace, workspaceDir: string): Promise<string[]> {
  if (workspace.sourcePath !== undefined)
    return isInside(workspace.sourcePath, workspaceDir) ? [workspace.sourcePath] : [];
  const src = path.join(workspaceDir, 'src');
  const names = await readdir(src).catch(() => []);
  return names.map((n) => path.join(src, n));
}

async function unsavedInClones(clones: string[]): Promise<UnsavedWork> {
  const all: UnsavedWork = { uncommitted: [], unpushed: [], stashed: [] };
  for (const clone of clones) {
    const work = await findUnsavedWork(clone);
    all.uncommitted.push(...work.uncommitted);
    all.unpushed.push(...work.unpushed);
    all.stashed?.push(...(work.stashed ?? []));
  }
  return all;
}

/**
 * Removes devc's folder for a workspace. Never anything but a folder strictly inside `workspacesDir`:
 * a name that is not one (`..`, '') would otherwise take DEVC_HOME, or more, with it.
 */
export async function removeWorkspaceFolder(workspacesDir: string, name: string): Promise<void> {
  const dir = path.resolve(workspacesDir, name);
  if (!isWorkspaceName(name) || path.dirname(dir) !== path.resolve(workspacesDir))
    throw new DevcError(`devc refuses to remove ${dir}: it is not a workspace folder in ${workspacesDir}.`);
  await rm(dir, { recursive: true, force: true });
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
