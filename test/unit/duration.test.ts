import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/workspace/duration.js';

describe('durations', () => {
  it.each([
    ['0', 0],
    ['90s', 90],
    ['30m', 1800],
    ['1h30m', 5400],
    ['2d', 172800],
  ])('%s → %i s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
  it.each([['30'], ['m'], ['1h 30m'], ['-5m'], ['1x']])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/not a duration/);
  });
  it.each([
    [0, '0'],
    [5, '5s'],
    [1800, '30m'],
    [5400, '1h30m'],
  ])('%i s → %s', (seconds, text) => expect(formatDuration(seconds)).toBe(text));
});
