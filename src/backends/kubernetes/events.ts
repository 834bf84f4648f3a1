import type * as k8s from '@kubernetes/client-node';
import type { WorkspaceEvent } from '../backend.js';
import { Label } from '../../workspace/model.js';
import { isWorkspaceName } from '../../workspace/name.js';
import type { KubeTarget } from './client.js';
import { kubernetesClient } from './library.js';
import { podState } from './pods.js';

type Kind = 'pods' | 'persistentvolumeclaims';

/**
 * Watches devc's pods and claims (by the workspace label) in these namespaces through the API server,
 * calling `onEvent` for each change, until the signal aborts or any watch ends (the API server closes
 * watches after a while; the caller reconnects and re-lists). Each watch starts at the resource
 * version of a one-item list, so the objects that exist already are not reported as new.
 */
export async function watchEvents(
  target: KubeTarget,
  namespaces: string[],
  onEvent: (event: WorkspaceEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return;
  const { Watch } = await kubernetesClient();
  const watch = new Watch(target.config);
  const controllers: AbortController[] = [];
  await new Promise<void>((resolve) => {
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      signal.removeEventListener('abort', end);
      for (const c of controllers) c.abort();
      resolve();
    };
    signal.addEventListener('abort', end, { once: true });
    const start = async (namespace: string, kind: Kind): Promise<void> => {
      const resourceVersion = await listVersion(target, namespace, kind);
      if (ended) return;
      const controller = await watch.watch(
        `/api/v1/namespaces/${namespace}/${kind}`,
        { labelSelector: Label.workspace, resourceVersion, allowWatchBookmarks: false },
        (type: string, object: k8s.V1Pod | k8s.V1PersistentVolumeClaim) => {
          const event = kind === 'pods' ? podEvent(type, object as k8s.V1Pod) : claimEvent(type, object);
          if (event && !ended) onEvent(event);
        },
        () => end(),
      );
      controllers.push(controller);
      if (ended) controller.abort();
    };
    for (const namespace of namespaces)
      for (const kind of ['pods', 'persistentvolumeclaims'] as const)
        start(namespace, kind).catch(() => end());
  });
}

async function listVersion(target: KubeTarget, namespace: string, kind: Kind): Promise<string | undefined> {
  const options = { namespace, labelSelector: Label.workspace, limit: 1 };
  const list =
    kind === 'pods'
      ? await target.core.listNamespacedPod(options)
      : await target.core.listNamespacedPersistentVolumeClaim(options);
  return list.metadata?.resourceVersion;
}

/** A watch event of a workspace pod, in the Docker backend's words (create, start, die, stop, destroy). */
export function podEvent(type: string, pod: k8s.V1Pod): WorkspaceEvent | null {
  const name = workspaceOf(pod);
  if (!name) return null;
  switch (type) {
    case 'ADDED':
      return { name, action: 'create' };
    case 'DELETED':
      return { name, action: 'destroy' };
    case 'MODIFIED': {
      if (pod.metadata?.deletionTimestamp) return { name, action: 'stop' };
      const { state } = podState(pod);
      if (state === 'running') return { name, action: 'start' };
      if (state === 'stopped' || state === 'exited' || state === 'failed') return { name, action: 'die' };
      return { name, action: 'update' };
    }
    default:
      return null;
  }
}

/** A watch event of a workspace's claim: the workspace itself appears or goes. */
export function claimEvent(type: string, pvc: k8s.V1PersistentVolumeClaim): WorkspaceEvent | null {
  const name = workspaceOf(pvc);
  if (!name) return null;
  if (type === 'ADDED') return { name, action: 'create' };
  if (type === 'DELETED') return { name, action: 'destroy' };
  return null;
}

function workspaceOf(object: { metadata?: k8s.V1ObjectMeta }): string | undefined {
  const name = object.metadata?.labels?.[Label.workspace];
  return name && isWorkspaceName(name) ? name : undefined;
}
