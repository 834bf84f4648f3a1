import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { hasLogs } from '../backends/backend.js';
import type { Context } from '../context.js';
import { CancelledError, DevcError } from '../errors.js';
import type { Selected } from './select.js';
import { sleep } from '../wait/backoff.js';
import { maskSecrets, secretValues } from '../workspace/secret-values.js';

export interface LogsOptions {
  follow: boolean;
  tail: number | undefined;
}

/** The build and lifecycle-hook log `devc up` writes for a workspace. */
export function buildLogPath(ctx: Context, name: string): string {
  return path.join(ctx.paths.workspacesDir, name, 'build.log');
}

/** Writes the workspace's container output to stdout (following it until Ctrl-C with `follow`). */
export async function containerLogs(ctx: Context, selected: Selected, options: LogsOptions): Promise<void> {
  const { backend, workspace } = selected;
  if (!hasLogs(backend))
    throw new DevcError(`The ${backend.kind} backend can't show logs yet.`, { hint: 'Try `devc exec`.' });
  await backend.logs(
    workspace.name,
    {
      follow: options.follow,
      ...(options.tail !== undefined ? { tail: options.tail } : {}),
      signal: ctx.signal,
    },
    ctx.io.stdout,
    ctx.io.stdout,
  );
  if (ctx.signal.aborted) throw new CancelledError();
}

/** Writes the build log to stdout; with `follow`, keeps printing what is appended until Ctrl-C. */
export async function buildLog(ctx: Context, name: string, options: LogsOptions): Promise<void> {
  const file = buildLogPath(ctx, name);
  const size = await stat(file).then(
    (s) => s.size,
    () => undefined,
  );
  if (size === undefined)
    throw new DevcError(`Workspace ${name} has no build log.`, {
      hint: `devc writes ${file} when it builds an image or runs lifecycle hooks; \`devc logs -w ${name}\` shows the container's own output.`,
    });
  // What a hook printed of the workspace's secrets is shown masked (`devc start` appends hook output
  // straight to the file).
  const values = await secretValues(path.join(path.dirname(file), 'config'));
  const handle = await open(file, 'r');
  try {
    const whole = maskSecrets(
      (await handle.read(Buffer.alloc(size), 0, size, 0)).buffer.toString('utf8'),
      values,
    );
    ctx.io.stdout.write(options.tail === undefined ? whole : lastLines(whole, options.tail));
    let offset = size;
    while (options.follow && !ctx.signal.aborted) {
      await sleep(500, ctx.signal);
      const grown = (await handle.stat()).size;
      if (grown <= offset) continue;
      const chunk = await handle.read(Buffer.alloc(grown - offset), 0, grown - offset, offset);
      ctx.io.stdout.write(maskSecrets(chunk.buffer.subarray(0, chunk.bytesRead).toString('utf8'), values));
      offset += chunk.bytesRead;
    }
  } finally {
    await handle.close();
  }
  if (ctx.signal.aborted) throw new CancelledError();
}

/** The last `n` lines of a text (a trailing newline does not count as a line). */
export function lastLines(text: string, n: number): string {
  if (n <= 0) return '';
  const lines = text.split('\n');
  const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
  const kept = lines.slice(-n).join('\n');
  return trailing === undefined ? kept : `${kept}\n`;
}
