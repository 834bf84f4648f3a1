import type { Backend } from './backends/backend.js';
import { createBackend, type BackendOptions } from './backends/factory.js';
import type { Keychain, SystemKeychain } from './credentials/keychain.js';
import type { IO } from './io.js';
import type { Progress } from './ui/progress.js';
import { kubernetesOptions, setting } from './config/settings.js';
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
  /** Where the token and secrets are kept (the OS keychain, else the declared file); made on first use. */
  keychain(): Promise<Keychain>;
  /**
   * Whether what this call makes may carry this machine's credentials (its token, stored secrets).
   * False in the gateway: its workspaces are other people's.
   */
  hostCredentials?: boolean;
  /** devc's agent, built into the local engine when missing (unit tests pass a fake: no engine). */
  agent: AgentSupply;
}

/** Where workspaces of any image get devc's agent from, on the local engine. */
export interface AgentSupply {
  /** The agent image's id (built when missing or out of date), for a cluster to copy it from. */
  image(ctx: Context, progress: Progress): Promise<string>;
  /** The Docker volume holding the agent, for containers of any image to mount. */
  volume(ctx: Context, progress: Progress): Promise<string>;
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
  /** The OS keychain devc talks to (tests pass an in-memory one). */
  systemKeychain?: SystemKeychain;
  /** How the agent is supplied (default: built in the local engine; tests pass a fake). */
  agent?: AgentSupply;
}

export function createContext(options: ContextOptions): Context {
  const env = options.env ?? process.env;
  const factory = options.backendFactory ?? createBackend;
  const signal = options.signal ?? new AbortController().signal;
  const made = new Map<string, Promise<Backend>>();
  const paths = resolvePaths(env);
  const backend = async (kind?: BackendKind, backendOptions: BackendOptions = {}): Promise<Backend> => {
    const chosen = kind ?? (await setting({ env, paths }, 'backend'));
    // The namespace and registry a Kubernetes backend uses: flag, DEVC_* variable, config (settings.ts).
    const settled =
      chosen === 'kubernetes' ? await kubernetesOptions({ env, paths }, backendOptions) : backendOptions;
    const key = JSON.stringify([chosen, settled.context, settled.namespace, settled.registry]);
    let promise = made.get(key);
    if (!promise) {
      // DEVC_DEBUG=timing: the backend times its steps through the IO too.
      promise = factory(chosen, env, options.io.timing ? { ...settled, timing: options.io } : settled);
      made.set(key, promise);
    }
    return promise;
  };
  let keychain: Promise<Keychain> | undefined;
  return {
    io: options.io,
    env,
    cwd: options.cwd ?? process.cwd(),
    paths,
    version: devcVersion(),
    backend,
    backends: async (backendOptions = {}) =>
      allBackends(
        env,
        options.io,
        (kind) => backend(kind, backendOptions),
        await setting({ env, paths }, 'backend'),
      ),
    backendOptions: {},
    signal,
    prompter: options.prompter ?? terminalPrompter(options.io, signal),
    browser: options.browser ?? systemBrowser(),
    keychain: () =>
      (keychain ??= import('./credentials/keychain.js').then(({ openKeychain }) =>
        openKeychain(paths, options.io, options.systemKeychain),
      )),
    agent: options.agent ?? localAgent,
  };
}

/** The agent built into the local Docker engine (services/agent-volume.ts), loaded on first use. */
const localAgent: AgentSupply = {
  image: async (ctx, progress) =>
    (await import('./services/agent-volume.js')).ensureAgentImage(ctx, progress),
  volume: async (ctx, progress) =>
    (await import('./services/agent-volume.js')).ensureAgentVolume(ctx, progress),
};

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

/**
 * Docker always; Kubernetes too when a kubeconfig is there (KUBECONFIG or ~/.kube/config), found
 * without loading the client. Unless Kubernetes was chosen, a cluster that does not answer shows no
 * workspaces and a warning, so commands about Docker workspaces still work.
 */
async function allBackends(
  env: NodeJS.ProcessEnv,
  io: IO,
  backend: (kind?: BackendKind) => Promise<Backend>,
  defaultKind: BackendKind,
): Promise<Backend[]> {
  const { kubeconfigPresent, tolerant } = await import('./backends/kubernetes/presence.js');
  const chosen = defaultKind === 'kubernetes';
  if (!chosen && !kubeconfigPresent(env)) return [await backend('docker')];
  const kubernetes = await backend('kubernetes');
  return [await backend('docker'), chosen ? kubernetes : tolerant(kubernetes, (m) => io.warn(m))];
}
