import { access, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Backend } from '../backends/backend.js';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import { sleep } from '../wait/backoff.js';

/**
 * Nothing half-made after a failed `up`: the forwarder, the engine objects and devc's folder for this
 * name go (a local tree is not in it; a clone kept from a failed rebuild stays). Resolves to the error
 * to throw, its hint pointing at the build log where that log now lives.
 */
export async function undoFailedCreate(
  ctx: Context,
  backend: Backend,
  made: { name: string; workspaceDir: string; kept: boolean },
  error: unknown,
): Promise<unknown> {
  const { stopForwarder } = await import('./forwarder.js');
  await stopForwarder(ctx, made.name).catch(() => undefined);
  await removeHalfMade(backend, made.name, made.kept, ctx.signal.aborted);
  if (made.kept) return error;
  const log = await keepBuildLog(ctx, made.workspaceDir, made.name);
  await rm(made.workspaceDir, { recursive: true, force: true });
  return log ? pointAt(error, log) : error;
}

/**
 * Removes what a failed create made. After a cancel, the engine may still be finishing what killed
 * commands asked for (a container being made; a removal whose `docker rm` a terminal's second Ctrl-C
 * cut off, which keeps the volume in use): the removal runs again until a pass after the first succeeds.
 */
async function removeHalfMade(
  backend: Backend,
  name: string,
  keepData: boolean,
  cancelled: boolean,
): Promise<void> {
  if (!cancelled) return backend.remove(name, { keepData }).catch(() => undefined);
  for (let pass = 1; pass <= 5; pass++) {
    const removed = await backend.remove(name, { keepData }).then(
      () => true,
      () => false,
    );
    if (removed && pass > 1) return;
    await sleep(200 * pass);
  }
}

/**
 * The build log of a failed create outlives the workspace's folder: it moves to DEVC_HOME/logs, where
 * the error's "the whole log is in …" then points.
 */
async function keepBuildLog(
  ctx: Context,
  workspaceDir: string,
  name: string,
): Promise<{ from: string; to: string } | undefined> {
  const from = path.join(workspaceDir, 'build.log');
  const to = path.join(ctx.paths.logsDir, `build-${name}.log`);
  try {
    await mkdir(ctx.paths.logsDir, { recursive: true, mode: 0o700 });
    await rename(from, to);
    return { from, to };
  } catch {
    return undefined;
  }
}

function pointAt(error: unknown, log: { from: string; to: string }): unknown {
  if (!(error instanceof DevcError) || error.constructor !== DevcError || !error.hint?.includes(log.from))
    return error;
  return new DevcError(error.message, {
    hint: error.hint.replace(log.from, log.to),
    ...(error.details !== undefined ? { details: error.details } : {}),
    cause: error,
  });
}

/**
 * Whether a `devc delete` is taking the workspace away while `up` resumes it: its folder is gone (a
 * bind mount's source: the start fails on it), or its container is gone or goes within a few seconds
 * (an engine under load removes a container in steps).
 */
export async function beingDeleted(ctx: Context, backend: Backend, name: string): Promise<boolean> {
  const folderGone = await access(path.join(ctx.paths.workspacesDir, name)).then(
    () => false,
    () => true,
  );
  if (folderGone) return true;
  for (let i = 0; i < 15; i++) {
    // An inspect may fail, or still see the container, while the engine removes it: ask again.
    if ((await backend.find(name).catch(() => undefined)) === null) return true;
    await sleep(200);
  }
  return false;
}
