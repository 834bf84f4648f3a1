import type * as k8s from '@kubernetes/client-node';
import { DevcError } from '../../errors.js';
import { untimed } from '../../io.js';
import { devcVersion } from '../../version.js';
import { ownerLabel } from '../../workspace/labels.js';
import { Label, type ImageSource, type WorkspaceSpec } from '../../workspace/model.js';
import { namespaceReady, storageClassThere } from './access.js';
import type { KubeTarget } from './client.js';
import { call, callOrNull } from './errors.js';
import { ensureInRegistry, registryReference } from './image.js';
import { mergePatch } from './library.js';
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
import { WORKSPACE_UID } from './prepare.js';
import type { PodConfig } from './config-map.js';
import { withPodConfig } from './pod-config.js';
import { applyPullSecret, pullSecretName } from './pull-secret.js';
import type { RegistryLogin } from './registry.js';
import { decodeSecret, secretFiles } from './secret.js';
import { agentImageRef } from '../agent-image.js';
import { writeRemoteEnv } from './devcontainer.js';
import { HOOKS_ANNOTATION, type HookRun } from './hooks.js';
import { imagePlan, type ImagePlan } from './image-config.js';

/** What `create` needs beyond the WorkspaceSpec (a devcontainer.json's image, user, resources). */
export interface KubeExtras {
  user?: string;
  containerEnv?: Record<string, string>;
  cpus?: number;
  memoryBytes?: number;
  storageBytes?: number;
  devcontainerConfig?: string;
  /** Where the image came from (the workspace's image-source annotation). */
  imageSource?: ImageSource;
  /** The registry the config names (customizations.devc.prebuildRegistry) when DEVC_REGISTRY is not set. */
  registry?: string;
  /** Have the node ask the registry for the image again (rebuild --full). */
  pullAlways?: boolean;
  /** What the config's mounts, runArgs and capAdd add to the pod. */
  podConfig?: PodConfig;
  /** The user's login for DEVC_REGISTRY: the pod pulls with it (a Secret of this registry only). */
  pullSecret?: { host: string; login: RegistryLogin };
  /**
   * A devcontainer.json's keys that merge with the image's metadata (image-config.ts): set for any
   * image a config names, whose pod gets devc's agent from the agent image (any-image.ts).
   */
  imageConfig?: Record<string, unknown>;
  /** The build log, where the lifecycle hooks' output goes. */
  logFile?: string;
}

/** What `create` made, and what the first start needs to know. */
export interface Created {
  newVolume: boolean;
  rootPrepared: k8s.V1Pod | undefined;
  /** A pod of any image: the hooks to run and how (undefined for dev8 pods). */
  hooks: Omit<HookRun, 'phase' | 'logFile'> | undefined;
  /** The public SSH host key in the pod's Secret (made by devc, kept across rebuilds). */
  hostKey: string;
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
  registry: string | undefined = undefined,
): Promise<Created> {
  const name = objectName(spec.name);
  const fromConfig = extras.imageConfig;
  // Everything that can fail before an object exists is asked first (and at once): nothing half-made.
  const span = (target.timing ?? untimed).span.bind(target.timing ?? untimed);
  // The image's label and user are read from the registry at once, beside the check that puts it
  // there: read again only when that check pushed another build under the tag.
  const readPlan = (reference: string): Promise<ImagePlan> | undefined =>
    fromConfig ? span('kubernetes: image config', () => imagePlan(reference, fromConfig)) : undefined;
  const early = registry ? readPlan(registryReference(spec.image, registry)) : undefined;
  early?.catch(() => undefined);
  const [, , image, previous, volume, agent] = await Promise.all([
    span('kubernetes: namespace and access', () => namespaceReady(target, namespace)),
    storageClassThere(target, env.DEVC_STORAGE_CLASS),
    span('kubernetes: image in the registry', () => ensureInRegistry(spec.image, registry)).then(
      async (image) => ({
        ...image,
        plan: await (image.pushed ? readPlan(image.reference) : early),
      }),
    ),
    callOrNull('get', 'secrets', namespace, () =>
      target.core.readNamespacedSecret({ name, namespace }),
    ).catch(() => null),
    callOrNull('get', 'persistentvolumeclaims', namespace, () =>
      target.core.readNamespacedPersistentVolumeClaim({ name, namespace }),
    ).catch(() => null),
    // Any image's pod copies devc's agent from the agent image.
    fromConfig
      ? span('kubernetes: agent image in the registry', () =>
          ensureInRegistry(agentImageRef(devcVersion()), registry),
        )
      : undefined,
  ]);
  const local = spec.repository.url === spec.sourcePath;
  const cloneUrl = local ? undefined : spec.repository.url;
  const any = image.plan;
  const user = any?.user.name ?? extras.user ?? 'dev';
  const home = any ? any.user.home : user === 'root' ? '/root' : `/home/${user}`;
  const hooks = any
    ? { entries: any.entries, folder: spec.folder, remoteEnv: { ...any.containerEnv, ...any.remoteEnv } }
    : undefined;
  // SSH sessions don't inherit the pod's environment: the agent gives them remote.env (in the Secret).
  if (any) await writeRemoteEnv(spec.configPath, hooks?.remoteEnv ?? {});
  const labels = {
    [Label.workspace]: spec.name,
    [Label.owner]: ownerLabel(spec.owner),
    [Label.home]: spec.home,
    [Label.version]: devcVersion(),
    ...(spec.variant ? { [Label.variant]: spec.variant } : {}),
  };
  const annotations: Record<string, string> = {
    [Label.owner]: spec.owner,
    [Label.repository]: spec.repository.url,
    [Label.branch]: spec.repository.branch ?? '',
    [Label.folder]: spec.folder,
    // A rebuild is the same workspace: it keeps its age (`up` resumes the oldest of a repository).
    [Label.createdAt]: volume?.metadata?.annotations?.[Label.createdAt] ?? new Date().toISOString(),
    'dev.devc.user': user,
    ...(local ? { [Label.source]: spec.sourcePath } : {}),
    ...(extras.devcontainerConfig ? { [Label.config]: extras.devcontainerConfig } : {}),
    ...(extras.imageSource ? { [Label.imageSource]: extras.imageSource } : {}),
    ...(hooks ? { [HOOKS_ANNOTATION]: JSON.stringify(hooks) } : {}),
  };
  const meta: Meta = { name, namespace, labels, annotations: {} };
  const plan: PodPlan = {
    ...meta,
    workspace: spec.name,
    image: image.reference,
    toolsImage: image.reference,
    folder: spec.folder,
    home,
    env: { ...(any?.containerEnv ?? extras.containerEnv ?? {}), ...spec.env, DEVC_USER: user },
    // The volume holds the clone already when it is kept.
    clone: cloneUrl && !volume ? { url: cloneUrl, branch: spec.repository.branch } : undefined,
    cpus: extras.cpus,
    memoryBytes: extras.memoryBytes,
    pullAlways: image.pushed || agent?.pushed === true || extras.pullAlways === true,
    // dev8 images (their home is /etc/skel's, their agent at a known path) prepare their own volume.
    // Any image's pod prepares its volume with containers beside the workspace's (any-image.ts).
    prepare: spec.variant || any ? 'self' : 'root',
    ...(any && agent
      ? {
          uid: any.user.uid,
          gid: any.user.gid,
          anyImage: {
            agentImage: agent.reference,
            agentVersion: devcVersion(),
            seedHome: any.user.uid !== 0 && home.startsWith('/home/'),
          },
        }
      : {}),
  };
  const pullSecret = extras.pullSecret ? pullSecretName(spec.name) : undefined;
  // The config's named volumes' folders belong to the pod's user.
  const owner = { uid: plan.uid ?? WORKSPACE_UID, gid: plan.gid ?? WORKSPACE_UID };
  const configured = (pod: k8s.V1Pod, first: boolean): k8s.V1Pod =>
    withPodConfig(pod, extras.podConfig, pullSecret, first, owner);
  const pod = configured(podManifest(plan, name, name), true);
  const restart = configured(restartManifest(plan, name, name), false);
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
  // The pod is made once its Secrets and its claim exist: a pod that reaches the kubelet before its
  // Secret fails its first mount (retried a second or two later), and one the scheduler sees before
  // its claim is an error there ("could not find PersistentVolumeClaim"), retried only after a back-off
  // of a second or more. Beside a claim that exists but is not bound yet, the pod is merely
  // unschedulable, and tried again as soon as the claim is bound.
  const secret = Promise.all([
    applySecret(target, namespace, secretManifest(meta, files), previous !== null),
    extras.pullSecret
      ? applyPullSecret(target, { ...meta, name: pullSecret ?? '' }, extras.pullSecret)
      : undefined,
  ]);
  const claim = applyVolume(target, namespace, name, pvc, labels, volume !== null);
  await Promise.all([
    secret,
    claim,
    call('create', 'networkpolicies', namespace, () =>
      target.networking.createNamespacedNetworkPolicy({
        namespace,
        body: networkPolicyManifest(meta, spec.name, Label.workspace),
      }),
    ).catch((error: unknown) => {
      if (!(error instanceof DevcError && /already exists/i.test(error.message))) throw error;
    }),
    Promise.all([secret, claim]).then(() =>
      span('kubernetes: create the pod', () =>
        call('create', 'pods', namespace, () => target.core.createNamespacedPod({ namespace, body: pod })),
      ),
    ),
    rememberNamespace(env, target, namespace),
  ]);
  return {
    newVolume: volume === null,
    rootPrepared:
      plan.prepare === 'self'
        ? configured(podManifest({ ...plan, prepare: 'root' }, name, name), true)
        : undefined,
    hooks,
    hostKey: files['ssh_host_ed25519_key.pub'] ?? '',
  };
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
