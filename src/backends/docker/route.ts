import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import type { PortRouter, WorkspaceLocation, WorkspaceRoute } from '../backend.js';
import type { Listening } from '../../ports/proc-net.js';
import { SCAN_COMMAND, scanReader } from '../../ports/scan.js';
import { engineGet } from './api.js';
import { engineExecStream } from './api-exec.js';
import { docker } from './engine.js';
import { readAgentEnv } from './agent.js';
import { agentConfigDir, containerAddress, type InspectedContainer } from './inspect.js';
import { addressesRoutable, engineKind, type EngineKind } from './engine-kind.js';
import { dialThroughEngine } from './relay.js';
import { controlSocket, engineHost, sshDestination } from './ssh-engine.js';
import { resolvePaths } from '../../paths.js';
import { SshMaster } from '../../ssh/master.js';

/** The forwarder service's way to Docker workspaces: routes, without the rest of the backend. */
export class DockerRouter implements PortRouter {
  /** Chosen once per engine (the service keeps its router for its whole life). */
  private tunnel: Promise<SshMaster | undefined> | undefined;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  route(name: string): WorkspaceRoute {
    // Asked only once a route needs it (an engine whose addresses don't route from here).
    return new DockerRoute(
      `devc-${name}`,
      () => (this.tunnel ??= engineTunnel(this.env).catch(() => undefined)),
    );
  }
}

/**
 * One SSH connection to the engine's host, where a rootful engine's container addresses route: for
 * ssh:// engines (named by DOCKER_HOST or the docker context). None for local and tcp:// engines, or a
 * rootless engine on that host (its addresses are in its own namespace): connections take the exec relay.
 */
async function engineTunnel(env: NodeJS.ProcessEnv): Promise<SshMaster | undefined> {
  const host = await engineHost(env);
  const destination = host ? sshDestination(host) : undefined;
  if (!host || !destination || (await engineKind(env)).rootless) return undefined;
  return new SshMaster(destination, controlSocket(resolvePaths(env).home, host), env, "the engine's host");
}

/**
 * A Docker or Podman workspace as the forwarder sees it. Asked through the Engine API's socket when it is
 * local (no `docker` process per question, none for the scan), else through the docker CLI. Light on
 * purpose: the forwarder service loads this, not the whole backend.
 *
 * A rootful engine on this machine: the container's bridge address answers from here, and connections
 * go straight to it. A rootless, remote or Desktop engine: the address is not routable from here, so
 * `locate` gives none, every listening port is reported as not `direct`, and `dial` appears. The
 * forwarder then goes through the workspace's sshd where `sshTarget` says it answers here
 * (transport/workspace-ssh.ts), else through `dial`: the engine's host, or the exec relay (relay.ts).
 */
export class DockerRoute implements WorkspaceRoute {
  private kind: Promise<EngineKind> | undefined;
  /** Set once `locate` has found the engine's addresses unroutable (docs/ports.md). */
  dial?: (port: number) => Promise<Duplex>;

  /** The container's address on the engine's host, and the ports listening on every address there. */
  private address: string | undefined;
  private readonly wide = new Set<number>();

  constructor(
    private readonly container: string,
    private readonly tunnel: () => Promise<SshMaster | undefined> = () => Promise.resolve(undefined),
  ) {}

  /** Asked of the engine once per route (the forwarder keeps its route for its whole life). */
  private engineKind(): Promise<EngineKind> {
    this.kind ??= engineKind().catch((error: unknown) => {
      this.kind = undefined;
      throw error;
    });
    return this.kind;
  }

  private async addressesRoutable(): Promise<boolean> {
    return addressesRoutable(await this.engineKind());
  }

  async locate(): Promise<WorkspaceLocation> {
    const container = await this.inspect();
    if (!container) return { state: 'missing', address: null };
    if (!container.State.Running) return { state: 'stopped', address: null };
    if (!(await this.addressesRoutable())) {
      this.address = containerAddress(container);
      this.dial ??= (port) => this.dialAway(port);
      return { state: 'running', address: null };
    }
    return { state: 'running', address: containerAddress(container) ?? null };
  }

  /**
   * A port listening on every address goes through the SSH connection to the engine's host when there
   * is one (ssh-engine.ts); the others (loopback-only servers, tcp:// engines) through the exec relay.
   */
  private async dialAway(port: number): Promise<Duplex> {
    const tunnel = await this.tunnel();
    if (tunnel && this.address && this.wide.has(port)) {
      // A master that can't be made (the host refuses ssh now): this connection takes the relay.
      const through = await tunnel.dial(this.address, port).catch(() => undefined);
      if (through) return through;
    }
    return dialThroughEngine(this.container, port);
  }

  /**
   * sshd's published port (else its address on the bridge, where addresses route) and the workspace's
   * user; null when neither answers from this machine (a remote engine publishes on its own host).
   */
  async sshTarget(): Promise<{ host: string; port: number; user: string } | null> {
    // Asked per forwarded connection until a master is made: a remote engine (its kind is known
    // once per route) answers at once, without an inspect through the docker CLI.
    const kind = await this.engineKind();
    if (!kind.local) return null;
    const container = await this.inspect();
    if (!container?.State.Running) return null;
    const user = readAgentEnv(agentConfigDir(container)).DEVC_USER ?? 'dev';
    const binding = container.NetworkSettings.Ports?.['2222/tcp']?.find((b) => b.HostIp === '127.0.0.1');
    if (binding) return { host: '127.0.0.1', port: Number(binding.HostPort), user };
    const address = addressesRoutable(kind) ? containerAddress(container) : undefined;
    return address ? { host: address, port: 2222, user } : null;
  }

  async watchListening(onScan: (ports: Map<number, Listening>) => void, signal: AbortSignal): Promise<void> {
    const routable = await this.addressesRoutable();
    const report = routable
      ? onScan
      : (ports: Map<number, Listening>): void => {
          this.wide.clear();
          for (const [port, listening] of ports) {
            if (listening.direct) this.wide.add(port);
            ports.set(port, { ...listening, direct: false });
          }
          onScan(ports);
        };
    const read = scanReader(report);
    if (await engineExecStream(this.container, SCAN_COMMAND, read, signal)) return;
    const child = spawn('docker', ['exec', this.container, ...SCAN_COMMAND], {
      stdio: ['ignore', 'pipe', 'ignore'],
      signal,
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', read);
    await new Promise<void>((resolve) => {
      child.on('error', () => resolve());
      child.on('close', () => resolve());
    });
  }

  private async inspect(): Promise<InspectedContainer | null> {
    const api = await engineGet<InspectedContainer>(`/containers/${this.container}/json`);
    if (api?.status === 404) return null;
    if (api?.status === 200 && api.body) return api.body;
    const result = await docker(['container', 'inspect', this.container], { allowFailure: true });
    if (result.exitCode !== 0) {
      if (/No such (container|object)/i.test(result.stderr)) return null;
      throw new Error(`docker inspect failed: ${result.stderr.trim()}`);
    }
    return (JSON.parse(result.stdout) as InspectedContainer[])[0] ?? null;
  }
}
