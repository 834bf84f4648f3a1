// Helpers for tests that run against the real test cluster (test/cluster/cluster.sh up).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';

const execFileP = promisify(execFile);

/** KUBECONFIG and DEVC_REGISTRY from `cluster.sh up`; missing values are an error, never a skip. */
export function clusterEnv(): { kubeconfig: string; registry: string } {
  const kubeconfig = process.env.KUBECONFIG;
  const registry = process.env.DEVC_REGISTRY;
  if (!kubeconfig || !registry) {
    throw new Error(
      'KUBECONFIG and DEVC_REGISTRY must be set: run `eval "$(test/cluster/cluster.sh up)"` first ' +
        `(KUBECONFIG=${kubeconfig ?? '<unset>'}, DEVC_REGISTRY=${registry ?? '<unset>'})`,
    );
  }
  return { kubeconfig, registry };
}

export function loadKubeConfig(): k8s.KubeConfig {
  const { kubeconfig } = clusterEnv();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a non-undefined value; throws with `what` and the last error after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof StopWaiting) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${last instanceof Error ? last.message : JSON.stringify(last)}`}`,
      );
    }
    await sleep(500);
  }
}

/** Thrown from a waitFor probe to stop waiting at once (a terminal state that won't get better). */
export class StopWaiting extends Error {}

export function isNotFound(e: unknown): boolean {
  return (e as { code?: number })?.code === 404;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function run(cmd: string, args: string[], timeoutMs = 300_000): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`,
    );
  }
}

/** Creates a namespace, waits for its default service account, runs `fn`, and always deletes the namespace. */
export async function withNamespace(
  kc: k8s.KubeConfig,
  prefix: string,
  fn: (ns: string) => Promise<void>,
): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const ns = uniqueName(prefix);
  await core.createNamespace({ body: { metadata: { name: ns, labels: { 'devc-test': 'k8s-smoke' } } } });
  try {
    await waitFor(`service account default in ${ns}`, 60_000, async () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace: ns }),
    );
    await fn(ns);
  } finally {
    await core.deleteNamespace({ name: ns, gracePeriodSeconds: 0 }).catch(() => undefined);
    // Bounded wait so that pods and volumes are really gone before the next test; not fatal if slow.
    await waitFor(`namespace ${ns} deleted`, 90_000, async () => {
      try {
        await core.readNamespace({ name: ns });
        return undefined;
      } catch (e) {
        if (isNotFound(e)) return true;
        throw e;
      }
    }).catch((e: unknown) => console.warn(String(e)));
  }
}

/** Waits until the pod is Running with all containers ready; fails fast on a terminal waiting reason. */
export async function waitPodRunning(
  kc: k8s.KubeConfig,
  ns: string,
  name: string,
  timeoutMs = 180_000,
): Promise<k8s.V1Pod> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const fatal = [
    'ErrImagePull',
    'ImagePullBackOff',
    'InvalidImageName',
    'CreateContainerError',
    'CrashLoopBackOff',
  ];
  return waitFor(`pod ${ns}/${name} Running`, timeoutMs, async () => {
    const pod = await core.readNamespacedPod({ name, namespace: ns });
    for (const cs of pod.status?.containerStatuses ?? []) {
      const reason = cs.state?.waiting?.reason;
      if (reason && fatal.includes(reason)) {
        throw new StopWaiting(`pod ${ns}/${name}: ${reason}: ${cs.state?.waiting?.message ?? ''}`);
      }
    }
    const ready = pod.status?.containerStatuses?.every((c) => c.ready) ?? false;
    return pod.status?.phase === 'Running' && ready ? pod : undefined;
  }).catch(async (e: unknown) => {
    const events = await core
      .listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` })
      .then((l) => l.items.map((ev) => `${ev.type} ${ev.reason}: ${ev.message}`).join('\n'))
      .catch(() => '<events unavailable>');
    throw new Error(`${String(e)}\nevents:\n${events}`);
  });
}

export async function waitPodGone(
  kc: k8s.KubeConfig,
  ns: string,
  name: string,
  timeoutMs = 120_000,
): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await waitFor(`pod ${ns}/${name} deleted`, timeoutMs, async () => {
    try {
      await core.readNamespacedPod({ name, namespace: ns });
      return undefined;
    } catch (e) {
      if (isNotFound(e)) return true;
      throw e;
    }
  });
}

/** A Writable that collects everything written to it. */
export class Collect extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** The part of the `ws` WebSocket used here (its type isn't resolvable from this package). */
export interface WsLike {
  close(): void;
  on(event: 'close', cb: () => void): void;
  on(event: 'error', cb: (e: Error) => void): void;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit code from the V1Status the API server sends at the end of the exec stream. */
  exitCode: number;
  status: k8s.V1Status;
}

/** Runs a command in a container through the API server (WebSocket exec) and returns its output and exit code. */
export async function execInPod(
  kc: k8s.KubeConfig,
  ns: string,
  pod: string,
  container: string,
  command: string[],
  timeoutMs = 60_000,
): Promise<ExecResult> {
  const stdout = new Collect();
  const stderr = new Collect();
  let status: k8s.V1Status | undefined;
  const ws = (await new k8s.Exec(kc).exec(ns, pod, container, command, stdout, stderr, null, false, (s) => {
    status = s;
  })) as unknown as WsLike;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`exec ${command.join(' ')} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.on('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  if (!status) throw new Error(`exec ${command.join(' ')}: no status received`);
  let exitCode: number;
  if (status.status === 'Success') exitCode = 0;
  else {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    if (!cause?.message) throw new Error(`exec ${command.join(' ')} failed: ${JSON.stringify(status)}`);
    exitCode = Number(cause.message);
  }
  return { stdout: stdout.text(), stderr: stderr.text(), exitCode, status };
}
