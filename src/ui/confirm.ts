import { createInterface } from 'node:readline';
import { CancelledError } from '../errors.js';
import type { IO } from '../io.js';

/**
 * Asks a yes/no question on the terminal: "y" or "yes" is yes; anything else, an empty line or the end
 * of input is no. Ctrl-C (which readline takes from the terminal in raw mode) cancels.
 */
export function confirm(io: IO, question: string, signal: AbortSignal): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  return new Promise<boolean>((resolve, reject) => {
    const done = (settle: () => void): void => {
      rl.removeAllListeners('close');
      rl.close();
      settle();
    };
    rl.on('close', () => resolve(false));
    rl.on('SIGINT', () => done(() => reject(new CancelledError())));
    signal.addEventListener('abort', () => done(() => reject(new CancelledError())), { once: true });
    rl.question(`${question} `, (answer) => done(() => resolve(/^y(es)?$/i.test(answer.trim()))));
  });
}
