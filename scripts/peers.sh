#!/usr/bin/env bash
# Lockstep's explorer next to three Python interleaving explorers from PyPI (frontrun,
# interleave-test, ploom) on the same programs: the seed's race (2x1, 2x2, 3x2), the locked
# race, two locks in opposite and in the same order, the seed's producer-consumer with a
# bounded queue.Queue. Prints one table: each tool's time (best of a few runs), what it found,
# and its time over Lockstep's. Figures only; nothing passes or fails. Takes a few minutes.
#   scripts/peers.sh [runs]        (runs per peer and program, default 3)
# The venv lives in ${CARGO_TARGET_DIR:-target}/peers-venv; PEERS_PYTHON picks the interpreter
# (the peers need Python >= 3.12; the newest found on PATH or under pyenv is used).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh"
cd "$ROOT"
RUNS="${1:-3}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$TARGET/peers-venv"
# The versions measured for the README; newer ones may change their APIs.
PEERS=(frontrun==0.7.0 interleave-test==0.1.0 ploom==0.1.1)

at_least_312() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }

find_python() {
  local c
  for c in "${PEERS_PYTHON:-}" python3.14 python3.13 python3.12 python3; do
    [ -n "$c" ] && command -v "$c" >/dev/null && at_least_312 "$(command -v "$c")" && { command -v "$c"; return; }
  done
  if command -v pyenv >/dev/null; then
    for c in $(ls -d "$(pyenv root)"/versions/3.1[2-9]* 2>/dev/null | sort -V -r); do
      at_least_312 "$c/bin/python3" && { echo "$c/bin/python3"; return; }
    done
  fi
  echo "peers: no Python >= 3.12 found (interleave-test and ploom need it); trying python3" >&2
  command -v python3
}

PY="$(find_python)"
if [ ! -x "$VENV/bin/python" ] || [ "$("$VENV/bin/python" -c 'import sys; print(sys.version)')" != "$("$PY" -c 'import sys; print(sys.version)')" ]; then
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi
for pkg in "${PEERS[@]}"; do
  # One at a time: a peer that cannot be installed here is reported in the table, not fatal.
  "$VENV/bin/pip" install -q --disable-pip-version-check "$pkg" \
    || echo "peers: could not install $pkg with $("$VENV/bin/python" --version)" >&2
done

echo "== Lockstep's explorer on the same programs (native, release)"
LOCKSTEP="$(mktemp "${TMPDIR:-/tmp}/peers-lockstep.XXXXXX")"
trap 'rm -f "$LOCKSTEP"' EXIT
cargo run --release -q --example peers_explore | tee "$LOCKSTEP"
echo
echo "== the table ($(nproc) cores; other work on the machine moves these figures)"
"$VENV/bin/python" scripts/peers.py table "$LOCKSTEP" --runs "$RUNS"
