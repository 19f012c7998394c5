//! The Web Worker pool (wasm-bindgen-rayon over SharedArrayBuffer) and a non-blocking way to
//! run lab requests on it.
//!
//! The main thread never blocks: it never calls `rayon::join`/`scope`/`install` and never
//! waits on a lock. A request is handed to the pool with `rayon::spawn`; the pool thread runs
//! it (blocking freely there) and sends the report back on a oneshot channel that the UI
//! awaits inside `spawn_local`.

use futures_channel::oneshot;
use lab::{Cancel, Env, LabError, LabReport, LabRequest, RayonScope};
use wasm_bindgen_futures::JsFuture;

use super::clock::PerfClock;

/// Web Workers in the pool. One runs the experiment's driver (and watchdog); the others run
/// its threads, so experiments may use up to `POOL_THREADS - 1` threads at once.
pub const POOL_THREADS: usize = 8;

/// Starts the pool; resolves when every worker is up. Call once.
pub async fn start_pool() -> Result<(), String> {
    JsFuture::from(wasm_bindgen_rayon::init_thread_pool(POOL_THREADS))
        .await
        .map(|_| ())
        .map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}")))
}

/// Runs `req` on the pool and resolves with its report. Never blocks the caller's thread.
pub async fn run_on_pool(req: LabRequest, cancel: Cancel) -> Result<LabReport, LabError> {
    let (tx, rx) = oneshot::channel();
    rayon::spawn(move || {
        let env = Env { clock: &PerfClock, runner: &RayonScope, cancel: &cancel };
        // The receiver may be gone if the page moved on; nothing to do then.
        let _ = tx.send(lab::run(&req, &env));
    });
    rx.await.unwrap_or(Err(LabError::Cancelled))
}
