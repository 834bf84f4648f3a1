import { invalidNameLabel, readLabels } from '../../workspace/labels.js';
import type { Workspace, WorkspaceState } from '../../workspace/model.js';
import { AGENT_CONFIG_DIR, CONFIG_COPY_LABEL, readAgentEnv } from './agent.js';
import { engineTime, idleTimeoutOf } from './lifecycle.js';

/** What devc reads of `docker container inspect`. */
export interface InspectedContainer {
  Id: string;
  /** `/devc-NAME`. */
  Name?: string;
  Created: string;
  Config: { Image: string; Labels: Record<string, string> | null; Env?: string[] | null };
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
  };
  NetworkSettings: {
    Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    Networks?: Record<string, { IPAddress: string }> | null;
  };
  Mounts?: { Source: string; Destination: string }[] | null;
}

/**
 * The workspaces these containers are, by name. One whose workspace label is no valid name (anyone
 * can label a container `dev.devc.workspace=..`) is left out and reported: its name would reach paths
 * and commands.
 */
export function toWorkspaces(
  containers: InspectedContainer[],
  onIgnored: (message: string) => void = () => undefined,
): Workspace[] {
  const valid = containers.filter((c) => {
    const ignored = invalidNameLabel(
      c.Config.Labels ?? {},
      `container ${c.Name?.replace(/^\//, '') || c.Id.slice(0, 12)}`,
    );
    if (ignored) onIgnored(ignored);
    return !ignored;
  });
  return valid.map(toWorkspace).sort((a, b) => a.name.localeCompare(b.name));
}

/** A workspace as the engine describes its container (labels, state, mounts). */
export function toWorkspace(c: InspectedContainer): Workspace {
  const labels = c.Config.Labels ?? {};
  const { state, reason } = stateOf(c.State);
  return {
    ...readLabels(labels, c.Created),
    backend: 'docker',
    state,
    stateReason: reason,
    image: shortImageName(c.Config.Image),
    user: readAgentEnv(agentConfigDir(c)).DEVC_USER ?? 'dev',
    id: c.Id,
    // dev8 images get it as container env; an injected agent from agent.env.
    idleTimeoutSeconds: idleTimeoutOf([
      ...(c.Config.Env ?? []),
      `DEVC_IDLE_TIMEOUT=${readAgentEnv(agentConfigDir(c)).DEVC_IDLE_TIMEOUT ?? 0}`,
    ]),
    startedAt: engineTime(c.State.StartedAt),
    stoppedAt: c.State.Running ? undefined : engineTime(c.State.FinishedAt),
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

export function agentConfigDir(c: InspectedContainer): string | undefined {
  // On a remote engine /etc/devc is a volume holding a copy of this folder (remote.ts).
  const copied = c.Config.Labels?.[CONFIG_COPY_LABEL];
  return copied ?? c.Mounts?.find((m) => m.Destination === AGENT_CONFIG_DIR)?.Source;
}

export function containerAddress(c: InspectedContainer): string | undefined {
  return Object.values(c.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress;
}

/**
 * An image reference as devc and the Dev Containers CLI name it: Podman reports the ones it built or
 * loaded as `localhost/NAME` and short names it resolved as `docker.io/library/NAME`.
 */
export function shortImageName(ref: string): string {
  return ref.replace(/^(localhost|docker\.io\/library)\//, '');
}
