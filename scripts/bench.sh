#!/usr/bin/env bash
# Benchmarks (figures, never pass/fail): the explorer natively, every lab experiment natively,
# the counter (atomic, mutex) on the browser's worker pool vs native threads as a ratio, and the
# page's figures: wasm size (gzip -9), worker pool ready after navigation (fresh browser per
# load), main-thread long tasks while every lesson explores and runs.
# Writes target/bench/bench.txt (what it prints) and target/bench/bench.json (the figures).
#   scripts/bench.sh [runs] [threads] [increments]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh" --test >/dev/null
source "$ROOT/scripts/env.sh"
cd "$ROOT"
RUNS="${1:-5}"; THREADS="${2:-2}"; INCREMENTS="${3:-5000000}"
OUT="$ROOT/target/bench"; mkdir -p "$OUT"
exec > >(tee "$OUT/bench.txt") 2>&1

echo "== explorer (native, release)"
cargo run --release -q -p lockstep-sim --example explore_bench

echo "== every lesson variant through the explorer (native, release)"
cargo run --release -q --example lessons_explore

echo "== lab experiments (native, release)"
native="$(cargo run --release -q -p lockstep-lab --example lab_bench)"
echo "$native"

echo "== counter: browser worker pool vs native threads (threads=$THREADS increments=$INCREMENTS runs=$RUNS)"
[ -f dist/index.html ] || wasm_env trunk build --release --offline
wasm="$(ls dist/*_bg.wasm | head -1)"
echo "WASM raw=$(stat -c %s "$wasm") gzip9=$(gzip -9 -c "$wasm" | wc -c)"
# The lessons' prose: one file per lesson, fetched when it opens (not part of the wasm).
python3 - dist/lessons <<'PY'
import gzip, pathlib, sys
sizes = sorted((len(gzip.compress(p.read_bytes(), 9)), p.stat().st_size, p.name) for p in pathlib.Path(sys.argv[1]).glob("*.html"))
print(f"PROSE files={len(sizes)} raw={sum(s[1] for s in sizes)} gzip9={sum(s[0] for s in sizes)} largest_gzip9={sizes[-1][0]} largest={sizes[-1][2].split('.')[0]}")
PY
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

echo "== page: pool ready after navigation, long tasks while every lesson explores and runs"
(cd tests/e2e && node bench-page.mjs "$RUNS")

# Every figure line above, as JSON.
python3 - "$OUT/bench.txt" "$OUT/bench.json" <<'PY'
import json, re, sys
figs = {"explorer": [], "lab": [], "trace": [], "browser": [], "page": [], "wasm": None, "prose": None}
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.strip()
    kv = lambda s: {k: (float(v) if re.fullmatch(r"-?[0-9.]+", v) else v) for k, v in re.findall(r"([\w-]+)=(\S+)", s)}
    if line.startswith("PAGE "):
        figs["page"].append(json.loads(line[5:]))
    elif line.startswith("WASM "):
        figs["wasm"] = kv(line)
    elif line.startswith("PROSE "):
        figs["prose"] = kv(line)
    elif line.startswith("BROWSER "):
        figs["browser"].append({"name": line.split()[1], **kv(line)})
    elif line.startswith("TRACE "):
        figs["trace"].append({"name": line.split()[1], "figure": line.split()[2], **kv(line)})
    elif line.startswith("BENCH "):
        figs["lab"].append({"name": line.split()[1], **kv(line)})
    elif "states/s" in line or "states=" in line:
        figs["explorer"].append(line)
json.dump(figs, open(sys.argv[2], "w"), indent=1)
print(f"figures written to {sys.argv[2]}")
PY
