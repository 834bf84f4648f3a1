import net from 'node:net';
import { CancelledError, DevcError } from '../errors.js';
import { backoff } from '../wait/backoff.js';

/** Resolves when something on host:port greets like an SSH server. */
export function sshAnswers(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let data = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\n')) done(data.startsWith('SSH-2.0'));
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(data.startsWith('SSH-2.0')));
  });
}

/** Polls `probe` with backoff until it is true; throws a timeout error naming `what`. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; signal?: AbortSignal; onFail?: () => Promise<string | undefined> },
): Promise<void> {
  const wait = backoff({
    first: 50,
    max: 1000,
    deadline: Date.now() + options.timeoutMs,
    signal: options.signal,
  });
  for (;;) {
    if (options.signal?.aborted) throw new CancelledError();
    if (await probe()) return;
    if (wait.expired()) {
      const details = options.onFail ? await options.onFail() : undefined;
      throw new DevcError(`Timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${what}.`, {
        hint: 'See `devc logs` for what the workspace printed.',
        ...(details ? { details } : {}),
      });
    }
    await wait.pause();
  }
}
