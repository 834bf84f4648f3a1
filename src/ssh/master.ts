import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { backoff } from '../wait/backoff.js';

/**
 * Where a master's socket goes: `<home>/run`, else (a socket path must stay short) the temp folder.
 * One per home, kind and key (an engine's host, a workspace), so the next forwarder service finds
 * the socket a killed one left and ends that master before it makes its own.
 */
export function masterSocket(home: string, kind: 'engine' | 'ws', key: string): string {
  const id = createHash('sha256').update(`${home}\n${key}`).digest('hex').slice(0, 12);
  const inHome = path.join(home, 'run', `${kind}-${id}.sock`);
  if (inHome.length <= 100) return inHome;
  return path.join(os.tmpdir(), `devc-${process.getuid?.() ?? 'u'}-${kind}-${id}.sock`);
}

/**
 * One long-lived SSH connection (an OpenSSH ControlMaster this process owns) to a host that reaches
 * the ports wanted: an ssh:// engine's host (container addresses route there), or a workspace's own
 * sshd (its loopback). Each address and port gets one `ssh -O forward -L 127.0.0.1:P:ADDRESS:PORT` of
 * that master on first use, and each connection is a plain connection to 127.0.0.1:P: no process per
 * connection, one round trip for the channel, as with `ssh -L` (measured against `-W` per connection
 * in docs/ports.md). A master that has ended (killed, the network dropped it after a sleep, the
 * workspace stopped) is made again, with its forwards, on the next connection; it is stopped by
 * `stop()` or when this process exits. It listens on 127.0.0.1 only.
 */
export class SshMaster {
  private master: { child: ChildProcess; ready: Promise<void> } | undefined;
  /** ADDRESS:PORT → the master's local port for it; they go with the master they were added to. */
  private readonly forwards = new Map<string, Promise<number>>();
  private forwardsOf: unknown;
  private stopped = false;

  /**
   * `destination`: ssh's options and host, last (`[-l user] [-p port] -- host`, or devc's own
   * arguments for a workspace); `what`: the host as errors name it ("the engine's host").
   */
  constructor(
    private readonly destination: string[],
    private readonly socket: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly what: string,
  ) {}

  async dial(address: string, port: number): Promise<Duplex> {
    await this.ensureMaster();
    try {
      return await connectLocal(await this.forward(address, port));
    } catch {
      // The master ended between the look and the connection: once more with a fresh one.
      this.master?.child.kill();
      this.master = undefined;
      await this.ensureMaster();
      return connectLocal(await this.forward(address, port));
    }
  }

  /** Ends the master (its forwards with it); a later dial makes none. */
  stop(): void {
    this.stopped = true;
    this.master?.child.kill();
    this.master = undefined;
  }

  /** The master's 127.0.0.1 listener for ADDRESS:PORT, added on first use. */
  private forward(address: string, port: number): Promise<number> {
    const master = this.master;
    const key = `${address}:${port}`;
    let made = this.forwards.get(key);
    if (!made || master !== this.forwardsOf) {
      if (master !== this.forwardsOf) this.forwards.clear();
      this.forwardsOf = master;
      made = this.addForward(address, port);
      this.forwards.set(key, made);
      made.catch(() => this.forwards.delete(key));
    }
    return made;
  }

  /** `ssh -O forward -L 127.0.0.1:P:ADDRESS:PORT` on a free P (another taking it first: tried again). */
  private async addForward(address: string, port: number): Promise<number> {
    const target = address.includes(':') ? `[${address}]` : address;
    let failure = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const local = await freeLocalPort();
      const run = await this.control(['-O', 'forward', '-L', `127.0.0.1:${local}:${target}:${port}`]);
      if (run.code === 0) return local;
      failure = run.stderr;
    }
    throw new Error(`${this.what} refused a forward to ${address}:${port}: ${failure}`);
  }

  private async ensureMaster(): Promise<void> {
    if (this.stopped) throw new Error(`the connection to ${this.what} was closed`);
    const known = this.master;
    // A master killed a moment ago whose exit is not seen yet took its listeners with it: the
    // connection to one fails, and dial() makes a fresh master.
    if (known && known.child.exitCode === null && known.child.signalCode === null) return known.ready;
    if (!this.master || this.master === known) this.master = this.startMaster();
    const made = this.master;
    made.ready.catch(() => {
      if (this.master === made) this.master = undefined;
    });
    return made.ready;
  }

  private startMaster(): { child: ChildProcess; ready: Promise<void> } {
    mkdirSync(path.dirname(this.socket), { recursive: true, mode: 0o700 });
    // A socket left by a master whose service was killed: that master is told to go (if it still
    // runs), else ssh would refuse to make a master on a path that exists.
    if (existsSync(this.socket)) {
      spawnSync('ssh', ['-S', this.socket, '-O', 'exit', ...this.destination], {
        stdio: 'ignore',
        env: this.env,
        timeout: 5000,
      });
      rmSync(this.socket, { force: true });
    }
    const child = spawn(
      'ssh',
      [
        '-M',
        '-S',
        this.socket,
        '-N',
        '-o',
        'ControlPersist=no',
        // A dead network ends the master within ~45 s, so the next connection makes a fresh one.
        '-o',
        'ServerAliveInterval=15',
        '-o',
        'ServerAliveCountMax=3',
        '-o',
        'ConnectTimeout=10',
        '-o',
        'BatchMode=yes',
        // The user's LocalForward/RemoteForward for that host are theirs, not the forwarder's to open.
        '-o',
        'ClearAllForwardings=yes',
        ...this.destination,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: this.env },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const stop = (): void => void child.kill();
    process.once('exit', stop);
    child.once('exit', () => process.off('exit', stop));
    return { child, ready: this.waitReady(child, () => stderr) };
  }

  /** Until `ssh -O check` answers through the socket, or the master has given up. */
  private async waitReady(child: ChildProcess, stderr: () => string): Promise<void> {
    const tick = backoff({ first: 20, max: 250, deadline: Date.now() + 30_000 });
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`ssh to ${this.what} ended: ${stderr().trim() || 'no message'}`);
      if ((await this.control(['-O', 'check'])).code === 0) return;
      if (tick.expired()) {
        child.kill();
        throw new Error(`ssh to ${this.what} did not come up in 30 s: ${stderr().trim()}`);
      }
      await tick.pause();
    }
  }

  /** `ssh -S SOCKET <args> HOST`: a request to the master (check, forward, exit). */
  private control(args: string[]): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve) => {
      const run = spawn('ssh', ['-S', this.socket, ...args, ...this.destination], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: this.env,
      });
      let stderr = '';
      run.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      run.on('error', () => resolve({ code: 127, stderr: 'ssh did not start' }));
      run.on('close', (code) => resolve({ code: code ?? 1, stderr: stderr.trim() }));
    });
  }
}

/** A free port on 127.0.0.1 now (the master's forward takes it a moment later). */
function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A connection to the master's listener on 127.0.0.1:port, once it has accepted. */
function connectLocal(port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}
