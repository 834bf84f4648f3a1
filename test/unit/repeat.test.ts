import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { repeat } from '../../src/wait/repeat.js';

describe('repeat', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it.each([
    { now: false, after: [0, 999, 1000, 2500, 3000], want: [0, 0, 1, 2, 3] },
    { now: true, after: [0, 999, 1000, 2500, 3000], want: [1, 1, 2, 3, 4] },
  ])('now: $now runs $want times by $after ms', async ({ now, after, want }) => {
    const stop = new AbortController();
    let runs = 0;
    // Every other run fails: the next one runs all the same.
    const work = (): Promise<void> => (++runs % 2 ? Promise.reject(new Error('no')) : Promise.resolve());
    const done = repeat(work, 1000, stop.signal, { now });
    const seen: number[] = [];
    let clock = 0;
    for (const ms of after) {
      await vi.advanceTimersByTimeAsync(ms - clock);
      clock = ms;
      seen.push(runs);
    }
    stop.abort();
    await done;
    expect(seen).toEqual(want);
  });

  it('starts each pause when the previous run ends, and stops on abort', async () => {
    const stop = new AbortController();
    const starts: number[] = [];
    const work = async (): Promise<void> => {
      starts.push(Date.now());
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    const t0 = Date.now();
    const done = repeat(work, 1000, stop.signal, { now: true });
    await vi.advanceTimersByTimeAsync(2700);
    stop.abort();
    // The run under way ends; no other starts.
    await vi.advanceTimersByTimeAsync(5000);
    await done;
    expect(starts.map((t) => t - t0)).toEqual([0, 1300, 2600]);
  });
});
