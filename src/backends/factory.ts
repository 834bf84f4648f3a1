import { UsageError } from '../errors.js';
import type { Timing } from '../io.js';
import type { BackendKind } from '../workspace/model.js';
import { hasRoutes, type Backend, type PortRouter } from './backend.js';

/**
 * Choices one call makes about its backend, passed in rather than through the environment, so one
 * process can act for several callers. Each falls back to its variable when not given.
 */
export interface BackendOptions {
  /** Kubernetes: the kubeconfig context (--context; else DEVC_KUBE_CONTEXT; else the current one). */
  context?: string;
  /** Kubernetes: the namespace (--namespace; else DEVC_NAMESPACE; else the context's, else devc). */
  namespace?: string;
  /** Kubernetes: where images the cluster pulls are pushed (the `registry` setting: flag, DEVC_REGISTRY, config). */
  registry?: string;
  /** Times the backend's steps (DEVC_DEBUG=timing); the context passes its IO. */
  timing?: Timing;
}

/** The one place a backend is chosen. Each is imported lazily so `devc --version` loads neither. */
export async function createBackend(
  kind: BackendKind,
  env: NodeJS.ProcessEnv,
  options: BackendOptions = {},
): Promise<Backend> {
  switch (kind) {
    case 'docker': {
      const { DockerBackend } = await import('./docker/backend.js');
      return new DockerBackend(env);
    }
    case 'kubernetes': {
      const { KubernetesBackend } = await import('./kubernetes/backend.js');
      return new KubernetesBackend(env, options);
    }
    default: {
      const never: never = kind;
      throw new UsageError(`Unknown backend "${String(never)}".`, { hint: 'Use docker or kubernetes.' });
    }
  }
}

/**
 * What the forwarder service needs of a backend: its routes. Docker's come without the rest of the
 * backend (the service stays small); Kubernetes's backend loads its client only once it is asked.
 */
export async function createPortRouter(
  kind: BackendKind,
  env: NodeJS.ProcessEnv,
  options: BackendOptions = {},
): Promise<PortRouter> {
  if (kind === 'docker') {
    const { DockerRouter } = await import('./docker/route.js');
    return new DockerRouter(env);
  }
  const backend = await createBackend(kind, env, options);
  if (!hasRoutes(backend)) throw new Error(`the ${kind} backend can't forward ports`);
  return backend;
}

/** Parses a --backend / DEVC_BACKEND value. */
export function parseBackendKind(value: string): BackendKind {
  if (value === 'docker' || value === 'kubernetes') return value;
  throw new UsageError(`Unknown backend "${value}".`, {
    hint: 'Use --backend docker or --backend kubernetes.',
  });
}
