import path from 'node:path';
import type { Backend } from '../backends/backend.js';
import type { Context } from '../context.js';
import { DevcError, EngineError, UsageError } from '../errors.js';
import type { Workspace } from '../workspace/model.js';
import { checkWorkspaceName } from '../workspace/name.js';
import { leftoversOf } from './leftovers.js';
import { checkOwnership, ownershipCheck, type Change } from './ownership.js';

export interface Selected {
  workspace: Workspace;
  backend: Backend;
}

export interface SelectOptions {
  /** What the command changes: another DEVC_HOME's workspace is refused unless `force` (then a warning). */
  change?: Change;
  force?: boolean;
  /** A workspace whose container is gone (state missing) may be chosen: delete and view act on it. */
  missing?: boolean;
}

/**
 * The workspace a targeted command acts on: -w NAME (any DEVC_HOME's), else the only one of this
 * DEVC_HOME, else this DEVC_HOME's one for this directory.
 */
export async function selectWorkspace(
  ctx: Context,
  name: string | undefined,
  options: SelectOptions = {},
): Promise<Selected> {
  const selected =
    name !== undefined
      ? await selectNamed(ctx, checkWorkspaceName(name), options.missing ?? false)
      : await selectHere(ctx);
  if (options.change) await checkOwnership(ctx, selected.workspace, options.change, options.force ?? false);
  return selected;
}

async function selectNamed(ctx: Context, name: string, missing: boolean): Promise<Selected> {
  const backends = await ctx.backends();
  // A machine with only a kubeconfig: a Docker engine that doesn't answer is not a reason to miss a
  // cluster's workspace; it is the error only when no other backend has the name.
  let unreachable: EngineError | undefined;
  const reached = <T>(work: Promise<T>, none: T): Promise<T> =>
    work.catch((error: unknown) => {
      if (!(error instanceof EngineError) || backends.length < 2) throw error;
      unreachable ??= error;
      return none;
    });
  for (const backend of backends) {
    const found = await reached(backend.find(name), null);
    if (found) return { workspace: found, backend };
  }
  for (const backend of backends) {
    const left = (await reached(leftoversOf(ctx, backend), [])).find((w) => w.name === name);
    if (!left) continue;
    if (missing) return { workspace: left, backend };
    throw new DevcError(`Workspace ${name} is missing: its container is gone.`, {
      hint: `\`devc up ${left.repository.url || 'REPO'} --name ${name}\` brings it back; \`devc delete -w ${name}\` removes what is left.`,
    });
  }
  if (unreachable) throw unreachable;
  throw new DevcError(`There is no workspace named ${name}.`, {
    hint: 'Run `devc list` to see your workspaces.',
  });
}

async function selectHere(ctx: Context): Promise<Selected> {
  const everyone: Selected[] = [];
  for (const backend of await ctx.backends())
    for (const workspace of await backend.list()) everyone.push({ workspace, backend });
  // Without -w only this DEVC_HOME's count: another's is never picked by accident.
  const mine = await ownershipCheck(ctx);
  const all: Selected[] = [];
  for (const selected of everyone) if (await mine(selected.workspace)) all.push(selected);
  if (all.length === 1 && all[0]) return all[0];
  if (all.length === 0)
    throw new DevcError('You have no workspaces.', {
      hint:
        everyone.length > 0
          ? `Create one with \`devc up REPO\`. Other devc homes' workspaces (\`devc list\` shows them) need -w NAME.`
          : 'Create one with `devc up REPO`.',
    });
  const here = all.filter(({ workspace }) => workspace.sourcePath && isInside(ctx.cwd, workspace.sourcePath));
  if (here.length === 1 && here[0]) return here[0];
  throw new UsageError(`You have ${all.length} workspaces; say which one with -w NAME.`, {
    hint: `Workspaces: ${names(all)}`,
  });
}

function names(all: Selected[]): string {
  return all.map(({ workspace }) => workspace.name).join(', ');
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
