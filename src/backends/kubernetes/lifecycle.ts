import type * as k8s from '@kubernetes/client-node';
import { DevcError } from '../../errors.js';
import type { KubeTarget } from './client.js';
import { call, callOrNull, isNotFound, kubeError } from './errors.js';
import { mergePatch } from './library.js';
import { objectName, POD_TEMPLATE, STOPPED_AT } from './objects.js';
import { runs, untilReachable, waitGone } from './pods.js';
import { pullSecretName } from './pull-secret.js';

/**
 * Runs the workspace's pod: waits for one that is starting (until an exec reaches it); an ended pod
 * (idle stop, a crash) can't be restarted, so it is deleted and made again from the template on the
 * PVC. Resolves to whether it made a pod (a start, for postStartCommand).
 */
export async function startPod(target: KubeTarget, namespace: string, name: string): Promise<boolean> {
  const podName = objectName(name);
  const pod = await callOrNull('get', 'pods', namespace, () =>
    target.core.readNamespacedPod({ name: podName, namespace }),
  );
  const into = { config: target.config, namespace, pod: podName };
  if (pod && runs(pod)) return false;
  if (pod && !pod.metadata?.deletionTimestamp && pod.status?.phase === 'Pending') {
    await untilReachable(target, into, ':');
    return false;
  }
  if (pod) await deletePod(target, namespace, name);
  const pvc = await call('get', 'persistentvolumeclaims', namespace, () =>
    target.core.readNamespacedPersistentVolumeClaim({ name: podName, namespace }),
  );
  const template = pvc.metadata?.annotations?.[POD_TEMPLATE];
  if (!template)
    throw new DevcError(`Workspace ${name} has no pod template on its volume.`, {
      hint: `Recreate it: \`devc delete -w ${name}\`, then \`devc up\`.`,
    });
  await call('create', 'pods', namespace, () =>
    target.core.createNamespacedPod({ namespace, body: JSON.parse(template) as k8s.V1Pod }),
  );
  await untilReachable(target, into, ':');
  return true;
}

/** Deletes the workspace's pod (grace 10 s) and waits until it is gone; no pod is fine. */
export async function deletePod(target: KubeTarget, namespace: string, name: string): Promise<void> {
  const podName = objectName(name);
  try {
    await target.core.deleteNamespacedPod({ name: podName, namespace, gracePeriodSeconds: 10 });
  } catch (error) {
    if (isNotFound(error)) return;
    throw kubeError(error, 'delete', 'pods', namespace);
  }
  await waitGone(
    async () =>
      (await target.core.readNamespacedPod({ name: podName, namespace }).catch(() => null)) !== null,
  );
}

/**
 * `devc stop`: deletes the pod and notes the time on the PVC (STOPPED_AT), since a workspace without a
 * pod has no other record of when it stopped (`view` tells a user's stop by it). The note is only
 * for display: a Role that may not patch claims loses nothing else.
 */
export async function stopPod(target: KubeTarget, namespace: string, name: string): Promise<void> {
  await deletePod(target, namespace, name);
  const body = { metadata: { annotations: { [STOPPED_AT]: new Date().toISOString() } } };
  await target.core
    .patchNamespacedPersistentVolumeClaim({ name: objectName(name), namespace, body }, await mergePatch())
    .catch(() => undefined);
}

/** Deletes everything the workspace owns: pod, Secrets, NetworkPolicy and PVC (waited for until gone). */
export async function removeObjects(target: KubeTarget, namespace: string, name: string): Promise<void> {
  const object = objectName(name);
  const ignoreMissing = (error: unknown): void => {
    if (!isNotFound(error)) throw kubeError(error, 'delete', 'objects', namespace);
  };
  // The pod goes first (it holds the volume); the others at once.
  await deletePod(target, namespace, name);
  await Promise.all([
    target.core.deleteNamespacedSecret({ name: object, namespace }).catch(ignoreMissing),
    target.core.deleteNamespacedSecret({ name: pullSecretName(name), namespace }).catch(ignoreMissing),
    target.networking.deleteNamespacedNetworkPolicy({ name: object, namespace }).catch(ignoreMissing),
    target.core.deleteNamespacedPersistentVolumeClaim({ name: object, namespace }).catch(ignoreMissing),
  ]);
  await waitGone(
    async () =>
      (await target.core
        .readNamespacedPersistentVolumeClaim({ name: object, namespace })
        .catch(() => null)) !== null,
  );
}
