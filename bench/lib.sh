# Shared helpers for bench/*.sh: side-by-side timing with hyperfine, ratios printed as a table row.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
RESULTS="$BENCH_DIR/results"
mkdir -p "$RESULTS"
command -v hyperfine >/dev/null || { apt-get install -y -qq hyperfine >/dev/null; }

# ratio NAME JSON: prints "NAME | first mean | second mean | ratio (second/first)" from a hyperfine export.
ratio() {
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8")).results;
    const ms = (x) => (x.mean * 1000).toFixed(1) + " ms";
    const [a, b] = r;
    console.log(`| ${process.argv[1]} | ${b.command} ${ms(b)} | ${a.command} ${ms(a)} | ${(b.mean / a.mean).toFixed(2)}× |`);
  ' "$1" "$2"
}

# bench_repo DIR: DIR as a git repository with what it holds (a README when empty) in one commit.
bench_repo() {
  mkdir -p "$1"
  [ -n "$(ls -A "$1")" ] || echo "# bench" >"$1/README.md"
  git init -q -b main "$1"
  git -C "$1" add -A && git -C "$1" -c user.name=b -c user.email=b@example.invalid commit -qm init
}

# bench_home: a throwaway DEVC_HOME and $work folder; on exit, workspace $name goes and both are removed.
bench_home() {
  export DEVC_HOME CI=1
  DEVC_HOME=$(mktemp -d /tmp/devc-bench-home-XXXXXX)
  work=$(mktemp -d /tmp/devc-bench-repo-XXXXXX)
  trap bench_cleanup EXIT
}

bench_cleanup() {
  ./bin/devc delete -w "$name" --force >/dev/null 2>&1 || true
  rm -rf "$DEVC_HOME" "$work"
}
