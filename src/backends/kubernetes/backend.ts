import type { Duplex } from 'node:stream';
import type {
  AttachHooks,
  Backend,
  CapacityReporter,
  SecretsRefresh,
  DevcontainerCreator,
  DevcontainerSpec,
  EngineCapacity,
  ExecOptions,
  ExecResult,
  ListOptions,
  LogOptions,
  PortDialer,
  PortRouter,
  RemoteClone,
  StreamExec,
  UnsavedWorkReporter,
  UsageReporter,
  WorkspaceDetails,
  WorkspaceEvent,
  WorkspaceEvents,
  WorkspaceInspector,
  WorkspaceLogs,
  WorkspaceRoute,
  WorkspaceUsage,
} from '../backend.js';
import { DevcError } from '../../errors.js';
import { untimed } from '../../io.js';
import type { UnsavedWork } from '../../git/safety.js';
import type { BackendOptions } from '../factory.js';
import type { CreatedWorkspace, Workspace, WorkspaceSpec } from '../../workspace/model.js';
import type { KubeTarget } from './client.js';
import type { KubeExtras } from './create.js';
import type { HookProcess } from './hooks.js';
import { call } from './errors.js';
import { execAttached, execCapture, execPiped, inFolder, type ExecTarget } from './exec.js';
import { deletePod, removeObjects, startPod, stopPod } from './lifecycle.js';
import { followWorkspaceLogs } from './logs.js';
import { findWorkspace, listWorkspaces, runningPod } from './lookup.js';
import { objectName } from './objects.js';
import { dialPod, relay } from './portforward.js';
import { KubernetesRoute } from './route.js';
import { searchNamespaces } from './namespaces.js';
import { fetchForPlanning, type PlanningFetch } from './source.js';
import { unsavedWorkIn } from '../unsaved-work.js';

export type { KubeExtras } from './create.js';

/**
 * Kubernetes: per workspace a PVC (source, home, caches), a Secret (keys, tokens), a NetworkPolicy
 * denying all ingress and a Pod (stop deletes it, the PVC stays). Reached only through the API server.
 * @kubernetes/client-node (~0.5 s to import) is loaded on the first API call, not with this module, so
 * a process that only holds the backend (the forwarder starting, `list` without a cluster) never pays it.
 */
export class KubernetesBackend
  implements
    Backend,
    StreamExec,
    WorkspaceLogs,
    PortDialer,
    PortRouter,
    RemoteClone,
    CapacityReporter,
    DevcontainerCreator,
    SecretsRefresh,
    UnsavedWorkReporter,
    AttachHooks,
    WorkspaceInspector,
    WorkspaceEvents,
    UsageReporter
{
  readonly kind = 'kubernetes' as const;
  private loaded: Promise<KubeTarget> | undefined;
  private readonly namespaces = new Map<string, string>();
  private readonly relays = new Map<string, Promise<{ host: string; port: number }>>();

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly options: BackendOptions = {},
  ) {}

  private target(): Promise<KubeTarget> {
    this.loaded ??= (this.options.timing ?? untimed).span('kubernetes: load the client and kubeconfig', () =>
      import('./client.js').then(({ loadTarget }) => loadTarget(this.env, this.options)),
    );
    return this.loaded;
  }

  async check(): Promise<void> {
    const target = await this.target();
    await call('get', 'namespaces', target.namespace, () =>
      target.core.readNamespace({ name: target.namespace }),
    ).catch((error: unknown) => {
      if (error instanceof DevcError && /may not|does not exist|Refused/i.test(error.message)) return;
      throw error;
    });
  }

  async find(name: string): Promise<Workspace | null> {
    const found = await findWorkspace(this.env, await this.target(), name);
    if (!found) return null;
    this.namespaces.set(name, found.namespace);
    return found.workspace;
  }

  async list(options: ListOptions = {}): Promise<Workspace[]> {
    const all = await listWorkspaces(this.env, await this.target(), options.onIgnored);
    for (const w of all) this.namespaces.set(w.name, w.id.split('/')[0] ?? '');
    return all;
  }

  create(spec: WorkspaceSpec): Promise<CreatedWorkspace> {
    return this.createWith(spec, {});
  }

  /** A dev8 spec, or one made from a devcontainer.json with what it asks beyond it (`extras`). */
  private async createWith(spec: WorkspaceSpec, extras: KubeExtras): Promise<CreatedWorkspace> {
    const target = await this.target();
    // A rebuild makes the pod again where the workspace is; a new workspace goes to the chosen namespace.
    const namespace = this.namespaces.get(spec.name) ?? target.namespace;
    this.namespaces.set(spec.name, namespace);
    const { makeWorkspace } = await import('./new-workspace.js');
    const sshReady = await makeWorkspace(
      target,
      this.env,
      { spec, extras, namespace, registry: this.options.registry ?? extras.registry },
      this.hookProcess(spec.name),
    );
    const made = await this.find(spec.name);
    if (made) return sshReady ? { ...made, sshReady } : made;
    throw new DevcError(`Workspace ${spec.name} vanished right after it was created.`);
  }

  async start(name: string): Promise<void> {
    const namespace = await this.locate(name);
    if (!(await startPod(await this.target(), namespace, name))) return;
    // postStartCommand runs on every start, in the background as on Docker (its output in the build log).
    const { spawnLaterHooks } = await import('./hooks.js');
    spawnLaterHooks(namespace, 'start', this.hookProcess(name));
  }

  /** postAttachCommand, in the background; a dev8 workspace (no devcontainer.json) has none. */
  async attached(workspace: Workspace): Promise<void> {
    if (workspace.variant) return;
    const { spawnLaterHooks } = await import('./hooks.js');
    spawnLaterHooks(await this.locate(workspace.name), 'attach', this.hookProcess(workspace.name));
  }

  /** What a detached hooks process needs to reach the cluster as this backend does. */
  private hookProcess(workspace: string): HookProcess {
    return { context: this.options.context, env: this.env, workspace };
  }

  /** Brings the Secret's secrets.env up to date with the config folder's (read at the pod's start). */
  async refreshSecrets(name: string, configPath: string): Promise<void> {
    const { refreshSecretFile } = await import('./secret.js');
    await refreshSecretFile(await this.target(), await this.locate(name), objectName(name), configPath);
  }

  /** The kubeconfig's user: the same person on every machine, where the OS user often is not. */
  async defaultOwner(): Promise<string> {
    return (await this.target()).owner;
  }

  async stop(name: string): Promise<void> {
    await stopPod(await this.target(), await this.locate(name), name);
  }

  async remove(name: string, options: { keepData?: boolean } = {}): Promise<void> {
    const namespace = this.namespaces.get(name) ?? (await this.findNamespace(name));
    if (!namespace) return;
    const target = await this.target();
    if (options.keepData) await deletePod(target, namespace, name);
    else await removeObjects(target, namespace, name);
  }

  async exec(name: string, command: string[], options: ExecOptions = {}): Promise<ExecResult> {
    return execCapture(await this.runningTarget(name), inFolder(command, options.workdir));
  }

  async execInteractive(name: string, command: string[], options: ExecOptions = {}): Promise<number> {
    return execAttached(await this.runningTarget(name), inFolder(command, options.workdir), options);
  }

  execStream(
    name: string,
    command: string[],
    options: ExecOptions & { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream },
  ): Promise<{ exitCode: number; stderr: string }> {
    // Not async: execPiped takes the input before anything is awaited.
    return execPiped(this.runningTarget(name), inFolder(command, options.workdir), options);
  }

  /** A 127.0.0.1 port reaching `port` of the pod through the API server, for as long as this process runs. */
  async endpoint(name: string, port: number): Promise<{ host: string; port: number }> {
    const key = `${name}:${port}`;
    let made = this.relays.get(key);
    if (!made) {
      const target = await this.runningTarget(name);
      made = relay(() => dialPod(target, port));
      this.relays.set(key, made);
    }
    return made;
  }

  /** A byte stream to `port` of the workspace (the API server's port-forward): for ssh --stdio and the forwarder. */
  async dial(name: string, port: number): Promise<Duplex> {
    return dialPod(await this.runningTarget(name), port);
  }

  async logs(
    name: string,
    options: LogOptions,
    out: NodeJS.WritableStream,
    _err: NodeJS.WritableStream,
  ): Promise<void> {
    const [target, namespace] = await Promise.all([this.target(), this.locate(name)]);
    await followWorkspaceLogs(target, namespace, name, options, out);
  }

  /** Node capacity, for hostRequirements warnings; unknown (no permission to list nodes) is unlimited. */
  async capacity(): Promise<EngineCapacity> {
    const { nodeCapacity } = await import('./quantity.js');
    return nodeCapacity((await this.target()).core);
  }

  /** Creates the workspace from a devcontainer.json, building its image first when it has one to build (docs/kubernetes.md). */
  async createFromDevcontainer(spec: DevcontainerSpec): Promise<CreatedWorkspace> {
    const { fromDevcontainer } = await import('./devcontainer.js');
    const { workspaceSpec, extras } = await fromDevcontainer(spec, this.env, this.options.registry, () =>
      this.target(),
    );
    return this.createWith(workspaceSpec, extras);
  }

  /** What deleting would lose of a repository that lives only in the PVC; undefined when the pod does not run. */
  async unsavedWork(name: string): Promise<UnsavedWork | undefined> {
    const workspace = await this.find(name);
    if (!workspace || workspace.state !== 'running') return undefined;
    return unsavedWorkIn(workspace, (command, workdir) => this.exec(name, command, { workdir }));
  }

  /** The agent's stop reason (the pod's termination message), activity and home disk use (details.ts). */
  async details(name: string): Promise<WorkspaceDetails> {
    const [{ podDetails }, target, namespace] = await Promise.all([
      import('./details.js'),
      this.target(),
      this.locate(name),
    ]);
    return podDetails(target, namespace, name);
  }

  /** Changes of devc's pods and claims in the namespaces devc searches (API watches), until `signal` aborts. */
  async events(onEvent: (event: WorkspaceEvent) => void, signal: AbortSignal): Promise<void> {
    const target = await this.target();
    const [{ watchEvents }, namespaces] = await Promise.all([
      import('./events.js'),
      searchNamespaces(this.env, target),
    ]);
    await watchEvents(target, namespaces, onEvent, signal);
  }

  /** CPU and memory of running workspaces: the metrics API, else each pod's cgroup (usage.ts). */
  async usage(names: string[], signal?: AbortSignal): Promise<Map<string, WorkspaceUsage>> {
    const [{ podUsage }, target] = await Promise.all([import('./usage.js'), this.target()]);
    const located = await Promise.all(
      names.map(async (n) => [n, await this.locate(n).catch(() => '')] as const),
    );
    return podUsage(target, new Map(located.filter(([, namespace]) => namespace)), signal);
  }

  /** Remote repositories are cloned in the cluster; devc reads only what it must plan with. */
  fetchForPlanning(options: PlanningFetch): Promise<void> {
    return fetchForPlanning(options);
  }

  /** The forwarder's view of the workspace: found, dialled and scanned through this backend. */
  route(name: string): WorkspaceRoute {
    return new KubernetesRoute({
      find: () => this.find(name),
      dial: (port) => this.dial(name, port),
      execTarget: () => this.runningTarget(name),
    });
  }

  private async runningTarget(name: string): Promise<ExecTarget> {
    const [target, namespace] = await Promise.all([this.target(), this.locate(name)]);
    return runningPod(target, namespace, name);
  }

  private async findNamespace(name: string): Promise<string | undefined> {
    await this.find(name);
    return this.namespaces.get(name);
  }

  private async locate(name: string): Promise<string> {
    const namespace = this.namespaces.get(name) ?? (await this.findNamespace(name));
    if (!namespace)
      throw new DevcError(`There is no workspace named ${name} on the cluster.`, {
        hint: 'Run `devc list` to see your workspaces.',
      });
    return namespace;
  }
}
