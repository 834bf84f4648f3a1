import { AuthError, UsageError } from '../../errors.js';
import { call, kubeError, statusOf } from './errors.js';
import type { KubeTarget } from './client.js';
import { kubernetesClient } from './library.js';

/** What creating a workspace needs; checked before anything is made, so a refusal leaves nothing behind. */
const NEEDED: { verb: string; resource: string; group?: string; subresource?: string }[] = [
  { verb: 'create', resource: 'secrets' },
  { verb: 'create', resource: 'persistentvolumeclaims' },
  { verb: 'create', resource: 'networkpolicies', group: 'networking.k8s.io' },
  { verb: 'create', resource: 'pods' },
  { verb: 'create', resource: 'pods', subresource: 'exec' },
  { verb: 'create', resource: 'pods', subresource: 'portforward' },
];

/** Throws AuthError naming the first verb and resource RBAC denies in the namespace. */
export async function checkAccess(target: KubeTarget, namespace: string): Promise<void> {
  const api = target.config.makeApiClient((await kubernetesClient()).AuthorizationV1Api);
  const answers = await Promise.all(
    NEEDED.map(async (need) => {
      const review = await call('create', 'selfsubjectaccessreviews', namespace, () =>
        api.createSelfSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: {
              resourceAttributes: {
                namespace,
                verb: need.verb,
                resource: need.resource,
                ...(need.group ? { group: need.group } : {}),
                ...(need.subresource ? { subresource: need.subresource } : {}),
              },
            },
          },
        }),
      );
      return { need, allowed: review.status?.allowed === true };
    }),
  );
  const denied = answers.find((a) => !a.allowed)?.need;
  if (denied) {
    const resource = denied.subresource ? `${denied.resource}/${denied.subresource}` : denied.resource;
    throw new AuthError(`You may not ${denied.verb} ${resource} in namespace ${namespace}.`, {
      hint: `Ask a cluster admin for a Role that allows "${denied.verb}" on "${resource}" there, or use another --namespace.`,
    });
  }
}

/** Makes sure the namespace exists; devc creates only its own default one (`devc`). */
export async function ensureNamespace(
  target: KubeTarget,
  namespace: string,
  mayCreate: boolean,
): Promise<void> {
  try {
    await target.core.readNamespace({ name: namespace });
    return;
  } catch (error) {
    // Many users may not read namespaces at all: then the namespace is taken to be there.
    if (statusOf(error) !== 404) {
      if (statusOf(error) === 403) return;
      throw kubeError(error, 'get', 'namespaces', namespace);
    }
  }
  if (!mayCreate) {
    throw new UsageError(`Namespace ${namespace} does not exist.`, {
      hint: 'Create it, or pick another with --namespace.',
    });
  }
  try {
    await target.core.createNamespace({
      body: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: namespace, labels: { 'dev.devc.namespace': 'true' } },
      },
    });
  } catch (error) {
    if (statusOf(error) !== 409) throw kubeError(error, 'create', 'namespaces', namespace);
  }
}

/**
 * The namespace exists (devc's default one is made) and RBAC lets the user make a workspace there.
 * Both are asked at once (an access review needs no namespace); a missing namespace is the error
 * that counts.
 */
export async function namespaceReady(target: KubeTarget, namespace: string): Promise<void> {
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
export async function storageClassThere(target: KubeTarget, name: string | undefined): Promise<void> {
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
