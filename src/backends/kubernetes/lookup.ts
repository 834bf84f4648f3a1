import { DevcError } from '../../errors.js';
import { Label, type Workspace } from '../../workspace/model.js';
import { isWorkspaceName } from '../../workspace/name.js';
import { invalidNameLabel } from '../../workspace/labels.js';
import type { KubeTarget } from './client.js';
import { call, callOrNull } from './errors.js';
import { searchNamespaces } from './namespaces.js';
import type { ExecTarget } from './exec.js';
import { objectName } from './objects.js';
import { podState } from './pods.js';
import { toWorkspace } from './workspace.js';

/** The workspace of that name in the namespaces devc searches (its PVC says it exists), or null. */
export async function findWorkspace(
  env: NodeJS.ProcessEnv,
  target: KubeTarget,
  name: string,
): Promise<{ workspace: Workspace; namespace: string } | null> {
  if (!isWorkspaceName(name)) return null;
  for (const namespace of await searchNamespaces(env, target)) {
    const object = objectName(name);
    // Both at once: one round trip; a pod without its PVC is no workspace of devc's.
    const [pvc, pod] = await Promise.all([
      callOrNull('get', 'persistentvolumeclaims', namespace, () =>
        target.core.readNamespacedPersistentVolumeClaim({ name: object, namespace }),
      ),
      callOrNull('get', 'pods', namespace, () => target.core.readNamespacedPod({ name: object, namespace })),
    ]);
    if (pvc?.metadata?.labels?.[Label.workspace] !== name) continue;
    return { workspace: toWorkspace(pvc, pod, namespace), namespace };
  }
  return null;
}

/**
 * Every workspace in the namespaces devc searches, by name. A claim whose workspace label is no valid
 * name is left out and reported: its name would reach paths and commands.
 */
export async function listWorkspaces(
  env: NodeJS.ProcessEnv,
  target: KubeTarget,
  onIgnored: (message: string) => void = () => undefined,
): Promise<Workspace[]> {
  const all: Workspace[] = [];
  for (const namespace of await searchNamespaces(env, target)) {
    const labelSelector = Label.workspace;
    const [pvcs, pods] = await Promise.all([
      call('list', 'persistentvolumeclaims', namespace, () =>
        target.core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector }),
      ),
      call('list', 'pods', namespace, () => target.core.listNamespacedPod({ namespace, labelSelector })),
    ]);
    for (const pvc of pvcs.items) {
      const labels = pvc.metadata?.labels ?? {};
      const ignored = invalidNameLabel(
        labels,
        `persistent volume claim ${pvc.metadata?.name ?? '?'} in namespace ${namespace}`,
      );
      if (ignored) {
        onIgnored(ignored);
        continue;
      }
      const name = labels[Label.workspace];
      const pod = pods.items.find((p) => p.metadata?.labels?.[Label.workspace] === name) ?? null;
      all.push(toWorkspace(pvc, pod, namespace));
    }
  }
  return all.sort((a, b) => a.name.localeCompare(b.name));
}

/** Where to exec in workspace `name`, whose pod must be running; else an error saying how to start it. */
export async function runningPod(target: KubeTarget, namespace: string, name: string): Promise<ExecTarget> {
  const pod = await callOrNull('get', 'pods', namespace, () =>
    target.core.readNamespacedPod({ name: objectName(name), namespace }),
  );
  if (!pod || podState(pod).state !== 'running') {
    throw new DevcError(`Workspace ${name} is not running.`, {
      hint: `Start it with \`devc start -w ${name}\` (or \`devc up\`).`,
    });
  }
  return { config: target.config, namespace, pod: objectName(name) };
}
