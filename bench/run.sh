#!/usr/bin/env bash
# The project's benchmark: async-lint against the syn parse-only floor, in one run.
#
#   bench/run.sh [-n RUNS] [-t THREADS] [CORPUS_DIR...]
#
# Default corpora: /tmp/direct (the 38 async crates) and /tmp/async-corpus (all 704 crates); make
# them with ../shared/corpus/fetch.sh (see ../shared/bench/README.md). For each corpus it runs,
# alternately and RUNS times (default 5) after one warm-up each, with RAYON_NUM_THREADS=THREADS
# (default 2):
#   floor  parse-floor --mode parse           (../shared/bench/parse-floor)
#   cold   async-lint --format json --no-cache (every file read, parsed, walked)
#   warm   async-lint --format json            (rerun on an unchanged tree: the cache is primed)
# and prints the median wall time, CPU time (user+sys) and peak RSS of each, and the ratios to the
# floor. The machine is shared and noisy: quote ratios from one run, not absolute seconds. CPU
# ratios are steadier than wall ratios when other work competes for the cores.
set -euo pipefail
runs=5; threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs=$2; shift 2 ;;
    -t) threads=$2; shift 2 ;;
    *) break ;;
  esac
done
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared=""
for c in "${ASYNC_LINT_SHARED:-}" "$root/../shared" "$root/../../shared" /work/shared; do
  if [ -n "$c" ] && [ -d "$c/bench/parse-floor" ]; then shared="$(cd "$c" && pwd)"; break; fi
done
[ -n "$shared" ] || { echo "cannot find shared/bench/parse-floor; set ASYNC_LINT_SHARED" >&2; exit 2; }
# The shared tree may be read-only: build the floor into this repository's target dir.
floor_target="$root/target/parse-floor"
(cd "$shared/bench/parse-floor" && CARGO_TARGET_DIR="$floor_target" cargo build --release --quiet)
(cd "$root" && cargo build --release --quiet --bin async-lint)
floor="$floor_target/release/parse-floor"
lint="$root/target/release/async-lint"
[ $# -gt 0 ] || set -- /tmp/direct /tmp/async-corpus
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
one() { # label, command...: appends "wall cpu rss_kb"
  local label=$1; shift
  RAYON_NUM_THREADS=$threads /usr/bin/time -f '%e %U %S %M' -o "$work/t" "$@" >/dev/null 2>"$work/err" || true
  awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' <(tail -1 "$work/t") >> "$work/$label"
}
for corpus in "$@"; do
  [ -d "$corpus" ] || { echo "skip $corpus: not a directory" >&2; continue; }
  rm -f "$work"/floor "$work"/cold "$work"/warm
  # The corpus is named as a directory, as the floor and ../shared/bench/compare.sh name it (its
  # crates are vendored copies, linted because they sit right inside the named directory). The
  # cache goes to the scratch dir.
  cd "$work"
  one warmup "$floor" --mode parse --quiet "$corpus"
  one warmup "$lint" --format json --no-cache "$corpus"
  one warmup "$lint" --format json --cache-dir "$work/cache" "$corpus"   # primes the cache
  for _ in $(seq "$runs"); do
    one floor "$floor" --mode parse --quiet "$corpus"
    one cold "$lint" --format json --no-cache "$corpus"
    one warm "$lint" --format json --cache-dir "$work/cache" "$corpus"
  done
  rm -rf "$work/cache"
  cd - >/dev/null
  echo "== $corpus ($(find "$corpus" -name '*.rs' | wc -l) files, $(du -sh "$corpus" | cut -f1)), $runs runs, $threads threads"
  python3 - "$work" <<'PY'
import statistics, sys
d = sys.argv[1]
def load(name):
    rows = [tuple(map(float, l.split())) for l in open(f"{d}/{name}") if l.strip()]
    return [statistics.median(r[i] for r in rows) for i in range(3)]
f = load("floor")
print(f"{'':7}{'wall s':>9}{'cpu s':>9}{'peak MiB':>10}{'wall/floor':>12}{'cpu/floor':>11}{'rss/floor':>11}")
for name in ("floor", "cold", "warm"):
    w, c, m = load(name)
    print(f"{name:7}{w:9.2f}{c:9.2f}{m/1024:10.0f}{w/f[0]:11.2f}x{c/f[1]:10.2f}x{m/f[2]:10.2f}x")
PY
done
