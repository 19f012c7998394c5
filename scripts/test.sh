#!/usr/bin/env bash
# Runs every Lockstep test; installs whatever is missing first (scripts/setup.sh --test).
#   1. native unit, integration and property tests (cargo test: sim, lab, lessons, routes)
#   2. the seed's Python claims, checked on this machine's python3
#   3. wasm-bindgen-test in headless Chromium, debug profile (catches a missing build-std)
#   4. release build with Trunk, then Playwright end-to-end specs in headless Chromium
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh" --test
source "$ROOT/scripts/env.sh"
cd "$ROOT"

passed=0
step() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }

step "native tests (cargo test)"
cargo test --workspace --quiet
passed=$((passed + 1))

step "seed claims (python3 tests/python/check_seed.py)"
python3 tests/python/check_seed.py
passed=$((passed + 1))

step "wasm-bindgen-test in headless Chromium (debug profile)"
CHROMEDRIVER="$(command -v chromedriver)" WASM_BINDGEN_TEST_TIMEOUT=120 \
  wasm_env cargo test --target wasm32-unknown-unknown -p lockstep --test web
passed=$((passed + 1))

step "release build (trunk build --release)"
wasm_env trunk build --release --offline
passed=$((passed + 1))

step "end-to-end specs (Playwright, headless Chromium)"
(cd tests/e2e && DIST="$ROOT/dist" node --test --test-concurrency=1 specs/*.test.mjs)
passed=$((passed + 1))

printf '\nsuites: %d passed, 0 failed\n' "$passed"
