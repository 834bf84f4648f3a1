import { access } from 'node:fs/promises';
import { execa } from 'execa';
import { hasDetails, type WorkspaceDetails } from '../backends/backend.js';
import type { Context } from '../context.js';
import { headOf } from '../git/trusted.js';
import { formatDuration } from '../ui/format.js';
import type { Workspace } from '../workspace/model.js';
import { userStoppedAt } from './lifecycle.js';
import type { Selected } from './select.js';

/** Why a workspace is not running, as far as devc can tell. */
export type StopCause = 'user' | 'idle' | 'exited' | 'other';

/** One workspace in detail: what `devc view` shows. */
export interface WorkspaceView {
  workspace: Workspace;
  stateReason: string;
  stopCause: StopCause | undefined;
  commit: string | undefined;
  branch: string | undefined;
  lastUsedAt: string | undefined;
  idleTimeoutSeconds: number | undefined;
  /** Seconds until the idle stop (a lower bound when the agent doesn't record activity); undefined: none. */
  idleSecondsLeft: number | undefined;
  activeConnections: number | undefined;
  sourceBytes: number | undefined;
  homeBytes: number | undefined;
  ports: { remote: number; local: number; url: string; label: string }[];
}

/** Gathers state and its cause, repository, activity and disk use of one workspace. */
export async function viewWorkspace(
  ctx: Context,
  selected: Selected,
  now = Date.now(),
): Promise<WorkspaceView> {
  const { workspace, backend } = selected;
  const [details, stoppedByUser, head, sourceBytes] = await Promise.all([
    hasDetails(backend) ? backend.details(workspace.name).catch(() => undefined) : undefined,
    userStoppedAt(ctx, workspace.name),
    workspace.sourcePath ? headOf(workspace.sourcePath) : undefined,
    workspace.sourcePath ? folderBytes(workspace.sourcePath) : undefined,
  ]);
  const { reason, cause } = explainState(workspace, details, stoppedByUser);
  const lastUsedAt = lastUsed(workspace, details, cause, now);
  return {
    workspace,
    stateReason: reason,
    stopCause: cause,
    commit: head?.commit,
    branch: head ? head.branch || undefined : workspace.repository.branch,
    lastUsedAt,
    idleTimeoutSeconds: workspace.idleTimeoutSeconds,
    idleSecondsLeft: idleLeft(workspace, details, lastUsedAt, now),
    activeConnections: details?.activeConnections,
    sourceBytes,
    homeBytes: details?.homeBytes,
    // Port forwarding lives in `devc ports`; view lists what it reports once that lands.
    ports: [],
  };
}

/** The state in words and, for a stopped workspace, who or what stopped it. */
export function explainState(
  workspace: Workspace,
  details: WorkspaceDetails | undefined,
  userStoppedAt: string | undefined,
): { reason: string; cause: StopCause | undefined } {
  if (workspace.state === 'running' || workspace.state === 'starting')
    return { reason: workspace.stateReason ?? workspace.state, cause: undefined };
  if (workspace.state === 'exited' || workspace.state === 'failed')
    return { reason: workspace.stateReason ?? workspace.state, cause: 'exited' };
  if (details?.agentStopReason === 'idle') {
    const after = workspace.idleTimeoutSeconds ? ` ${formatDuration(workspace.idleTimeoutSeconds)}` : '';
    return { reason: `stopped after${after} without use (idle timeout)`, cause: 'idle' };
  }
  if (userStoppedAt && workspace.stoppedAt) {
    // `devc stop` wrote the marker just before the engine stopped it; an older marker is another stop.
    const gap = Date.parse(workspace.stoppedAt) - Date.parse(userStoppedAt);
    if (gap >= -5_000 && gap <= 120_000) return { reason: 'stopped by the user (devc stop)', cause: 'user' };
  }
  return { reason: workspace.stateReason ?? 'stopped', cause: 'other' };
}

function lastUsed(
  workspace: Workspace,
  details: WorkspaceDetails | undefined,
  cause: StopCause | undefined,
  now: number,
): string | undefined {
  if (details?.activeConnections) return new Date(now).toISOString();
  if (details?.lastActiveAt) return details.lastActiveAt;
  if (workspace.state === 'running') return workspace.startedAt;
  if (cause === 'idle' && workspace.stoppedAt && workspace.idleTimeoutSeconds) {
    return new Date(Date.parse(workspace.stoppedAt) - workspace.idleTimeoutSeconds * 1000).toISOString();
  }
  return workspace.stoppedAt;
}

function idleLeft(
  workspace: Workspace,
  details: WorkspaceDetails | undefined,
  lastUsedAt: string | undefined,
  now: number,
): number | undefined {
  const timeout = workspace.idleTimeoutSeconds;
  if (workspace.state !== 'running' || !timeout || !lastUsedAt) return undefined;
  if (details?.activeConnections) return timeout;
  const idleFor = Math.max(0, (now - Date.parse(lastUsedAt)) / 1000);
  return Math.max(0, Math.round(timeout - idleFor));
}

async function folderBytes(dir: string): Promise<number | undefined> {
  if (
    !(await access(dir).then(
      () => true,
      () => false,
    ))
  )
    return undefined;
  const du = await execa('du', ['-sk', dir], { reject: false });
  const kb = Number(String(du.stdout).split('\t')[0]);
  return du.exitCode === 0 && Number.isFinite(kb) ? kb * 1024 : undefined;
}
