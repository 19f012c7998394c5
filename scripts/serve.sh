#!/usr/bin/env bash
# Installs what is missing, builds the release app and serves it on http://127.0.0.1:8080
# with the cross-origin isolation headers real threads need (from Trunk.toml).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
source "$ROOT/scripts/env.sh"
cd "$ROOT"
echo "[serve] building (release) and serving on http://127.0.0.1:8080 — Ctrl-C stops"
wasm_env trunk serve --release --address 127.0.0.1 --port 8080 --no-autoreload
