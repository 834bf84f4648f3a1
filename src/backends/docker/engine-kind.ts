import { engineGet, engineSocket } from './api.js';
import { docker } from './engine.js';

/** Which engine answers on DOCKER_HOST, and whether devc can reach its containers' addresses. */
export interface EngineKind {
  product: 'docker' | 'podman';
  version: string;
  /** The engine runs as an ordinary user (rootless Docker or Podman): its bridge is in its own namespace. */
  rootless: boolean;
  /** Reached through a unix socket on this machine (DOCKER_HOST or the docker context's), not ssh:// or tcp://. */
  local: boolean;
  /**
   * Runs in a virtual machine of its own (Docker Desktop, and every engine on macOS or Windows: Colima,
   * OrbStack, Podman machine): its bridge is in there, and only published ports reach this machine.
   */
  vm: boolean;
}

interface VersionAnswer {
  Version?: string;
  Components?: { Name?: string; Version?: string }[] | null;
}

/**
 * Asks the engine's /version (Podman names itself in Components) and /info (rootless or not), over the socket when it can, else through the CLI.
 */
export async function engineKind(env: NodeJS.ProcessEnv = process.env): Promise<EngineKind> {
  const local = engineSocket(env) !== undefined;
  const [version, info] = await Promise.all([versionAnswer(), infoAnswer()]);
  const podman = version.Components?.find((c) => /podman/i.test(c.Name ?? ''));
  return {
    product: podman ? 'podman' : 'docker',
    version: podman?.Version ?? version.Version ?? 'unknown',
    rootless: saysRootless(info),
    local,
    vm: runsInVm(info, process.platform),
  };
}

/** Whether the engine runs in a VM: it does wherever this machine is not Linux, and Docker Desktop says so. */
export function runsInVm(info: { OperatingSystem?: string }, platform: NodeJS.Platform): boolean {
  return platform !== 'linux' || /docker desktop/i.test(info.OperatingSystem ?? '');
}

/** Whether the engine is rootless Podman: its /version first, and /info only when that says Podman. */
export async function isRootlessPodman(): Promise<boolean> {
  const version = await versionAnswer();
  if (!version.Components?.some((c) => /podman/i.test(c.Name ?? ''))) return false;
  return saysRootless(await infoAnswer());
}

/** Whether the host reaches containers at their bridge addresses (rootful engines here, not in a VM). */
export function addressesRoutable(kind: EngineKind): boolean {
  return kind.local && !kind.rootless && !kind.vm;
}

async function versionAnswer(): Promise<VersionAnswer> {
  const api = await engineGet<VersionAnswer>('/version');
  if (api?.status === 200 && api.body) return api.body;
  const cli = await docker(['version', '--format', '{{json .Server}}']);
  return JSON.parse(cli.stdout.trim() || '{}') as VersionAnswer;
}

/** Podman says `Rootless` in /info; rootless Docker says it among its SecurityOptions. */
interface InfoAnswer {
  Rootless?: boolean;
  OperatingSystem?: string;
  SecurityOptions?: string[] | null;
}

function saysRootless(info: InfoAnswer): boolean {
  return info.Rootless === true || (info.SecurityOptions ?? []).some((o) => o.includes('name=rootless'));
}

async function infoAnswer(): Promise<InfoAnswer> {
  const api = await engineGet<InfoAnswer>('/info');
  if (api?.status === 200 && api.body) return api.body;
  const cli = await docker(['info', '--format', '{{json .}}']);
  return JSON.parse(cli.stdout.trim() || '{}') as InfoAnswer;
}
