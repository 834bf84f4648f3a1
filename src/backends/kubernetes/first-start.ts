import type * as k8s from '@kubernetes/client-node';
import type { KubeTarget } from './client.js';
import { call, callOrNull } from './errors.js';
import { execCapture, type ExecTarget } from './exec.js';
import { deletePod } from './lifecycle.js';
import { objectName } from './objects.js';
import { NEEDS_ROOT_EXIT, PREPARED_MARK, untilSshdListens } from './prepare.js';
import { podFailure, untilReachable } from './pods.js';
import { uploadTree } from './source.js';
import { sleep } from '../../wait/backoff.js';
import { untimed } from '../../io.js';

const UNTIL_PREPARED = `until [ -e ${PREPARED_MARK} ]; do sleep 0.05; done`;
// Until the agent's sshd listens, for at most about 6 s: `up` then finds SSH answering at its first
// try, and says why it does not on its own.
const UNTIL_SSHD = untilSshdListens(200, '0.03');

/**
 * A new workspace pod's first start: waits until it runs and its volume is ready (cloned), then
 * uploads a local tree while the agent starts sshd. A pod that prepares its own volume (`rootPrepared` given) and finds it not
 * writable (storage that ignores fsGroup) is made again as `rootPrepared`, whose init container
 * prepares the volume as root. Resolves to whether sshd was seen listening in the pod.
 */
export async function firstStart(
  target: KubeTarget,
  namespace: string,
  name: string,
  options: { upload?: { local: string; folder: string }; rootPrepared?: k8s.V1Pod },
): Promise<boolean> {
  const pod = objectName(name);
  const into: ExecTarget = { config: target.config, namespace, pod };
  try {
    // A self-preparing pod marks when it has prepared (and cloned); an init container has done both
    // once the workspace container answers. Either way no word from the kubelet is needed, which
    // reports a started container only at its next relist (up to a second on).
    const span = (target.timing ?? untimed).span.bind(target.timing ?? untimed);
    await span('kubernetes: pod reachable by exec', () =>
      untilReachable(target, into, options.rootPrepared ? UNTIL_PREPARED : ':'),
    );
    // The agent starts sshd meanwhile: waiting for it inside the pod (one exec, polling every 30 ms)
    // overlaps the upload, where `up` would otherwise start probing SSH through port-forwards after it.
    const [, sshd] = await Promise.all([
      options.upload
        ? span('kubernetes: upload the tree', () =>
            uploadTree(into, options.upload?.local ?? '', options.upload?.folder ?? ''),
          )
        : undefined,
      // Not listening yet is no failure here: `up`'s own wait then says why, or finds it later.
      span('kubernetes: sshd listening', () =>
        execCapture(into, ['sh', '-c', UNTIL_SSHD]).catch(() => undefined),
      ),
    ]);
    return sshd?.exitCode === 0;
  } catch (error) {
    if (!options.rootPrepared) throw error;
    const ended = await terminated(target, namespace, pod);
    if (!ended) throw error;
    if (ended.exitCode !== NEEDS_ROOT_EXIT)
      throw await podFailure(
        target,
        namespace,
        ended.pod,
        `Workspace pod ${pod} exited with code ${ended.exitCode} while starting.`,
      );
    await deletePod(target, namespace, name);
    await call('create', 'pods', namespace, () =>
      target.core.createNamespacedPod({ namespace, body: options.rootPrepared as k8s.V1Pod }),
    );
    return firstStart(target, namespace, name, { ...(options.upload ? { upload: options.upload } : {}) });
  }
}

/** The workspace container's exit once the kubelet reports it (within a few seconds), or undefined. */
async function terminated(
  target: KubeTarget,
  namespace: string,
  pod: string,
): Promise<{ exitCode: number; pod: k8s.V1Pod } | undefined> {
  for (let i = 0; i < 30; i++) {
    const current = await callOrNull('get', 'pods', namespace, () =>
      target.core.readNamespacedPod({ name: pod, namespace }),
    ).catch(() => null);
    const state = current?.status?.containerStatuses?.find((s) => s.name === 'workspace')?.state;
    if (current && state?.terminated) return { exitCode: state.terminated.exitCode, pod: current };
    if (!current || state?.running === undefined) return undefined;
    await sleep(200);
  }
  return undefined;
}
