import os from 'node:os';
import type * as k8s from '@kubernetes/client-node';
import { EngineError } from '../../errors.js';
import { kubernetesClient } from './library.js';
import { kubeconfigPresent } from './presence.js';

export { kubeconfigPresent };

/** Which cluster and namespace, from flags (through DEVC_* variables) and the user's kubeconfig. */
export interface KubeTarget {
  config: k8s.KubeConfig;
  context: string;
  /** --namespace / DEVC_NAMESPACE, else the context's namespace, else `devc`. */
  namespace: string;
  /** True when nobody chose the namespace (devc creates `devc` when it is missing). */
  defaultNamespace: boolean;
  /** The kubeconfig user, as a label value: who made a workspace. */
  owner: string;
  core: k8s.CoreV1Api;
  networking: k8s.NetworkingV1Api;
}

export const DEFAULT_NAMESPACE = 'devc';

/** Loads the kubeconfig and picks context and namespace; throws EngineError with a fix when it can't. */
export async function loadTarget(env: NodeJS.ProcessEnv): Promise<KubeTarget> {
  if (!kubeconfigPresent(env)) {
    throw new EngineError('No kubeconfig found for the Kubernetes backend.', {
      hint: 'Set KUBECONFIG (or create ~/.kube/config) for a cluster you can reach, or use --backend docker.',
    });
  }
  const { KubeConfig, CoreV1Api, NetworkingV1Api } = await kubernetesClient();
  const config = new KubeConfig();
  try {
    config.loadFromDefault();
  } catch (error) {
    throw new EngineError(
      `Can't read the kubeconfig: ${error instanceof Error ? error.message : String(error)}.`,
      {
        hint: 'Check the file KUBECONFIG points to.',
      },
    );
  }
  const wanted = env.DEVC_KUBE_CONTEXT;
  if (wanted) {
    if (!config.getContextObject(wanted)) {
      throw new EngineError(`The kubeconfig has no context named ${wanted}.`, {
        hint: `Contexts: ${
          config
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        }.`,
      });
    }
    config.setCurrentContext(wanted);
  }
  const context = config.getCurrentContext();
  const contextObject = config.getContextObject(context);
  if (!contextObject || !config.getCurrentCluster()) {
    throw new EngineError('The kubeconfig has no current context.', {
      hint: 'Pick one with --context or DEVC_KUBE_CONTEXT, or `kubectl config use-context NAME`.',
    });
  }
  const chosen = env.DEVC_NAMESPACE || contextObject.namespace;
  return {
    config,
    context,
    namespace: chosen || DEFAULT_NAMESPACE,
    defaultNamespace: !chosen,
    owner: labelValue(config.getCurrentUser()?.name ?? os.userInfo().username),
    core: config.makeApiClient(CoreV1Api),
    networking: config.makeApiClient(NetworkingV1Api),
  };
}

/** A string made valid as a label value: [A-Za-z0-9._-], at most 63, alphanumeric at both ends. */
export function labelValue(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63);
  return cleaned.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '') || 'unknown';
}
