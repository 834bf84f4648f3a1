import type { IO } from '../io.js';

/** Named phases of long work: a spinner in a terminal, plain lines on stderr otherwise. */
export interface Progress {
  /** Runs one phase; prints its label while it runs and `done` (with the duration) when it ends. */
  phase<T>(label: string, done: string, work: (update: (detail: string) => void) => Promise<T>): Promise<T>;
  /** A note between phases. */
  note(text: string): void;
}

/** Progress on stderr, so stdout keeps only the result. */
export function createProgress(io: IO): Progress {
  return {
    async phase(label, done, work) {
      const started = Date.now();
      const spinner = io.plain ? undefined : await startSpinner(io, label);
      if (!spinner) io.err(`• ${label}…`);
      const update = (detail: string): void => {
        if (spinner) spinner.text = `${label}: ${detail.slice(0, 70)}`;
      };
      try {
        const result = await work(update);
        const line = `${done} ${io.paint('gray', `(${seconds(Date.now() - started)})`)}`;
        if (spinner) spinner.succeed(line);
        else io.success(line);
        return result;
      } catch (error) {
        if (spinner) spinner.fail(`${label}: failed`);
        else io.err(`✗ ${label}: failed`);
        throw error;
      }
    },
    note(text) {
      io.err(text);
    },
  };
}

interface Spinner {
  text: string;
  succeed(text: string): void;
  fail(text: string): void;
}

async function startSpinner(io: IO, label: string): Promise<Spinner> {
  const { default: ora } = await import('ora');
  return ora({ text: label, stream: io.stderr, color: 'cyan' }).start();
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
