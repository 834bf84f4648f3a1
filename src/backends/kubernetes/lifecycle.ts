import type * as k8s from '@kubernetes/client-node';
import { DevcError } from '../../errors.js';
import type { KubeTarget } from './client.js';
import { call, callOrNull, isNotFound, kubeError } from './errors.js';
import { objectName, POD_TEMPLATE } from './objects.js';
import { runs, untilReachable, waitGone } from './pods.js';

/**
 * Runs the workspace's pod: waits for one that is starting (until an exec reaches it); an ended pod
 * (idle stop, a crash) can't be restarted, so it is deleted and made again from the template on the
 * PVC.
 */
export async function startPod(target: KubeTarget, namespace: string, name: string): Promise<void> {
  const podName = objectName(name);
  const pod = await callOrNull('get', 'pods', namespace, () =>
    target.core.readNamespacedPod({ name: podName, namespace }),
  );
  const into = { config: target.config, namespace, pod: podName };
  if (pod && runs(pod)) return;
  if (pod && !pod.metadata?.deletionTimestamp && pod.status?.phase === 'Pending')
    return untilReachable(target, into, ':');
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

/** Deletes everything the workspace owns: pod, Secret, NetworkPolicy and PVC (waited for until gone). */
export async function removeObjects(target: KubeTarget, namespace: string, name: string): Promise<void> {
  const object = objectName(name);
  const ignoreMissing = (error: unknown): void => {
    if (!isNotFound(error)) throw kubeError(error, 'delete', 'objects', namespace);
  };
  // The pod goes first (it holds the volume); the others at once.
  await deletePod(target, namespace, name);
  await Promise.all([
    target.core.deleteNamespacedSecret({ name: object, namespace }).catch(ignoreMissing),
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
