import { UsageError } from '../errors.js';
import type { BackendKind } from '../workspace/model.js';
import type { Backend } from './backend.js';

/** The one place a backend is chosen. Each is imported lazily so `devc --version` loads neither. */
export async function createBackend(kind: BackendKind, env: NodeJS.ProcessEnv): Promise<Backend> {
  switch (kind) {
    case 'docker': {
      const { DockerBackend } = await import('./docker/backend.js');
      return new DockerBackend();
    }
    case 'kubernetes': {
      const { KubernetesBackend } = await import('./kubernetes/backend.js');
      return new KubernetesBackend(env);
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
