import { Writable } from 'node:stream';
import { parseProcNetTcp, type Listening } from '../../ports/proc-net.js';
import type { Location, WorkspaceRoute } from '../../transport/route.js';
import { KubernetesBackend } from './backend.js';
import { CONTAINER, type WebSocketLike } from './exec.js';
import { kubernetesClient } from './library.js';

const END = '@@devc-scan@@';
// As on Docker: one long-lived exec prints the socket tables every second and ends by itself after
// ten minutes, so a forwarder killed hard leaves no loop behind in the pod.
const SCAN_SCRIPT = `i=0; while [ $i -lt 600 ]; do cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; echo ${END}; i=$((i+1)); sleep 1; done`;

/**
 * How the forwarder reaches a Kubernetes workspace: every connection is a port-forward through the
 * API server (`dial`), which reaches loopback-only servers too, so every port is reported as not
 * `direct` (the pod's address is not reachable from here) and goes through the forwarder's loopback dial.
 */
export class KubernetesRoute implements WorkspaceRoute {
  private readonly backend: KubernetesBackend;

  constructor(
    private readonly workspace: string,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.backend = new KubernetesBackend(env);
  }

  async locate(): Promise<Location> {
    const found = await this.backend.find(this.workspace);
    if (!found) return { state: 'missing', address: null };
    return { state: found.state === 'running' ? 'running' : 'stopped', address: null };
  }

  /** A byte stream to `port` of the workspace (what the forwarder's loopback dial should use here). */
  dial(port: number): ReturnType<KubernetesBackend['dial']> {
    return this.backend.dial(this.workspace, port);
  }

  async watchListening(onScan: (ports: Map<number, Listening>) => void, signal: AbortSignal): Promise<void> {
    const target = await this.backend.execTargetOf(this.workspace);
    let pending = '';
    let scan = '';
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        pending += chunk.toString();
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (line === END) {
            const ports = parseProcNetTcp(scan);
            for (const [port, listening] of ports) ports.set(port, { ...listening, direct: false });
            onScan(ports);
            scan = '';
          } else scan += `${line}\n`;
        }
        done();
      },
    });
    const { Exec } = await kubernetesClient();
    const ws: WebSocketLike = await new Exec(target.config).exec(
      target.namespace,
      target.pod,
      CONTAINER,
      ['sh', '-c', SCAN_SCRIPT],
      out,
      null,
      null,
      false,
    );
    await new Promise<void>((resolve) => {
      // The scan's output is all there is to wait for: no close handshake.
      const stop = (): void => ws.terminate();
      ws.on('close', () => {
        signal.removeEventListener('abort', stop);
        resolve();
      });
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
  }
}
