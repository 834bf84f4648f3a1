import net from 'node:net';

/** A tiny HTTP server in perl (perl-base is in every Debian image): "hello from PORT". */
export const PERL_SERVER = `use strict; use warnings; use IO::Socket::INET;
my ($port, $addr) = (@ARGV, '0.0.0.0');
my $s = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port, Listen => 64, ReuseAddr => 1) or die "listen: $!";
$SIG{CHLD} = 'IGNORE';
while (my $c = $s->accept) {
  next if fork;
  while (my $l = <$c>) { last if $l =~ /^\\r?\\n$/ }
  my $b = "hello from $port\\n";
  print $c "HTTP/1.0 200 OK\\r\\nContent-Length: " . length($b) . "\\r\\nConnection: close\\r\\n\\r\\n$b";
  close $c; exit 0;
}
`;

/**
 * A port free on this machine right now (so "same local port" can be expected), below the kernel's
 * ephemeral range (32768–60999): the engine publishes workspaces' SSH and code-server on ephemeral
 * ports, and one of those once took a port chosen here before its workspace's forward did.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

/** GET url until it answers with `body` (bounded); resolves to the last answer or error text. */
export async function answers(url: string, body: string, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      last = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
      if (last === body) return last;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return last;
}
