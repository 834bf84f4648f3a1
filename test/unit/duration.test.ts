import { describe, expect, it } from 'vitest';
import { keptIdleTimeoutWarning, parseDuration, parseIdleTimeout } from '../../src/workspace/duration.js';

describe('durations', () => {
  it.each([
    ['0', 0],
    ['90s', 90],
    ['30m', 1800],
    ['1h30m', 5400],
    ['2d', 172800],
    ['400d', 400 * 86400],
  ])('%s → %i s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
  it.each([['30'], ['m'], ['1h 30m'], ['-5m'], ['1x']])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/not a duration/);
  });
  it('rejects a duration too long to be meant (and to add up exactly)', () => {
    expect(() => parseDuration('99999999999999h')).toThrow(
      '"99999999999999h" is too long; the most is 36500d.',
    );
  });
});

describe('idle timeouts', () => {
  it.each([
    ['0', 0],
    ['30d', 30 * 86400],
    ['29d23h59m59s', 30 * 86400 - 1],
  ])('%s → %i s', (text, seconds) => expect(parseIdleTimeout(text)).toBe(seconds));

  it.each([['99999999999999h'], ['31d'], ['30d1s'], ['720h1s']])('%s is too long', (text) => {
    let error: unknown;
    try {
      parseIdleTimeout(text);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      message: `"${text}" is too long; the most is 30d.`,
      exitCode: 2,
      hint: expect.stringContaining('0'),
    });
  });

  it.each([
    [
      1800,
      3600,
      'Workspace shop keeps its idle timeout of 30m: --idle-timeout applies to new workspaces only',
    ],
    [0, 3600, 'Workspace shop never stops by itself: --idle-timeout applies to new workspaces only'],
    [1800, 0, 'Workspace shop keeps its idle timeout of 30m'],
  ])('a resume from %i s to %i s warns', (current, requested, start) => {
    expect(keptIdleTimeoutWarning('shop', current, requested)).toMatch(new RegExp(`^${start}`));
  });

  it.each([
    [1800, 1800],
    [1800, undefined],
    [undefined, 3600],
  ])('a resume from %s to %s says nothing', (current, requested) => {
    expect(keptIdleTimeoutWarning('shop', current, requested)).toBeUndefined();
  });
});
