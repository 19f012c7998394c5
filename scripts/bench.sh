#!/usr/bin/env bash
# Benchmarks (figures, never pass/fail): the explorer natively, every lab experiment natively,
# and the counter (atomic, mutex) on the browser's worker pool vs native threads as a ratio.
#   scripts/bench.sh [runs] [threads] [increments]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh" --test >/dev/null
source "$ROOT/scripts/env.sh"
cd "$ROOT"
RUNS="${1:-5}"; THREADS="${2:-2}"; INCREMENTS="${3:-5000000}"

echo "== explorer (native, release)"
cargo run --release -q -p lockstep-sim --example explore_bench

echo "== every lesson variant through the explorer (native, release)"
cargo run --release -q --example lessons_explore

echo "== lab experiments (native, release)"
native="$(cargo run --release -q -p lockstep-lab --example lab_bench)"
echo "$native"

echo "== counter: browser worker pool vs native threads (threads=$THREADS increments=$INCREMENTS runs=$RUNS)"
[ -f dist/index.html ] || wasm_env trunk build --release --offline
browser="$(cd tests/e2e && node bench.mjs "$RUNS" "$THREADS" "$INCREMENTS")"
echo "$browser"
for mode in atomic mutex; do
  n="$(echo "$native" | grep "^BENCH counter-$mode threads=$THREADS " | sed -E 's/.*per_sec=([0-9]+).*/\1/' | head -1)"
  b="$(echo "$browser" | grep "^BROWSER counter-$mode " | sed -E 's/.*median_per_sec=([0-9]+).*/\1/')"
  if [ -n "$n" ] && [ -n "$b" ]; then
    python3 -c "import sys; n,b=int(sys.argv[2]),int(sys.argv[3]); print(f'counter-{sys.argv[1]}: native {n/1e6:.1f} M/s, browser {b/1e6:.1f} M/s, browser/native = {b/n:.2f}')" "$mode" "$n" "$b"
  else
    echo "counter-$mode: no native figure for threads=$THREADS (lab_bench prints threads=2 and 4)"
  fi
done
