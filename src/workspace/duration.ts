import { UsageError } from '../errors.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses "90s", "30m", "1h30m", "2d" or "0" into seconds. */
export function parseDuration(value: string): number {
  const text = value.trim();
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+)([smhd])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new UsageError(`"${value}" is not a duration.`, {
      hint: 'Use e.g. 90s, 30m, 1h30m, 2d, or 0 for never.',
    });
  }
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * (UNITS[unit ?? 's'] ?? 1), 0);
}

/** Seconds as a short duration: 1800 → "30m", 5400 → "1h30m". */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return '0';
  let rest = Math.round(seconds);
  let out = '';
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
