import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.js';
import type { Workspace } from '../workspace/model.js';
import type { Selected } from './select.js';

/** The file that says "the user stopped this workspace, at this time" (the engine can't tell). */
export function stopMarker(ctx: Context, name: string): string {
  return path.join(ctx.paths.workspacesDir, name, 'stopped-by-user');
}

/** Stops a running workspace; resolves to false when it was not running. */
export async function stopWorkspace(ctx: Context, selected: Selected): Promise<boolean> {
  const { workspace, backend } = selected;
  if (workspace.state !== 'running' && workspace.state !== 'starting') return false;
  const marker = stopMarker(ctx, workspace.name);
  await mkdir(path.dirname(marker), { recursive: true });
  await writeFile(marker, new Date().toISOString());
  await backend.stop(workspace.name);
  return true;
}

/** Starts a workspace (if it is not running) and waits until its SSH server answers. */
export async function startWorkspace(
  ctx: Context,
  selected: Selected,
): Promise<{ workspace: Workspace; started: boolean }> {
  const { workspace, backend } = selected;
  const started = workspace.state !== 'running';
  if (started) {
    await rm(stopMarker(ctx, workspace.name), { force: true });
    // Secrets changed since the last start reach the workspace now (the agent reads them at start).
    const { refreshSecrets, secretsFromFile } = await import('./secrets.js');
    await refreshSecrets(ctx, backend, workspace, await secretsFromFile(ctx, undefined));
    await backend.start(workspace.name);
  }
  const { waitUntilReady } = await import('./ready.js');
  // The same container keeps its host key across stop and start: the pin stays valid.
  await waitUntilReady(ctx, backend, workspace.name, undefined, true);
  // Ready means running: no second look at the engine (resume time is benchmarked).
  return { workspace: { ...workspace, state: 'running', stateReason: undefined }, started };
}

/** When the user last ran `devc stop` on it, if they did. */
export async function userStoppedAt(ctx: Context, name: string): Promise<string | undefined> {
  try {
    const text = (await readFile(stopMarker(ctx, name), 'utf8')).trim();
    return Number.isFinite(Date.parse(text)) ? text : undefined;
  } catch {
    return undefined;
  }
}
