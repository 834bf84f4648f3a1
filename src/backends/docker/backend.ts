import type { Backend, ExecOptions, ExecResult } from '../backend.js';
import { Label, type Workspace, type WorkspaceSpec, type WorkspaceState } from '../../workspace/model.js';
import { DevcError } from '../../errors.js';
import { devcVersion } from '../../version.js';
import { docker, dockerInteractive, engineUnreachable } from './engine.js';

/** Names of the engine objects a workspace owns. */
export const containerName = (name: string): string => `devc-${name}`;
export const homeVolume = (name: string): string => `devc-${name}-home`;
export const sharedVolume = (owner: string): string =>
  `devc-shared-${owner.replace(/[^a-z0-9_.-]/gi, '-').toLowerCase()}`;

interface InspectedContainer {
  Id: string;
  Created: string;
  Config: { Image: string; Labels: Record<string, string> | null };
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
  };
  NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
}

/** Docker: one container per workspace, a home volume, a shared volume per user; labels are the index. */
export class DockerBackend implements Backend {
  readonly kind = 'docker' as const;

  async check(): Promise<void> {
    const result = await docker(['version', '--format', '{{.Server.Version}}'], { allowFailure: true });
    if (result.exitCode !== 0) throw engineUnreachable(result.stderr.trim());
  }

  async find(name: string): Promise<Workspace | null> {
    const inspected = await this.inspect([containerName(name)]);
    const found = inspected.find((c) => c.Config.Labels?.[Label.workspace] === name);
    return found ? toWorkspace(found) : null;
  }

  async list(): Promise<Workspace[]> {
    const ids = await docker(['ps', '-a', '-q', '--no-trunc', '--filter', `label=${Label.workspace}`]);
    const list = ids.stdout.split('\n').filter(Boolean);
    if (list.length === 0) return [];
    return (await this.inspect(list)).map(toWorkspace).sort((a, b) => a.name.localeCompare(b.name));
  }

  async create(spec: WorkspaceSpec): Promise<Workspace> {
    const labels = {
      [Label.workspace]: spec.name,
      [Label.repository]: spec.repository.url,
      [Label.branch]: spec.repository.branch ?? '',
      [Label.owner]: spec.owner,
      [Label.version]: devcVersion(),
      [Label.variant]: spec.variant ?? '',
      [Label.source]: spec.sourcePath,
      [Label.folder]: spec.folder,
      [Label.createdAt]: new Date().toISOString(),
    };
    const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
    await this.ensureVolume(homeVolume(spec.name), {
      [Label.workspace]: spec.name,
      [Label.owner]: spec.owner,
    });
    const shared = sharedVolume(spec.owner);
    await this.ensureVolume(shared, { [Label.owner]: spec.owner, 'dev.devc.shared': 'true' });
    const envArgs = Object.entries(spec.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    await docker([
      'create',
      '--name',
      containerName(spec.name),
      '--hostname',
      spec.name,
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
    await docker(['start', containerName(name)]);
  }

  async stop(name: string): Promise<void> {
    await docker(['stop', '--time', '10', containerName(name)]);
  }

  async remove(name: string): Promise<void> {
    await docker(['rm', '--force', '--volumes', containerName(name)], { allowFailure: true });
    const volumes = await docker(['volume', 'ls', '-q', '--filter', `label=${Label.workspace}=${name}`]);
    const names = volumes.stdout.split('\n').filter(Boolean);
    if (names.length > 0) await docker(['volume', 'rm', '--force', ...names]);
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
    if (!binding)
      throw new DevcError(`Port ${port} of workspace ${name} is not reachable; is it running?`, {
        hint: `Run \`devc up\` or \`devc start -w ${name}\`.`,
      });
    return { host: '127.0.0.1', port: Number(binding.HostPort) };
  }

  private async inspect(refs: string[]): Promise<InspectedContainer[]> {
    const result = await docker(['container', 'inspect', ...refs], { allowFailure: true });
    if (result.exitCode !== 0 && !/No such (container|object)/i.test(result.stderr)) {
      throw new DevcError(`docker inspect failed: ${result.stderr.trim()}`);
    }
    return result.stdout ? (JSON.parse(result.stdout) as InspectedContainer[]) : [];
  }

  private async ensureVolume(name: string, labels: Record<string, string>): Promise<void> {
    const exists = await docker(['volume', 'inspect', name], { allowFailure: true });
    if (exists.exitCode === 0) return;
    await docker([
      'volume',
      'create',
      ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      name,
    ]);
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

function toWorkspace(c: InspectedContainer): Workspace {
  const labels = c.Config.Labels ?? {};
  const { state, reason } = stateOf(c.State);
  return {
    name: labels[Label.workspace] ?? '',
    backend: 'docker',
    state,
    stateReason: reason,
    repository: { url: labels[Label.repository] ?? '', branch: labels[Label.branch] || undefined },
    image: c.Config.Image,
    variant: labels[Label.variant] || undefined,
    folder: labels[Label.folder] ?? '/workspaces',
    sourcePath: labels[Label.source] || undefined,
    createdAt: labels[Label.createdAt] ?? c.Created,
    id: c.Id,
  };
}

function stateOf(s: InspectedContainer['State']): { state: WorkspaceState; reason: string | undefined } {
  switch (s.Status) {
    case 'running':
      return { state: 'running', reason: undefined };
    case 'created':
      return { state: 'stopped', reason: 'created, not started' };
    case 'restarting':
      return { state: 'starting', reason: 'restarting' };
    case 'exited':
      return s.ExitCode === 0 || s.ExitCode === 143
        ? { state: 'stopped', reason: 'stopped' }
        : { state: 'exited', reason: `exited with code ${s.ExitCode}${s.Error ? `: ${s.Error}` : ''}` };
    case 'dead':
      return { state: 'failed', reason: s.Error || 'dead' };
    default:
      return { state: 'stopped', reason: s.Status };
  }
}
