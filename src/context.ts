import type { Backend } from './backends/backend.js';
import { createBackend } from './backends/factory.js';
import type { IO } from './io.js';
import { resolvePaths, type Paths } from './paths.js';
import { devcVersion } from './version.js';
import type { BackendKind } from './workspace/model.js';

/** Everything a command needs, built once; costly parts are created on first use. */
export interface Context {
  io: IO;
  env: NodeJS.ProcessEnv;
  cwd: string;
  paths: Paths;
  version: string;
  /** The backend of that kind (default: DEVC_BACKEND, else docker), created once. */
  backend(kind?: BackendKind): Promise<Backend>;
  /** Every backend the user has workspaces on (for list and dashboard). */
  backends(): Promise<Backend[]>;
  /** Aborted when the user presses Ctrl-C. */
  signal: AbortSignal;
  /** Asks the user; answers no when there is no terminal to ask at. */
  prompter: Prompter;
}

/** Questions to the user at the terminal. */
export interface Prompter {
  /** A yes/no question (ending in ":"); false when no terminal can answer. */
  confirm(question: string): Promise<boolean>;
}

export interface ContextOptions {
  io: IO;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  prompter?: Prompter;
  backendFactory?: (kind: BackendKind, env: NodeJS.ProcessEnv) => Promise<Backend>;
}

export function createContext(options: ContextOptions): Context {
  const env = options.env ?? process.env;
  const factory = options.backendFactory ?? createBackend;
  const signal = options.signal ?? new AbortController().signal;
  const made = new Map<BackendKind, Promise<Backend>>();
  const backend = (kind?: BackendKind): Promise<Backend> => {
    const chosen = kind ?? defaultBackendKind(env);
    let promise = made.get(chosen);
    if (!promise) {
      promise = factory(chosen, env);
      made.set(chosen, promise);
    }
    return promise;
  };
  return {
    io: options.io,
    env,
    cwd: options.cwd ?? process.cwd(),
    paths: resolvePaths(env),
    version: devcVersion(),
    backend,
    backends: () => allBackends(env, options.io, backend),
    signal,
    prompter: options.prompter ?? terminalPrompter(options.io, signal),
  };
}

/** Prompts on the IO's terminal; readline loads on the first question. */
function terminalPrompter(io: IO, signal: AbortSignal): Prompter {
  return {
    confirm: async (question) => {
      if (!io.interactive) return false;
      const { confirm } = await import('./ui/confirm.js');
      return confirm(io, question, signal);
    },
  };
}

export function defaultBackendKind(env: NodeJS.ProcessEnv): BackendKind {
  return env.DEVC_BACKEND === 'kubernetes' ? 'kubernetes' : 'docker';
}

/**
 * Docker always; Kubernetes too when a kubeconfig is there (KUBECONFIG or ~/.kube/config), found
 * without loading the client. Unless Kubernetes was chosen, a cluster that does not answer shows no
 * workspaces and a warning, so commands about Docker workspaces still work.
 */
async function allBackends(
  env: NodeJS.ProcessEnv,
  io: IO,
  backend: (kind?: BackendKind) => Promise<Backend>,
): Promise<Backend[]> {
  const { kubeconfigPresent, tolerant } = await import('./backends/kubernetes/presence.js');
  const chosen = env.DEVC_BACKEND === 'kubernetes';
  if (!chosen && !kubeconfigPresent(env)) return [await backend('docker')];
  const kubernetes = await backend('kubernetes');
  return [await backend('docker'), chosen ? kubernetes : tolerant(kubernetes, (m) => io.warn(m))];
}
