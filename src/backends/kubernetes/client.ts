import os from 'node:os';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import type * as k8s from '@kubernetes/client-node';
import { EngineError } from '../../errors.js';
import { untimed, type Timing } from '../../io.js';
import type { BackendOptions } from '../factory.js';
import { kubernetesClient } from './library.js';
import { inCluster, kubeconfigPresent } from './presence.js';

export { kubeconfigPresent };

/** Which cluster and namespace, from the call's options, DEVC_* variables and the user's kubeconfig. */
export interface KubeTarget {
  config: k8s.KubeConfig;
  context: string;
  /** --namespace / DEVC_NAMESPACE, else the context's namespace, else `devc`. */
  namespace: string;
  /** True when nobody chose the namespace (devc creates `devc` when it is missing). */
  defaultNamespace: boolean;
  /** True when --namespace or DEVC_NAMESPACE named it: workspaces are looked for there only. */
  namespaceNamed: boolean;
  /** The kubeconfig user, as a label value: who made a workspace. */
  owner: string;
  core: k8s.CoreV1Api;
  networking: k8s.NetworkingV1Api;
  /** Times the steps of this call (DEVC_DEBUG=timing). */
  timing?: Timing;
}

export const DEFAULT_NAMESPACE = 'devc';

/**
 * The kubeconfig files of `env.KUBECONFIG`, merged the way kubectl and `loadFromDefault` merge them;
 * without it, the default (~/.kube/config, or in-cluster). Read from `env`, not process.env: the
 * forwarder service serves workspaces of several calls, each with its own KUBECONFIG.
 */
function loadKubeconfig(config: k8s.KubeConfig, env: NodeJS.ProcessEnv, Kube: typeof k8s.KubeConfig): void {
  const files = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  const [first, ...rest] = files;
  if (first === undefined) return config.loadFromDefault();
  config.loadFromFile(first);
  for (const file of rest) {
    const more = new Kube();
    more.loadFromFile(file);
    config.mergeConfig(more, false);
  }
}

/**
 * Loads the kubeconfig and picks context and namespace (each: the option, else its variable); throws
 * EngineError with a fix when it can't.
 */
export async function loadTarget(env: NodeJS.ProcessEnv, options: BackendOptions = {}): Promise<KubeTarget> {
  if (!kubeconfigPresent(env) && !inCluster(env)) {
    throw new EngineError('No kubeconfig found for the Kubernetes backend.', {
      hint: 'Set KUBECONFIG (or create ~/.kube/config) for a cluster you can reach, run in a pod with a service account, or use --backend docker.',
    });
  }
  const { KubeConfig, CoreV1Api, NetworkingV1Api } = await kubernetesClient();
  const config = new KubeConfig();
  try {
    loadKubeconfig(config, env, KubeConfig);
  } catch (error) {
    throw new EngineError(
      `Can't read the kubeconfig: ${error instanceof Error ? error.message : String(error)}.`,
      {
        hint: 'Check the file KUBECONFIG points to.',
      },
    );
  }
  shareConnections(config);
  const wanted = options.context ?? env.DEVC_KUBE_CONTEXT;
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
  const named = options.namespace ?? env.DEVC_NAMESPACE;
  const chosen = named || contextObject.namespace;
  return {
    config,
    context,
    namespace: chosen || DEFAULT_NAMESPACE,
    defaultNamespace: !chosen,
    namespaceNamed: Boolean(named),
    owner: config.getCurrentUser()?.name ?? os.userInfo().username,
    core: config.makeApiClient(CoreV1Api),
    networking: config.makeApiClient(NetworkingV1Api),
    timing: options.timing ?? untimed,
  };
}

type AgentMaker = (cluster: unknown, options: Record<string, unknown>) => unknown;

/**
 * One keep-alive connection pool per cluster and credentials for the whole process. client-node
 * makes a new agent, so a new TCP connection and TLS handshake, for every request (its private
 * `createAgent`): an `up` makes some forty requests, and on a 2-core machine the handshakes' CPU
 * slows the pod it waits for. Idle kept-alive sockets do not keep the process alive (Node unrefs
 * them). Should a later client-node rename the method, this does nothing.
 */
function shareConnections(config: k8s.KubeConfig): void {
  const holder: object = config;
  if (!hasAgentMaker(holder)) return;
  const make = holder.createAgent.bind(config);
  const agents = new Map<string, unknown>();
  holder.createAgent = (cluster, options) => {
    const key = JSON.stringify([
      (cluster as { server?: string } | null)?.server,
      ...['servername', 'rejectUnauthorized', 'ca', 'cert', 'key', 'pfx', 'passphrase'].map((k) =>
        keyPart(options[k]),
      ),
    ]);
    let agent = agents.get(key);
    if (!agent) {
      // One TLS context too: made from the options for every connection otherwise (parsing the key
      // each time), and every exec or port-forward is a connection of its own.
      const secureContext = createSecureContext(options);
      agent = make(cluster, { ...options, keepAlive: true, secureContext });
      agents.set(key, agent);
    }
    return agent;
  };
}

/** Whether client-node still has the private method shareConnections replaces. */
function hasAgentMaker(holder: object): holder is { createAgent: AgentMaker } {
  return typeof Reflect.get(holder, 'createAgent') === 'function';
}

function keyPart(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return typeof value === 'string' || typeof value === 'boolean' ? String(value) : '';
}
