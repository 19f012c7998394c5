//! Lockstep: a visual tutorial on thread safety, stepped and on real threads.
//!
//! # Map
//!
//! ```text
//! lessons (content as data) ──> sim (crates/sim: pure, deterministic model) ──> ui (Yew)
//!                               lab (crates/lab: real threads, real atomics) ──┘   │
//!                                                                  web (browser glue)
//! ```
//!
//! - [`lessons`] — content: each lesson's prose (Markdown rendered at build time by
//!   `build.rs`) and its variants (the seed's Python, a `sim::Scenario`, what it should show,
//!   its lab experiment). Linted by its tests. No engine or UI change to add one.
//! - [`progress`] — the learner's progress (goals met, predictions) and its stored JSON form,
//!   pure: corrupt or foreign stored data reads as no progress. The UI keeps it in
//!   `localStorage` through gloo's storage.
//! - [`route`] — hash routes (`#/lesson/semaphore?v=extra-release&s=…`, `#/lab`), pure.
//! - [`stepper`] — the lesson page's state machine (run, undo, schedulers, replay, URL query),
//!   pure and tested natively; the UI's reducer forwards to it.
//! - `sim` (crate `lockstep-sim`) — threads of micro-ops (CPython bytecode), primitives with
//!   Python's semantics, schedulers, undo, the interleaving explorer. No web dependencies.
//! - `lab` (crate `lockstep-lab`) — experiments on real threads with measured reports; runs
//!   on `std::thread` natively and on the Web Worker pool in the browser. No web dependencies.
//! - `web` (wasm only) — the worker pool (wasm-bindgen-rayon), the `performance` clock, DOM
//!   helpers. The only place besides `ui` that touches web APIs.
//! - `ui` (wasm only) — Yew components: one reducer per page, effects in hooks; draws state and
//!   dispatches actions, never blocks the main thread.
//!
//! Native `cargo test` builds `lessons`, `progress`, `route` and `stepper` (and the two
//! crates); `web` and `ui` compile only for `wasm32`.

pub mod lessons;
pub mod progress;
pub mod route;
pub mod stepper;

#[cfg(target_arch = "wasm32")]
pub mod web;

#[cfg(target_arch = "wasm32")]
mod ui;

/// Mounts the app. Called from `main` on the page's thread only (workers never run `main`).
#[cfg(target_arch = "wasm32")]
pub fn start() {
    ui::start();
}
