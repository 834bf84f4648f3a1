import type { Duplex } from 'node:stream';
import type { WorkspaceRoute } from '../backends/backend.js';
import type { Paths } from '../paths.js';
import { sshArgs } from '../ssh/client.js';
import { masterSocket, SshMaster } from '../ssh/master.js';

type Target = { host: string; port: number; user: string };
type MakeMaster = (destination: string[], socket: string, what: string) => Pick<SshMaster, 'dial' | 'stop'>;

/** After the workspace's sshd did not answer, how long connections take the other way without asking again. */
const RETRY_AFTER_MS = 5000;
/**
 * How long the master outlives its last connection. The agent counts every connection to sshd as
 * activity (images/agent/lib/devc-agent/idle.sh): a master kept with nothing on it would hold off the
 * workspace's idle stop for good, where `ssh -W` per connection lasted as long as its connection.
 */
export const LINGER_MS = 15_000;

/**
 * The forwarder's one SSH connection to a workspace's own sshd (an OpenSSH ControlMaster, ssh/master.ts,
 * with devc's key and the pinned host key): a port reached through it costs one `ssh -O forward` on
 * first use and then a channel per connection, one round trip, instead of an SSH handshake (`ssh -W`)
 * or a `docker exec` relay per connection (docs/ports.md). Made on first use; made again at the new
 * address when the workspace comes back elsewhere (a restart publishes sshd on another port). It ends
 * LINGER_MS after its last connection closes, so an idle workspace still stops.
 */
export class WorkspaceSsh {
  private current: { key: string; master: Pick<SshMaster, 'dial' | 'stop'> } | undefined;
  private failedAt = 0;
  /** Connections through the master now, and the timer that ends it when none has been for a while. */
  private open = 0;
  private linger: NodeJS.Timeout | undefined;

  constructor(
    private readonly paths: Paths,
    private readonly workspace: string,
    private readonly route: Pick<WorkspaceRoute, 'sshTarget'>,
    private readonly makeMaster: MakeMaster = (destination, socket, what) =>
      new SshMaster(destination, socket, process.env, what),
  ) {}

  /**
   * A connection to `port` on the workspace's loopback; undefined when its sshd can't be reached from
   * here (no `sshTarget`, a remote engine, not running) or did not answer a moment ago.
   */
  async dial(port: number): Promise<Duplex | undefined> {
    if (!this.route.sshTarget || Date.now() - this.failedAt < RETRY_AFTER_MS) return undefined;
    clearTimeout(this.linger);
    const through = await this.connect(port).catch((error: unknown) => {
      this.lingerIfUnused();
      throw error;
    });
    if (!through) return undefined;
    this.open++;
    through.once('close', () => {
      this.open--;
      this.lingerIfUnused();
    });
    return through;
  }

  stop(): void {
    clearTimeout(this.linger);
    this.current?.master.stop();
    this.current = undefined;
  }

  private lingerIfUnused(): void {
    if (this.open > 0 || !this.current) return;
    clearTimeout(this.linger);
    this.linger = setTimeout(() => {
      if (this.open === 0) this.stop();
    }, LINGER_MS);
    this.linger.unref();
  }

  private async connect(port: number): Promise<Duplex | undefined> {
    // The master known: no question to the engine per connection. Once it fails, the engine is asked
    // where sshd is now.
    for (const fresh of this.current ? [false, true] : [true]) {
      if (fresh) {
        const target = await this.route.sshTarget?.();
        if (!target) return undefined;
        this.use(target);
      }
      try {
        return await this.current!.master.dial('127.0.0.1', port);
      } catch (error) {
        if (fresh) {
          this.failedAt = Date.now();
          throw error;
        }
      }
    }
    return undefined;
  }

  private use(target: Target): void {
    const key = `${target.user}@${target.host}:${target.port}`;
    if (this.current?.key === key) return;
    this.current?.master.stop();
    const args = sshArgs(this.paths, this.workspace, target, { tty: false, user: target.user });
    const socket = masterSocket(this.paths.home, 'ws', this.workspace);
    this.current = { key, master: this.makeMaster(args, socket, `the sshd of ${this.workspace}`) };
  }
}
