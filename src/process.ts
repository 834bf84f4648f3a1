import { spawn } from 'node:child_process';
import { CancelledError } from './errors.js';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program and captures its output, never throwing for a non-zero exit. Plain child_process:
 * the hot paths (list, resume, ssh) call git and docker, and execa costs ~50 ms to load.
 * A program that can't be started resolves with exit code 127 and the reason in stderr.
 */
export function run(
  command: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...(options.env ? { env: options.env } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => stdout.push(c));
    child.stderr?.on('data', (c: Buffer) => stderr.push(c));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.name === 'AbortError') reject(new CancelledError());
      else resolve({ exitCode: 127, stdout: '', stderr: `${command}: ${error.message}` });
    });
    child.on('close', (code) => resolve({ exitCode: code ?? 1, stdout: text(stdout), stderr: text(stderr) }));
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

function text(chunks: Buffer[]): string {
  return Buffer.concat(chunks).toString().replace(/\n$/, '');
}
