# Environment shared by serve.sh and test.sh (sourced, not run).
# build-std only for the wasm commands (see .cargo/config.toml); tools from PATH, offline.
export PATH="$ROOT/tests/e2e/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export RUSTUP_AUTO_INSTALL=0
export TRUNK_OFFLINE=true
export TRUNK_SKIP_VERSION_CHECK=true
# std is rebuilt for wasm anyway (threads need it), so it is built for size: its
# `optimize_for_size` feature picks std's small sorts and formatting (the app's wasm: 376,401 ->
# 362,880 B gzip -9; the explorer on a pool thread and the counter kept their speed, A/B).
wasm_env() { env CARGO_UNSTABLE_BUILD_STD=panic_abort,std CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size "$@"; }
