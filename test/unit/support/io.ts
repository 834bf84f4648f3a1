import { PassThrough } from 'node:stream';
import { IO } from '../../../src/io.js';

/** An IO that captures both streams; `tty` pretends to be a terminal. */
export function testIO(options: { tty?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const stdout = Object.assign(new PassThrough(), { isTTY: options.tty ?? false, columns: 80 });
  const stderr = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
  const stdin = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const io = new IO({ stdin, stdout, stderr }, options.env ?? {});
  return { io, stdout: () => out, stderr: () => err };
}
