# Environment shared by serve.sh and test.sh (sourced, not run).
# build-std only for the wasm commands (see .cargo/config.toml); tools from PATH, offline.
export PATH="$ROOT/tests/e2e/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export RUSTUP_AUTO_INSTALL=0
export TRUNK_OFFLINE=true
export TRUNK_SKIP_VERSION_CHECK=true
wasm_env() { env CARGO_UNSTABLE_BUILD_STD=panic_abort,std "$@"; }
