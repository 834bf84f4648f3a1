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
