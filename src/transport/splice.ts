import net from 'node:net';
import type { Duplex } from 'node:stream';

/** Opens a TCP connection (half-close kept, Nagle off), failing after `timeoutMs`. */
export function connectTcp(host: string, port: number, timeoutMs = 5000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`connect ${host}:${port} timed out`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * Joins two streams both ways. An end on one side half-closes the other (HTTP clients that shut down
 * their sending side still get the answer); an error on either tears both down. Resolves when both close.
 */
export function splice(a: Duplex, b: Duplex): Promise<void> {
  for (const s of [a, b]) if (s instanceof net.Socket) s.setNoDelay(true);
  const closed = (s: Duplex) => new Promise<void>((resolve) => s.once('close', () => resolve()));
  const done = Promise.all([closed(a), closed(b)]).then(() => undefined);
  const teardown = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', teardown);
  b.on('error', teardown);
  a.once('close', () => b.destroy());
  b.once('close', () => a.destroy());
  a.pipe(b);
  b.pipe(a);
  return done;
}
