import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type {
  Backend,
  CapacityReporter,
  DevcontainerCreator,
  DevcontainerSpec,
  EngineCapacity,
  ExecOptions,
  ExecResult,
  LeftoverLister,
  LogOptions,
  RemoteClone,
  UnsavedWorkReporter,
  UsageReporter,
  WorkspaceDetails,
  WorkspaceEvent,
  WorkspaceEvents,
  WorkspaceInspector,
  WorkspaceLogs,
  WorkspaceUsage,
} from '../../../src/backends/backend.js';
import { DevcError } from '../../../src/errors.js';
import type { UnsavedWork } from '../../../src/git/safety.js';
import type { BackendKind, Workspace, WorkspaceSpec } from '../../../src/workspace/model.js';

/** A host key the fake's workspaces answer with when devc reads it through the engine. */
export const FAKE_HOST_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOv0Vq1mGgVOvIe2W1B9s8l5S3bJ6iGmVJm0Dq8x7g3P devc@fake';

/** A workspace as an engine would report it; `extra` overrides any field. */
export function fakeWorkspace(name: string, extra: Partial<Workspace> = {}): Workspace {
  return {
    name,
    backend: 'docker',
    state: 'running',
    stateReason: undefined,
    repository: { url: `https://example.test/${name}.git`, branch: undefined },
    image: 'img',
    variant: undefined,
    folder: `/workspaces/${name}`,
    user: 'dev',
    sourcePath: undefined,
    owner: 'alice',
    home: undefined,
    createdAt: '2026-06-15T10:00:00Z',
    id: name,
    ...extra,
  };
}

type Method =
  | 'check'
  | 'find'
  | 'list'
  | 'create'
  | 'start'
  | 'stop'
  | 'remove'
  | 'exec'
  | 'execInteractive'
  | 'endpoint'
  | 'logs'
  | 'details'
  | 'events'
  | 'usage'
  | 'leftovers'
  | 'capacity'
  | 'createFromDevcontainer'
  | 'fetchForPlanning'
  | 'unsavedWork';

/**
 * An in-memory Docker-like engine: a Map of workspaces, a record of every call ("start shop"), and
 * `fail(method)` to make a call reject. Its SSH endpoint is `sshPort` on 127.0.0.1 (a test's greeter).
 */
export class FakeBackend
  implements
    Backend,
    WorkspaceLogs,
    WorkspaceInspector,
    WorkspaceEvents,
    UsageReporter,
    LeftoverLister,
    CapacityReporter,
    DevcontainerCreator
{
  readonly kind: BackendKind = 'docker';
  readonly workspaces = new Map<string, Workspace>();
  /** Workspaces whose container is gone while their data stays. */
  readonly leftoverWorkspaces = new Map<string, Workspace>();
  /** Every call, as "method name [detail]". */
  readonly calls: string[] = [];
  /** Every command run with `exec`, in order. */
  readonly commands: string[][] = [];
  /** What `create` and `createFromDevcontainer` were given. */
  readonly specs: (WorkspaceSpec | DevcontainerSpec)[] = [];
  sshPort: number | undefined;
  /** What each workspace printed (its logs). */
  readonly output = new Map<string, string>();
  readonly detailsOf = new Map<string, Partial<WorkspaceDetails>>();
  engineCapacity: EngineCapacity = { cpus: 4, memoryBytes: 8 * 1024 ** 3 };
  /** Answers `exec`; by default every command prints the host key. */
  onExec: (name: string, command: string[]) => ExecResult = () => ({
    exitCode: 0,
    stdout: `${FAKE_HOST_KEY}\n`,
    stderr: '',
  });
  private readonly failures = new Map<Method, Error>();
  private readonly listeners = new Set<(event: WorkspaceEvent) => void>();

  constructor(workspaces: Workspace[] = [], leftovers: Workspace[] = []) {
    for (const w of workspaces) this.workspaces.set(w.name, w);
    for (const w of leftovers) this.leftoverWorkspaces.set(w.name, w);
  }

  /** Makes every later call of `method` reject with `error`, until `heal(method)`. */
  fail(method: Method, error: Error = new DevcError(`The fake engine refuses ${method}.`)): void {
    this.failures.set(method, error);
  }

  heal(method: Method): void {
    this.failures.delete(method);
  }

  /** Tells every `events` listener of an engine event. */
  emit(event: WorkspaceEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** The calls of one method, as recorded. */
  callsOf(method: Method): string[] {
    return this.calls.filter((c) => c === method || c.startsWith(`${method} `));
  }

  async check(): Promise<void> {
    await this.enter('check');
  }

  async find(name: string): Promise<Workspace | null> {
    await this.enter('find', name);
    const found = this.workspaces.get(name);
    return found ? { ...found } : null;
  }

  async list(): Promise<Workspace[]> {
    await this.enter('list');
    return [...this.workspaces.values()].map((w) => ({ ...w }));
  }

  async create(spec: WorkspaceSpec): Promise<Workspace> {
    await this.enter('create', spec.name);
    this.specs.push(spec);
    // Like the real ones: Docker creates a container to start; Kubernetes starts what it creates.
    return this.made(spec, spec.image, this.kind === 'kubernetes' ? 'running' : 'stopped');
  }

  async createFromDevcontainer(spec: DevcontainerSpec): Promise<Workspace> {
    await this.enter('createFromDevcontainer', spec.name);
    this.specs.push(spec);
    const image = spec.configuration.image;
    return this.made(spec, typeof image === 'string' ? image : 'built', 'running');
  }

  async start(name: string): Promise<void> {
    await this.enter('start', name);
    this.update(name, { state: 'running', stateReason: undefined });
  }

  async stop(name: string): Promise<void> {
    await this.enter('stop', name);
    this.update(name, { state: 'exited', stateReason: 'stopped' });
  }

  async remove(name: string, options: { keepData?: boolean } = {}): Promise<void> {
    await this.enter('remove', options.keepData ? `${name} keepData` : name);
    this.workspaces.delete(name);
    if (!options.keepData) this.leftoverWorkspaces.delete(name);
  }

  async execInteractive(name: string, command: string[], _options?: ExecOptions): Promise<number> {
    await this.enter('execInteractive', name);
    this.commands.push(command);
    return this.onExec(name, command).exitCode;
  }

  async exec(name: string, command: string[], _options?: ExecOptions): Promise<ExecResult> {
    await this.enter('exec', name);
    this.commands.push(command);
    return this.onExec(name, command);
  }

  async endpoint(name: string, port: number): Promise<{ host: string; port: number }> {
    await this.enter('endpoint', `${name} ${port}`);
    if (this.workspaces.get(name)?.state !== 'running' || this.sshPort === undefined)
      throw new DevcError(`Port ${port} of workspace ${name} is not reachable; is it running?`);
    return { host: '127.0.0.1', port: this.sshPort };
  }

  async logs(
    name: string,
    _options: LogOptions,
    out: NodeJS.WritableStream,
    _err: NodeJS.WritableStream,
  ): Promise<void> {
    await this.enter('logs', name);
    out.write(this.output.get(name) ?? '');
  }

  async details(name: string): Promise<WorkspaceDetails> {
    await this.enter('details', name);
    return {
      agentStopReason: undefined,
      lastActiveAt: undefined,
      activeConnections: undefined,
      homeBytes: undefined,
      ...this.detailsOf.get(name),
    };
  }

  async events(onEvent: (event: WorkspaceEvent) => void, signal: AbortSignal): Promise<void> {
    await this.enter('events');
    this.listeners.add(onEvent);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.listeners.delete(onEvent);
  }

  async usage(names: string[], _signal?: AbortSignal): Promise<Map<string, WorkspaceUsage>> {
    await this.enter('usage', names.join(' '));
    return new Map(names.map((n) => [n, { cpuPercent: 1, memoryBytes: 1024 }]));
  }

  async leftovers(): Promise<Workspace[]> {
    await this.enter('leftovers');
    return [...this.leftoverWorkspaces.values()].map((w) => ({ ...w }));
  }

  async capacity(): Promise<EngineCapacity> {
    await this.enter('capacity');
    return this.engineCapacity;
  }

  /** Records the call; throws what `fail` set for the method. */
  protected async enter(method: Method, detail?: string): Promise<void> {
    this.calls.push(detail === undefined ? method : `${method} ${detail}`);
    // A real engine answers later, never in the same tick.
    await Promise.resolve();
    const failure = this.failures.get(method);
    if (failure) throw failure;
  }

  private made(spec: Omit<WorkspaceSpec, 'image'>, image: string, state: Workspace['state']): Workspace {
    const idle = Number(spec.env.DEVC_IDLE_TIMEOUT);
    const workspace: Workspace = {
      name: spec.name,
      backend: this.kind,
      state,
      stateReason: undefined,
      repository: spec.repository,
      image,
      variant: spec.variant,
      folder: spec.folder,
      user: 'dev',
      sourcePath: spec.sourcePath,
      owner: spec.owner,
      home: spec.home,
      createdAt: new Date().toISOString(),
      id: spec.name,
      idleTimeoutSeconds: Number.isFinite(idle) ? idle : undefined,
    };
    this.workspaces.set(spec.name, workspace);
    return { ...workspace };
  }

  private update(name: string, change: Partial<Workspace>): void {
    const found = this.workspaces.get(name);
    if (!found) throw new DevcError(`There is no workspace named ${name}.`);
    this.workspaces.set(name, { ...found, ...change });
  }
}

/**
 * A Kubernetes-like engine: it clones remote repositories itself (`fetchForPlanning` writes
 * `repositoryFiles` into the destination) and checks a workspace's unsaved work in its volume.
 */
export class FakeClusterBackend extends FakeBackend implements RemoteClone, UnsavedWorkReporter {
  override readonly kind: BackendKind = 'kubernetes';
  /** The files a repository holds, by path relative to its root. */
  repositoryFiles: Record<string, string> = {};
  /** What deleting each running workspace would lose (nothing unless set). */
  readonly unsaved = new Map<string, UnsavedWork>();

  async fetchForPlanning(options: { url: string; dest: string }): Promise<void> {
    await this.enter('fetchForPlanning', options.url);
    for (const [file, text] of Object.entries(this.repositoryFiles)) {
      const target = path.join(options.dest, file);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, text);
    }
  }

  async unsavedWork(name: string): Promise<UnsavedWork | undefined> {
    await this.enter('unsavedWork', name);
    if (this.workspaces.get(name)?.state !== 'running') return undefined;
    return this.unsaved.get(name) ?? { uncommitted: [], unpushed: [], stashed: [] };
  }
}
