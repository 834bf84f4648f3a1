import type { Workspace, WorkspaceState } from '../../workspace/model.js';

/** Colours the dashboard draws states in: names both ink and IO.paint know. */
export type StateColor = 'green' | 'yellow' | 'gray' | 'red';

/** The colour a state is drawn in. */
export function stateColor(state: WorkspaceState): StateColor {
  switch (state) {
    case 'running':
      return 'green';
    case 'starting':
      return 'yellow';
    case 'stopped':
      return 'gray';
    default:
      return 'red';
  }
}

/** "acme/shop@main" from a clone URL; the folder name for a local tree. */
export function shortRepository(workspace: Workspace): string {
  const { url, branch } = workspace.repository;
  const trimmed = url.replace(/\.git$/, '').replace(/\/+$/, '');
  const parts = trimmed.split(/[/:]/).filter(Boolean);
  const isUrl = /^[a-z]+:\/\//i.test(url) || /^[^/]+@[^/]+:/.test(url);
  const name = isUrl ? parts.slice(-2).join('/') : (parts.at(-1) ?? url);
  return branch ? `${name}@${branch}` : name;
}

/** Seconds as the largest one or two units: 45s, 12m, 3h05m, 2d4h. */
export function shortDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** How long a running workspace has been up; "-" otherwise. */
export function uptime(workspace: Workspace, now: number): string {
  if (workspace.state !== 'running' || !workspace.startedAt) return '-';
  const started = Date.parse(workspace.startedAt);
  return Number.isFinite(started) ? shortDuration((now - started) / 1000) : '-';
}

/** 1536 → "1.5K"; binary units, one decimal under 10. */
export function shortBytes(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = value < 10 && unit > 0 ? value.toFixed(1) : String(Math.round(value));
  return `${text}${units[unit]}`;
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
  const base = `idle stop after ${shortDuration(timeout)}`;
  if (workspace.state !== 'running' || !activity) return base;
  if (activity.activeConnections && activity.activeConnections > 0)
    return `${base} (in use: ${activity.activeConnections} connection${activity.activeConnections > 1 ? 's' : ''})`;
  const last = activity.lastActiveAt ? Date.parse(activity.lastActiveAt) : NaN;
  if (!Number.isFinite(last)) return base;
  const left = timeout - (now - last) / 1000;
  return `${base} (stops in ${shortDuration(Math.max(0, left))})`;
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
