import type * as k8s from '@kubernetes/client-node';
import type { WorkspaceDetails } from '../backend.js';
import { DETAILS_PROBE, parseProbe } from '../details-probe.js';
import type { KubeTarget } from './client.js';
import { callOrNull } from './errors.js';
import { CONTAINER, execCapture } from './exec.js';
import { objectName } from './objects.js';
import { podState } from './pods.js';

/** Where the PVC's home subPath is mounted: every user's home is a folder of it. */
const HOMES = '/home';

/**
 * `view`'s details of a Kubernetes workspace. A running pod is asked through exec (the same probe as
 * on Docker: the agent's last-active file, open connections, the homes' disk use). An ended pod can't
 * be asked, but the agent wrote why it stopped into /dev/termination-log, which the kubelet keeps as
 * the container's termination message. No pod (stopped by the user): nothing more to tell.
 */
export async function podDetails(
  target: KubeTarget,
  namespace: string,
  name: string,
): Promise<WorkspaceDetails> {
  const pod = await callOrNull('get', 'pods', namespace, () =>
    target.core.readNamespacedPod({ name: objectName(name), namespace }),
  );
  if (pod && podState(pod).state === 'running') {
    const into = { config: target.config, namespace, pod: objectName(name) };
    const probe = await execCapture(into, ['sh', '-c', DETAILS_PROBE, 'devc-view', HOMES]).catch(() => ({
      exitCode: 1,
      stdout: '',
    }));
    return parseProbe(probe.exitCode, probe.stdout);
  }
  return {
    agentStopReason: stopReasonOf(pod),
    lastActiveAt: undefined,
    activeConnections: undefined,
    homeBytes: undefined,
  };
}

/** The reason the agent recorded (its first line: "idle") in an ended workspace container's termination message. */
export function stopReasonOf(pod: k8s.V1Pod | null): string | undefined {
  const status = pod?.status?.containerStatuses?.find((s) => s.name === CONTAINER);
  const message = status?.state?.terminated?.message?.trim().split('\n')[0]?.trim();
  return message || undefined;
}
