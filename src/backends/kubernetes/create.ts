import type * as k8s from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { DevcError } from '../../errors.js';
import { devcVersion } from '../../version.js';
import { Label, type WorkspaceSpec } from '../../workspace/model.js';
import { checkAccess, ensureNamespace } from './access.js';
import type { KubeExtras } from './backend.js';
import type { KubeTarget } from './client.js';
import { call, callOrNull } from './errors.js';
import { ensureInRegistry } from './image.js';
import { rememberNamespace } from './namespaces.js';
import {
  networkPolicyManifest,
  objectName,
  POD_TEMPLATE,
  podManifest,
  pvcManifest,
  secretManifest,
  type Meta,
  type PodPlan,
} from './objects.js';
import { decodeSecret, secretFiles } from './secret.js';

/**
 * Makes a workspace's Secret, PVC, NetworkPolicy and Pod. Everything that can refuse before an object
 * exists (namespace, RBAC, the image in the registry) is asked first, so a refusal leaves nothing.
 */
export async function createObjects(
  target: KubeTarget,
  env: NodeJS.ProcessEnv,
  spec: WorkspaceSpec,
  extras: KubeExtras,
): Promise<void> {
  const namespace = target.namespace;
  // Everything that can fail before an object exists is asked first (and at once): nothing half-made.
  const [, image, previous] = await Promise.all([
    ensureNamespace(target, namespace, target.defaultNamespace).then(() => checkAccess(target, namespace)),
    ensureInRegistry(spec.image, env.DEVC_REGISTRY),
    callOrNull('get', 'secrets', namespace, () =>
      target.core.readNamespacedSecret({ name: objectName(spec.name), namespace }),
    ).catch(() => null),
  ]);
  const local = spec.repository.url === spec.sourcePath;
  const cloneUrl = local ? undefined : spec.repository.url;
  const user = extras.user ?? 'dev';
  const labels = {
    [Label.workspace]: spec.name,
    [Label.owner]: target.owner,
    [Label.version]: devcVersion(),
    ...(spec.variant ? { [Label.variant]: spec.variant } : {}),
  };
  const annotations: Record<string, string> = {
    [Label.repository]: spec.repository.url,
    [Label.branch]: spec.repository.branch ?? '',
    [Label.folder]: spec.folder,
    [Label.createdAt]: new Date().toISOString(),
    'dev.devc.user': user,
    ...(local ? { [Label.source]: spec.sourcePath } : {}),
    ...(extras.devcontainerConfig ? { [Label.config]: extras.devcontainerConfig } : {}),
  };
  const meta: Meta = { name: objectName(spec.name), namespace, labels, annotations: {} };
  const plan: PodPlan = {
    ...meta,
    workspace: spec.name,
    image,
    toolsImage: image,
    folder: spec.folder,
    home: user === 'root' ? '/root' : `/home/${user}`,
    env: { ...(extras.containerEnv ?? {}), ...spec.env, DEVC_USER: user },
    clone: cloneUrl ? { url: cloneUrl, branch: spec.repository.branch } : undefined,
    cpus: extras.cpus,
    memoryBytes: extras.memoryBytes,
  };
  const pod = podManifest(plan, meta.name, meta.name);
  // Later starts need neither the volume's preparation nor the clone: both are done by then.
  const restart: k8s.V1Pod = {
    ...pod,
    spec: { ...pod.spec, containers: pod.spec?.containers ?? [], initContainers: [] },
  };
  const files = await secretFiles(
    spec.configPath,
    cloneUrl,
    previous ? decodeSecret(previous.data) : undefined,
  );
  const pvc = pvcManifest(
    { ...meta, annotations: { ...annotations, [POD_TEMPLATE]: JSON.stringify(restart) } },
    extras.storageBytes,
  );
  // The pod waits for its volume and Secret by itself: all four are made at once.
  await Promise.all([
    applySecret(target, namespace, secretManifest(meta, files), previous !== null),
    applyVolume(target, namespace, meta.name, pvc, labels),
    call('create', 'networkpolicies', namespace, () =>
      target.networking.createNamespacedNetworkPolicy({
        namespace,
        body: networkPolicyManifest(meta, spec.name, Label.workspace),
      }),
    ).catch((error: unknown) => {
      if (!(error instanceof DevcError && /already exists/i.test(error.message))) throw error;
    }),
    call('create', 'pods', namespace, () => target.core.createNamespacedPod({ namespace, body: pod })),
    rememberNamespace(env, target, namespace),
  ]);
}

/** Creates the PVC, or (a rebuild keeps the volume) updates what the pod is made from. */
async function applyVolume(
  target: KubeTarget,
  namespace: string,
  name: string,
  pvc: k8s.V1PersistentVolumeClaim,
  labels: Record<string, string>,
): Promise<void> {
  const existing = await callOrNull('get', 'persistentvolumeclaims', namespace, () =>
    target.core.readNamespacedPersistentVolumeClaim({ name, namespace }),
  );
  if (existing) {
    // A rebuild keeps the volume: only what the pod is made from changes.
    await call('patch', 'persistentvolumeclaims', namespace, () =>
      target.core.patchNamespacedPersistentVolumeClaim(
        { name, namespace, body: { metadata: { annotations: pvc.metadata?.annotations, labels } } },
        mergePatch(),
      ),
    );
  } else {
    await call('create', 'persistentvolumeclaims', namespace, () =>
      target.core.createNamespacedPersistentVolumeClaim({ namespace, body: pvc }),
    );
  }
}

async function applySecret(
  target: KubeTarget,
  namespace: string,
  body: k8s.V1Secret,
  exists: boolean,
): Promise<void> {
  const name = body.metadata?.name ?? '';
  if (exists)
    await call('replace', 'secrets', namespace, () =>
      target.core.replaceNamespacedSecret({ name, namespace, body }),
    );
  else
    await call('create', 'secrets', namespace, () => target.core.createNamespacedSecret({ namespace, body }));
}

function mergePatch(): k8s.ConfigurationOptions {
  // The generated client sends JSON Patch unless told otherwise.
  return setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
}
