import type * as k8s from '@kubernetes/client-node';
import { DevcError, UsageError } from '../../errors.js';
import { devcVersion } from '../../version.js';
import { Label, type WorkspaceSpec } from '../../workspace/model.js';
import { checkAccess, ensureNamespace } from './access.js';
import type { KubeTarget } from './client.js';
import { call, callOrNull, statusOf } from './errors.js';
import { ensureInRegistry } from './image.js';
import { kubernetesClient, mergePatch } from './library.js';
import { rememberNamespace } from './namespaces.js';
import {
  networkPolicyManifest,
  objectName,
  POD_TEMPLATE,
  podManifest,
  restartManifest,
  pvcManifest,
  secretManifest,
  type Meta,
  type PodPlan,
} from './objects.js';
import { decodeSecret, secretFiles } from './secret.js';

/** What `create` needs beyond the WorkspaceSpec (a devcontainer.json's image, user, resources). */
export interface KubeExtras {
  user?: string;
  containerEnv?: Record<string, string>;
  cpus?: number;
  memoryBytes?: number;
  storageBytes?: number;
  devcontainerConfig?: string;
  /** Have the node ask the registry for the image again (rebuild --full). */
  pullAlways?: boolean;
}

/**
 * Makes a workspace's Secret, PVC, NetworkPolicy and Pod. Everything that can refuse before an object
 * exists (namespace, RBAC, the image in the registry) is asked first, so a refusal leaves nothing.
 * A volume that is already there (a rebuild) is kept: only what the pod is made from changes, and
 * the pod neither clones nor is uploaded into again. Resolves to whether the volume is new and, for
 * a pod that prepares its own volume, the pod that has root prepare it instead (for storage a
 * non-root pod can't write to).
 */
export async function createObjects(
  target: KubeTarget,
  env: NodeJS.ProcessEnv,
  spec: WorkspaceSpec,
  extras: KubeExtras,
  namespace: string = target.namespace,
): Promise<{ newVolume: boolean; rootPrepared: k8s.V1Pod | undefined }> {
  const name = objectName(spec.name);
  // Everything that can fail before an object exists is asked first (and at once): nothing half-made.
  const [, , image, previous, volume] = await Promise.all([
    namespaceReady(target, namespace),
    storageClassThere(target, env.DEVC_STORAGE_CLASS),
    ensureInRegistry(spec.image, env.DEVC_REGISTRY),
    callOrNull('get', 'secrets', namespace, () =>
      target.core.readNamespacedSecret({ name, namespace }),
    ).catch(() => null),
    callOrNull('get', 'persistentvolumeclaims', namespace, () =>
      target.core.readNamespacedPersistentVolumeClaim({ name, namespace }),
    ).catch(() => null),
  ]);
  const local = spec.repository.url === spec.sourcePath;
  const cloneUrl = local ? undefined : spec.repository.url;
  const user = extras.user ?? 'dev';
  const labels = {
    [Label.workspace]: spec.name,
    [Label.owner]: target.owner,
    [Label.home]: spec.home,
    [Label.version]: devcVersion(),
    ...(spec.variant ? { [Label.variant]: spec.variant } : {}),
  };
  const annotations: Record<string, string> = {
    [Label.repository]: spec.repository.url,
    [Label.branch]: spec.repository.branch ?? '',
    [Label.folder]: spec.folder,
    // A rebuild is the same workspace: it keeps its age (`up` resumes the oldest of a repository).
    [Label.createdAt]: volume?.metadata?.annotations?.[Label.createdAt] ?? new Date().toISOString(),
    'dev.devc.user': user,
    ...(local ? { [Label.source]: spec.sourcePath } : {}),
    ...(extras.devcontainerConfig ? { [Label.config]: extras.devcontainerConfig } : {}),
  };
  const meta: Meta = { name, namespace, labels, annotations: {} };
  const plan: PodPlan = {
    ...meta,
    workspace: spec.name,
    image: image.reference,
    toolsImage: image.reference,
    folder: spec.folder,
    home: user === 'root' ? '/root' : `/home/${user}`,
    env: { ...(extras.containerEnv ?? {}), ...spec.env, DEVC_USER: user },
    // The volume holds the clone already when it is kept.
    clone: cloneUrl && !volume ? { url: cloneUrl, branch: spec.repository.branch } : undefined,
    cpus: extras.cpus,
    memoryBytes: extras.memoryBytes,
    pullAlways: image.pushed || extras.pullAlways === true,
    // dev8 images (their home is /etc/skel's, their agent at a known path) prepare their own volume.
    prepare: spec.variant ? 'self' : 'root',
  };
  const pod = podManifest(plan, name, name);
  const restart = restartManifest(plan, name, name);
  const files = await secretFiles(
    spec.configPath,
    cloneUrl,
    previous ? decodeSecret(previous.data) : undefined,
  );
  const pvc = pvcManifest(
    { ...meta, annotations: { ...annotations, [POD_TEMPLATE]: JSON.stringify(restart) } },
    extras.storageBytes,
    env.DEVC_STORAGE_CLASS || undefined,
  );
  // The pod waits for its volume by itself, so the four are made at once; but a pod that reaches the
  // kubelet before its Secret exists fails its first mount and is retried a second or two later.
  const secret = applySecret(target, namespace, secretManifest(meta, files), previous !== null);
  await Promise.all([
    secret,
    applyVolume(target, namespace, name, pvc, labels, volume !== null),
    call('create', 'networkpolicies', namespace, () =>
      target.networking.createNamespacedNetworkPolicy({
        namespace,
        body: networkPolicyManifest(meta, spec.name, Label.workspace),
      }),
    ).catch((error: unknown) => {
      if (!(error instanceof DevcError && /already exists/i.test(error.message))) throw error;
    }),
    secret.then(() =>
      call('create', 'pods', namespace, () => target.core.createNamespacedPod({ namespace, body: pod })),
    ),
    rememberNamespace(env, target, namespace),
  ]);
  return {
    newVolume: volume === null,
    rootPrepared: plan.prepare === 'self' ? podManifest({ ...plan, prepare: 'root' }, name, name) : undefined,
  };
}

/**
 * The namespace exists (devc's default one is made) and RBAC lets the user make a workspace there.
 * Both are asked at once (an access review needs no namespace); a missing namespace is the error
 * that counts.
 */
async function namespaceReady(target: KubeTarget, namespace: string): Promise<void> {
  const [exists, allowed] = await Promise.allSettled([
    ensureNamespace(target, namespace, target.defaultNamespace && namespace === target.namespace),
    checkAccess(target, namespace),
  ]);
  if (exists.status === 'rejected') throw exists.reason;
  if (allowed.status === 'rejected') throw allowed.reason;
}

/**
 * The StorageClass DEVC_STORAGE_CLASS names exists: a claim of a missing one stays Pending and its pod
 * waits for it until the start times out. A user who may not read StorageClasses is not stopped.
 */
async function storageClassThere(target: KubeTarget, name: string | undefined): Promise<void> {
  if (!name) return;
  const api = target.config.makeApiClient((await kubernetesClient()).StorageV1Api);
  try {
    await api.readStorageClass({ name });
  } catch (error) {
    if (statusOf(error) !== 404) return;
    const names = await api
      .listStorageClass()
      .then((list) => list.items.map((c) => c.metadata?.name).join(', '))
      .catch(() => '');
    throw new UsageError(`StorageClass ${name} (DEVC_STORAGE_CLASS) does not exist on the cluster.`, {
      hint: names
        ? `Pick one of: ${names}; or unset DEVC_STORAGE_CLASS for the default.`
        : 'Unset DEVC_STORAGE_CLASS for the default, or see `kubectl get storageclass`.',
    });
  }
}

/** Creates the PVC, or (a rebuild keeps the volume) updates what the pod is made from. */
async function applyVolume(
  target: KubeTarget,
  namespace: string,
  name: string,
  pvc: k8s.V1PersistentVolumeClaim,
  labels: Record<string, string>,
  existing: boolean,
): Promise<void> {
  if (existing) {
    // A rebuild keeps the volume: only what the pod is made from changes.
    const merge = await mergePatch();
    await call('patch', 'persistentvolumeclaims', namespace, () =>
      target.core.patchNamespacedPersistentVolumeClaim(
        { name, namespace, body: { metadata: { annotations: pvc.metadata?.annotations, labels } } },
        merge,
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
