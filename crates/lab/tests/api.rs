//! The API the UI relies on: defaults are valid on a small pool, slugs and figure keys are
//! stable, every experiment stops when cancelled, repeat builds a histogram, and RayonScope
//! really runs its tasks at once.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::on_both_runners;
use lab::{
    BankParams, CacheParams, Cancel, CounterMode, CounterParams, DeadlockParams, Env, LabError,
    LabReport, LabRequest, ProducerConsumerParams, RayonScope, ReentryParams, Runner, RwLockParams,
    SemaphoreParams, SingletonParams, SleepVsCpuParams, StdClock, StdThreads, ThreadLocalParams,
    TryLockParams, SLUGS,
};

/// Every experiment with parameters small enough for tests.
fn small_requests() -> Vec<LabRequest> {
    vec![
        LabRequest::Counter(CounterParams {
            threads: 2,
            increments: 10_000,
            ..Default::default()
        }),
        LabRequest::SleepVsCpu(SleepVsCpuParams {
            tasks: 2,
            sleep_ms: 5,
            cpu_ms: 5,
            gil_switch_ms: 1,
        }),
        LabRequest::TryLock(TryLockParams {
            attempts: 200,
            ..Default::default()
        }),
        LabRequest::Reentry(ReentryParams {
            timeout_ms: 10,
            depth: 3,
        }),
        LabRequest::Semaphore(SemaphoreParams {
            hold_ms: 1,
            ..Default::default()
        }),
        LabRequest::Semaphore(SemaphoreParams {
            hold_ms: 1,
            extra_release: true,
            force: true,
            ..Default::default()
        }),
        LabRequest::ThreadLocal(ThreadLocalParams {
            iterations: 500,
            ..Default::default()
        }),
        LabRequest::RwLock(RwLockParams {
            duration_ms: 50,
            read_hold_ms: 2,
            ..Default::default()
        }),
        LabRequest::RwLock(RwLockParams {
            duration_ms: 50,
            read_hold_ms: 2,
            force: true,
            ..Default::default()
        }),
        LabRequest::Deadlock(DeadlockParams {
            timeout_ms: 20,
            ..Default::default()
        }),
        LabRequest::Bank(BankParams {
            transfers: 500,
            work: 10,
            ..Default::default()
        }),
        LabRequest::Cache(CacheParams {
            compute_ms: 2,
            ..Default::default()
        }),
        LabRequest::ProducerConsumer(ProducerConsumerParams {
            tasks_per_producer: 4,
            ..Default::default()
        }),
        LabRequest::Singleton(SingletonParams {
            window_spins: 10,
            ..Default::default()
        }),
    ]
}

#[test]
fn every_default_request_is_valid_on_a_pool_of_five() {
    for req in LabRequest::defaults() {
        assert!(
            req.validate(4).is_ok(),
            "{}: {:?}",
            req.slug(),
            req.validate(4)
        );
        assert!(req.threads_needed() <= 4, "{}", req.slug());
    }
}

#[test]
fn slugs_are_listed_in_order_and_shared_by_requests_and_reports() {
    let defaults = LabRequest::defaults();
    let slugs: Vec<&str> = defaults.iter().map(LabRequest::slug).collect();
    assert_eq!(slugs, SLUGS);
    assert_eq!(
        LabRequest::default_for("bank").map(|r| r.slug()),
        Some("bank")
    );
    assert!(LabRequest::default_for("nope").is_none());
    on_both_runners(|env| {
        for req in small_requests() {
            assert_eq!(common::run(req.clone(), env).slug(), req.slug());
        }
    });
}

#[test]
fn figure_keys_are_unique_kebab_case_and_include_the_outcome() {
    on_both_runners(|env| {
        for req in small_requests() {
            let report = common::run(req, env);
            let figures = report.figures();
            let mut seen = HashSet::new();
            for f in &figures {
                assert!(
                    f.key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                    "{}: key {}",
                    report.slug(),
                    f.key
                );
                assert!(
                    seen.insert(f.key),
                    "{}: duplicate key {}",
                    report.slug(),
                    f.key
                );
                assert!(!f.label.is_empty() && !f.value.is_empty());
            }
            let (key, _, _) = report.outcome();
            assert!(
                seen.contains(key),
                "{}: outcome {key} is a figure",
                report.slug()
            );
        }
    });
}

#[test]
fn every_experiment_stops_when_cancelled_before_it_starts() {
    let (clock, cancel, runner) = (StdClock::new(), Cancel::new(), StdThreads::new());
    cancel.cancel();
    let env = Env::new(&clock, &runner, &cancel);
    for req in LabRequest::defaults() {
        match lab::run(&req, &env) {
            Err(LabError::Cancelled) => {}
            Ok(LabReport::Counter(r)) => assert!(r.cancelled),
            other => panic!("{}: {other:?}", req.slug()),
        }
    }
}

#[test]
fn every_experiment_stops_when_cancelled_midway() {
    // Long runs, cancelled shortly after they start: each must return, and say it was cancelled.
    let long = vec![
        LabRequest::Counter(CounterParams {
            mode: CounterMode::SpinLock,
            threads: 4,
            increments: lab::counter::MAX_INCREMENTS,
        }),
        LabRequest::Counter(CounterParams {
            mode: CounterMode::Gil { switch_every: 3 },
            threads: 4,
            increments: lab::counter::MAX_INCREMENTS,
        }),
        LabRequest::SleepVsCpu(SleepVsCpuParams {
            tasks: 2,
            sleep_ms: 1000,
            cpu_ms: 800,
            gil_switch_ms: 5,
        }),
        LabRequest::TryLock(TryLockParams {
            threads: 4,
            attempts: lab::try_lock::MAX_ATTEMPTS,
            work: 400,
            force: true,
        }),
        LabRequest::Reentry(ReentryParams {
            timeout_ms: 2000,
            depth: 3,
        }),
        LabRequest::Semaphore(SemaphoreParams {
            tasks: 4,
            permits: 1,
            rounds: 20,
            hold_ms: 50,
            ..Default::default()
        }),
        LabRequest::Semaphore(SemaphoreParams {
            tasks: 4,
            permits: 1,
            rounds: 20,
            hold_ms: 50,
            extra_release: true,
            force: true,
        }),
        LabRequest::ThreadLocal(ThreadLocalParams {
            threads: 4,
            iterations: lab::thread_local::MAX_ITERATIONS,
            window: 99,
            force: true,
        }),
        LabRequest::RwLock(RwLockParams {
            duration_ms: 2000,
            ..Default::default()
        }),
        LabRequest::RwLock(RwLockParams {
            duration_ms: 2000,
            force: true,
            ..Default::default()
        }),
        LabRequest::Deadlock(DeadlockParams {
            timeout_ms: 5000,
            ..Default::default()
        }),
        LabRequest::Bank(BankParams {
            transfers: 200_000,
            work: 2000,
            ..Default::default()
        }),
        LabRequest::Cache(CacheParams {
            compute_ms: 500,
            lookups: 100,
            ..Default::default()
        }),
        LabRequest::ProducerConsumer(ProducerConsumerParams {
            tasks_per_producer: 500,
            consume_ms: 20,
            ..ProducerConsumerParams::with_shutdown(lab::Shutdown::JoinThenSentinels)
        }),
    ];
    for req in long {
        let (clock, cancel, runner) = (StdClock::new(), Cancel::new(), StdThreads::new());
        let env = Env::new(&clock, &runner, &cancel);
        let result = std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(std::time::Duration::from_millis(30));
                cancel.cancel();
            });
            lab::run(&req, &env)
        });
        match result {
            Err(LabError::Cancelled) => {}
            Ok(LabReport::Counter(r)) => {
                assert!(r.cancelled);
                assert!(r.actual <= r.expected);
            }
            other => panic!("{}: {other:?}", req.slug()),
        }
    }
}

#[test]
fn u32_max_parameters_of_the_newer_experiments_are_refused_with_their_bounds() {
    // Each parameter alone at u32::MAX, the others at their defaults (flags on): refused before
    // anything runs, so before anything could overflow, naming the parameter and its bounds.
    fn try_lock(set: fn(&mut TryLockParams)) -> LabRequest {
        let mut p = TryLockParams {
            force: true,
            ..Default::default()
        };
        set(&mut p);
        LabRequest::TryLock(p)
    }
    fn thread_local(set: fn(&mut ThreadLocalParams)) -> LabRequest {
        let mut p = ThreadLocalParams {
            force: true,
            ..Default::default()
        };
        set(&mut p);
        LabRequest::ThreadLocal(p)
    }
    fn semaphore(set: fn(&mut SemaphoreParams)) -> LabRequest {
        let mut p = SemaphoreParams {
            extra_release: true,
            force: true,
            ..Default::default()
        };
        set(&mut p);
        LabRequest::Semaphore(p)
    }
    fn rwlock(set: fn(&mut RwLockParams)) -> LabRequest {
        let mut p = RwLockParams {
            force: true,
            ..Default::default()
        };
        set(&mut p);
        LabRequest::RwLock(p)
    }
    const MAX: u32 = u32::MAX;
    let cases = [
        (
            try_lock(|p| p.threads = MAX),
            "threads must be between 1 and 16",
        ),
        (
            try_lock(|p| p.attempts = MAX),
            "attempts must be between 1 and 100000",
        ),
        (
            try_lock(|p| p.work = MAX),
            "work must be between 0 and 100000",
        ),
        (
            thread_local(|p| p.threads = MAX),
            "threads must be between 1 and 16",
        ),
        (
            thread_local(|p| p.iterations = MAX),
            "iterations must be between 1 and 1000000",
        ),
        (
            thread_local(|p| p.window = MAX),
            "window must be between 0 and 100000",
        ),
        (
            semaphore(|p| p.tasks = MAX),
            "tasks must be between 2 and 16",
        ),
        (
            semaphore(|p| p.permits = MAX),
            "permits must be between 1 and 16",
        ),
        (
            semaphore(|p| p.rounds = MAX),
            "rounds must be between 1 and 20",
        ),
        (
            semaphore(|p| p.hold_ms = MAX),
            "hold_ms must be between 0 and 50",
        ),
        (
            rwlock(|p| p.readers = MAX),
            "readers must be between 1 and 15 (one more thread runs the writer)",
        ),
        (
            rwlock(|p| p.writer_delay_ms = MAX),
            "writer_delay_ms must be between 0 and 249",
        ),
        // Each in range, together too much work.
        (
            try_lock(|p| (p.threads, p.attempts, p.work) = (16, 100_000, 1000)),
            "threads × attempts × (work + 1) must be at most 200000000",
        ),
        (
            thread_local(|p| (p.threads, p.iterations, p.window) = (16, 1_000_000, 100)),
            "threads × iterations × (window + 1) must be at most 400000000",
        ),
    ];
    let (clock, cancel, runner) = (StdClock::new(), Cancel::new(), StdThreads::new());
    let env = Env::new(&clock, &runner, &cancel);
    for (req, message) in cases {
        // Neither may overflow on parameters nobody validated yet.
        let _ = (req.threads_needed(), req.budget_ms());
        match lab::run(&req, &env) {
            Err(LabError::Invalid(e)) => assert_eq!(e.to_string(), message, "{}", req.slug()),
            other => panic!("{}: {other:?}", req.slug()),
        }
    }
}

#[test]
fn repeat_bins_every_run_and_reports_progress() {
    on_both_runners(|env| {
        let req = LabRequest::Counter(CounterParams {
            mode: CounterMode::Atomic,
            threads: 2,
            increments: 1000,
        });
        let mut progress = Vec::new();
        let r = lab::repeat(&req, 5, env, &mut |k| progress.push(k)).unwrap();
        assert_eq!(progress, vec![1, 2, 3, 4, 5]);
        assert_eq!(r.reports.len(), 5);
        assert_eq!(r.histogram.key, "lost");
        assert_eq!(r.histogram.bins, vec![("0".to_string(), 5)]);
    });
}

#[test]
fn repeat_of_racy_counter_accounts_for_every_run() {
    on_both_runners(|env| {
        let req = LabRequest::Counter(CounterParams {
            threads: 2,
            increments: 50_000,
            ..Default::default()
        });
        let r = lab::repeat(&req, 8, env, &mut |_| {}).unwrap();
        assert_eq!(r.histogram.total(), 8);
    });
}

#[test]
fn repeat_of_forced_deadlock_is_always_yes() {
    on_both_runners(|env| {
        let req = LabRequest::Deadlock(DeadlockParams {
            timeout_ms: 20,
            ..Default::default()
        });
        let r = lab::repeat(&req, 3, env, &mut |_| {}).unwrap();
        assert_eq!(
            r.histogram.bins,
            vec![("no".to_string(), 0), ("yes".to_string(), 3)]
        );
    });
}

#[test]
fn repeat_runs_are_bounded() {
    let (clock, cancel, runner) = (StdClock::new(), Cancel::new(), StdThreads::new());
    let env = Env::new(&clock, &runner, &cancel);
    let req = LabRequest::Counter(CounterParams::default());
    let err = lab::repeat(&req, 201, &env, &mut |_| {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid parameters: runs must be between 1 and 200"
    );
}

#[test]
fn rayon_scope_runs_every_task_at_once() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(5)
        .build()
        .unwrap();
    pool.install(|| {
        assert_eq!(RayonScope.max_threads(), 4);
        // Each task waits until all have arrived: this only returns if all 4 run at once.
        let arrived = AtomicUsize::new(0);
        let (clock, cancel) = (StdClock::new(), Cancel::new());
        let env = Env::new(&clock, &RayonScope, &cancel);
        RayonScope.run(4, &|_| {
            arrived.fetch_add(1, Ordering::SeqCst);
            assert!(lab::wait::wait_until(&env, || arrived
                .load(Ordering::SeqCst)
                == 4));
        });
        assert_eq!(arrived.load(Ordering::SeqCst), 4);
    });
}

#[test]
fn rayon_pool_too_small_is_refused_with_a_clear_message() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    pool.install(|| {
        let (clock, cancel) = (StdClock::new(), Cancel::new());
        let env = Env::new(&clock, &RayonScope, &cancel);
        let err = lab::run(&LabRequest::Counter(CounterParams::default()), &env).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameters: threads must be between 1 and 1"
        );
        let err = lab::run(&LabRequest::Deadlock(DeadlockParams::default()), &env).unwrap_err();
        assert!(
            err.to_string().contains("needs at least 2 threads"),
            "{err}"
        );
    });
}
