import { stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WorkspaceRoute } from '../backends/backend.js';
import { desiredForwards, emptyRequests, type PortsConfig } from '../ports/config.js';
import {
  readPortsConfig,
  readRequests,
  writeJsonAtomic,
  type ForwarderState,
  type PortFiles,
  type PortStatus,
} from '../ports/files.js';
import type { Listening } from '../ports/proc-net.js';
import { Listeners } from './listeners.js';
import { connectTcp } from './splice.js';
import { backoff, sleep } from '../wait/backoff.js';

export interface ForwarderOptions {
  workspace: string;
  files: PortFiles;
  route: WorkspaceRoute;
  /** Reaches a port bound only to the workspace's loopback (e.g. through its sshd). */
  dialLoopback?: (port: number) => Promise<Duplex>;
  log: (line: string) => void;
}

/**
 * The background forwarder of one workspace: follows the workspace (where it is, which ports listen
 * in it) and the port files, keeps a 127.0.0.1 listener per forwarded port (listeners.ts), and dials
 * each connection straight to the workspace. Listeners outlive workspace restarts: while the workspace
 * is down a connection is closed at once, and once it is back connections reach it again.
 */
export class Forwarder {
  private readonly listeners: Listeners;
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

  constructor(private readonly options: ForwarderOptions) {
    this.listeners = new Listeners((remote, client) => this.dial(remote, client), options.log);
  }

  /** Remembers local ports from an earlier run, so they stay the same after a restart. */
  remember(previous: PortStatus[]): void {
    this.listeners.remember(previous);
  }

  /** Runs until `stop()` or until the workspace is gone. */
  async run(): Promise<void> {
    const { route, log } = this.options;
    await this.reloadFiles();
    const poll = setInterval(() => void this.reloadFiles(), 250);
    // Slower and slower while the workspace is not running; from the start again once it has run.
    const wait = backoff({ first: 1000, max: 5000, signal: this.abort.signal });
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
          wait.reset();
          await route
            .watchListening((scan) => this.onScan(scan), this.abort.signal)
            .catch((error: unknown) => log(`port scan ended: ${String(error)}`));
          this.onScan(new Map());
          await sleep(500, this.abort.signal);
        } else {
          await wait.pause();
        }
      }
    } finally {
      clearInterval(poll);
      await this.queue;
      this.listeners.closeAll();
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
    await this.listeners.reconcile(wanted);
    await this.writeState();
  }

  /** Straight to the workspace's address; once more with a fresh address when that fails. */
  private async dial(remote: number, client: Socket): Promise<Duplex> {
    const seen = this.listening.get(remote);
    if (seen && !seen.direct && this.options.dialLoopback) return this.options.dialLoopback(remote);
    if (this.options.route.dial) return this.options.route.dial(remote);
    const address = this.location.address ?? (await this.relocate());
    if (!address) throw new Error('the workspace is not running');
    try {
      return await connectTcp(address, remote, client);
    } catch (error) {
      const fresh = await this.relocate();
      if (fresh && fresh !== address) return connectTcp(fresh, remote, client);
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
    const ports = this.listeners.statuses((remote) => this.listening.has(remote));
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
