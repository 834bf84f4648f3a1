import { CancelledError, UsageError } from '../errors.js';
import type { IO } from '../io.js';

/**
 * A token or secret value: all of standard input when it is not a terminal (one final newline
 * dropped), else typed at a prompt that shows nothing. Never from argv. Empty is a usage error.
 */
export async function readSecretValue(io: IO, question: string, signal: AbortSignal): Promise<string> {
  const value = io.stdin.isTTY ? await hiddenPrompt(io, question, signal) : await readStdin(io);
  if (value === '') {
    throw new UsageError('The value is empty.', {
      hint: io.stdin.isTTY
        ? 'Type or paste it at the prompt.'
        : 'Pipe it in, e.g. `devc secret set NAME < file`.',
    });
  }
  return value;
}

/** Everything on standard input, one final newline (\n or \r\n) dropped. */
export async function readStdin(io: IO): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Asks on the terminal with echo off (raw mode); Enter ends, Ctrl-C cancels. */
export function hiddenPrompt(io: IO, question: string, signal: AbortSignal): Promise<string> {
  const stdin = io.stdin as NodeJS.ReadStream;
  // Echo goes off before the prompt shows: whatever is typed after it never appears.
  stdin.setRawMode?.(true);
  io.stderr.write(`${question} `);
  return new Promise<string>((resolve, reject) => {
    let typed = '';
    const finish = (settle: () => void): void => {
      stdin.off('data', onData);
      signal.removeEventListener('abort', onAbort);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      settle();
    };
    const onAbort = (): void => finish(() => reject(new CancelledError()));
    const onData = (chunk: Buffer | string): void => {
      for (const char of String(chunk)) {
        if (char === '\u0003') return finish(() => reject(new CancelledError()));
        if (char === '\r' || char === '\n' || char === '\u0004') return finish(() => resolve(typed));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
