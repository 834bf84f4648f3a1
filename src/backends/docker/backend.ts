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
  PortRouter,
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
import { DevcError } from '../../errors.js';
import { removeWorkspace } from './remove.js';
import { workspaceLabels } from '../../workspace/labels.js';
import { containerIdsWithLabel, inspectContainers, volumeExists } from './api.js';
import { docker, dockerInteractive, engineUnreachable } from './engine.js';
import { dockerDetails, dockerExecStream, dockerLogs, giveVolumeToUser } from './lifecycle.js';
import { dockerEvents, dockerUsage } from './watch.js';
import { ensureWorkspaceNetwork } from './network.js';
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

/** Names of the engine objects a workspace owns. */
export const containerName = (name: string): string => `devc-${name}`;
export const homeVolume = (name: string): string => `devc-${name}-home`;
export const sharedVolume = (owner: string): string =>
  `devc-shared-${owner.replace(/[^a-z0-9_.-]/gi, '-').toLowerCase()}`;

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
    PortRouter
{
  readonly kind = 'docker' as const;

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
    const labels = workspaceLabels(spec, { [Label.variant]: spec.variant ?? '' });
    const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
    // All of the workspace's labels: a home volume that outlives its container still says whose it is.
    await this.ensureVolume(homeVolume(spec.name), labels);
    const shared = sharedVolume(spec.owner);
    if (await this.ensureVolume(shared, { [Label.owner]: spec.owner, 'dev.devc.shared': 'true' }))
      await giveVolumeToUser(shared, spec.image);
    const envArgs = Object.entries(spec.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    await docker([
      'create',
      '--name',
      containerName(spec.name),
      '--hostname',
      spec.name,
      // devc's network: workspaces can't reach each other's ports (network.ts).
      '--network',
      await ensureWorkspaceNetwork(),
      ...labelArgs,
      '--publish',
      '127.0.0.1::2222',
      '--publish',
      '127.0.0.1::8080',
      '--mount',
      `type=bind,source=${spec.sourcePath},target=${spec.folder}`,
      '--mount',
      `type=volume,source=${homeVolume(spec.name)},target=/home/dev`,
      '--mount',
      `type=volume,source=${shared},target=/shared`,
      '--mount',
      `type=bind,source=${spec.configPath},target=/etc/devc,readonly`,
      '--env',
      `DEVC_WORKSPACE=${spec.name}`,
      '--env',
      `DEVC_WORKSPACE_FOLDER=${spec.folder}`,
      ...envArgs,
      '--workdir',
      spec.folder,
      spec.image,
    ]);
    const created = await this.find(spec.name);
    if (!created) throw new DevcError(`Workspace ${spec.name} vanished right after it was created.`);
    return created;
  }

  async start(name: string): Promise<void> {
    const started = await docker(['start', containerName(name)], { allowFailure: true });
    if (started.exitCode !== 0) {
      // A `devc delete` running at the same moment: the container is going, which is no engine fault.
      if (
        /marked for removal|No such container|removal of container .* is already in progress/i.test(
          started.stderr,
        )
      )
        throw new DevcError(`Workspace ${name} disappeared while starting.`, {
          hint: 'Another devc deleted it; run `devc up` again to make it anew.',
        });
      throw new DevcError(`docker start failed: ${started.stderr.trim().split('\n').at(-1) ?? ''}`, {
        details: started.stderr.trim(),
      });
    }
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
    const { createFromConfig, directPlan } = await import('./devcontainer.js');
    // Independent engine questions at once: each docker call costs tens of milliseconds.
    const [, , decision, agentVolume] = await Promise.all([
      this.ensureVolume(homeVolume(spec.name), workspaceLabels(spec)),
      this.ensureVolume(shared, { [Label.owner]: spec.owner, 'dev.devc.shared': 'true' }),
      directPlan(spec),
      spec.agentVolume,
    ]);
    await createFromConfig(
      { ...spec, agentVolume, homeVolume: homeVolume(spec.name), sharedVolume: shared },
      decision,
    );
    const created = await this.find(spec.name);
    if (!created) throw new DevcError(`Workspace ${spec.name} vanished right after it was created.`);
    return created;
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

  /** Creates the volume unless it exists; true when it made it. */
  private async ensureVolume(name: string, labels: Record<string, string>): Promise<boolean> {
    if (await volumeExists(name)) return false;
    await docker([
      'volume',
      'create',
      ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      name,
    ]);
    return true;
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
