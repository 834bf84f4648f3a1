import path from 'node:path';
import type { Backend } from '../backends/backend.js';
import type { Context } from '../context.js';
import { DevcError, UsageError } from '../errors.js';
import type { Workspace } from '../workspace/model.js';

export interface Selected {
  workspace: Workspace;
  backend: Backend;
}

/** The workspace a targeted command acts on: -w NAME, else the only one, else the one for this directory. */
export async function selectWorkspace(ctx: Context, name: string | undefined): Promise<Selected> {
  const backends = await ctx.backends();
  if (name !== undefined) {
    for (const backend of backends) {
      const found = await backend.find(name);
      if (found) return { workspace: found, backend };
    }
    throw new DevcError(`There is no workspace named ${name}.`, {
      hint: 'Run `devc list` to see your workspaces.',
    });
  }
  const all: Selected[] = [];
  for (const backend of backends)
    for (const workspace of await backend.list()) all.push({ workspace, backend });
  if (all.length === 1 && all[0]) return all[0];
  if (all.length === 0)
    throw new DevcError('You have no workspaces.', { hint: 'Create one with `devc up REPO`.' });
  const here = all.filter(({ workspace }) => workspace.sourcePath && isInside(ctx.cwd, workspace.sourcePath));
  if (here.length === 1 && here[0]) return here[0];
  throw new UsageError(`You have ${all.length} workspaces; say which one with -w NAME.`, {
    hint: `Workspaces: ${all.map(({ workspace }) => workspace.name).join(', ')}`,
  });
}

function isInside(dir: string, parent: string): boolean {
  const rel = path.relative(parent, dir);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Starts a stopped workspace (saying so) and waits until it answers. */
export async function ensureRunning(ctx: Context, selected: Selected): Promise<Workspace> {
  if (selected.workspace.state === 'running') return selected.workspace;
  ctx.io.err(`Workspace ${selected.workspace.name} is ${selected.workspace.state}; starting it…`);
  await selected.backend.start(selected.workspace.name);
  const { waitUntilReady } = await import('./ready.js');
  await waitUntilReady(ctx, selected.backend, selected.workspace.name, undefined, true);
  // Its ports come back with it (the forwarder may have been ended by `devc stop`).
  const { forwarderAfterStart } = await import('./forwarder.js');
  await forwarderAfterStart(ctx, selected.workspace.name, selected.backend.kind).catch(() => null);
  return (await selected.backend.find(selected.workspace.name)) ?? selected.workspace;
}
