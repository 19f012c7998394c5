#!/usr/bin/env bash
# Installs whatever Lockstep needs that is missing, and skips what is already there at the
# right version. Safe to run again. Sourced by serve.sh and test.sh.
#
#   scripts/setup.sh          tools to build and serve (toolchain, trunk, wasm-bindgen, wasm-opt)
#   scripts/setup.sh --test   also what the tests need (Chromium, chromedriver, Playwright)
#
# Versions are pinned to the ones verified together (see ../shared/TOOLCHAIN.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.22.1"
WASM_BINDGEN_VERSION="0.2.130"   # must equal the `=` pin in Cargo.toml
WANT_TEST=0
[ "${1:-}" = "--test" ] && WANT_TEST=1

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"
export RUSTUP_AUTO_INSTALL=0

cd "$ROOT"

# npm packages and the test browser download while the Rust tools compile (steps 3-5), in
# the background; their output goes to target/setup-*.log and is shown if they fail.
LOGS="$ROOT/target"; mkdir -p "$LOGS"
NPM_PID=""; APT_PID=""

# 1. npm packages: binaryen's wasm-opt (Debian's is too old for threaded wasm) and
#    playwright-core. `npm ci` only when the lock file changed since the last install.
E2E="$ROOT/tests/e2e"
if [ ! -f "$E2E/node_modules/.stamp" ] || ! cmp -s "$E2E/package-lock.json" "$E2E/node_modules/.stamp"; then
  say "installing npm packages (tests/e2e), in the background"
  (cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.stamp) \
    > "$LOGS/setup-npm.log" 2>&1 &
  NPM_PID=$!
fi

# 2. Browser for the tests: Debian's Chromium and its driver.
if [ "$WANT_TEST" = 1 ]; then
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    say "installing chromium and chromium-driver (apt), in the background"
    ($SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver) \
      > "$LOGS/setup-apt.log" 2>&1 &
    APT_PID=$!
  fi
fi

# 3. The pinned nightly with rust-src and the wasm target (rust-toolchain.toml lists them).
if ! rustc --version >/dev/null 2>&1 || ! rustup component list --installed 2>/dev/null | grep -q '^rust-src' \
   || ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  say "installing the toolchain named in rust-toolchain.toml"
  rustup toolchain install --no-self-update
fi
TOOLCHAIN="$(rustup show active-toolchain | cut -d' ' -f1)"

# 4. wasm-bindgen-cli (wasm-bindgen and wasm-bindgen-test-runner). Not --locked: its lock file
#    names a webpki-roots version the registry here lacks.
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes)"
  cargo "+$TOOLCHAIN" install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# 5. Trunk, built from crates.io (its own downloads from GitHub are unavailable here). Its
#    release profile asks for fat LTO in one codegen unit, which makes the build of a tool
#    we only run slow; built without them.
if [ "$(trunk --version 2>/dev/null | cut -d' ' -f2)" != "$TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (several minutes)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo "+$TOOLCHAIN" install --force trunk --version "$TRUNK_VERSION" --locked
fi

# The background installs must have worked.
for job in "npm:$NPM_PID" "apt:$APT_PID"; do
  name="${job%%:*}"; pid="${job#*:}"
  [ -n "$pid" ] || continue
  if ! wait "$pid"; then
    cat "$LOGS/setup-$name.log" >&2
    say "the $name install failed (above)"
    exit 1
  fi
done

# 6. Crates, including build-std's, so builds can run --offline.
say "fetching crates"
CARGO_UNSTABLE_BUILD_STD=panic_abort,std cargo fetch --target wasm32-unknown-unknown -q
cargo fetch -q
say "ready: $(rustc --version), $(trunk --version), $(wasm-bindgen --version), wasm-opt $("$E2E/node_modules/.bin/wasm-opt" --version | cut -d' ' -f3)"
