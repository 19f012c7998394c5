//! Browser tests (wasm-bindgen-test, headless Chromium, debug profile).
//!
//! Built in the debug profile on purpose: a build without build-std fails to link there, so
//! this suite catches a broken threads setup that a release build would only show as a page
//! that hangs. It starts the real worker pool and runs lab experiments on it, through the same
//! non-blocking path the UI uses.
#![cfg(target_arch = "wasm32")]

use lab::{Cancel, Clock, CounterMode, CounterParams, LabReport, LabRequest};
use lockstep::web::{clock::PerfClock, pool};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn ensure_pool() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static STARTED: AtomicBool = AtomicBool::new(false);
    if !STARTED.swap(true, Ordering::SeqCst) {
        pool::pool_started().await.expect("worker pool starts");
    }
}

async fn counter(mode: CounterMode, threads: u32, increments: u64) -> lab::CounterReport {
    ensure_pool().await;
    let req = LabRequest::Counter(CounterParams { mode, threads, increments });
    match pool::run_on_pool(req, Cancel::new()).await.expect("run succeeds") {
        LabReport::Counter(r) => r,
        other => panic!("unexpected report {}", other.slug()),
    }
}

#[wasm_bindgen_test]
fn page_is_cross_origin_isolated() {
    let isolated = js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into())
        .ok()
        .and_then(|v| v.as_bool());
    assert_eq!(isolated, Some(true), "the test runner must serve COOP/COEP");
}

#[wasm_bindgen_test]
async fn mutex_and_atomic_counters_are_exact_on_the_pool() {
    for mode in [CounterMode::Mutex, CounterMode::Atomic, CounterMode::SpinLock] {
        let r = counter(mode, 3, 200_000).await;
        assert_eq!(r.expected, 600_000, "{mode}");
        assert_eq!(r.actual, r.expected, "{mode} must be exact");
        assert_eq!(r.lost, 0);
        assert!(r.ms > 0.0, "{mode}: time was measured");
    }
}

#[wasm_bindgen_test]
async fn racy_counter_never_exceeds_expected() {
    let r = counter(CounterMode::Racy, 4, 500_000).await;
    assert!(r.actual <= r.expected);
    assert_eq!(r.lost, r.expected - r.actual);
}

#[wasm_bindgen_test]
async fn invalid_parameters_are_refused_not_run() {
    ensure_pool().await;
    let req = LabRequest::Counter(CounterParams { mode: CounterMode::Atomic, threads: 99, increments: 1 });
    let err = pool::run_on_pool(req, Cancel::new()).await.expect_err("99 threads is out of bounds");
    assert!(err.to_string().contains("threads"), "{err}");
}

#[wasm_bindgen_test]
async fn performance_clock_is_shared_and_monotonic_across_workers() {
    ensure_pool().await;
    let main_before = PerfClock.now_ms();
    let (tx, rx) = futures_channel::oneshot::channel();
    rayon::spawn(move || {
        let a = PerfClock.now_ms();
        // std::thread::sleep works inside a worker (memory.atomic.wait with a timeout).
        std::thread::sleep(std::time::Duration::from_millis(20));
        let b = PerfClock.now_ms();
        let _ = tx.send((a, b));
    });
    let (a, b) = rx.await.expect("worker answered");
    let main_after = PerfClock.now_ms();
    assert!(a >= main_before - 1.0, "worker clock {a} behind the page's {main_before}");
    // std::thread::sleep never returns early: a guarantee, not a performance figure.
    assert!(b - a >= 19.0, "slept {} ms", b - a);
    assert!(main_after >= b - 1.0);
}
