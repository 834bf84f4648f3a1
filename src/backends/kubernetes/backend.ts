import type { Duplex } from 'node:stream';
import type {
  Backend,
  CapacityReporter,
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
  WorkspaceLogs,
  WorkspaceRoute,
} from '../backend.js';
import { DevcError } from '../../errors.js';
import type { UnsavedWork } from '../../git/safety.js';
import type { BackendOptions } from '../factory.js';
import type { Workspace, WorkspaceSpec } from '../../workspace/model.js';
import type { KubeTarget } from './client.js';
import type { KubeExtras } from './create.js';
import { call, callOrNull } from './errors.js';
import { execAttached, execCapture, execPiped, inFolder, type ExecTarget } from './exec.js';
import { deletePod, removeObjects, startPod } from './lifecycle.js';
import { followLogs } from './logs.js';
import { findWorkspace, listWorkspaces } from './lookup.js';
import { objectName } from './objects.js';
import { podState } from './pods.js';
import { dialPod, relay } from './portforward.js';
import { KubernetesRoute } from './route.js';
import { fetchForPlanning, type PlanningFetch } from './source.js';
import { unsavedWorkIn } from './unsaved.js';

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
    UnsavedWorkReporter
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
    this.loaded ??= import('./client.js').then(({ loadTarget }) => loadTarget(this.env, this.options));
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

  create(spec: WorkspaceSpec): Promise<Workspace> {
    return this.createWith(spec, {});
  }

  /** A dev8 spec, or one made from a devcontainer.json with what it asks beyond it (`extras`). */
  private async createWith(spec: WorkspaceSpec, extras: KubeExtras): Promise<Workspace> {
    const target = await this.target();
    // A rebuild makes the pod again where the workspace is; a new workspace goes to the chosen namespace.
    const namespace = this.namespaces.get(spec.name) ?? target.namespace;
    this.namespaces.set(spec.name, namespace);
    const [{ createObjects }, { firstStart }] = await Promise.all([
      import('./create.js'),
      import('./first-start.js'),
    ]);
    const { newVolume, rootPrepared } = await createObjects(target, this.env, spec, extras, namespace);
    // A local working tree is uploaded as it is, once, into the running pod (a rebuild keeps the files).
    const local = newVolume && spec.repository.url === spec.sourcePath;
    await firstStart(target, namespace, spec.name, {
      ...(local ? { upload: { local: spec.sourcePath, folder: spec.folder } } : {}),
      ...(rootPrepared ? { rootPrepared } : {}),
    });
    return (await this.find(spec.name)) ?? vanished(spec.name);
  }

  async start(name: string): Promise<void> {
    await startPod(await this.target(), await this.locate(name), name);
  }

  async stop(name: string): Promise<void> {
    await deletePod(await this.target(), await this.locate(name), name);
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
    const pod = await callOrNull('get', 'pods', namespace, () =>
      target.core.readNamespacedPod({ name: objectName(name), namespace }),
    );
    if (!pod)
      throw new DevcError(`Workspace ${name} is stopped: its pod, and the pod's log, are gone.`, {
        hint: `Start it with \`devc start -w ${name}\`.`,
      });
    await followLogs(target, namespace, objectName(name), options, out);
  }

  /** Node capacity, for hostRequirements warnings; unknown (no permission to list nodes) is unlimited. */
  async capacity(): Promise<EngineCapacity> {
    const { nodeCapacity } = await import('./quantity.js');
    return nodeCapacity((await this.target()).core);
  }

  /** Creates the workspace from an image-based devcontainer.json (see docs/kubernetes.md). */
  async createFromDevcontainer(spec: DevcontainerSpec): Promise<Workspace> {
    const { fromDevcontainer } = await import('./devcontainer.js');
    const { workspaceSpec, extras } = await fromDevcontainer(spec);
    return this.createWith(workspaceSpec, extras);
  }

  /** What deleting would lose of a repository that lives only in the PVC; undefined when the pod does not run. */
  async unsavedWork(name: string): Promise<UnsavedWork | undefined> {
    const workspace = await this.find(name);
    if (!workspace || workspace.state !== 'running') return undefined;
    return unsavedWorkIn(workspace, (command, workdir) => this.exec(name, command, { workdir }));
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
    const pod = await callOrNull('get', 'pods', namespace, () =>
      target.core.readNamespacedPod({ name: objectName(name), namespace }),
    );
    if (!pod || podState(pod).state !== 'running') {
      throw new DevcError(`Workspace ${name} is not running.`, {
        hint: `Start it with \`devc start -w ${name}\` (or \`devc up\`).`,
      });
    }
    return { config: target.config, namespace, pod: objectName(name) };
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

function vanished(name: string): never {
  throw new DevcError(`Workspace ${name} vanished right after it was created.`);
}
