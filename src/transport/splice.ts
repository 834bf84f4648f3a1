import net from 'node:net';
import type { Duplex, Writable } from 'node:stream';

/** What an upstream connection reads into at first: the size of Node's own stream reads. */
const FIRST_READ_SIZE = 64 * 1024;
/**
 * What it reads into once a read has filled the first buffer (a bulk transfer): one read then takes
 * everything queued, up to this, so a large download costs far fewer system calls per byte. Only
 * connections that carry bulk data grow, which keeps the forwarder small with many idle connections.
 */
const BULK_READ_SIZE = 1024 * 1024;

/**
 * Opens a TCP connection to the workspace (half-close kept, Nagle off), failing after `timeoutMs`.
 * Its reads land in one reused buffer and go straight to `readsTo` (the client), not through a
 * stream; they start when `splice` joins the two.
 */
export function connectTcp(
  host: string,
  port: number,
  readsTo: Writable,
  timeoutMs = 5000,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket: net.Socket = net.connect({
      host,
      port,
      allowHalfOpen: true,
      noDelay: true,
      onread: reusedBufferReads(() => socket, readsTo),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`connect ${host}:${port} timed out`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      // Paused here, before Node's first read: nothing reaches the client until `splice` runs.
      socket.pause();
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
 * An accepted connection made to read like `connectTcp`'s, into one reused buffer written straight to
 * `readsTo()`. Node gives `onread` only to sockets it creates: the accepted socket's handle moves to a
 * new Socket (the `handle` option Node's own cluster and child_process use). The accepted socket must
 * be paused (the server's `pauseOnConnect`) and is not used again. Without a handle to move, the
 * socket is returned as it is. Halves the forwarder's CPU per byte sent to the workspace.
 */
export function readWithReusedBuffer(accepted: net.Socket, readsTo: () => Writable): net.Socket {
  const handle = '_handle' in accepted ? accepted._handle : undefined;
  if (!handle) return accepted;
  const socket: net.Socket = new net.Socket({
    handle,
    allowHalfOpen: true,
    onread: reusedBufferReads(() => socket, readsTo),
  } as net.SocketConstructorOpts);
  // The accepted socket lets go of it: closing is the new socket's business now.
  Object.assign(accepted, { _handle: null });
  socket.pause();
  return socket;
}

/** `onread` for a socket: reads land in one reused buffer (growing for bulk) and go to `readsTo`. */
function reusedBufferReads(socket: () => net.Socket, readsTo: Writable | (() => Writable)): net.OnReadOpts {
  let buffer = Buffer.allocUnsafe(FIRST_READ_SIZE);
  const target = typeof readsTo === 'function' ? readsTo : () => readsTo;
  return {
    buffer: () => buffer,
    callback: (size, read) => {
      const more = pass(target(), read.subarray(0, size), () => socket().resume());
      if (size === buffer.length && buffer.length < BULK_READ_SIZE)
        buffer = Buffer.allocUnsafe(BULK_READ_SIZE);
      return more;
    },
  };
}

/**
 * Joins two streams both ways. An end on one side half-closes the other (HTTP clients that shut down
 * their sending side still get the answer); an error on either tears both down. Resolves when both close.
 * Each side is read only while the other has taken everything written to it so far (back-pressure).
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
  relay(a, b);
  relay(b, a);
  return done;
}

/**
 * One direction. A connection from `connectTcp` writes its reads itself, so no 'data' comes from it;
 * resuming it starts its reads all the same.
 */
function relay(from: Duplex, to: Duplex): void {
  const resume = (): void => void from.resume();
  from.on('data', (chunk: Buffer) => {
    if (!pass(to, chunk, resume)) from.pause();
  });
  from.once('end', () => to.end());
  from.resume();
}

/**
 * Writes one chunk; false while `to` still holds some of it (the kernel did not take it all), and then
 * `resume` runs once it has. Reading nothing more meanwhile is the back-pressure, and it is what lets
 * `connectTcp` reuse its read buffer: the bytes `to` holds are never overwritten.
 */
function pass(to: Writable, chunk: Uint8Array, resume: () => void): boolean {
  let held = false;
  // Node never calls a write's callback synchronously, so `held` is set by then.
  to.write(chunk, () => {
    if (held) resume();
  });
  held = to.writableLength > 0;
  return !held;
}
