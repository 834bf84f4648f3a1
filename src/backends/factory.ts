import { UsageError } from '../errors.js';
import type { BackendKind } from '../workspace/model.js';
import type { Backend } from './backend.js';

/**
 * Choices one call makes about its backend, passed in rather than through the environment, so one
 * process can act for several callers. Each falls back to its variable when not given.
 */
export interface BackendOptions {
  /** Kubernetes: the kubeconfig context (--context; else DEVC_KUBE_CONTEXT; else the current one). */
  context?: string;
  /** Kubernetes: the namespace (--namespace; else DEVC_NAMESPACE; else the context's, else devc). */
  namespace?: string;
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
      return new DockerBackend();
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

/** Parses a --backend / DEVC_BACKEND value. */
export function parseBackendKind(value: string): BackendKind {
  if (value === 'docker' || value === 'kubernetes') return value;
  throw new UsageError(`Unknown backend "${value}".`, {
    hint: 'Use --backend docker or --backend kubernetes.',
  });
}
