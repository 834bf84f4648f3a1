import { createInterface } from 'node:readline/promises';
import { CancelledError } from '../errors.js';
import type { IO } from '../io.js';

/** A numbered picker on the terminal; resolves to the chosen item. */
export async function pick(io: IO, question: string, items: string[]): Promise<string> {
  io.err(question);
  items.forEach((item, i) => io.err(`  ${i + 1}) ${item}`));
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    for (;;) {
      const answer = (await rl.question(`Choose 1-${items.length}: `)).trim();
      const chosen = items[Number(answer) - 1];
      if (chosen) return chosen;
      if (answer === '') throw new CancelledError();
    }
  } finally {
    rl.close();
  }
}
