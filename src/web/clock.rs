//! `lab::Clock` for the browser: `performance.timeOrigin + performance.now()`.
//!
//! `std::time::Instant` panics on wasm32-unknown-unknown. Each worker has its own
//! `performance.now()` origin (when that worker started), so we add `timeOrigin` to get one
//! time line that every pool thread and the window share.

use wasm_bindgen::JsCast;

/// Milliseconds on a time line shared by the window and every worker.
#[derive(Clone, Copy, Debug, Default)]
pub struct PerfClock;

impl lab::Clock for PerfClock {
    fn now_ms(&self) -> f64 {
        let global = js_sys::global();
        let perf = if let Some(w) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
            w.performance()
        } else if let Some(w) = global.dyn_ref::<web_sys::Window>() {
            w.performance()
        } else {
            None
        };
        match perf {
            Some(p) => p.time_origin() + p.now(),
            // Every browser with wasm threads has `performance`; a constant keeps this total.
            None => 0.0,
        }
    }
}
