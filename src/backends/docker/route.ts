import { execa } from 'execa';
import type { WorkspaceLocation, WorkspaceRoute } from '../backend.js';
import type { Listening } from '../../ports/proc-net.js';
import { SCAN_COMMAND, scanReader } from '../../ports/scan.js';
import { docker } from './engine.js';

interface Inspected {
  State: { Running: boolean };
  NetworkSettings: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> | null };
}

/** Docker on Linux: the container's address on its bridge network answers from the host. */
export class DockerRoute implements WorkspaceRoute {
  constructor(private readonly container: string) {}

  async locate(): Promise<WorkspaceLocation> {
    const result = await docker(['container', 'inspect', this.container], { allowFailure: true });
    if (result.exitCode !== 0) {
      if (/No such (container|object)/i.test(result.stderr)) return { state: 'missing', address: null };
      throw new Error(`docker inspect failed: ${result.stderr.trim()}`);
    }
    const [container] = JSON.parse(result.stdout) as Inspected[];
    if (!container?.State.Running) return { state: 'stopped', address: null };
    return { state: 'running', address: addressOf(container) };
  }

  async watchListening(onScan: (ports: Map<number, Listening>) => void, signal: AbortSignal): Promise<void> {
    const child = execa('docker', ['exec', this.container, ...SCAN_COMMAND], {
      reject: false,
      cancelSignal: signal,
      buffer: false,
      stdin: 'ignore',
      stderr: 'ignore',
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', scanReader(onScan));
    await child;
  }
}

function addressOf(container: Inspected): string | null {
  const settings = container.NetworkSettings;
  if (settings.IPAddress) return settings.IPAddress;
  for (const network of Object.values(settings.Networks ?? {}))
    if (network.IPAddress) return network.IPAddress;
  return null;
}
