import http from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { engineSocket } from './api.js';

/**
 * Runs `command` in a container through the Engine API over its unix socket and hands its stdout to
 * `onOutput` as it comes; resolves once it ends or `signal` aborts. Resolves to false, having run
 * nothing, when the API can't be used (a remote engine): the caller then runs the docker CLI. Used for
 * the forwarder's long-lived port scan, where a `docker exec` process would cost about 24 MB each.
 */
export async function engineExecStream(
  container: string,
  command: string[],
  onOutput: (text: string) => void,
  signal: AbortSignal,
): Promise<boolean> {
  const socketPath = engineSocket();
  if (!socketPath) return false;
  const body = { AttachStdout: true, AttachStderr: false, Cmd: command };
  const created = await post(socketPath, `/containers/${encodeURIComponent(container)}/exec`, body);
  if (!created) return false;
  if (created.status !== 201) throw new Error(`exec in ${container}: ${created.text.trim()}`);
  const { Id } = JSON.parse(created.text) as { Id: string };
  await new Promise<void>((resolve) => {
    const request = http.request(
      { socketPath, method: 'POST', path: `/exec/${Id}/start`, headers: jsonHeaders },
      (res) => {
        res.on('data', demultiplex(onOutput));
        res.on('close', () => resolve());
      },
    );
    const stop = (): void => void request.destroy();
    request.on('error', () => resolve());
    request.on('close', () => {
      signal.removeEventListener('abort', stop);
      resolve();
    });
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    request.end(JSON.stringify({ Detach: false, Tty: false }));
  });
  return true;
}

const jsonHeaders = { Host: 'docker', 'Content-Type': 'application/json' };

/** POSTs JSON; resolves to the status and text, or undefined when the socket can't be used. */
function post(
  socketPath: string,
  apiPath: string,
  body: unknown,
): Promise<{ status: number; text: string } | undefined> {
  return new Promise((resolve) => {
    const request = http.request(
      { socketPath, method: 'POST', path: apiPath, headers: jsonHeaders, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', () => resolve(undefined));
      },
    );
    request.on('error', () => resolve(undefined));
    request.on('timeout', () => request.destroy());
    request.end(JSON.stringify(body));
  });
}

/**
 * Reads the Engine API's multiplexed stream (no TTY): frames of an 8-byte header (stream id, then the
 * size as a big-endian 32-bit number) and the bytes; stdout (1) goes to `onOutput`.
 */
export function demultiplex(onOutput: (text: string) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  const text = new StringDecoder('utf8');
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      if (pending[0] === 1) onOutput(text.write(pending.subarray(8, 8 + size)));
      pending = pending.subarray(8 + size);
    }
  };
}
