import { spawn } from 'node:child_process';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { addressesRoutable, engineKind } from './engine-kind.js';

/**
 * A byte relay run in the workspace: connects to HOST PORT there and copies between it and its own
 * stdin and stdout, passing a half-close on (the client's end of input shuts the socket's writing side;
 * the server's end closes the relay). Perl because every Debian and Ubuntu image has it (perl-base is
 * essential there) and dev8 images do; nothing is added to the image or written into the container.
 */
export const RELAY = `use IO::Socket::INET; use IO::Select;
my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => $ARGV[1], Proto => 'tcp') or exit 2;
binmode STDIN; binmode STDOUT;
my $sel = IO::Select->new(\\*STDIN, $s);
while ($sel->count) {
  for my $h ($sel->can_read) {
    my $from_socket = fileno($h) == fileno($s);
    my $n = sysread($h, my $buf, 262144);
    if (!$n) {
      exit 0 if $from_socket;
      $sel->remove($h); shutdown($s, 1); next;
    }
    my $to = $from_socket ? \\*STDOUT : $s;
    for (my $off = 0; $off < $n;) { my $w = syswrite($to, $buf, $n - $off, $off); exit 0 unless $w; $off += $w }
  }
}`;

/**
 * One connection to `port` on the workspace's own loopback, through the engine's connection (`docker
 * exec -i` running the relay above): it needs no route to the container's address, no published port
 * and no key, so it works the same on a local, rootless, remote or Desktop engine (docs/ports.md).
 */
export function dialThroughEngine(container: string, port: number, env?: NodeJS.ProcessEnv): Duplex {
  const child = spawn(
    'docker',
    ['exec', '--interactive', container, 'perl', '-e', RELAY, '127.0.0.1', String(port)],
    { stdio: ['pipe', 'pipe', 'ignore'], ...(env ? { env } : {}) },
  );
  const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
  child.on('error', (error) => stream.destroy(error));
  stream.on('close', () => child.kill());
  return stream;
}

/**
 * `endpoint` on an engine whose container addresses this machine can't reach: one listener per
 * container port, opened on first use and kept for this process; undefined where addresses route.
 */
export class RelayListeners {
  private readonly opened = new Map<string, Promise<{ host: string; port: number; transient: true }>>();
  private routable: Promise<boolean> | undefined;

  async endpoint(
    container: string,
    port: number,
  ): Promise<{ host: string; port: number; transient: true } | undefined> {
    this.routable ??= engineKind().then(addressesRoutable);
    if (await this.routable) return undefined;
    const key = `${container}:${port}`;
    const listener = this.opened.get(key) ?? relayListener(container, port);
    this.opened.set(key, listener);
    return listener;
  }
}

/**
 * A listener on 127.0.0.1 in this process whose every connection goes to `port` of the container
 * through the engine. It lives as long as this process (unref'd: it never keeps it alive).
 */
async function relayListener(
  container: string,
  port: number,
): Promise<{ host: string; port: number; transient: true }> {
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = dialThroughEngine(container, port);
    client.pipe(upstream).pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  server.unref();
  return { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, transient: true };
}
