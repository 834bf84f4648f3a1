import { PassThrough, type Duplex, type Readable } from 'node:stream';
import type * as k8s from '@kubernetes/client-node';
import type { Backend, ExecOptions, ExecResult, LogOptions } from '../backend.js';
import { DevcError } from '../../errors.js';
import type { UnsavedWork } from '../../git/safety.js';
import { Label, type Workspace, type WorkspaceSpec } from '../../workspace/model.js';
import { loadTarget, type KubeTarget } from './client.js';
import { createObjects } from './create.js';
import { call, callOrNull, isNotFound, kubeError } from './errors.js';
import { collector, execCapture, execIn, inFolder, keepOpen, type ExecTarget } from './exec.js';
import { followLogs } from './logs.js';
import { searchNamespaces } from './namespaces.js';
import { objectName, POD_TEMPLATE } from './objects.js';
import { podState, waitForRunning, waitGone } from './pods.js';
import { dialPod, relay } from './portforward.js';
import { kubeconfigPresent } from './presence.js';
import { fetchForPlanning, uploadTree, type PlanningFetch } from './source.js';
import { toWorkspace } from './workspace.js';

/** What `create` needs beyond the WorkspaceSpec (a devcontainer.json's image, user, resources). */
export interface KubeExtras {
  user?: string;
  containerEnv?: Record<string, string>;
  cpus?: number;
  memoryBytes?: number;
  storageBytes?: number;
  devcontainerConfig?: string;
}

/**
 * Kubernetes: per workspace a PVC (source, home, caches), a Secret (keys, tokens), a NetworkPolicy
 * denying all ingress and a Pod (stop deletes it, the PVC stays). Reached only through the API server.
 */
export class KubernetesBackend implements Backend {
  readonly kind = 'kubernetes' as const;
  private loaded: KubeTarget | undefined;
  private readonly namespaces = new Map<string, string>();
  private readonly relays = new Map<string, Promise<{ host: string; port: number }>>();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** Whether a kubeconfig is there at all (for listing workspaces of every backend). */
  static configured(env: NodeJS.ProcessEnv): boolean {
    return kubeconfigPresent(env);
  }

  private get target(): KubeTarget {
    this.loaded ??= loadTarget(this.env);
    return this.loaded;
  }

  async check(): Promise<void> {
    const { target } = this;
    await call('get', 'namespaces', target.namespace, () =>
      target.core.readNamespace({ name: target.namespace }),
    ).catch((error: unknown) => {
      if (error instanceof DevcError && /may not|does not exist|Refused/i.test(error.message)) return;
      throw error;
    });
  }

  async find(name: string): Promise<Workspace | null> {
    for (const namespace of await searchNamespaces(this.env, this.target)) {
      const pvc = await callOrNull('get', 'persistentvolumeclaims', namespace, () =>
        this.target.core.readNamespacedPersistentVolumeClaim({ name: objectName(name), namespace }),
      );
      if (pvc?.metadata?.labels?.[Label.workspace] !== name) continue;
      this.namespaces.set(name, namespace);
      const pod = await callOrNull('get', 'pods', namespace, () =>
        this.target.core.readNamespacedPod({ name: objectName(name), namespace }),
      );
      return toWorkspace(pvc, pod, namespace);
    }
    return null;
  }

  async list(): Promise<Workspace[]> {
    const all: Workspace[] = [];
    for (const namespace of await searchNamespaces(this.env, this.target)) {
      const labelSelector = Label.workspace;
      const [pvcs, pods] = await Promise.all([
        call('list', 'persistentvolumeclaims', namespace, () =>
          this.target.core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector }),
        ),
        call('list', 'pods', namespace, () =>
          this.target.core.listNamespacedPod({ namespace, labelSelector }),
        ),
      ]);
      for (const pvc of pvcs.items) {
        const name = pvc.metadata?.labels?.[Label.workspace];
        if (!name) continue;
        this.namespaces.set(name, namespace);
        all.push(
          toWorkspace(
            pvc,
            pods.items.find((p) => p.metadata?.labels?.[Label.workspace] === name) ?? null,
            namespace,
          ),
        );
      }
    }
    return all.sort((a, b) => a.name.localeCompare(b.name));
  }

  async create(spec: WorkspaceSpec, extras: KubeExtras = {}): Promise<Workspace> {
    const { target } = this;
    this.namespaces.set(spec.name, target.namespace);
    await createObjects(target, this.env, spec, extras);
    await waitForRunning(target, target.namespace, objectName(spec.name));
    // A local working tree is uploaded as it is, once, into the running pod.
    if (spec.repository.url === spec.sourcePath)
      await uploadTree(this.execTarget(spec.name), spec.sourcePath, spec.folder);
    return (await this.find(spec.name)) ?? vanished(spec.name);
  }

  /** Creates the workspace's pod and waits until it runs (with the cluster's reasons when it can't). */
  private async createPod(name: string, pod: k8s.V1Pod): Promise<void> {
    const namespace = this.namespaceOf(name);
    await call('create', 'pods', namespace, () =>
      this.target.core.createNamespacedPod({ namespace, body: pod }),
    );
    await waitForRunning(this.target, namespace, objectName(name));
  }

  async start(name: string): Promise<void> {
    const namespace = await this.locate(name);
    const podName = objectName(name);
    const pod = await callOrNull('get', 'pods', namespace, () =>
      this.target.core.readNamespacedPod({ name: podName, namespace }),
    );
    if (pod && !pod.metadata?.deletionTimestamp && ['Pending', 'Running'].includes(pod.status?.phase ?? '')) {
      await waitForRunning(this.target, namespace, podName);
      return;
    }
    // An ended pod (idle stop, a crash) can't be restarted: it is made again from the same template.
    if (pod) await this.deletePod(name, namespace);
    const pvc = await call('get', 'persistentvolumeclaims', namespace, () =>
      this.target.core.readNamespacedPersistentVolumeClaim({ name: podName, namespace }),
    );
    const template = pvc.metadata?.annotations?.[POD_TEMPLATE];
    if (!template)
      throw new DevcError(`Workspace ${name} has no pod template on its volume.`, {
        hint: `Recreate it: \`devc delete -w ${name}\`, then \`devc up\`.`,
      });
    await this.createPod(name, JSON.parse(template) as k8s.V1Pod);
  }

  async stop(name: string): Promise<void> {
    await this.deletePod(name, await this.locate(name));
  }

  async remove(name: string, options: { keepData?: boolean } = {}): Promise<void> {
    const namespace = this.namespaces.get(name) ?? (await this.findNamespace(name));
    if (!namespace) return;
    const objectNameOf = objectName(name);
    await this.deletePod(name, namespace);
    if (options.keepData) return;
    const core = this.target.core;
    const ignoreMissing = (error: unknown): void => {
      if (!isNotFound(error)) throw kubeError(error, 'delete', 'objects', namespace);
    };
    await core.deleteNamespacedSecret({ name: objectNameOf, namespace }).catch(ignoreMissing);
    await this.target.networking
      .deleteNamespacedNetworkPolicy({ name: objectNameOf, namespace })
      .catch(ignoreMissing);
    await core.deleteNamespacedPersistentVolumeClaim({ name: objectNameOf, namespace }).catch(ignoreMissing);
    await waitGone(
      async () =>
        (await core
          .readNamespacedPersistentVolumeClaim({ name: objectNameOf, namespace })
          .catch(() => null)) !== null,
    );
  }

  private async deletePod(name: string, namespace: string): Promise<void> {
    const core = this.target.core;
    const podName = objectName(name);
    try {
      await core.deleteNamespacedPod({ name: podName, namespace, gracePeriodSeconds: 10 });
    } catch (error) {
      if (isNotFound(error)) return;
      throw kubeError(error, 'delete', 'pods', namespace);
    }
    await waitGone(
      async () => (await core.readNamespacedPod({ name: podName, namespace }).catch(() => null)) !== null,
    );
  }

  async exec(name: string, command: string[], options: ExecOptions = {}): Promise<ExecResult> {
    return execCapture(await this.runningTarget(name), inFolder(command, options.workdir));
  }

  async execInteractive(name: string, command: string[], options: ExecOptions = {}): Promise<number> {
    const target = await this.runningTarget(name);
    const stdin = process.stdin;
    const tty = Boolean(options.tty && stdin.isTTY);
    if (tty) stdin.setRawMode(true);
    try {
      return await execIn(target, inFolder(command, options.workdir), {
        stdin: options.stdin || tty ? stdin : null,
        // A terminal is passed as it is, so the session follows its size.
        stdout: tty ? process.stdout : keepOpen(process.stdout),
        stderr: tty ? null : keepOpen(process.stderr),
        tty,
      });
    } finally {
      if (tty) stdin.setRawMode(false);
      // The command is over: what is left on stdin is not ours to wait for.
      stdin.unpipe();
      stdin.pause();
    }
  }

  async execStream(
    name: string,
    command: string[],
    options: ExecOptions & { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream },
  ): Promise<{ exitCode: number; stderr: string }> {
    // Take the input now, before any await: a child process's unread output is dropped when it exits.
    const input = options.input ? (options.input as Readable).pipe(new PassThrough()) : null;
    const errors = collector(64_000);
    const exitCode = await execIn(await this.runningTarget(name), inFolder(command, options.workdir), {
      stdin: input,
      stdout: options.output ? keepOpen(options.output) : null,
      stderr: errors.stream,
    });
    return { exitCode, stderr: errors.text() };
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
    const namespace = await this.locate(name);
    const pod = await callOrNull('get', 'pods', namespace, () =>
      this.target.core.readNamespacedPod({ name: objectName(name), namespace }),
    );
    if (!pod)
      throw new DevcError(`Workspace ${name} is stopped: its pod, and the pod's log, are gone.`, {
        hint: `Start it with \`devc start -w ${name}\`.`,
      });
    await followLogs(this.target, namespace, objectName(name), options, out);
  }

  /** Node capacity, for hostRequirements warnings; unknown (no permission to list nodes) is unlimited. */
  async capacity(): Promise<{ cpus: number; memoryBytes: number }> {
    const nodes = await this.target.core.listNode().catch(() => null);
    const first = nodes?.items[0]?.status?.allocatable;
    if (!first) return { cpus: Number.MAX_SAFE_INTEGER, memoryBytes: Number.MAX_SAFE_INTEGER };
    const { parseQuantity } = await import('./quantity.js');
    return { cpus: parseQuantity(first.cpu ?? '0'), memoryBytes: parseQuantity(first.memory ?? '0') };
  }

  /** Creates the workspace from an image-based devcontainer.json (see docs/kubernetes.md). */
  async createFromDevcontainer(spec: Record<string, unknown>): Promise<Workspace> {
    const { fromDevcontainer } = await import('./devcontainer.js');
    const { workspaceSpec, extras } = await fromDevcontainer(spec);
    return this.create(workspaceSpec, extras);
  }

  /**
   * What deleting would lose of a repository that lives only in the PVC (uncommitted files, commits on
   * no remote, stashes), read with git in the running pod; undefined when the pod does not run.
   */
  async unsavedWork(name: string): Promise<UnsavedWork | undefined> {
    const workspace = await this.find(name);
    if (!workspace || workspace.state !== 'running') return undefined;
    const result = await this.exec(name, ['sh', '-c', UNSAVED_WORK], { workdir: workspace.folder });
    if (result.exitCode !== 0)
      return { uncommitted: [`${workspace.folder} (not a git repository)`], unpushed: [] };
    const [status = '', log = '', stash = ''] = result.stdout.split('@@devc@@\n');
    const lines = (text: string): string[] => text.split('\n').filter(Boolean);
    return { uncommitted: lines(status).map((l) => l.slice(3)), unpushed: lines(log), stashed: lines(stash) };
  }

  /** Remote repositories are cloned in the cluster; devc reads only what it must plan with. */
  fetchForPlanning(options: PlanningFetch): Promise<void> {
    return fetchForPlanning(options);
  }

  private execTarget(name: string): ExecTarget {
    return { config: this.target.config, namespace: this.namespaceOf(name), pod: objectName(name) };
  }

  /** Where exec and port-forward go for a running workspace (for the forwarder's route). */
  execTargetOf(name: string): Promise<ExecTarget> {
    return this.runningTarget(name);
  }

  private async runningTarget(name: string): Promise<ExecTarget> {
    const namespace = await this.locate(name);
    const pod = await callOrNull('get', 'pods', namespace, () =>
      this.target.core.readNamespacedPod({ name: objectName(name), namespace }),
    );
    const { state } = podState(pod);
    if (state !== 'running' || !pod) {
      throw new DevcError(`Workspace ${name} is not running.`, {
        hint: `Start it with \`devc start -w ${name}\` (or \`devc up\`).`,
      });
    }
    return { config: this.target.config, namespace, pod: objectName(name) };
  }

  private namespaceOf(name: string): string {
    return this.namespaces.get(name) ?? this.target.namespace;
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

// The same three questions src/git/safety.ts asks of a clone on this machine.
const UNSAVED_WORK = `set -e
git status --porcelain=v1 --untracked-files=all; echo @@devc@@
git log --branches HEAD --not --remotes --format='%h %s'; echo @@devc@@
git stash list --format='%gd %s'`;

function vanished(name: string): never {
  throw new DevcError(`Workspace ${name} vanished right after it was created.`);
}
