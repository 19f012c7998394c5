//! The Web Worker pool (wasm-bindgen-rayon over SharedArrayBuffer) and a non-blocking way to
//! run lab requests on it.
//!
//! The main thread never blocks: it never calls `rayon::join`/`scope`/`install` and never
//! waits on a lock. A request is handed to the pool with `rayon::spawn` (rayon-core's own
//! short internal locks spin there, thanks to its `web_spin_lock` feature, instead of calling
//! `Atomics.wait`, which the main thread may not); the pool thread runs it (blocking freely
//! there) and sends the report back on a oneshot channel that the UI awaits in `spawn_local`.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_channel::oneshot;
use sim::{ExploreLimits, ExploreReport, ExploreStatus, Explorer, Scenario};
use lab::{Cancel, Env, LabError, LabReport, LabRequest, RayonScope, RepeatReport};
use wasm_bindgen_futures::JsFuture;

use super::clock::PerfClock;

/// The most threads one experiment may use. Waiting threads watch for deadlocks themselves
/// (see `lab::primitives::WaitGraph`).
pub const MAX_EXPERIMENT_THREADS: u64 = 7;

/// Web Workers in the pool: an experiment's threads, its driver (it waits in `rayon::scope`),
/// and one for the interleaving explorer, so an exploration never delays an experiment's
/// threads (one exploration at a time runs here: [`explore_on_pool`]).
pub const POOL_THREADS: usize = MAX_EXPERIMENT_THREADS as usize + 2;

/// Where the pool's start is.
enum Start {
    NotStarted,
    /// Starting; these wait for the result.
    Starting(Vec<oneshot::Sender<Result<(), String>>>),
    Done(Result<(), String>),
}

thread_local! {
    static START: RefCell<Start> = const { RefCell::new(Start::NotStarted) };
}

/// Starts the pool if nobody has yet (once per page). Called before the UI mounts, so the
/// workers load while the first page renders.
pub fn start_pool() {
    let first = START.with(|s| {
        let mut s = s.borrow_mut();
        matches!(*s, Start::NotStarted).then(|| *s = Start::Starting(Vec::new())).is_some()
    });
    if !first {
        return;
    }
    wasm_bindgen_futures::spawn_local(async {
        let r = JsFuture::from(wasm_bindgen_rayon::init_thread_pool(POOL_THREADS))
            .await
            .map(|_| ())
            .map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}")));
        let waiters = START.with(|s| match std::mem::replace(&mut *s.borrow_mut(), Start::Done(r.clone())) {
            Start::Starting(w) => w,
            _ => Vec::new(),
        });
        for w in waiters {
            let _ = w.send(r.clone());
        }
    });
}

/// Resolves when every worker is up (starting the pool if needed).
pub async fn pool_started() -> Result<(), String> {
    start_pool();
    let rx = START.with(|s| match &mut *s.borrow_mut() {
        Start::Done(r) => Err(r.clone()),
        Start::Starting(w) => {
            let (tx, rx) = oneshot::channel();
            w.push(tx);
            Ok(rx)
        }
        Start::NotStarted => Err(Err("the worker pool did not start".to_string())),
    });
    match rx {
        Err(done) => done,
        Ok(rx) => rx.await.unwrap_or_else(|_| Err("the worker pool did not start".to_string())),
    }
}

/// How long the page waits for a pool run before it gives up on it: lab's own deadline for
/// the run ([`LabRequest::deadline_ms`], after which a healthy run reports `TimedOut` itself)
/// plus ten seconds, per run. A run that misses it has almost certainly lost a worker (a
/// panic aborts the worker's wasm instance, and its reply never comes).
pub fn deadline_ms(req: &LabRequest, runs: u32) -> u32 {
    let one = req.deadline_ms().saturating_add(10_000);
    u32::try_from(one.saturating_mul(u64::from(runs.max(1)))).unwrap_or(u32::MAX)
}

/// `fut`'s output, or `None` if `ms` milliseconds pass first.
pub async fn within<T>(fut: impl std::future::Future<Output = T>, ms: u32) -> Option<T> {
    use futures_util::future::{select, Either};
    let (tx, rx) = oneshot::channel::<()>();
    let _timer = gloo::timers::callback::Timeout::new(ms, move || {
        let _ = tx.send(());
    });
    futures_util::pin_mut!(fut);
    match select(fut, rx).await {
        Either::Left((v, _)) => Some(v),
        Either::Right(_) => None,
    }
}

/// Test-only: `window.__lockstepTestPanic = true` (set by an e2e spec) makes the next pool run
/// panic in its worker, to check that the page recovers. Nothing in the app sets it.
fn test_panic_requested() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &wasm_bindgen::JsValue::from_str("__lockstepTestPanic"))
        .map(|v| v.is_truthy())
        .unwrap_or(false)
}

/// Runs `req` on the pool and resolves with its report. Never blocks the caller's thread.
pub async fn run_on_pool(req: LabRequest, cancel: Cancel) -> Result<LabReport, LabError> {
    let (tx, rx) = oneshot::channel();
    let panic = test_panic_requested();
    rayon::spawn(move || {
        if panic {
            panic!("test-only panic in a pool worker (window.__lockstepTestPanic)");
        }
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

/// States the explorer expands between looks at the cancel flag on a pool thread.
const EXPLORE_CHUNK: usize = 20_000;

thread_local! {
    /// An exploration is running on the pool (main thread only: that is where they start).
    static EXPLORING: Cell<bool> = const { Cell::new(false) };
}

/// What an exploration on the pool sends back.
enum ExploreMsg {
    Progress(usize),
    Done(Result<ExploreReport, String>),
}

/// Explores `scn` on a pool thread, calling `on_progress` with the states seen so far (a few
/// times a second), and resolves with the report; `None` if `cancel` was set first. Returns
/// `None` at once, without starting, if another exploration holds the pool's explorer thread
/// (the caller explores in slices instead).
pub fn explore_on_pool(
    scn: Arc<Scenario>,
    cancel: Arc<AtomicBool>,
    mut on_progress: impl FnMut(usize) + 'static,
) -> Option<impl std::future::Future<Output = Option<Result<ExploreReport, String>>>> {
    use futures_util::StreamExt;
    if EXPLORING.with(|e| e.replace(true)) {
        return None;
    }
    /// Frees the explorer thread's slot when the future ends or is dropped (a deadline, or a
    /// caller that gave up), even if the worker never answers.
    struct Free;
    impl Drop for Free {
        fn drop(&mut self) {
            EXPLORING.with(|e| e.set(false));
        }
    }
    let free = Free;
    let (tx, mut rx) = futures_channel::mpsc::unbounded();
    rayon::spawn(move || {
        let mut ex = match Explorer::new(scn, ExploreLimits::default()) {
            Ok(ex) => ex,
            Err(e) => {
                let _ = tx.unbounded_send(ExploreMsg::Done(Err(e.to_string())));
                return;
            }
        };
        loop {
            if cancel.load(Ordering::Relaxed) {
                return;
            }
            match ex.run(EXPLORE_CHUNK) {
                ExploreStatus::Running { states, .. } => {
                    if tx.unbounded_send(ExploreMsg::Progress(states)).is_err() {
                        return;
                    }
                }
                ExploreStatus::Done(r) => {
                    let _ = tx.unbounded_send(ExploreMsg::Done(Ok(r)));
                    return;
                }
            }
        }
    });
    Some(async move {
        let _free = free;
        let mut out = None;
        while let Some(msg) = rx.next().await {
            match msg {
                ExploreMsg::Progress(k) => on_progress(k),
                ExploreMsg::Done(r) => {
                    out = Some(r);
                    break;
                }
            }
        }
        out
    })
}
