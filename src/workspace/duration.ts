import { UsageError } from '../errors.js';
import { formatDuration } from '../ui/format.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** About a hundred years: anything longer is a typo, and past 2^53 seconds sums lose precision. */
export const MAX_DURATION_SECONDS = 36_500 * 86400;

/** The longest idle timeout: a workspace left for longer is forgotten, and 0 says "never" plainly. */
export const MAX_IDLE_TIMEOUT_SECONDS = 30 * 86400;

/** Parses "90s", "30m", "1h30m", "2d" or "0" into seconds; longer than `maxSeconds` is a usage error. */
export function parseDuration(value: string, maxSeconds = MAX_DURATION_SECONDS): number {
  const text = value.trim();
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+)([smhd])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new UsageError(`"${value}" is not a duration.`, {
      hint: 'Use e.g. 90s, 30m, 1h30m, 2d, or 0 for never.',
    });
  }
  const seconds = parts.reduce((sum, [, n, unit]) => sum + Number(n) * (UNITS[unit ?? 's'] ?? 1), 0);
  if (seconds > maxSeconds)
    throw new UsageError(`"${value}" is too long; the most is ${formatDuration(maxSeconds)}.`);
  return seconds;
}

/** `up --idle-timeout` (and the config's idleTimeout): a duration of at most 30 days, or 0 for never. */
export function parseIdleTimeout(value: string): number {
  try {
    return parseDuration(value, MAX_IDLE_TIMEOUT_SECONDS);
  } catch (error) {
    if (!(error instanceof UsageError) || error.hint) throw error;
    throw new UsageError(error.message, { hint: 'Use 0 for a workspace that never stops by itself.' });
  }
}

/**
 * The warning for an `up` that resumes a workspace with another idle timeout than the one asked for:
 * the timeout is the container's environment, fixed when it is made (`rebuild` keeps it too).
 */
export function keptIdleTimeoutWarning(
  workspace: string,
  current: number | undefined,
  requested: number | undefined,
): string | undefined {
  if (requested === undefined || current === undefined || requested === current) return undefined;
  const kept =
    current === 0 ? 'never stops by itself' : `keeps its idle timeout of ${formatDuration(current)}`;
  return `Workspace ${workspace} ${kept}: --idle-timeout applies to new workspaces only (delete it and \`devc up\` again to change it).`;
}
