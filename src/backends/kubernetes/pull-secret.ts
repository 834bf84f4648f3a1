import type * as k8s from '@kubernetes/client-node';
import type { KubeTarget } from './client.js';
import { call, kubeError, statusOf } from './errors.js';
import { objectName, type Meta } from './objects.js';
import { dockerConfigJson, type RegistryLogin } from './registry.js';

/** The workspace's imagePullSecret: `devc-<name>-registry` (deleted with the workspace). */
export const pullSecretName = (workspace: string): string => `${objectName(workspace)}-registry`;

/** A kubernetes.io/dockerconfigjson Secret holding the login of DEVC_REGISTRY's host, and no other. */
export function pullSecretManifest(meta: Meta, host: string, login: RegistryLogin): k8s.V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels },
    type: 'kubernetes.io/dockerconfigjson',
    stringData: { '.dockerconfigjson': dockerConfigJson(host, login) },
  };
}

/** Creates the pull Secret, or replaces it (a rebuild, a new login). */
export async function applyPullSecret(
  target: KubeTarget,
  meta: Meta,
  registry: { host: string; login: RegistryLogin },
): Promise<void> {
  const { namespace, name } = meta;
  const body = pullSecretManifest(meta, registry.host, registry.login);
  try {
    await target.core.createNamespacedSecret({ namespace, body });
  } catch (error) {
    if (statusOf(error) !== 409) throw kubeError(error, 'create', 'secrets', namespace);
    await call('replace', 'secrets', namespace, () =>
      target.core.replaceNamespacedSecret({ name, namespace, body }),
    );
  }
}
