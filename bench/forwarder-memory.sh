#!/usr/bin/env bash
# The forwarder service's memory (target: resident ≤ 60 MB with 10 workspaces forwarding): its VmRSS
# and VmHWM (peak) from /proc/<pid>/status with 1 workspace forwarding, then 10, each port having
# carried BENCH_REQUESTS HTTP requests and one BENCH_MIB MiB download, and the resident memory of any
# process the service started (the port scans go through the Engine API socket, so none is expected).
# Prints table rows like the other benchmarks. Needs the Docker engine and dev8-base.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
COUNT="${BENCH_WORKSPACES:-10}"
REQUESTS="${BENCH_REQUESTS:-50}"
MIB="${BENCH_MIB:-64}"

work="$(mktemp -d)"
export DEVC_HOME="$work/home" CI=1
prefix="benchfm$$"
cleanup() {
  for i in $(seq 1 "$COUNT"); do ./bin/devc delete -w "$prefix-w$i" --force >/dev/null 2>&1 & done
  wait
  rm -rf "$work"
}
trap cleanup EXIT

# "hello" to a GET, or MIB mebibytes to GET /big.
cat >"$work/server.pl" <<'PERL'
use strict; use warnings; use IO::Socket::INET;
my ($port, $mib) = @ARGV;
my $s = IO::Socket::INET->new(LocalAddr => '0.0.0.0', LocalPort => $port, Listen => 64, ReuseAddr => 1) or die "listen: $!";
$SIG{CHLD} = 'IGNORE';
my $chunk = "\0" x (1 << 20);
while (my $c = $s->accept) {
  next if fork;
  my $first = <$c> // '';
  while (my $l = <$c>) { last if $l =~ /^\r?\n$/ }
  if ($first =~ m{^GET /big}) {
    print $c "HTTP/1.0 200 OK\r\nContent-Length: " . ($mib << 20) . "\r\n\r\n";
    print $c $chunk for 1 .. $mib;
  } else { print $c "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n"; }
  close $c; exit 0;
}
PERL

port_of() { echo $((21000 + $1)); }

# up_workspace I: a local tree with the server, brought up, its server started inside.
up_workspace() {
  local name="$prefix-w$1" dir="$work/$prefix-w$1"
  mkdir -p "$dir" && cp "$work/server.pl" "$dir/"
  ./bin/devc up "$dir" --name "$name" >/dev/null 2>"$work/up-$1.log" || { cat "$work/up-$1.log" >&2; return 1; }
  docker exec -u dev -d "devc-$name" perl "/workspaces/$name/server.pl" "$(port_of "$1")" "$MIB"
}

# exercise I: waits until workspace I's port answers through the forwarder, then sends it traffic.
exercise() {
  local url="http://127.0.0.1:$(port_of "$1")"
  for _ in $(seq 300); do curl -fsS -m 2 "$url/" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fsS -m 5 "$url/" >/dev/null || { echo "workspace $1 does not answer on $url" >&2; return 1; }
  for _ in $(seq "$REQUESTS"); do curl -fsS -m 5 "$url/" >/dev/null; done
  [ "$MIB" -eq 0 ] || curl -fsS -m 60 "$url/big" -o /dev/null
}

# measure N: a table row with the service's resident memory while N workspaces forward.
measure() {
  local pid children=0 rss hwm
  pid="$(cat "$DEVC_HOME/forwarder/pid")"
  sleep "${BENCH_SETTLE:-12}" # a few scans in, after the traffic
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  for c in $(pgrep -P "$pid" || true); do
    children=$((children + $(awk '/^VmRSS/ {print $2}' "/proc/$c/status" 2>/dev/null || echo 0)))
  done
  local forwarders=0 p
  for p in $(pgrep -f "$ROOT/dist/transport/forwarder-main.js" || true); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "DEVC_HOME=$DEVC_HOME" && forwarders=$((forwarders + 1))
  done
  awk -v n="$1" -v rss="$rss" -v hwm="$hwm" -v ch="$children" -v f="$forwarders" 'BEGIN {
    printf "| forwarder service, %d workspace%s forwarding | %.1f MB resident (peak %.1f MB; its child processes %.1f MB; %d forwarder process%s) | target ≤ 60 MB | %.2f× |\n",
      n, n == 1 ? "" : "s", rss / 1024, hwm / 1024, ch / 1024, f, f == 1 ? "" : "es", rss / 1024 / 60 }'
}

up_workspace 1
exercise 1
measure 1

for i in $(seq 2 "$COUNT"); do up_workspace "$i" & done
wait
for i in $(seq 2 "$COUNT"); do exercise "$i" & done
wait
measure "$COUNT"
