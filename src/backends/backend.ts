import type { Duplex } from 'node:stream';
import type { DevcontainerSpec } from './devcontainer-spec.js';
import type { UnsavedWork } from '../git/safety.js';
import type { Listening } from '../ports/proc-net.js';
import type { BackendKind, CreatedWorkspace, Workspace, WorkspaceSpec } from '../workspace/model.js';

export type { DevcontainerSpec } from './devcontainer-spec.js';

export interface ExecOptions {
  user?: string;
  /** Attach the caller's terminal (interactive). */
  tty?: boolean;
  /** Pass stdin through. */
  stdin?: boolean;
  workdir?: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ListOptions {
  /** Told (one line each) of engine objects left out because their workspace label is no valid name. */
  onIgnored?: (message: string) => void;
}

/** One interface for every engine: commands never branch on the backend. */
export interface Backend {
  readonly kind: BackendKind;
  /** Throws EngineError with a next step when the engine can't be reached. */
  check(): Promise<void>;
  /** The workspace of that name, or null. */
  find(name: string): Promise<Workspace | null>;
  list(options?: ListOptions): Promise<Workspace[]>;
  create(spec: WorkspaceSpec): Promise<CreatedWorkspace>;
  start(name: string): Promise<void>;
  stop(name: string): Promise<void>;
  /** Removes the workspace and all it owns; `keepData`: only its container or pod, volumes stay (rebuild). */
  remove(name: string, options?: { keepData?: boolean }): Promise<void>;
  /** Runs a command with the caller's stdio; resolves to its exit code. */
  execInteractive(name: string, command: string[], options?: ExecOptions): Promise<number>;
  /** Runs a command and captures its output. */
  exec(name: string, command: string[], options?: ExecOptions): Promise<ExecResult>;
  /**
   * A host:port on 127.0.0.1 that reaches `port` inside the workspace; `transient` when it is a
   * listener of this process (it ends with it), not a port the engine publishes.
   */
  endpoint(name: string, port: number): Promise<{ host: string; port: number; transient?: boolean }>;
  /** Who a workspace made without a signed-in owner belongs to, when not the OS user (Kubernetes: the kubeconfig user). */
  defaultOwner?(): Promise<string>;
}

export interface LogOptions {
  follow?: boolean;
  /** Only the last N lines. */
  tail?: number;
  /** Stops a followed log (Ctrl-C). */
  signal?: AbortSignal;
}

/** Optional: the workspace's own output (its PID 1), written to the given streams. */
export interface WorkspaceLogs {
  logs(
    name: string,
    options: LogOptions,
    out: NodeJS.WritableStream,
    err: NodeJS.WritableStream,
  ): Promise<void>;
}

/** Optional: a command with byte streams for stdin and stdout (file copies through tar). */
export interface StreamExec {
  execStream(
    name: string,
    command: string[],
    options: ExecOptions & { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream },
  ): Promise<{ exitCode: number; stderr: string }>;
}

/** What `view` shows beyond the Workspace itself; fields the engine can't tell are undefined. */
export interface WorkspaceDetails {
  /** Why a stopped workspace stopped, as the agent recorded it ("idle"), if it did. */
  agentStopReason: string | undefined;
  /** Last SSH or editor activity the agent saw (ISO), when it records one. */
  lastActiveAt: string | undefined;
  /** Open SSH sessions and editor connections right now (running workspaces only). */
  activeConnections: number | undefined;
  /** Bytes used by the user's home volume. */
  homeBytes: number | undefined;
}

/** Optional: details that need more than a label query (an exec, a copy out of a stopped container). */
export interface WorkspaceInspector {
  details(name: string): Promise<WorkspaceDetails>;
}

export function hasLogs(backend: Backend): backend is Backend & WorkspaceLogs {
  return typeof (backend as Partial<WorkspaceLogs>).logs === 'function';
}

export function hasStreamExec(backend: Backend): backend is Backend & StreamExec {
  return typeof (backend as Partial<StreamExec>).execStream === 'function';
}

export function hasDetails(backend: Backend): backend is Backend & WorkspaceInspector {
  return typeof (backend as Partial<WorkspaceInspector>).details === 'function';
}

/** A change the engine reported for a workspace (create, start, die, destroy…). */
export interface WorkspaceEvent {
  name: string;
  action: string;
}

/** Optional: a stream of engine events, so live views need not poll. */
export interface WorkspaceEvents {
  /** Calls `onEvent` for each event until the signal aborts; resolves when the stream ends. */
  events(onEvent: (event: WorkspaceEvent) => void, signal: AbortSignal): Promise<void>;
}

/** CPU and memory a running workspace uses right now. */
export interface WorkspaceUsage {
  /** Percent of one CPU (can exceed 100 on several cores). */
  cpuPercent: number;
  memoryBytes: number;
}

/** Optional: CPU and memory of running workspaces, by workspace name. */
export interface UsageReporter {
  usage(names: string[], signal?: AbortSignal): Promise<Map<string, WorkspaceUsage>>;
}

export function hasEvents(backend: Backend): backend is Backend & WorkspaceEvents {
  return typeof (backend as Partial<WorkspaceEvents>).events === 'function';
}

/**
 * Optional: the engine keeps its own copy of the workspace's config folder (Kubernetes: its Secret),
 * which a start must bring up to date with the folder's secrets.
 */
export interface SecretsRefresh {
  refreshSecrets(name: string, configPath: string): Promise<void>;
}

export function hasSecretsRefresh(backend: Backend): backend is Backend & SecretsRefresh {
  return typeof (backend as Partial<SecretsRefresh>).refreshSecrets === 'function';
}

export function hasUsage(backend: Backend): backend is Backend & UsageReporter {
  return typeof (backend as Partial<UsageReporter>).usage === 'function';
}

/**
 * Optional: the engine clones remote repositories itself (Kubernetes: inside the cluster, into the
 * workspace's volume). devc fetches only what it plans with (top-level files, .devcontainer/) into `dest`.
 */
export interface RemoteClone {
  fetchForPlanning(options: {
    url: string;
    branch: string | undefined;
    dest: string;
    token: string | undefined;
    signal?: AbortSignal;
  }): Promise<void>;
}

export function clonesRemotely(backend: Backend): backend is Backend & RemoteClone {
  return typeof (backend as Partial<RemoteClone>).fetchForPlanning === 'function';
}

/**
 * Optional: a byte stream to any port of a running workspace, opened through the engine (Kubernetes:
 * the API server's port-forward), for `ssh --stdio` and the forwarder where `endpoint` (a listener
 * that lives as long as the calling process) is not enough.
 */
export interface PortDialer {
  dial(name: string, port: number): Promise<Duplex>;
}

export function hasDial(backend: Backend): backend is Backend & PortDialer {
  return typeof (backend as Partial<PortDialer>).dial === 'function';
}

/** Where a workspace is, as the forwarder sees it. */
export interface WorkspaceLocation {
  state: 'running' | 'stopped' | 'missing';
  /** The address its ports answer on from this machine (Docker: the container's bridge IP). */
  address: string | null;
}

/**
 * How the forwarder reaches any port of one workspace. Connections go straight to `address` (no
 * `docker exec` stdio on the data path); only the listening-port scan goes through the engine.
 */
export interface WorkspaceRoute {
  locate(): Promise<WorkspaceLocation>;
  /**
   * Calls `onScan` with the ports listening inside the workspace about once a second; resolves when
   * the scan ends (the workspace stopped, or it ran for a while and should be restarted).
   */
  watchListening(onScan: (ports: Map<number, Listening>) => void, signal: AbortSignal): Promise<void>;
  /**
   * Optional: opens one connection to `port` inside the workspace, for engines whose workspaces have no
   * address this machine can reach (Kubernetes: the API server's port-forward). Without it, the
   * forwarder connects to `locate().address` itself.
   */
  dial?(port: number): Promise<Duplex>;
  /**
   * Optional: where the workspace's sshd answers from this machine and as whom to log in; null while it
   * is not running, or when it can't be reached from here. The ports `dial` or the address don't reach
   * (servers bound to its loopback only; every port where addresses don't route) go through one SSH
   * connection to it (transport/workspace-ssh.ts), before `dial`.
   */
  sshTarget?(): Promise<{ host: string; port: number; user: string } | null>;
}

/** Optional: the background forwarder can follow this engine's workspaces and reach their ports. */
export interface PortRouter {
  route(name: string): WorkspaceRoute;
}

export function hasRoutes(backend: Backend): backend is Backend & PortRouter {
  return typeof (backend as Partial<PortRouter>).route === 'function';
}

/** Optional: the engine makes workspaces from a devcontainer.json itself. */
export interface DevcontainerCreator {
  createFromDevcontainer(spec: DevcontainerSpec): Promise<CreatedWorkspace>;
}

export function createsFromDevcontainer(backend: Backend): backend is Backend & DevcontainerCreator {
  return typeof (backend as Partial<DevcontainerCreator>).createFromDevcontainer === 'function';
}

/** CPUs and memory an engine has (a node, a Docker host). */
export interface EngineCapacity {
  cpus: number;
  memoryBytes: number;
}

/** Optional: what the engine has, for hostRequirements warnings. */
export interface CapacityReporter {
  capacity(): Promise<EngineCapacity>;
}

export function hasCapacity(backend: Backend): backend is Backend & CapacityReporter {
  return typeof (backend as Partial<CapacityReporter>).capacity === 'function';
}

/**
 * Optional: the engine keeps the clone itself (Kubernetes: in the PVC; a remote Docker engine: in a
 * volume) and says what deleting the workspace would lose; undefined when it can't look (the workspace
 * does not run); null when the source is on this machine after all (a local engine's bind mount).
 */
export interface UnsavedWorkReporter {
  unsavedWork(name: string): Promise<UnsavedWork | undefined | null>;
}

export function reportsUnsavedWork(backend: Backend): backend is Backend & UnsavedWorkReporter {
  return typeof (backend as Partial<UnsavedWorkReporter>).unsavedWork === 'function';
}

/** Optional: workspaces whose container is gone while their data stays (state missing). */
export interface LeftoverLister {
  leftovers(options?: ListOptions): Promise<Workspace[]>;
}

export function listsLeftovers(backend: Backend): backend is Backend & LeftoverLister {
  return typeof (backend as Partial<LeftoverLister>).leftovers === 'function';
}

/** A backend that runs postAttachCommand itself when a user attaches (ssh, code), in the background. */
export interface AttachHooks {
  attached(workspace: Workspace): Promise<void>;
}

export function hasAttachHooks(backend: Backend): backend is Backend & AttachHooks {
  return typeof (backend as Partial<AttachHooks>).attached === 'function';
}
