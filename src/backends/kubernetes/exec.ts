import { PassThrough, Writable, type Readable } from 'node:stream';
import type * as k8s from '@kubernetes/client-node';
import type { ExecResult } from '../backend.js';
import { kubernetesClient } from './library.js';

export const CONTAINER = 'workspace';

/** What devc uses of the client's WebSocket (its type does not resolve through isomorphic-ws). */
export interface WebSocketLike {
  close(): void;
  terminate(): void;
  on(event: 'close' | 'error', listener: (arg?: unknown) => void): void;
}

export interface ExecTarget {
  config: k8s.KubeConfig;
  namespace: string;
  pod: string;
  /** Default: the workspace container. */
  container?: string;
}

export interface ExecStreams {
  stdin?: Readable | null;
  stdout: Writable | null;
  stderr: Writable | null;
  tty?: boolean;
}

/** `cd DIR && exec CMD`: the API's exec has no working-directory field. */
export function inFolder(command: string[], workdir: string | undefined): string[] {
  if (!workdir) return command;
  return ['sh', '-c', 'cd "$1" 2>/dev/null; shift; exec "$@"', 'devc-exec', workdir, ...command];
}

/** The exit code in an exec's final status (`Success` is 0; the code is a cause of a failure). */
export function exitCodeOf(status: k8s.V1Status): number {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = Number(cause?.message);
  if (Number.isInteger(code)) return code;
  // No exit code: the command could not start (not found, not executable).
  return /not found|no such file/i.test(status.message ?? '') ? 127 : 126;
}

/** Runs a command in the workspace container through the API server; resolves to its exit code. */
export async function execIn(target: ExecTarget, command: string[], streams: ExecStreams): Promise<number> {
  // Loaded on first use (already there once a KubeConfig exists): importing the client costs ~0.5 s.
  const { Exec } = await kubernetesClient();
  const exec = new Exec(target.config);
  let status: k8s.V1Status | undefined;
  // Buffer stdin from now on: a short input may end before the WebSocket is open, and its end is
  // what tells the command that stdin is closed.
  const stdin =
    streams.stdin && !streams.tty ? streams.stdin.pipe(new PassThrough()) : (streams.stdin ?? null);
  return new Promise((resolve, reject) => {
    exec
      .exec(
        target.namespace,
        target.pod,
        target.container ?? CONTAINER,
        command,
        streams.stdout,
        streams.stderr,
        stdin,
        streams.tty ?? false,
        (s) => {
          status = s;
        },
      )
      .then((socket) => {
        const ws: WebSocketLike = socket;
        ws.on('close', () => {
          if (!status) {
            resolve(1);
            return;
          }
          const code = exitCodeOf(status);
          if (code >= 126 && status.status !== 'Success' && !status.details?.causes?.length && status.message)
            streams.stderr?.write(`${status.message}\n`);
          resolve(code);
        });
        ws.on('error', reject);
      }, reject);
  });
}

/** Runs a command and captures what it prints. */
export async function execCapture(target: ExecTarget, command: string[]): Promise<ExecResult> {
  const out = collector();
  const err = collector();
  const exitCode = await execIn(target, command, { stdout: out.stream, stderr: err.stream });
  return { exitCode, stdout: out.text(), stderr: err.text() };
}

/** A Writable that keeps what is written (up to `limit` bytes). */
export function collector(limit = 16 * 1024 * 1024): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (size < limit) chunks.push(chunk);
      size += chunk.length;
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/**
 * Writes into `dest` without ever ending it: the client library ends its output streams when a
 * command finishes, and the destination (a terminal, a caller's pipe) outlives the command.
 */
export function keepOpen(dest: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (dest.write(chunk)) done();
      else dest.once('drain', () => done());
    },
  });
}

/** Runs a command with this process's stdio (a terminal passed as it is, so the session follows its size). */
export async function execAttached(
  target: ExecTarget,
  command: string[],
  options: { tty?: boolean; stdin?: boolean },
): Promise<number> {
  const stdin = process.stdin;
  const tty = Boolean(options.tty && stdin.isTTY);
  if (tty) stdin.setRawMode(true);
  try {
    return await execIn(target, command, {
      stdin: options.stdin || tty ? stdin : null,
      stdout: tty ? process.stdout : keepOpen(process.stdout),
      stderr: tty ? null : keepOpen(process.stderr),
      tty,
    });
  } finally {
    if (tty) stdin.setRawMode(false);
    // The command is over: what is left on stdin is not ours to wait for.
    stdin.unpipe();
    stdin.pause();
  }
}

/** Runs a command with byte streams for stdin and stdout (tar for `cp`); stderr is kept for errors. */
export async function execPiped(
  target: Promise<ExecTarget>,
  command: string[],
  options: { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream },
): Promise<{ exitCode: number; stderr: string }> {
  // Take the input now, before any await: a child process's unread output is dropped when it exits.
  const input = options.input ? (options.input as Readable).pipe(new PassThrough()) : null;
  const errors = collector(64_000);
  const exitCode = await execIn(await target, command, {
    stdin: input,
    stdout: options.output ? keepOpen(options.output) : null,
    stderr: errors.stream,
  });
  return { exitCode, stderr: errors.text() };
}
