/** How a wait loop paces itself. */
export interface BackoffOptions {
  /** The first pause, in ms. */
  first: number;
  /** The longest pause, in ms. */
  max: number;
  /** How much each pause grows on the one before; 1.5 unless told. */
  factor?: number;
  /** The time (as Date.now()) after which `expired()` says so. */
  deadline?: number;
  /** Cuts a pause short, so Ctrl-C is not kept waiting; the loop then decides what to throw. */
  signal?: AbortSignal;
}

/** The pacing of one wait loop: the loop keeps its own checks and messages, this keeps the time. */
export interface Backoff {
  /** Whether the deadline has passed (never, without one). */
  expired(): boolean;
  /** Sleeps the current pause, then makes the next one longer, up to `max`. */
  pause(): Promise<void>;
  /** Goes back to the first pause. */
  reset(): void;
}

/** Pauses that grow from `first` to `max` by `factor`, with a deadline and an AbortSignal. */
export function backoff(options: BackoffOptions): Backoff {
  const factor = options.factor ?? 1.5;
  let delay = options.first;
  return {
    expired: () => options.deadline !== undefined && Date.now() > options.deadline,
    async pause() {
      const ms = delay;
      delay = Math.min(delay * factor, options.max);
      await sleep(ms, options.signal);
    },
    reset() {
      delay = options.first;
    },
  };
}

/** Resolves after `ms`, or as soon as `signal` aborts (at once if it has). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    // The listener goes with the timer: a long-lived signal must not collect one per pause.
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
