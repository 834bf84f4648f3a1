import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError } from '../../errors.js';
import type { Backend, ListOptions } from '../backend.js';

/** Whether a kubeconfig is there to use (KUBECONFIG or ~/.kube/config), without loading the client. */
export function kubeconfigPresent(env: NodeJS.ProcessEnv): boolean {
  if (env.KUBECONFIG) return env.KUBECONFIG.split(path.delimiter).some((f) => f && existsSync(f));
  return existsSync(path.join(env.HOME || os.homedir(), '.kube', 'config'));
}

/** The service account's token that Kubernetes mounts into a pod (client-node's in-cluster config). */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Whether devc runs in a pod with a service account (the gateway's Deployment): with no kubeconfig,
 * an explicitly chosen Kubernetes backend uses it. Not counted by `kubeconfigPresent`: `list` in some
 * other pod does not start asking that pod's cluster.
 */
export function inCluster(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync(SERVICE_ACCOUNT_TOKEN);
}

/**
 * The Kubernetes backend as `list` and workspace lookup see it when nobody chose it: a cluster that
 * can't be reached (or no kubeconfig) shows no workspaces and one warning, instead of failing
 * commands that are about Docker workspaces.
 */
export function tolerant(backend: Backend, warn: (message: string) => void): Backend {
  let warned = false;
  const quiet =
    <T>(fallback: T) =>
    (error: unknown): T => {
      if (!(error instanceof EngineError)) throw error;
      if (!warned) warn(`Kubernetes workspaces are not shown: ${error.message}`);
      warned = true;
      return fallback;
    };
  return Object.assign(Object.create(backend) as Backend, {
    list: (options?: ListOptions) => backend.list(options).catch(quiet([])),
    find: (name: string) => backend.find(name).catch(quiet(null)),
  });
}
