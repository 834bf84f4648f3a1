import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, formatDuration, stateColor } from '../../src/ui/format.js';
import { parseDuration } from '../../src/workspace/duration.js';

describe('one format for sizes, durations and states', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1536, '1.5 kB'],
    [999_600, '1.0 MB'],
    [9_960_000, '10 MB'],
    [512e6, '512 MB'],
    [1.01e9, '1.0 GB'],
    [64e9, '64 GB'],
    [3e15, '3000 TB'],
  ])('bytes %d → %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it('never wider than the dashboard MEM column leaves room for (6) below a petabyte', () => {
    for (let bytes = 1; bytes < 1e15; bytes = Math.ceil(bytes * 1.37))
      expect(formatBytes(bytes).length, String(bytes)).toBeLessThanOrEqual(6);
  });

  it.each([
    [0, undefined, '0s'],
    [-5, undefined, '0s'],
    [5, undefined, '5s'],
    [1800, undefined, '30m'],
    [5400, undefined, '1h30m'],
    [3600 + 5, undefined, '1h5s'],
    [93784, undefined, '1d2h3m4s'],
    [93784, 2, '1d2h'],
    [3600 + 59, 2, '1h'],
    [750, 2, '12m30s'],
    [93784, 1, '1d'],
    [59.6, 1, '1m'],
  ])('duration %d s (%s units) → %s', (seconds, units, text) =>
    expect(formatDuration(seconds, units)).toBe(text),
  );

  it.each([[0], [59], [5400], [93784], [30 * 86400]])('%d s reads back as it was written', (seconds) =>
    expect(parseDuration(formatDuration(seconds))).toBe(seconds),
  );

  const now = Date.parse('2026-06-15T12:00:00Z');
  it.each([
    ['2026-06-15T11:59:30Z', '30s ago'],
    ['2026-06-15T11:50:00Z', '10m ago'],
    ['2026-06-15T09:01:00Z', '2h ago'],
    ['2026-06-11T11:00:00Z', '4d ago'],
    ['2026-06-15T12:05:00Z', '0s ago'],
    ['not a date', '-'],
  ])('age of %s → %s', (iso, text) => expect(formatAge(iso, now)).toBe(text));

  it.each([
    ['running', 'green'],
    ['starting', 'yellow'],
    ['stopped', 'gray'],
    ['exited', 'red'],
    ['missing', 'red'],
  ] as const)('%s is drawn %s', (state, color) => expect(stateColor(state)).toBe(color));
});
