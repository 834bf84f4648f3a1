import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoff, sleep } from '../../src/wait/backoff.js';

/** The pauses a backoff takes, in ms, measured on the fake clock. */
async function pauses(wait: ReturnType<typeof backoff>, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const before = Date.now();
    const paused = wait.pause();
    await vi.runAllTimersAsync();
    await paused;
    out.push(Date.now() - before);
  }
  return out;
}

describe('backoff', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.parse('2026-06-15T12:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it.each([
    [{ first: 25, max: 250 }, [25, 37.5, 56.25, 84.375, 126.5625, 189.84375, 250, 250]],
    [{ first: 50, max: 500, factor: 2 }, [50, 100, 200, 400, 500, 500, 500, 500]],
    [
      { first: 100, max: 1000, factor: 1.25 },
      [100, 125, 156.25, 195.3125, 244.140625, 305.17578125, 381.4697265625, 476.837158203125],
    ],
    [{ first: 50, max: 50 }, [50, 50, 50, 50, 50, 50, 50, 50]],
  ])('%j pauses %j', async (options, expected) => {
    // The fake clock counts whole milliseconds.
    expect(await pauses(backoff(options), expected.length)).toEqual(expected.map((ms) => Math.floor(ms)));
  });

  it('starts again from the first pause after reset', async () => {
    const wait = backoff({ first: 1000, max: 5000 });
    await pauses(wait, 3);
    wait.reset();
    expect(await pauses(wait, 2)).toEqual([1000, 1500]);
  });

  it('expires only after the deadline, and never without one', () => {
    const wait = backoff({ first: 10, max: 10, deadline: Date.now() + 1000 });
    expect(wait.expired()).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(wait.expired()).toBe(false);
    vi.advanceTimersByTime(1);
    expect(wait.expired()).toBe(true);
    vi.advanceTimersByTime(1e9);
    expect(backoff({ first: 10, max: 10 }).expired()).toBe(false);
  });

  it('a pause ends as soon as the signal aborts, and at once when it has', async () => {
    const abort = new AbortController();
    const wait = backoff({ first: 5000, max: 5000, signal: abort.signal });
    const before = Date.now();
    const paused = wait.pause();
    await vi.advanceTimersByTimeAsync(100);
    abort.abort();
    await paused;
    expect(Date.now() - before).toBe(100);
    await wait.pause();
    expect(Date.now() - before).toBe(100);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sleep leaves no listener on a long-lived signal', async () => {
    const abort = new AbortController();
    const add = vi.spyOn(abort.signal, 'addEventListener');
    const remove = vi.spyOn(abort.signal, 'removeEventListener');
    const slept = sleep(200, abort.signal);
    await vi.advanceTimersByTimeAsync(200);
    await slept;
    expect(add).toHaveBeenCalledTimes(1);
    expect(remove).toHaveBeenCalledWith('abort', add.mock.calls[0]?.[1]);
  });
});
