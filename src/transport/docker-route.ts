import { execa } from 'execa';
import { containerName } from '../backends/docker/backend.js';
import { docker } from '../backends/docker/engine.js';
import { parseProcNetTcp, type Listening } from '../ports/proc-net.js';
import type { Location, WorkspaceRoute } from './route.js';

interface Inspected {
  State: { Running: boolean };
  NetworkSettings: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> | null };
}

/** Marks the end of one scan in the watcher's output. */
const END = '@@devc-scan@@';
/**
 * One long-lived exec prints /proc/net/tcp{,6} every second. It stops by itself after about ten
 * minutes (and the forwarder starts another) so that a forwarder killed hard leaves no loop behind:
 * the engine does not end an exec when its client goes away.
 */
const SCAN_SCRIPT = `i=0; while [ $i -lt 600 ]; do cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; echo ${END}; i=$((i+1)); sleep 1; done`;

/** Docker on Linux: the container's address on its bridge network answers from the host. */
export class DockerRoute implements WorkspaceRoute {
  constructor(private readonly workspace: string) {}

  async locate(): Promise<Location> {
    const result = await docker(['container', 'inspect', containerName(this.workspace)], {
      allowFailure: true,
    });
    if (result.exitCode !== 0) {
      if (/No such (container|object)/i.test(result.stderr)) return { state: 'missing', address: null };
      throw new Error(`docker inspect failed: ${result.stderr.trim()}`);
    }
    const [container] = JSON.parse(result.stdout) as Inspected[];
    if (!container?.State.Running) return { state: 'stopped', address: null };
    return { state: 'running', address: addressOf(container) };
  }

  async watchListening(onScan: (ports: Map<number, Listening>) => void, signal: AbortSignal): Promise<void> {
    const child = execa('docker', ['exec', containerName(this.workspace), 'sh', '-c', SCAN_SCRIPT], {
      reject: false,
      cancelSignal: signal,
      buffer: false,
      stdin: 'ignore',
      stderr: 'ignore',
    });
    let pending = '';
    let scan = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line === END) {
          onScan(parseProcNetTcp(scan));
          scan = '';
        } else scan += `${line}\n`;
      }
    });
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
