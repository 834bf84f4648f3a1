import { sleep } from './backoff.js';

/**
 * Runs `work` every `ms` until the signal aborts, each pause starting when the previous run ended (runs
 * never overlap); `now`: once before the first pause too. A failed run is ignored: the next one retries.
 */
export async function repeat(
  work: () => Promise<unknown>,
  ms: number,
  signal: AbortSignal,
  options: { now?: boolean } = {},
): Promise<void> {
  if (options.now && !signal.aborted) await work().catch(() => undefined);
  while (!signal.aborted) {
    await sleep(ms, signal);
    if (signal.aborted) return;
    await work().catch(() => undefined);
  }
}
