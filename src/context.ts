import type { Backend } from './backends/backend.js';
import { createBackend, type BackendOptions } from './backends/factory.js';
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
  /**
   * The backend of that kind (default: DEVC_BACKEND, else docker), made with these options (default:
   * `backendOptions`); created once per kind and options.
   */
  backend(kind?: BackendKind, options?: BackendOptions): Promise<Backend>;
  /** Every backend the user has workspaces on (for list and dashboard). */
  backends(options?: BackendOptions): Promise<Backend[]>;
  /** What this call chose about its backends (`up --context`); the forwarder it starts is told too. */
  backendOptions: BackendOptions;
  /** Aborted when the user presses Ctrl-C. */
  signal: AbortSignal;
  /** Asks the user; answers no when there is no terminal to ask at. */
  prompter: Prompter;
  /** Opens links in the user's browser. */
  browser: Browser;
}

/** Questions to the user at the terminal. */
export interface Prompter {
  /** A yes/no question (ending in ":"); false when no terminal can answer. */
  confirm(question: string): Promise<boolean>;
  /** One of `items` (e.g. which devcontainer.json); an empty answer cancels. Ask only at a terminal. */
  pick(question: string, items: string[]): Promise<string>;
}

/** The user's browser (or whatever the system opens that kind of link with). */
export interface Browser {
  open(url: string): Promise<void>;
}

export interface ContextOptions {
  io: IO;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  prompter?: Prompter;
  browser?: Browser;
  backendFactory?: (kind: BackendKind, env: NodeJS.ProcessEnv, options: BackendOptions) => Promise<Backend>;
}

export function createContext(options: ContextOptions): Context {
  const env = options.env ?? process.env;
  const factory = options.backendFactory ?? createBackend;
  const signal = options.signal ?? new AbortController().signal;
  const made = new Map<string, Promise<Backend>>();
  const backend = (kind?: BackendKind, backendOptions: BackendOptions = {}): Promise<Backend> => {
    const chosen = kind ?? defaultBackendKind(env);
    const key = JSON.stringify([chosen, backendOptions.context, backendOptions.namespace]);
    let promise = made.get(key);
    if (!promise) {
      promise = factory(chosen, env, backendOptions);
      made.set(key, promise);
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
    backends: (backendOptions = {}) => allBackends(env, options.io, (kind) => backend(kind, backendOptions)),
    backendOptions: {},
    signal,
    prompter: options.prompter ?? terminalPrompter(options.io, signal),
    browser: options.browser ?? systemBrowser(),
  };
}

/** The same context for a call that chose its backends' options: every backend it reaches uses them. */
export function withBackendOptions(ctx: Context, options: BackendOptions): Context {
  return {
    ...ctx,
    backend: (kind, chosen = options) => ctx.backend(kind, chosen),
    backends: (chosen = options) => ctx.backends(chosen),
    backendOptions: options,
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
    pick: async (question, items) => {
      const { pick } = await import('./ui/pick.js');
      return pick(io, question, items);
    },
  };
}

/** The `open` package, loaded on the first link. */
function systemBrowser(): Browser {
  return {
    open: async (url) => {
      const { default: open } = await import('open');
      await open(url);
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
