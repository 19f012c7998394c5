//! Browser glue: the only place that touches web APIs besides the UI components.
//!
//! `pool` starts the wasm-bindgen-rayon Web Worker pool and runs lab requests on it without
//! ever blocking the main thread; `clock` is the `performance`-based clock the lab needs on
//! wasm; `dom` has small helpers for the URL, media queries and capability checks.

pub mod clock;
pub mod dom;
pub mod pool;
