import type * as k8s from '@kubernetes/client-node';
import { CancelledError, DevcError } from '../../errors.js';
import type { WorkspaceState } from '../../workspace/model.js';
import { call, callOrNull } from './errors.js';
import type { KubeTarget } from './client.js';
import { execCapture, type ExecTarget } from './exec.js';
import { kubernetesClient, mergePatch } from './library.js';
import { REACHED } from './objects.js';
import { CLONE_FAILED_EXIT } from './prepare.js';
import { backoff } from '../../wait/backoff.js';

const PULL_FAILURES = /^(ErrImagePull|ImagePullBackOff|InvalidImageName|ErrImageNeverPull)$/;
const CONFIG_FAILURES = /^(CreateContainerConfigError|CreateContainerError|RunContainerError)$/;

/** A pod's state in the user's words (no pod: stopped; the PVC keeps the workspace). */
export function podState(pod: k8s.V1Pod | null): { state: WorkspaceState; reason: string | undefined } {
  if (!pod) return { state: 'stopped', reason: 'stopped (no pod; files kept)' };
  if (pod.metadata?.deletionTimestamp) return { state: 'stopped', reason: 'stopping' };
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    const waiting = s.state?.waiting;
    if (waiting?.reason && (PULL_FAILURES.test(waiting.reason) || CONFIG_FAILURES.test(waiting.reason)))
      return { state: 'failed', reason: `${waiting.reason}: ${waiting.message ?? ''}`.trim() };
  }
  if (runs(pod)) return { state: 'running', reason: undefined };
  switch (pod.status?.phase) {
    case 'Succeeded':
      return { state: 'stopped', reason: 'stopped (the agent ended it, e.g. idle)' };
    case 'Failed': {
      const failed = statuses.find((s) => s.state?.terminated && s.state.terminated.exitCode !== 0);
      const t = failed?.state?.terminated;
      return {
        state: 'exited',
        reason: t
          ? `${failed.name} exited with code ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}`
          : (pod.status.reason ?? 'failed'),
      };
    }
    default: {
      const waiting = statuses.map((s) => s.state?.waiting?.reason).find(Boolean);
      return { state: 'starting', reason: waiting ?? pod.status?.reason ?? 'pending' };
    }
  }
}

/** Whether the pod's container runs: the kubelet says so, or (before its next relist) devc reached it. */
export function runs(pod: k8s.V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  const phase = pod.status?.phase;
  return phase === 'Running' || (phase === 'Pending' && Boolean(pod.metadata?.annotations?.[REACHED]));
}

/** The pod's last events, oldest first, as lines (for error details). */
export async function podEvents(
  target: KubeTarget,
  namespace: string,
  pod: string,
  count = 8,
): Promise<string> {
  const list = await callOrNull('list', 'events', namespace, () =>
    target.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${pod}` }),
  ).catch(() => null);
  const items = (list?.items ?? []).sort((a, b) => time(a) - time(b)).slice(-count);
  return items.map((e) => `${e.type ?? ''} ${e.reason ?? ''}: ${e.message ?? ''}`.trim()).join('\n');
}

function time(e: k8s.CoreV1Event): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}

/** The last lines a container printed, or '' when there are none yet. */
export async function podLogTail(
  target: KubeTarget,
  namespace: string,
  pod: string,
  container: string,
  lines = 15,
): Promise<string> {
  try {
    return (
      await target.core.readNamespacedPodLog({ name: pod, namespace, container, tailLines: lines })
    ).trim();
  } catch {
    return '';
  }
}

/**
 * Waits until the pod runs. Fails at once, with the pod's own events and logs, when it can't: an
 * image that can't be pulled, an init container (the clone) that failed, a pod that ended; and with
 * the same details when it does not run within `timeoutMs`.
 */
export async function waitForRunning(
  target: KubeTarget,
  namespace: string,
  pod: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  const deadline = Date.now() + timeoutMs;
  let unschedulableSince: number | undefined;
  const changes = await watchPod(target, namespace, pod);
  options.signal?.addEventListener('abort', () => changes.wake(), { once: true });
  try {
    for (;;) {
      const done = await checkPod(target, namespace, pod, deadline, timeoutMs, unschedulableSince);
      if (done === true) return;
      unschedulableSince = done;
      if (options.signal?.aborted) throw new CancelledError();
      // Woken by the pod's next change; the poll is only a fallback for a watch that broke.
      await changes.next(1000);
    }
  } finally {
    changes.stop();
  }
}

/**
 * Waits until the pod's workspace container runs `script` (a shell command that returns when the
 * pod is ready for devc): an exec, tried again until the container runs. The kubelet reports a
 * started container only at its next relist, up to a second later; this needs no word from it. Its
 * word (or another devc's mark, see REACHED) is awaited beside, to fail at once with its reasons (an
 * image it can't pull, a container that ended); once the pod is said to run, an exec that can't
 * connect is an error.
 */
export async function untilReachable(target: KubeTarget, into: ExecTarget, script: string): Promise<void> {
  const stop = new AbortController();
  let reported = false;
  const running = waitForRunning(target, into.namespace, into.pod, { signal: stop.signal }).then(() => {
    reported = true;
  });
  running.catch(() => undefined);
  try {
    // Every 50 ms at first, growing slowly (a pod starts within a second or two: 1.25× pauses left
    // up to 250 ms between the container's start and the attempt that saw it), then less often: a
    // pod that waits long (an image pull, a volume) must not cost the API server ten requests a
    // second (one a second after some 25 tries, ~8 s).
    const wait = backoff({ first: 50, max: 1000, factor: 1.12, signal: stop.signal });
    for (;;) {
      // Only an attempt begun after the pod was said to run proves that the exec can't connect: one
      // begun before may have failed just as the kubelet, or another devc, said it runs.
      const said = reported;
      // Only the word the command prints tells that it ran: an exec that can't reach the container
      // yet ends without an exit code.
      const attempt = await execCapture(into, ['sh', '-c', `${script}; echo reached`]).catch(
        (error: unknown) => ({ exitCode: 1, stdout: '', stderr: String(error) }),
      );
      if (attempt.stdout.trim() === 'reached') {
        await markReached(target, into);
        return;
      }
      if (said) throw new Error(`Can't reach the workspace container: ${attempt.stderr.trim()}`);
      await Promise.race([running, wait.pause()]);
    }
  } finally {
    stop.abort();
  }
}

/**
 * Writes into the pod that devc reached it (see REACHED). Only speed hangs on it: a user whose Role
 * may not patch pods sees the pod run when the kubelet says so, up to a second later.
 */
async function markReached(target: KubeTarget, into: ExecTarget): Promise<void> {
  const body = { metadata: { annotations: { [REACHED]: new Date().toISOString() } } };
  await target.core
    .patchNamespacedPod({ name: into.pod, namespace: into.namespace, body }, await mergePatch())
    .catch(() => undefined);
}

/** Wakes a waiter on each change of one pod (a watch); `next` also returns after `ms` without one. */
async function watchPod(
  target: KubeTarget,
  namespace: string,
  pod: string,
): Promise<{ next(ms: number): Promise<void>; wake(): void; stop(): void }> {
  let wake: (() => void) | undefined;
  const { Watch } = await kubernetesClient();
  const controller = await new Watch(target.config)
    .watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { fieldSelector: `metadata.name=${pod}` },
      () => wake?.(),
      () => wake?.(),
    )
    .catch(() => undefined);
  return {
    next: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => resolve(), ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    wake: () => wake?.(),
    stop: () => controller?.abort(),
  };
}

/** One look at the pod: true when it runs, else when it became unschedulable; throws when it can't run. */
async function checkPod(
  target: KubeTarget,
  namespace: string,
  pod: string,
  deadline: number,
  timeoutMs: number,
  since: number | undefined,
): Promise<true | number | undefined> {
  let unschedulableSince = since;
  const current = await call('get', 'pods', namespace, () =>
    target.core.readNamespacedPod({ name: pod, namespace }),
  );
  const { state, reason } = podState(current);
  if (state === 'running') return true;
  if (state === 'failed' && reason && /^(ErrImagePull|ImagePullBackOff|InvalidImageName)/.test(reason)) {
    const image = current.spec?.containers[0]?.image ?? 'the image';
    throw new DevcError(`The cluster can't pull image ${image}.`, {
      hint: 'Check that the image is in DEVC_REGISTRY and that the cluster may pull from it (imagePullSecrets for private registries).',
      details: [reason, await podEvents(target, namespace, pod)].filter(Boolean).join('\n'),
    });
  }
  if (
    state === 'failed' ||
    state === 'exited' ||
    (state === 'stopped' && current.status?.phase === 'Succeeded')
  ) {
    throw await podFailure(
      target,
      namespace,
      current,
      `Workspace pod ${pod} ${reason ?? 'failed'} while starting.`,
    );
  }
  const scheduled = current.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    unschedulableSince ??= Date.now();
    // An unbound PVC makes a pod unschedulable for a moment; a lack of CPU or memory does not pass.
    if (
      Date.now() - unschedulableSince > 20_000 &&
      !/unbound|PersistentVolumeClaim/i.test(scheduled.message ?? '')
    ) {
      throw new DevcError(`No node can run workspace pod ${pod}: ${scheduled.message ?? 'unschedulable'}`, {
        hint: 'Ask for less (hostRequirements in devcontainer.json), or free room on the cluster.',
      });
    }
  } else unschedulableSince = undefined;
  if (Date.now() > deadline) {
    throw await podFailure(
      target,
      namespace,
      current,
      `Workspace pod ${pod} did not start within ${Math.round(timeoutMs / 1000)} s (${reason ?? 'pending'}).`,
    );
  }
  return unschedulableSince;
}

/** An error carrying the pod's last events and the logs of the container that failed (or the workspace's). */
export async function podFailure(
  target: KubeTarget,
  namespace: string,
  pod: k8s.V1Pod,
  message: string,
): Promise<DevcError> {
  const name = pod.metadata?.name ?? '';
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const ended = statuses.find((s) => s.state?.terminated && s.state.terminated.exitCode !== 0);
  const failed = ended?.name;
  const container = failed ?? 'workspace';
  const cloneFailed =
    failed === 'clone' ||
    (failed === 'workspace' && ended?.state?.terminated?.exitCode === CLONE_FAILED_EXIT);
  const [events, logs] = await Promise.all([
    podEvents(target, namespace, name),
    podLogTail(target, namespace, name, container),
  ]);
  const details = [events && `events:\n${events}`, logs && `${container} logs:\n${logs}`]
    .filter(Boolean)
    .join('\n');
  return new DevcError(message, {
    hint: cloneFailed
      ? 'The in-cluster clone failed: check the URL, the branch and the token (GITHUB_TOKEN), and that pods reach the git host.'
      : 'See the events and logs above.',
    ...(details ? { details } : {}),
  });
}

/** Polls until `probe` says the object is gone (deletions are graceful). */
export async function waitGone(probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const wait = backoff({ first: 100, max: 1000, deadline: Date.now() + timeoutMs });
  while (!wait.expired()) {
    if (!(await probe())) return;
    await wait.pause();
  }
}
