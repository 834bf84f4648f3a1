import { stat } from 'node:fs/promises';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { desiredForwards, emptyRequests, type ForwardSpec, type PortsConfig } from '../ports/config.js';
import {
  portUrl,
  readPortsConfig,
  readRequests,
  writeJsonAtomic,
  type ForwarderState,
  type PortFiles,
  type PortStatus,
} from '../ports/files.js';
import type { Listening } from '../ports/proc-net.js';
import type { WorkspaceRoute } from './route.js';
import { connectTcp, splice } from './splice.js';

export interface ForwarderOptions {
  workspace: string;
  files: PortFiles;
  route: WorkspaceRoute;
  /** Reaches a port bound only to the workspace's loopback (e.g. through its sshd). */
  dialLoopback?: (port: number) => Promise<Duplex>;
  log: (line: string) => void;
}

interface Bound {
  server: net.Server;
  local: number;
  spec: ForwardSpec;
  sockets: Set<Duplex>;
}

/**
 * The background forwarder of one workspace: a 127.0.0.1 listener per forwarded port, each connection
 * dialled straight to the workspace. Listeners outlive workspace restarts: while the workspace is
 * down a connection is closed at once, and once it is back connections reach it again.
 */
export class Forwarder {
  private readonly bound = new Map<number, Bound>();
  private readonly failed = new Map<number, { spec: ForwardSpec; message: string }>();
  /** remote → local, so a port keeps its local number when it is forwarded again. */
  private readonly assigned = new Map<number, number>();
  private listening = new Map<number, Listening>();
  private config: PortsConfig = {};
  private requests = emptyRequests();
  private location: { state: ForwarderState['workspaceState']; address: string | null } = {
    state: 'unknown',
    address: null,
  };
  private readonly abort = new AbortController();
  private queue: Promise<void> = Promise.resolve();
  private fileStamps = '';
  private written = '';
  private lastRelocate = 0;

  constructor(private readonly options: ForwarderOptions) {}

  /** Remembers local ports from an earlier run, so they stay the same after a restart. */
  remember(previous: PortStatus[]): void {
    for (const p of previous) if (p.local !== null) this.assigned.set(p.remote, p.local);
  }

  /** Runs until `stop()` or until the workspace is gone. */
  async run(): Promise<void> {
    const { route, log } = this.options;
    await this.reloadFiles();
    const poll = setInterval(() => void this.reloadFiles(), 250);
    let delay = 1000;
    try {
      while (!this.abort.signal.aborted) {
        const where = await route.locate().catch((error: unknown) => {
          log(`can't locate the workspace: ${String(error)}`);
          return { state: 'unknown' as const, address: null };
        });
        if (where.state === 'missing') {
          log('the workspace is gone; stopping');
          this.location = { state: 'missing', address: null };
          break;
        }
        if (where.state !== this.location.state || where.address !== this.location.address)
          log(`workspace ${where.state}${where.address ? ` at ${where.address}` : ''}`);
        this.location = where;
        this.schedule();
        if (where.state === 'running') {
          delay = 1000;
          await route
            .watchListening((scan) => this.onScan(scan), this.abort.signal)
            .catch((error: unknown) => log(`port scan ended: ${String(error)}`));
          this.onScan(new Map());
          await sleep(500, this.abort.signal);
        } else {
          await sleep(delay, this.abort.signal);
          delay = Math.min(delay * 1.5, 5000);
        }
      }
    } finally {
      clearInterval(poll);
      await this.queue;
      for (const remote of [...this.bound.keys()]) this.unbind(remote);
    }
  }

  stop(): void {
    this.abort.abort();
  }

  private onScan(scan: Map<number, Listening>): void {
    const key = (m: Map<number, Listening>) =>
      [...m.values()].map((l) => `${l.port}${l.direct ? '' : 'L'}`).join(',');
    if (key(scan) === key(this.listening)) return;
    this.listening = scan;
    this.schedule();
  }

  private async reloadFiles(): Promise<void> {
    const { files } = this.options;
    const stamp = async (f: string) =>
      stat(f).then(
        (s) => `${s.mtimeMs}:${s.size}`,
        () => '-',
      );
    const stamps = `${await stamp(files.config)}|${await stamp(files.requests)}`;
    if (stamps === this.fileStamps) return;
    this.fileStamps = stamps;
    this.config = await readPortsConfig(files);
    this.requests = await readRequests(files);
    this.schedule();
  }

  /** Reconciles listeners with what is wanted; calls are queued so they never overlap. */
  private schedule(): void {
    this.queue = this.queue.then(
      () => this.reconcile(),
      () => this.reconcile(),
    );
  }

  private async reconcile(): Promise<void> {
    const wanted = new Map(
      desiredForwards(this.config, this.requests, this.listening.keys()).map((s) => [s.remote, s]),
    );
    for (const [remote, b] of this.bound) {
      const spec = wanted.get(remote);
      if (!spec || (spec.local !== undefined && spec.local !== b.local)) this.unbind(remote);
      else b.spec = spec;
    }
    for (const remote of this.failed.keys()) if (!wanted.has(remote)) this.failed.delete(remote);
    for (const spec of wanted.values()) if (!this.bound.has(spec.remote)) await this.bind(spec);
    await this.writeState();
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
        if (this.failed.get(spec.remote)?.message !== message)
          this.options.log(`port ${spec.remote}: ${message}`);
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
    this.options.log(`forwarding ${spec.remote} → 127.0.0.1:${local} (${spec.source})`);
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
        server.on('error', (error) => this.options.log(`listener for ${remote}: ${error.message}`));
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
    this.options.log(`stopped forwarding ${remote}`);
  }

  private async onConnection(remote: number, client: net.Socket): Promise<void> {
    client.on('error', () => undefined);
    const upstream = await this.dial(remote).catch(() => null);
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

  /** Straight to the workspace's address; once more with a fresh address when that fails. */
  private async dial(remote: number): Promise<Duplex> {
    const seen = this.listening.get(remote);
    if (seen && !seen.direct && this.options.dialLoopback) return this.options.dialLoopback(remote);
    if (this.options.route.dial) return this.options.route.dial(remote);
    const address = this.location.address ?? (await this.relocate());
    if (!address) throw new Error('the workspace is not running');
    try {
      return await connectTcp(address, remote);
    } catch (error) {
      const fresh = await this.relocate();
      if (fresh && fresh !== address) return connectTcp(fresh, remote);
      throw error;
    }
  }

  /** Asks the engine where the workspace is now (at most once a second). */
  private async relocate(): Promise<string | null> {
    if (Date.now() - this.lastRelocate < 1000) return this.location.address;
    this.lastRelocate = Date.now();
    const where = await this.options.route.locate().catch(() => null);
    if (where && where.state !== 'missing') this.location = where;
    return this.location.address;
  }

  private async writeState(): Promise<void> {
    const ports: PortStatus[] = [];
    for (const [remote, b] of this.bound) {
      const moved = b.spec.local === undefined && b.local !== remote;
      ports.push({
        remote,
        local: b.local,
        label: b.spec.label,
        source: b.spec.source,
        state: 'forwarded',
        listening: this.listening.has(remote),
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
        listening: this.listening.has(remote),
        url: null,
        message: f.message,
      });
    }
    ports.sort((a, b) => a.remote - b.remote);
    const state: Omit<ForwarderState, 'updatedAt'> = {
      pid: process.pid,
      workspace: this.options.workspace,
      generation: this.requests.generation,
      workspaceState: this.location.state,
      address: this.location.address,
      ports,
    };
    const text = JSON.stringify(state);
    if (text === this.written) return;
    this.written = text;
    try {
      await writeJsonAtomic(
        this.options.files.state,
        { ...state, updatedAt: new Date().toISOString() },
        false,
      );
    } catch (error) {
      // devc's folder for the workspace is gone (deleted with it): nothing left to forward for.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.options.log('the workspace folder is gone; stopping');
      this.stop();
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
