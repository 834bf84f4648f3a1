# One perl server, three modes: `sink` reads to EOF then closes; `source` sends MIB mebibytes then
# closes; `echo` answers one read and closes.
use strict; use warnings; use IO::Socket::INET;
my ($mode, $port, $addr, $mib) = (@ARGV, '0.0.0.0', 0);
my $s = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port, Listen => 128, ReuseAddr => 1) or die "listen: $!";
my $out = "\0" x (1 << 20);
while (my $c = $s->accept) {
  setsockopt($c, 6, 1, 1); # TCP_NODELAY
  my $buf;
  if ($mode eq 'sink') { while (sysread($c, $buf, 1 << 20)) {} }
  elsif ($mode eq 'source') { # a reader that leaves early (wait_port's probe) ends this one only
    local $SIG{PIPE} = 'IGNORE';
    SEND: for (1 .. $mib) { my $off = 0; while ($off < length $out) { $off += syswrite($c, $out, length($out) - $off, $off) // last SEND; } }
  }
  else { sysread($c, $buf, 64); syswrite($c, $buf); }
  close $c;
}
