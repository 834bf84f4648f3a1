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
  LeftoverLister,
  LogOptions,
  PortDialer,
  PortRouter,
  UnsavedWorkReporter,
  StreamExec,
  UsageReporter,
  WorkspaceDetails,
  WorkspaceEvent,
  WorkspaceEvents,
  WorkspaceInspector,
  WorkspaceLogs,
  WorkspaceRoute,
  WorkspaceUsage,
} from '../backend.js';
import { Label, type Workspace, type WorkspaceSpec } from '../../workspace/model.js';
import { containerName, createContainer, ensureVolume, homeVolume, sharedVolume } from './create.js';
import { CONFIG_COPY_LABEL, copiedForDevcontainer, engineIsRemote, refreshConfigCopy } from './remote.js';
import { DevcError } from '../../errors.js';
import type { UnsavedWork } from '../../git/safety.js';
import { unsavedWorkIn } from '../unsaved-work.js';
import { removeWorkspace } from './remove.js';
import { workspaceLabels } from '../../workspace/labels.js';
import { containerIdsWithLabel, engineSocket, inspectContainers } from './api.js';
import { docker, dockerInteractive, engineUnreachable } from './engine.js';
import { dockerDetails, dockerExecStream, dockerLogs, startContainer } from './lifecycle.js';
import { dockerEvents, dockerUsage } from './watch.js';
import { INJECTED_LABEL, startInjectedAgent } from './agent.js';
import {
  agentConfigDir,
  containerAddress,
  toWorkspace,
  toWorkspaces,
  type InspectedContainer,
} from './inspect.js';
import { isWorkspaceName } from '../../workspace/name.js';
import { dockerLeftovers } from './leftovers.js';
import { DockerRoute } from './route.js';
import { dialThroughEngine, RelayListeners } from './relay.js';

/** Docker: one container per workspace, a home volume, a shared volume per user; labels are the index. */
export class DockerBackend
  implements
    Backend,
    WorkspaceLogs,
    StreamExec,
    WorkspaceInspector,
    WorkspaceEvents,
    UsageReporter,
    LeftoverLister,
    CapacityReporter,
    DevcontainerCreator,
    PortRouter,
    PortDialer,
    UnsavedWorkReporter
{
  readonly kind = 'docker' as const;
  private readonly relays = new RelayListeners();

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async check(): Promise<void> {
    const result = await docker(['version', '--format', '{{.Server.Version}}'], { allowFailure: true });
    if (result.exitCode !== 0) throw engineUnreachable(result.stderr.trim());
  }

  async find(name: string): Promise<Workspace | null> {
    if (!isWorkspaceName(name)) return null;
    const inspected = await this.inspect([containerName(name)]);
    const found = inspected.find((c) => c.Config.Labels?.[Label.workspace] === name);
    return found ? toWorkspace(found) : null;
  }

  async list(options: ListOptions = {}): Promise<Workspace[]> {
    const list =
      (await containerIdsWithLabel(Label.workspace)) ??
      (await docker(['ps', '-a', '-q', '--no-trunc', '--filter', `label=${Label.workspace}`])).stdout
        .split('\n')
        .filter(Boolean);
    if (list.length === 0) return [];
    return toWorkspaces(await this.inspect(list), options.onIgnored);
  }

  /** Workspaces whose container is gone while their volumes stay (state missing). */
  async leftovers(options: ListOptions = {}): Promise<Workspace[]> {
    return dockerLeftovers(options.onIgnored);
  }

  async create(spec: WorkspaceSpec): Promise<Workspace> {
    await createContainer(spec, await engineIsRemote(this.env));
    const created = await this.find(spec.name);
    if (!created) throw new DevcError(`Workspace ${spec.name} vanished right after it was created.`);
    return created;
  }

  async start(name: string): Promise<void> {
    const [before] = await this.inspect([containerName(name)]);
    // A remote engine's /etc/devc is a copy: brought up to date before the agent reads it.
    const configCopy = before?.Config.Labels?.[CONFIG_COPY_LABEL];
    if (configCopy) await refreshConfigCopy(containerName(name), configCopy);
    await startContainer(containerName(name), name);
    const [container] = await this.inspect([containerName(name)]);
    // A repository's own image runs its own PID 1: devc's agent is started beside it on every start.
    if (container?.Config.Labels?.[INJECTED_LABEL] === 'injected') {
      await startInjectedAgent(containerName(name), agentConfigDir(container));
      // Loaded only here: `list` and dev8 workspaces never need the Dev Containers CLI wrapper.
      const { runStartHooks } = await import('./hooks.js');
      await runStartHooks(container);
    }
  }

  async capacity(): Promise<EngineCapacity> {
    const info = await docker(['info', '--format', '{{.NCPU}} {{.MemTotal}}']);
    const [cpus = '0', memory = '0'] = info.stdout.trim().split(' ');
    return { cpus: Number(cpus), memoryBytes: Number(memory) };
  }

  /** Creates the workspace from a repository's devcontainer.json through @devcontainers/cli. */
  async createFromDevcontainer(spec: DevcontainerSpec): Promise<Workspace> {
    // The agent runs from its volume beside the image's own PID 1: no container without it.
    if (!spec.agentVolume) throw new DevcError("devc's agent volume was not prepared for this workspace.");
    const shared = sharedVolume(spec.owner);
    // Loaded only here: it brings the Dev Containers CLI wrapper with it.
    const [{ createFromConfig, directPlan }, { withSecretHooks }, { withPrebuild }] = await Promise.all([
      import('./devcontainer.js'),
      import('../../devcontainer/secret-hooks.js'),
      import('./prebuild.js'),
    ]);
    // A prebuild of it (its content-hash tag here or in the registry) runs instead of a build.
    const prebuilt = await withPrebuild(spec);
    // Its hooks source the workspace's secrets: what the label keeps, and `devc start` runs again.
    const withHooks = withSecretHooks(prebuilt.configuration);
    // A remote engine can't mount this machine's folders: the source and /etc/devc are volumes, filled
    // first (the agent image is there once its volume is).
    const copied = (await engineIsRemote(this.env))
      ? await spec.agentVolume.then(() => copiedForDevcontainer(spec, workspaceLabels(spec)))
      : undefined;
    const configuration = copied ? { ...withHooks, workspaceMount: copied.workspaceMount } : withHooks;
    // Independent engine questions at once: each docker call costs tens of milliseconds.
    const [, , decision, agentVolume] = await Promise.all([
      ensureVolume(homeVolume(spec.name), workspaceLabels(spec)),
      ensureVolume(shared, { [Label.owner]: spec.owner, 'dev.devc.shared': 'true' }),
      directPlan({ ...spec, configuration }),
      spec.agentVolume,
    ]);
    await createFromConfig(
      {
        ...spec,
        configuration,
        imageSource: prebuilt.source,
        agentVolume,
        homeVolume: homeVolume(spec.name),
        sharedVolume: shared,
        ...(copied ? { configVolume: copied.configVolume } : {}),
      },
      decision,
    );
    const created = await this.find(spec.name);
    if (!created) throw new DevcError(`Workspace ${spec.name} vanished right after it was created.`);
    return created;
  }

  /** What deleting would lose when the source lives in the engine's volume (remote engines); else null. */
  async unsavedWork(name: string): Promise<UnsavedWork | undefined | null> {
    const [container] = await this.inspect([containerName(name)]);
    if (!container?.Config.Labels?.[CONFIG_COPY_LABEL]) return null;
    const workspace = toWorkspace(container);
    if (workspace.state !== 'running') return undefined;
    return unsavedWorkIn(workspace, (command, workdir) => this.exec(name, command, { workdir }));
  }

  async stop(name: string): Promise<void> {
    await docker(['stop', '--time', '10', containerName(name)]);
  }

  async remove(name: string, options: { keepData?: boolean } = {}): Promise<void> {
    await removeWorkspace(name, options.keepData ?? false, (refs) => this.inspect(refs));
  }

  async exec(name: string, command: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const result = await docker(['exec', ...execFlags(options), containerName(name), ...command], {
      allowFailure: true,
    });
    return result;
  }

  async execInteractive(name: string, command: string[], options: ExecOptions = {}): Promise<number> {
    const result = await dockerInteractive(['exec', ...execFlags(options), containerName(name), ...command]);
    return result.exitCode ?? 1;
  }

  async endpoint(name: string, port: number): Promise<{ host: string; port: number }> {
    const [container] = await this.inspect([containerName(name)]);
    const binding = container?.NetworkSettings.Ports?.[`${port}/tcp`]?.find((b) => b.HostIp === '127.0.0.1');
    // A remote engine's published ports are on its host, and a rootless engine's container addresses
    // are in its own namespace: then a listener here reaches the port through the engine (relay.ts).
    if (container?.State.Running && !(binding && engineSocket())) {
      const relayed = await this.relays.endpoint(containerName(name), port);
      if (relayed) return relayed;
    }
    // Unpublished (a repository's own config): the container's address on its bridge network.
    const address = container && !binding ? containerAddress(container) : undefined;
    if (address && container?.State.Running) return { host: address, port };
    if (!binding)
      throw new DevcError(`Port ${port} of workspace ${name} is not reachable; is it running?`, {
        hint: `Run \`devc up\` or \`devc start -w ${name}\`.`,
      });
    return { host: '127.0.0.1', port: Number(binding.HostPort) };
  }

  /** The forwarder's view of the workspace: its container's bridge address and socket tables. */
  route(name: string): WorkspaceRoute {
    return new DockerRoute(containerName(name));
  }

  /** Any port on the workspace's loopback, through the engine's own connection (relay.ts). */
  dial(name: string, port: number): Promise<Duplex> {
    return Promise.resolve(dialThroughEngine(containerName(name), port));
  }

  async logs(
    name: string,
    options: LogOptions,
    out: NodeJS.WritableStream,
    err: NodeJS.WritableStream,
  ): Promise<void> {
    await dockerLogs(containerName(name), options, out, err);
  }

  async execStream(
    name: string,
    command: string[],
    options: ExecOptions & { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream },
  ): Promise<{ exitCode: number; stderr: string }> {
    return dockerExecStream(containerName(name), execFlags(options), command, options);
  }

  async details(name: string): Promise<WorkspaceDetails> {
    return dockerDetails(containerName(name), homeVolume(name));
  }

  events(onEvent: (event: WorkspaceEvent) => void, signal: AbortSignal): Promise<void> {
    return dockerEvents(onEvent, signal);
  }

  usage(names: string[], signal?: AbortSignal): Promise<Map<string, WorkspaceUsage>> {
    return dockerUsage(new Map(names.map((n) => [n, containerName(n)])), signal);
  }

  private async inspect(refs: string[]): Promise<InspectedContainer[]> {
    const viaApi = await inspectContainers<InspectedContainer>(refs);
    if (viaApi) return viaApi;
    const result = await docker(['container', 'inspect', ...refs], { allowFailure: true });
    if (result.exitCode !== 0 && !/No such (container|object)/i.test(result.stderr)) {
      throw new DevcError(`docker inspect failed: ${result.stderr.trim()}`);
    }
    return result.stdout ? (JSON.parse(result.stdout) as InspectedContainer[]) : [];
  }
}

function execFlags(options: ExecOptions): string[] {
  return [
    ...(options.stdin || options.tty ? ['--interactive'] : []),
    ...(options.tty ? ['--tty'] : []),
    '--user',
    options.user ?? 'dev',
    ...(options.workdir ? ['--workdir', options.workdir] : []),
  ];
}
