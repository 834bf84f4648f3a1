import { spawn } from 'node:child_process';
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { hasRoutes } from '../backends/backend.js';
import type { BackendOptions } from '../backends/factory.js';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import { portFiles, readJson, readPortsConfig, readRequests, type ForwarderState } from '../ports/files.js';
import { isForwarderAlive, readPid } from '../transport/pidfile.js';
import type { BackendKind } from '../workspace/model.js';
import { backoff } from '../wait/backoff.js';

/** The forwarder's live state, or null when none runs for this workspace. */
export async function forwarderState(ctx: Context, workspace: string): Promise<ForwarderState | null> {
  const files = portFiles(ctx.paths, workspace);
  const pid = await readPid(files.pid);
  if (pid === null || !isForwarderAlive(pid)) return null;
  const state = await readJson<ForwarderState>(files.state);
  return state?.pid === pid ? state : null;
}

/**
 * Starts the workspace's background forwarder unless one runs; resolves to its first state (null for
 * backends it cannot forward yet). It runs detached, in its own session, logging to a file, so it
 * survives the terminal closing. Call it after `up` and `start`.
 */
export async function startForwarder(
  ctx: Context,
  workspace: string,
  kind: BackendKind,
): Promise<ForwarderState | null> {
  if (!(await spawnForwarder(ctx, workspace, kind))) return null;
  return waitForState(ctx, workspace, () => true, 15_000).catch(() => {
    throw new DevcError('The port forwarder did not start.', {
      hint: `See ${portFiles(ctx.paths, workspace).log}.`,
    });
  });
}

/**
 * Starts the forwarder without waiting for it, unless one runs; false for backends it cannot forward.
 * `up` uses it when nothing is to be forwarded yet: the forwarder comes up on its own while devc exits.
 */
export async function spawnForwarder(ctx: Context, workspace: string, kind: BackendKind): Promise<boolean> {
  if (!hasRoutes(await ctx.backend(kind))) return false;
  if (await forwarderState(ctx, workspace)) return true;
  const files = portFiles(ctx.paths, workspace);
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  await rotateLog(files.log);
  const log = await open(files.log, 'a', 0o600);
  let pid: number | undefined;
  try {
    const entry = fileURLToPath(new URL('../transport/forwarder-main.js', import.meta.url));
    const child = spawn(process.execPath, [entry, workspace, kind], {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env: forwarderEnv(ctx.env, ctx.backendOptions),
      cwd: ctx.paths.home,
    });
    pid = child.pid;
    child.unref();
  } finally {
    await log.close();
  }
  if (pid === undefined)
    throw new DevcError("Can't start the port forwarder.", { hint: `See ${files.log}.` });
  return true;
}

/**
 * The forwarder after `up` or a resume: started (or `spawned` already), and waited for only when it has
 * ports to show; otherwise whatever a running one reports now (a new one reports nothing yet).
 */
export async function forwarderAfterStart(
  ctx: Context,
  workspace: string,
  kind: BackendKind,
  spawned: Promise<boolean> = spawnForwarder(ctx, workspace, kind),
): Promise<ForwarderState | null> {
  if (!(await spawned)) return null;
  if (!(await hasPlannedPorts(ctx, workspace))) return forwarderState(ctx, workspace);
  return waitForState(ctx, workspace, () => true);
}

/** Whether the workspace has ports to forward from the start (forwardPorts, or ones the user added). */
export async function hasPlannedPorts(ctx: Context, workspace: string): Promise<boolean> {
  const files = portFiles(ctx.paths, workspace);
  const [config, requests] = await Promise.all([readPortsConfig(files), readRequests(files)]);
  return (config.forwardPorts?.length ?? 0) > 0 || requests.forwards.length > 0;
}

/** Ends the workspace's forwarder, if one runs; resolves to whether one did. Call it on stop and delete. */
export async function stopForwarder(ctx: Context, workspace: string): Promise<boolean> {
  const pid = await readPid(portFiles(ctx.paths, workspace).pid);
  if (pid === null || !isForwarderAlive(pid)) return false;
  process.kill(pid, 'SIGTERM');
  const wait = backoff({ first: 50, max: 50, deadline: Date.now() + 5000 });
  while (isForwarderAlive(pid)) {
    if (wait.expired()) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await wait.pause();
  }
  return true;
}

/** Waits until the running forwarder's state satisfies `ready`. */
export async function waitForState(
  ctx: Context,
  workspace: string,
  ready: (state: ForwarderState) => boolean,
  timeoutMs = 15_000,
): Promise<ForwarderState> {
  // Short polls first: a forwarder usually answers within a few hundred milliseconds.
  const wait = backoff({ first: 20, max: 100, deadline: Date.now() + timeoutMs, signal: ctx.signal });
  for (;;) {
    const state = await forwarderState(ctx, workspace);
    if (state && ready(state)) return state;
    if (wait.expired() || ctx.signal.aborted)
      throw new DevcError(`Timed out waiting for the port forwarder of ${workspace}.`, {
        hint: `See ${portFiles(ctx.paths, workspace).log}.`,
      });
    await wait.pause();
  }
}

/**
 * The forwarder needs devc's and the engine's settings, not the user's tokens; the call's backend
 * options reach it as the variables they stand for (its own process, its own environment).
 */
export function forwarderEnv(env: NodeJS.ProcessEnv, options: BackendOptions = {}): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const secret of ['GITHUB_TOKEN', 'GH_TOKEN']) delete out[secret];
  if (options.context !== undefined) out.DEVC_KUBE_CONTEXT = options.context;
  if (options.namespace !== undefined) out.DEVC_NAMESPACE = options.namespace;
  return out;
}

/** Keeps one older log beside the current one once it passes 1 MB. */
async function rotateLog(file: string): Promise<void> {
  const size = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  if (size > 1_000_000) await rename(file, `${file}.1`);
}
