import type { Workspace } from '../../workspace/model.js';
import { formatDuration } from '../format.js';

/** "acme/shop@main" from a clone URL; the folder name for a local tree. */
export function shortRepository(workspace: Workspace): string {
  const { url, branch } = workspace.repository;
  const trimmed = url.replace(/\.git$/, '').replace(/\/+$/, '');
  const parts = trimmed.split(/[/:]/).filter(Boolean);
  const isUrl = /^[a-z]+:\/\//i.test(url) || /^[^/]+@[^/]+:/.test(url);
  const name = isUrl ? parts.slice(-2).join('/') : (parts.at(-1) ?? url);
  return branch ? `${name}@${branch}` : name;
}

/** How long a running workspace has been up; "-" otherwise. */
export function uptime(workspace: Workspace, now: number): string {
  if (workspace.state !== 'running' || !workspace.startedAt) return '-';
  const started = Date.parse(workspace.startedAt);
  return Number.isFinite(started) ? formatDuration((now - started) / 1000, 2) : '-';
}

export function shortPercent(percent: number): string {
  return percent < 10 ? `${percent.toFixed(1)}%` : `${Math.round(percent)}%`;
}

/**
 * The idle line of the details pane: the timeout always, the countdown when the agent told us when the
 * workspace was last used and nobody is connected.
 */
export function idleText(
  workspace: Workspace,
  activity: { lastActiveAt: string | undefined; activeConnections: number | undefined } | undefined,
  now: number,
): string {
  const timeout = workspace.idleTimeoutSeconds;
  if (timeout === undefined) return 'idle stop: unknown';
  if (timeout === 0) return 'idle stop: never';
  const base = `idle stop after ${formatDuration(timeout)}`;
  if (workspace.state !== 'running' || !activity) return base;
  if (activity.activeConnections && activity.activeConnections > 0)
    return `${base} (in use: ${activity.activeConnections} connection${activity.activeConnections > 1 ? 's' : ''})`;
  const last = activity.lastActiveAt ? Date.parse(activity.lastActiveAt) : NaN;
  if (!Number.isFinite(last)) return base;
  const left = timeout - (now - last) / 1000;
  return `${base} (stops in ${formatDuration(left, 2)})`;
}

/** Case-insensitive match on name, repository and branch. */
export function matchesFilter(workspace: Workspace, filter: string): boolean {
  const needle = filter.trim().toLowerCase();
  if (!needle) return true;
  return [workspace.name, workspace.repository.url, workspace.repository.branch ?? '', workspace.backend]
    .join(' ')
    .toLowerCase()
    .includes(needle);
}
