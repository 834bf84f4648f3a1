import { spawn } from 'node:child_process';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasRoutes } from '../backends/backend.js';
import type { Context } from '../context.js';
import { DevcError } from '../errors.js';
import {
  portFiles,
  readJson,
  readPortsConfig,
  readRequests,
  serviceFiles,
  writeJsonAtomic,
  type ForwarderState,
  type RouteRequest,
} from '../ports/files.js';
import { rotateLog } from '../transport/log-file.js';
import { endForwarder, isForwarderAlive, readPid } from '../transport/pidfile.js';
import type { BackendKind } from '../workspace/model.js';
import { backoff } from '../wait/backoff.js';

/** The pid of this DEVC_HOME's forwarder service, or null when none runs (a stale pid file is ignored). */
export async function servicePid(ctx: Context): Promise<number | null> {
  const pid = await readPid(serviceFiles(ctx.paths).pid);
  return pid !== null && isForwarderAlive(pid) ? pid : null;
}

/** The forwarder's live state for this workspace, or null when the service does not forward it now. */
export async function forwarderState(ctx: Context, workspace: string): Promise<ForwarderState | null> {
  const pid = await servicePid(ctx);
  if (pid === null) return null;
  const state = await readJson<ForwarderState>(portFiles(ctx.paths, workspace).state);
  return state?.pid === pid ? state : null;
}

/**
 * Has the forwarder service forward this workspace, starting the service unless it runs; resolves to
 * the workspace's first state (null for backends it cannot forward yet). Call it after `up` and `start`.
 */
export async function startForwarder(
  ctx: Context,
  workspace: string,
  kind: BackendKind,
): Promise<ForwarderState | null> {
  if (!(await spawnForwarder(ctx, workspace, kind))) return null;
  return waitForState(ctx, workspace, () => true, 15_000).catch(() => {
    throw new DevcError('The port forwarder did not start.', {
      hint: `See ${portFiles(ctx.paths, workspace).log} and ${serviceFiles(ctx.paths).log}.`,
    });
  });
}

/**
 * Hands the workspace to the forwarder service (its route.json) and starts the service unless it
 * runs, without waiting; false for backends it cannot forward. `up` uses it when nothing is to be
 * forwarded yet: the service picks the workspace up on its own while devc exits.
 */
export async function spawnForwarder(ctx: Context, workspace: string, kind: BackendKind): Promise<boolean> {
  if (!hasRoutes(await ctx.backend(kind))) return false;
  await register(ctx, workspace, kind);
  if ((await servicePid(ctx)) === null) await spawnService(ctx);
  return true;
}

/**
 * How the service reaches the workspace: its backend and, for Kubernetes, this call's context,
 * namespace and kubeconfig. A route already there is kept unless this call chose its backend options
 * (`up --context`): `devc ports` with no options must not move a workspace to the default cluster.
 */
async function register(ctx: Context, workspace: string, kind: BackendKind): Promise<void> {
  const file = portFiles(ctx.paths, workspace).route;
  const chosen = ctx.backendOptions.context !== undefined || ctx.backendOptions.namespace !== undefined;
  const existing = await readJson<RouteRequest>(file);
  if (existing?.backend === kind && !chosen) return;
  const request = routeRequest(ctx, kind);
  if (JSON.stringify(existing) !== JSON.stringify(request)) await writeJsonAtomic(file, request);
}

/** The route a call asks for: its backend options first, then the variables they stand for. */
export function routeRequest(ctx: Context, kind: BackendKind): RouteRequest {
  if (kind !== 'kubernetes') return { backend: kind };
  const context = ctx.backendOptions.context ?? ctx.env.DEVC_KUBE_CONTEXT;
  const namespace = ctx.backendOptions.namespace ?? ctx.env.DEVC_NAMESPACE;
  const kubeconfig = ctx.env.KUBECONFIG?.split(path.delimiter)
    .filter(Boolean)
    .map((f) => path.resolve(ctx.cwd, f))
    .join(path.delimiter);
  return {
    backend: kind,
    ...(context ? { context } : {}),
    ...(namespace ? { namespace } : {}),
    ...(kubeconfig ? { kubeconfig } : {}),
  };
}

/** Starts the service detached, in its own session, logging to its file; it survives the terminal. */
async function spawnService(ctx: Context): Promise<void> {
  const files = serviceFiles(ctx.paths);
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  rotateLog(files.log);
  const log = await open(files.log, 'a', 0o600);
  let pid: number | undefined;
  try {
    const entry = fileURLToPath(new URL('../transport/forwarder-main.js', import.meta.url));
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, entry], {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env: { ...forwarderEnv(ctx.env), ...SERVICE_MALLOC },
      cwd: ctx.paths.home,
    });
    pid = child.pid;
    child.unref();
  } finally {
    await log.close();
  }
  if (pid === undefined)
    throw new DevcError("Can't start the port forwarder.", { hint: `See ${files.log}.` });
}

/**
 * A small young generation: the service holds few objects for long, and V8's default semi-spaces
 * (16 MiB each) would be most of its resident memory once a few streams have run through it.
 * --expose-gc: the service frees ended streams' buffers itself (transport/service.ts). One V8 worker
 * thread instead of one per core: fewer threads, fewer malloc arenas holding freed memory.
 */
const SERVICE_NODE_FLAGS = ['--max-semi-space-size=1', '--expose-gc', '--v8-pool-size=1'];

/**
 * glibc's malloc: a fixed mmap threshold, so a stream's 1 MiB read buffers (transport/splice.ts) are
 * mapped and given back to the system when freed. By default the threshold rises to the size of a
 * freed mapping, and later buffers then come from the heap and stay resident (about 1 MB per stream
 * ever run). Two arenas, not eight per core, for the same reason as the one V8 worker. Other C
 * libraries ignore these variables.
 */
const SERVICE_MALLOC = { MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_ARENA_MAX: '2' };

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

/**
 * Stops forwarding the workspace: takes it from the service (which exits once nothing is left) and
 * waits until the service let go; ends a per-workspace forwarder of an earlier devc too. Resolves to
 * whether it was forwarded. Call it on `ports stop` and when `up` undoes itself.
 */
export async function stopForwarder(ctx: Context, workspace: string): Promise<boolean> {
  const files = portFiles(ctx.paths, workspace);
  const served = await forwarderState(ctx, workspace);
  await rm(files.route, { force: true });
  const holder = await readPid(files.pid);
  const earlier = holder !== null && holder !== served?.pid && isForwarderAlive(holder);
  if (earlier) await endForwarder(holder);
  const wait = backoff({ first: 50, max: 100, deadline: Date.now() + 5000 });
  while (served && (await forwarderState(ctx, workspace)) && !wait.expired()) await wait.pause();
  return served !== null || earlier;
}

/**
 * Waits until the workspace's state satisfies `ready`. A service that is not there (it crashed, or
 * exited just as this workspace was handed to it) is started again, once every few seconds.
 */
export async function waitForState(
  ctx: Context,
  workspace: string,
  ready: (state: ForwarderState) => boolean,
  timeoutMs = 15_000,
): Promise<ForwarderState> {
  // Short polls first: the service usually answers within a few hundred milliseconds.
  const wait = backoff({ first: 20, max: 100, deadline: Date.now() + timeoutMs, signal: ctx.signal });
  let spawned = Date.now();
  for (;;) {
    const state = await forwarderState(ctx, workspace);
    if (state && ready(state)) return state;
    if (wait.expired() || ctx.signal.aborted)
      throw new DevcError(`Timed out waiting for the port forwarder of ${workspace}.`, {
        hint: `See ${portFiles(ctx.paths, workspace).log}.`,
      });
    if (!state && Date.now() - spawned > 3000 && (await servicePid(ctx)) === null) {
      spawned = Date.now();
      await spawnService(ctx);
    }
    await wait.pause();
  }
}

/**
 * The service's environment: devc's and the engine's settings, without the user's tokens and without
 * the variables a call's backend options stand for. Those travel in each workspace's route.json, since
 * one service acts for every call.
 */
export function forwarderEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of ['GITHUB_TOKEN', 'GH_TOKEN', 'DEVC_KUBE_CONTEXT', 'DEVC_NAMESPACE', 'KUBECONFIG'])
    delete out[name];
  return out;
}
