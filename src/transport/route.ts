import type { Duplex } from 'node:stream';
import { UsageError } from '../errors.js';
import type { Listening } from '../ports/proc-net.js';
import type { BackendKind } from '../workspace/model.js';

/** Where the workspace is, as the forwarder sees it. */
export interface Location {
  state: 'running' | 'stopped' | 'missing';
  /** The address its ports answer on from this machine (Docker: the container's bridge IP). */
  address: string | null;
}

/**
 * How the forwarder reaches any port of one workspace. Connections go straight to `address` (no
 * `docker exec` stdio on the data path); only the listening-port scan goes through the engine.
 */
export interface WorkspaceRoute {
  locate(): Promise<Location>;
  /**
   * Calls `onScan` with the ports listening inside the workspace about once a second; resolves when
   * the scan ends (the workspace stopped, or it ran for a while and should be restarted).
   */
  watchListening(onScan: (ports: Map<number, Listening>) => void, signal: AbortSignal): Promise<void>;
  /**
   * Optional: opens one connection to `port` inside the workspace, for engines whose workspaces have no
   * address this machine can reach (Kubernetes: the API server's port-forward). Without it, the
   * forwarder connects to `locate().address` itself.
   */
  dial?(port: number): Promise<Duplex>;
}

/** The one place a route is chosen per backend; each is imported lazily. */
export async function routeFor(kind: BackendKind, workspace: string): Promise<WorkspaceRoute> {
  switch (kind) {
    case 'docker': {
      const { DockerRoute } = await import('./docker-route.js');
      return new DockerRoute(workspace);
    }
    case 'kubernetes': {
      const { KubernetesRoute } = await import('../backends/kubernetes/route.js');
      return new KubernetesRoute(workspace);
    }
    default: {
      const never: never = kind;
      throw new UsageError(`Unknown backend "${String(never)}".`);
    }
  }
}

/** Whether the forwarder can reach workspaces of this backend (both can). */
export function canForward(kind: BackendKind): boolean {
  return kind === 'docker' || kind === 'kubernetes';
}
