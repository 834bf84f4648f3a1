import type * as k8s from '@kubernetes/client-node';
import { readLabels } from '../../workspace/labels.js';
import type { Workspace } from '../../workspace/model.js';
import { POD_TEMPLATE, STOPPED_AT } from './objects.js';
import { podState } from './pods.js';

/** A workspace as the cluster reports it: the PVC says it exists, the pod (if any) how it runs. */
export function toWorkspace(
  pvc: k8s.V1PersistentVolumeClaim,
  pod: k8s.V1Pod | null,
  namespace: string,
): Workspace {
  const labels = pvc.metadata?.labels ?? {};
  const notes = pvc.metadata?.annotations ?? {};
  const template = parseTemplate(notes[POD_TEMPLATE]);
  const container = (pod ?? template)?.spec?.containers[0];
  const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? '']));
  const { state, reason } = podState(pod);
  const idle = Number(env.DEVC_IDLE_TIMEOUT ?? '0');
  const started = pod?.status?.containerStatuses?.[0]?.state?.running?.startedAt;
  // An ended pod says when it ended; without a pod, `devc stop` noted the time on the PVC.
  const terminated = pod
    ? pod.status?.containerStatuses?.[0]?.state?.terminated?.finishedAt
    : notes[STOPPED_AT];
  return {
    // sourcePath: only a local working tree lives on this machine; a remote repository lives in the PVC.
    ...readLabels(labels, String(pvc.metadata?.creationTimestamp ?? ''), notes),
    backend: 'kubernetes',
    state,
    stateReason: reason,
    image: container?.image ?? '',
    user: notes['dev.devc.user'] ?? 'dev',
    id: `${namespace}/${pvc.metadata?.name ?? ''}`,
    idleTimeoutSeconds: Number.isInteger(idle) && idle >= 0 ? idle : 0,
    startedAt: started ? new Date(started).toISOString() : undefined,
    stoppedAt: terminated ? new Date(terminated).toISOString() : undefined,
  };
}

function parseTemplate(text: string | undefined): k8s.V1Pod | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as k8s.V1Pod;
  } catch {
    return undefined;
  }
}
