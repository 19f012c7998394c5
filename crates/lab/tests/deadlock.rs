//! Deadlock and bank experiments: opposite lock orders deadlock and are detected, reported and
//! recovered; one global order finishes; money is conserved in every run; the pool stays usable.

mod common;

use common::{on_both_runners, POOL_THREADS};
use lab::{
    BankMode, BankParams, Cancel, CounterMode, CounterParams, DeadlockParams, Env, LabReport,
    LabRequest, LockOrdering, RayonScope, StdClock,
};

fn deadlock(params: DeadlockParams, env: &Env) -> lab::DeadlockReport {
    match common::run(LabRequest::Deadlock(params), env) {
        LabReport::Deadlock(r) => r,
        other => panic!("wrong report {other:?}"),
    }
}

fn forced(ordering: LockOrdering, threads: u32) -> DeadlockParams {
    DeadlockParams {
        ordering,
        threads,
        force: true,
        hold_ms: 0,
        timeout_ms: 40,
    }
}

#[test]
fn opposite_lock_order_deadlock_is_detected_and_recovered() {
    on_both_runners(|env| {
        let r = deadlock(forced(LockOrdering::Opposite, 2), env);
        assert!(r.deadlocked);
        assert!(r.recovered);
        assert!(r.locks_free);
        assert_eq!(r.cycle.len(), 2);
        let text = r.cycle_text();
        assert!(
            text.contains("holds lock_a, waits for lock_b held by"),
            "{text}"
        );
        assert!(
            text.contains("holds lock_b, waits for lock_a held by"),
            "{text}"
        );
        assert!(r.detected_ms.is_some());
    });
}

#[test]
fn ring_of_three_deadlock_reports_a_three_edge_cycle() {
    on_both_runners(|env| {
        let r = deadlock(forced(LockOrdering::Opposite, 3), env);
        assert!(r.deadlocked && r.recovered);
        assert_eq!(r.cycle.len(), 3);
        for edge in &r.cycle {
            assert_ne!(edge.thread, edge.held_by);
            assert_ne!(edge.holds, edge.waits_for);
        }
    });
}

#[test]
fn global_lock_order_finishes_even_when_forced() {
    on_both_runners(|env| {
        for threads in [2, 3, 5] {
            let r = deadlock(forced(LockOrdering::Global, threads), env);
            assert!(!r.deadlocked);
            assert!(!r.recovered, "nothing to recover from");
            assert!(r.locks_free);
            assert_eq!(r.completed, threads);
            assert!(r.cycle.is_empty());
        }
    });
}

#[test]
fn unforced_opposite_order_either_finishes_or_is_recovered() {
    on_both_runners(|env| {
        let r = deadlock(
            DeadlockParams {
                force: false,
                hold_ms: 1,
                timeout_ms: 40,
                ..DeadlockParams::default()
            },
            env,
        );
        assert!(r.locks_free);
        assert_eq!(r.deadlocked, r.recovered);
        assert!(r.deadlocked || r.completed == 2);
    });
}

#[test]
fn pool_usable_after_recovered_deadlock() {
    let clock = StdClock::new();
    let cancel = Cancel::new();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(POOL_THREADS)
        .build()
        .expect("rayon pool");
    pool.install(|| {
        let env = Env::new(&clock, &RayonScope, &cancel);
        for _ in 0..3 {
            assert!(deadlock(forced(LockOrdering::Opposite, 2), &env).recovered);
            let req = LabRequest::Counter(CounterParams {
                mode: CounterMode::Mutex,
                threads: 5,
                increments: 10_000,
            });
            let LabReport::Counter(c) = common::run(req, &env) else {
                panic!("wrong report")
            };
            assert_eq!(
                c.actual, 50_000,
                "every pool thread was free to run the next experiment"
            );
        }
    });
}

fn bank(params: BankParams, env: &Env) -> lab::BankReport {
    match common::run(LabRequest::Bank(params), env) {
        LabReport::Bank(r) => r,
        other => panic!("wrong report {other:?}"),
    }
}

fn small_bank(mode: BankMode) -> BankParams {
    BankParams {
        mode,
        threads: 4,
        accounts: 5,
        transfers: 2_000,
        work: 10,
        timeout_ms: 40,
        ..BankParams::default()
    }
}

#[test]
fn money_is_conserved_in_every_mode() {
    on_both_runners(|env| {
        for mode in [
            BankMode::GlobalLock,
            BankMode::OrderedLocks,
            BankMode::SelfThenOther,
        ] {
            for seed in 1..=3 {
                let r = bank(
                    BankParams {
                        seed,
                        ..small_bank(mode)
                    },
                    env,
                );
                assert_eq!(r.total_before, 5 * 1000);
                assert_eq!(r.total_after, r.total_before, "{mode:?} seed {seed}");
                assert!(r.transfers_moved <= r.transfers_done);
            }
        }
    });
}

#[test]
fn ordered_and_global_locks_never_deadlock_and_finish_every_transfer() {
    on_both_runners(|env| {
        for mode in [BankMode::GlobalLock, BankMode::OrderedLocks] {
            let r = bank(small_bank(mode), env);
            assert!(!r.deadlocked);
            assert_eq!(r.transfers_done, 4 * 2_000);
        }
    });
}

#[test]
fn bad_bank_deadlock_is_detected_and_recovered_when_forced() {
    on_both_runners(|env| {
        for threads in [2, 4] {
            let r = bank(
                BankParams {
                    threads,
                    force_deadlock: true,
                    ..small_bank(BankMode::SelfThenOther)
                },
                env,
            );
            assert!(r.deadlocked, "{threads} threads");
            assert!(r.recovered);
            assert!(r.conserved());
            let text: Vec<String> = r.cycle.iter().map(ToString::to_string).collect();
            assert_eq!(r.cycle.len(), 2, "{text:?}");
        }
    });
}

#[test]
fn unforced_bad_bank_is_recovered_whenever_it_deadlocks() {
    on_both_runners(|env| {
        let r = bank(small_bank(BankMode::SelfThenOther), env);
        assert_eq!(r.deadlocked, r.recovered);
        assert!(r.conserved());
        assert!(r.deadlocked || r.transfers_done == 4 * 2_000);
    });
}
