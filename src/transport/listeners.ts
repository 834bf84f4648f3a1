import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { ForwardSpec } from '../ports/config.js';
import { portUrl, type PortStatus } from '../ports/files.js';
import { readWithReusedBuffer, splice } from './splice.js';

/** Opens one connection to `remote` inside the workspace for `client`, the connection it serves. */
export type Dial = (remote: number, client: net.Socket) => Promise<Duplex>;

interface Bound {
  server: net.Server;
  local: number;
  spec: ForwardSpec;
  sockets: Set<Duplex>;
}

/**
 * The 127.0.0.1 listeners of one forwarder, one per forwarded port, and the connections they relay:
 * each connection is dialled with `dial` and spliced to it.
 */
export class Listeners {
  private readonly bound = new Map<number, Bound>();
  private readonly failed = new Map<number, { spec: ForwardSpec; message: string }>();
  /** remote → local, so a port keeps its local number when it is forwarded again. */
  private readonly assigned = new Map<number, number>();

  constructor(
    private readonly dial: Dial,
    private readonly log: (line: string) => void,
  ) {}

  /** Remembers local ports from an earlier run, so they stay the same after a restart. */
  remember(previous: PortStatus[]): void {
    for (const p of previous) if (p.local !== null) this.assigned.set(p.remote, p.local);
  }

  /** Binds, moves and drops listeners so that exactly the `wanted` ports (by remote) are forwarded. */
  async reconcile(wanted: Map<number, ForwardSpec>): Promise<void> {
    for (const [remote, b] of this.bound) {
      const spec = wanted.get(remote);
      if (!spec || (spec.local !== undefined && spec.local !== b.local)) this.unbind(remote);
      else b.spec = spec;
    }
    for (const remote of this.failed.keys()) if (!wanted.has(remote)) this.failed.delete(remote);
    for (const spec of wanted.values()) if (!this.bound.has(spec.remote)) await this.bind(spec);
  }

  /** Closes every listener and the connections it carries. */
  closeAll(): void {
    for (const remote of [...this.bound.keys()]) this.unbind(remote);
  }

  /** Forwarded and failed ports as `devc ports` shows them, sorted by remote port. */
  statuses(listening: (remote: number) => boolean): PortStatus[] {
    const ports: PortStatus[] = [];
    for (const [remote, b] of this.bound) {
      const moved = b.spec.local === undefined && b.local !== remote;
      ports.push({
        remote,
        local: b.local,
        label: b.spec.label,
        source: b.spec.source,
        state: 'forwarded',
        listening: listening(remote),
        url: portUrl(b.local, b.spec.protocol),
        message: moved ? `local port ${remote} was taken; using ${b.local}` : null,
      });
    }
    for (const [remote, f] of this.failed) {
      ports.push({
        remote,
        local: null,
        label: f.spec.label,
        source: f.spec.source,
        state: 'failed',
        listening: listening(remote),
        url: null,
        message: f.message,
      });
    }
    return ports.sort((a, b) => a.remote - b.remote);
  }

  private async bind(spec: ForwardSpec): Promise<void> {
    const preferred = spec.local ?? this.assigned.get(spec.remote) ?? spec.remote;
    let server = await this.listen(spec.remote, preferred).catch((error: NodeJS.ErrnoException) => error);
    if (server instanceof Error) {
      const why = server.code === 'EACCES' ? 'needs privileges' : 'taken';
      if (spec.requireLocal) {
        const because =
          spec.local !== undefined ? 'it was asked for' : 'portsAttributes sets requireLocalPort';
        const message = `local port ${preferred} is ${why}, and ${because}`;
        if (this.failed.get(spec.remote)?.message !== message) this.log(`port ${spec.remote}: ${message}`);
        this.failed.set(spec.remote, { spec, message });
        return;
      }
      server = await this.listen(spec.remote, 0).catch((error: Error) => error);
      if (server instanceof Error) {
        this.failed.set(spec.remote, { spec, message: `can't listen on 127.0.0.1: ${server.message}` });
        return;
      }
    }
    const local = (server.address() as net.AddressInfo).port;
    this.failed.delete(spec.remote);
    this.assigned.set(spec.remote, local);
    this.bound.set(spec.remote, { server, local, spec, sockets: new Set() });
    this.log(`forwarding ${spec.remote} → 127.0.0.1:${local} (${spec.source})`);
  }

  private listen(remote: number, port: number): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const server = net.createServer(
        { allowHalfOpen: true, pauseOnConnect: true },
        (socket) => void this.onConnection(remote, socket),
      );
      server.once('error', reject);
      // 127.0.0.1 only: nothing devc opens is reachable from another machine.
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (error) => this.log(`listener for ${remote}: ${error.message}`));
        resolve(server);
      });
    });
  }

  private unbind(remote: number): void {
    const b = this.bound.get(remote);
    if (!b) return;
    b.server.close();
    for (const s of b.sockets) s.destroy();
    this.bound.delete(remote);
    this.log(`stopped forwarding ${remote}`);
  }

  private async onConnection(remote: number, accepted: net.Socket): Promise<void> {
    let upstream: Duplex | null = null;
    // Reads start only once both sockets are joined (splice), so `upstream` is set by then.
    const client = readWithReusedBuffer(accepted, () => upstream!);
    client.on('error', () => undefined);
    upstream = await this.dial(remote, client).catch(() => null);
    const b = this.bound.get(remote);
    if (!upstream || !b || client.destroyed) {
      client.destroy();
      upstream?.destroy();
      return;
    }
    b.sockets.add(client);
    b.sockets.add(upstream);
    await splice(client, upstream);
    b.sockets.delete(client);
    b.sockets.delete(upstream);
  }
}
