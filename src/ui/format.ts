import type { WorkspaceState } from '../workspace/model.js';

// How every command and the dashboard show sizes, durations and states, so `list`, `view`,
// `images list` and the dashboard never disagree. JSON output carries the raw numbers instead.

/** Colours states are drawn in: names both ink and IO.paint know. */
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

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/**
 * Bytes in powers of 1000 as docker and devcontainer.json's hostRequirements count them, one decimal
 * under 10: 512 → "512 B", 1_500_000 → "1.5 MB", 64e9 → "64 GB". Never wider than 6 characters.
 */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  // Compare what will be printed, so 999_600 reads "1.0 MB" rather than "1000 kB".
  while (Math.round(value) >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const text = unit > 0 && value < 9.95 ? value.toFixed(1) : String(Math.round(value));
  return `${text} ${BYTE_UNITS[unit]}`;
}

const DURATION_UNITS = [
  ['d', 86400],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
] as const;

/**
 * Seconds the way `--idle-timeout` takes them: 1800 → "30m", 5400 → "1h30m", 0 → "0s". `units`
 * keeps only that many units from the largest (rounding down), for columns and ages: 2 gives
 * 93784 → "1d2h", 1 gives "1d".
 */
export function formatDuration(seconds: number, units: number = DURATION_UNITS.length): string {
  let rest = Math.max(0, Math.round(seconds));
  const first = DURATION_UNITS.findIndex(([, size]) => rest >= size);
  if (first < 0) return '0s';
  let out = '';
  for (const [unit, size] of DURATION_UNITS.slice(first, first + units)) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** "3m ago": how long ago an ISO date was, in its largest unit; "-" for no date. */
export function formatAge(iso: string, now = Date.now()): string {
  const seconds = (now - Date.parse(iso)) / 1000;
  return Number.isFinite(seconds) ? `${formatDuration(Math.max(0, Math.floor(seconds)), 1)} ago` : '-';
}
