import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import type { WorkspaceLocation, WorkspaceRoute } from '../backend.js';
import type { Listening } from '../../ports/proc-net.js';
import { SCAN_COMMAND, scanReader } from '../../ports/scan.js';
import type { Workspace } from '../../workspace/model.js';
import { CONTAINER, type ExecTarget, type WebSocketLike } from './exec.js';
import { kubernetesClient } from './library.js';

/** What a route asks of the backend that made it, for its one workspace. */
export interface RouteSource {
  find(): Promise<Workspace | null>;
  dial(port: number): Promise<Duplex>;
  /** Where exec goes while the workspace runs; throws when it does not. */
  execTarget(): Promise<ExecTarget>;
}

/**
 * How the forwarder reaches a Kubernetes workspace: every connection is a port-forward through the
 * API server (`dial`), which reaches loopback-only servers too, so every port is reported as not
 * `direct` (the pod's address is not reachable from here) and goes through the forwarder's loopback dial.
 */
export class KubernetesRoute implements WorkspaceRoute {
  constructor(private readonly source: RouteSource) {}

  async locate(): Promise<WorkspaceLocation> {
    const found = await this.source.find();
    if (!found) return { state: 'missing', address: null };
    return { state: found.state === 'running' ? 'running' : 'stopped', address: null };
  }

  /** A byte stream to `port` of the workspace (what the forwarder's loopback dial should use here). */
  dial(port: number): Promise<Duplex> {
    return this.source.dial(port);
  }

  async watchListening(onScan: (ports: Map<number, Listening>) => void, signal: AbortSignal): Promise<void> {
    const target = await this.source.execTarget();
    const read = scanReader((ports) => {
      for (const [port, listening] of ports) ports.set(port, { ...listening, direct: false });
      onScan(ports);
    });
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        read(chunk.toString());
        done();
      },
    });
    const { Exec } = await kubernetesClient();
    const ws: WebSocketLike = await new Exec(target.config).exec(
      target.namespace,
      target.pod,
      CONTAINER,
      SCAN_COMMAND,
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
