//! Counter experiment: locked counters are exact, the racy one never gains and accounts for
//! every loss, and the GIL loses updates exactly when its switch can land mid-increment.

mod common;

use common::{figure, on_both_runners};
use lab::{
    Cancel, CounterMode, CounterParams, Env, LabError, LabReport, LabRequest, StdClock, StdThreads,
};

fn counter(mode: CounterMode, threads: u32, increments: u64, env: &Env) -> lab::CounterReport {
    let req = LabRequest::Counter(CounterParams {
        mode,
        threads,
        increments,
    });
    match common::run(req, env) {
        LabReport::Counter(r) => r,
        other => panic!("unexpected report {other:?}"),
    }
}

fn assert_exact(r: &lab::CounterReport) {
    assert_eq!(r.expected, u64::from(r.threads) * r.increments_per_thread);
    assert_eq!(r.actual, r.expected, "{} lost updates", r.mode);
    assert_eq!(r.lost, 0);
    assert!(!r.cancelled);
}

#[test]
fn mutex_counter_is_exact() {
    on_both_runners(|env| assert_exact(&counter(CounterMode::Mutex, 4, 50_000, env)));
}

#[test]
fn atomic_counter_is_exact() {
    on_both_runners(|env| assert_exact(&counter(CounterMode::Atomic, 4, 200_000, env)));
}

#[test]
fn spin_lock_counter_is_exact() {
    on_both_runners(|env| assert_exact(&counter(CounterMode::SpinLock, 4, 20_000, env)));
}

#[test]
fn gil_switching_between_whole_increments_is_exact() {
    on_both_runners(|env| {
        for switch_every in [2, 10, 1000] {
            let r = counter(CounterMode::Gil { switch_every }, 3, 20_000, env);
            assert_exact(&r);
            assert!(
                r.gil_switches > 0,
                "threads overlapped, so the GIL changed hands"
            );
        }
    });
}

#[test]
fn gil_switching_between_load_and_store_loses_updates() {
    // Deterministic: with a switch after every micro-step and another thread always waiting,
    // every switch after a load hands over the GIL, and the other thread's increment made
    // before the store comes back is overwritten.
    on_both_runners(|env| {
        let r = counter(CounterMode::Gil { switch_every: 1 }, 2, 2_000, env);
        assert_eq!(r.expected, 4_000);
        assert!(
            r.actual < r.expected,
            "a switch between load and store loses updates"
        );
        assert_eq!(r.lost, r.expected - r.actual);
    });
}

#[test]
fn racy_counter_never_gains_and_reports_every_loss() {
    on_both_runners(|env| {
        let r = counter(CounterMode::Racy, 4, 100_000, env);
        assert_eq!(r.expected, 400_000);
        assert!(r.actual <= r.expected);
        assert_eq!(r.lost, r.expected - r.actual);
    });
}

#[test]
fn single_thread_racy_counter_is_exact() {
    on_both_runners(|env| assert_exact(&counter(CounterMode::Racy, 1, 100_000, env)));
}

#[test]
fn counter_figures_carry_expected_actual_lost() {
    on_both_runners(|env| {
        let req = LabRequest::Counter(CounterParams {
            mode: CounterMode::Atomic,
            threads: 2,
            increments: 1000,
        });
        let report = common::run(req, env);
        assert_eq!(report.slug(), "counter");
        assert_eq!(figure(&report, "expected"), "2000");
        assert_eq!(figure(&report, "actual"), "2000");
        assert_eq!(figure(&report, "lost"), "0");
    });
}

#[test]
fn too_many_threads_are_refused_with_a_clear_message() {
    let (clock, cancel, runner) = (
        StdClock::new(),
        Cancel::new(),
        StdThreads::with_max_threads(7),
    );
    let env = Env::new(&clock, &runner, &cancel);
    let req = LabRequest::Counter(CounterParams {
        threads: 8,
        ..CounterParams::default()
    });
    let err = lab::run(&req, &env).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid parameters: threads must be between 1 and 7"
    );
    let req = LabRequest::Counter(CounterParams {
        increments: 0,
        ..CounterParams::default()
    });
    assert!(matches!(lab::run(&req, &env), Err(LabError::Invalid(_))));
}

#[test]
fn cancelled_counter_stops_early_and_says_so() {
    let (clock, cancel, runner) = (StdClock::new(), Cancel::new(), StdThreads::new());
    cancel.cancel();
    let env = Env::new(&clock, &runner, &cancel);
    let r = counter(CounterMode::Mutex, 2, lab::counter::MAX_INCREMENTS, &env);
    assert!(r.cancelled);
    assert!(r.expected < 2 * lab::counter::MAX_INCREMENTS);
    assert_eq!(r.actual, r.expected);
}

#[test]
fn defaults_are_valid_for_a_small_pool() {
    let req = LabRequest::Counter(CounterParams::default());
    assert!(req.validate(4).is_ok());
}
