//! The Web Worker pool (wasm-bindgen-rayon over SharedArrayBuffer) and a non-blocking way to
//! run lab requests on it.
//!
//! The main thread never blocks: it never calls `rayon::join`/`scope`/`install` and never
//! waits on a lock. A request is handed to the pool with `rayon::spawn` (rayon-core's own
//! short internal locks spin there, thanks to its `web_spin_lock` feature, instead of calling
//! `Atomics.wait`, which the main thread may not); the pool thread runs it (blocking freely
//! there) and sends the report back on a oneshot channel that the UI awaits in `spawn_local`.

use futures_channel::oneshot;
use lab::{Cancel, Env, LabError, LabReport, LabRequest, RayonScope, RepeatReport};
use wasm_bindgen_futures::JsFuture;

use super::clock::PerfClock;

/// Web Workers in the pool. One runs the experiment's driver (it waits in `rayon::scope`); the
/// others run its threads, so experiments may use up to `POOL_THREADS - 1` threads at once.
/// Waiting threads watch for deadlocks themselves (see `lab::primitives::WaitGraph`).
pub const POOL_THREADS: usize = 8;

/// The most threads one experiment may use: every pool thread but the driver's.
pub const MAX_EXPERIMENT_THREADS: u64 = (POOL_THREADS - 1) as u64;

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
        let env = Env::new(&PerfClock, &RayonScope, &cancel);
        // The receiver may be gone if the page moved on; nothing to do then.
        let _ = tx.send(lab::run(&req, &env));
    });
    rx.await.unwrap_or(Err(LabError::Cancelled))
}

/// What a repeat run sends back while it runs.
pub enum RepeatMsg {
    /// Runs finished so far.
    Progress(u32),
    /// The whole repeat.
    Done(Result<RepeatReport, LabError>),
}

/// Runs `req` `runs` times on the pool, calling `on_progress` on the main thread after each run,
/// and resolves with the repeat report (a histogram of the key outcome). Never blocks.
pub async fn repeat_on_pool(
    req: LabRequest,
    runs: u32,
    cancel: Cancel,
    mut on_progress: impl FnMut(u32),
) -> Result<RepeatReport, LabError> {
    use futures_util::StreamExt;
    let (tx, mut rx) = futures_channel::mpsc::unbounded();
    rayon::spawn(move || {
        let env = Env::new(&PerfClock, &RayonScope, &cancel);
        let progress_tx = tx.clone();
        let mut report = |k: u32| {
            let _ = progress_tx.unbounded_send(RepeatMsg::Progress(k));
        };
        let _ = tx.unbounded_send(RepeatMsg::Done(lab::repeat(&req, runs, &env, &mut report)));
    });
    while let Some(msg) = rx.next().await {
        match msg {
            RepeatMsg::Progress(k) => on_progress(k),
            RepeatMsg::Done(r) => return r,
        }
    }
    Err(LabError::Cancelled)
}
