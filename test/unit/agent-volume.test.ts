import { describe, expect, it } from 'vitest';
import { isOldEnough } from '../../src/services/agent-volume.js';

const now = Date.parse('2026-12-04T12:00:00Z');

describe('isOldEnough: an old agent volume goes only when no devc can still be about to mount it', () => {
  it.each([
    ['made two hours ago', '2026-12-04T10:00:00Z', true],
    ['made a minute ago (another devc just filled it)', '2026-12-04T11:59:00Z', false],
    ['made 59 minutes ago', '2026-12-04T11:01:00Z', false],
    ['an unreadable time', 'yesterday-ish', false],
    ['no time at all', undefined, false],
  ])('%s → %s', (_what, createdAt, expected) => {
    expect(isOldEnough(createdAt, now)).toBe(expected);
  });
});
