//! Thread-local and try-lock experiments: thread-local storage never mixes ids up while a
//! forced interleaving makes the shared slot do so; every try is counted once, and a forced
//! holder makes every other thread find the lock busy.

mod common;

use common::on_both_runners;
use lab::{Env, LabReport, LabRequest, ThreadLocalParams, TryLockParams};

fn thread_local(params: ThreadLocalParams, env: &Env) -> (lab::ThreadLocalReport, bool) {
    let report = common::run(LabRequest::ThreadLocal(params), env);
    let went_wrong = report.went_wrong();
    let LabReport::ThreadLocal(r) = report else {
        panic!("wrong report")
    };
    (r, went_wrong)
}

fn try_lock(params: TryLockParams, env: &Env) -> lab::TryLockReport {
    match common::run(LabRequest::TryLock(params), env) {
        LabReport::TryLock(r) => r,
        other => panic!("wrong report {other:?}"),
    }
}

#[test]
fn thread_local_storage_never_reads_another_threads_id() {
    on_both_runners(|env| {
        for force in [false, true] {
            let (r, _) = thread_local(
                ThreadLocalParams {
                    threads: 4,
                    iterations: 3000,
                    window: 20,
                    force,
                },
                env,
            );
            assert_eq!(r.thread_local_mismatches, 0, "force={force}");
            assert!(r.shared_mismatches <= 4 * 3000);
        }
    });
}

#[test]
fn forced_shared_slot_reads_another_threads_id() {
    on_both_runners(|env| {
        for threads in [2, 3, 5] {
            let (r, went_wrong) = thread_local(
                ThreadLocalParams {
                    threads,
                    iterations: 10,
                    window: 0,
                    force: true,
                },
                env,
            );
            // Everyone wrote before anyone read: only the last writer can read its own id.
            assert!(
                r.shared_mismatches >= u64::from(threads - 1),
                "{threads} threads: {}",
                r.shared_mismatches
            );
            assert_eq!(r.thread_local_mismatches, 0);
            assert!(went_wrong, "the shared slot is the lesson's bad variant");
        }
    });
}

#[test]
fn a_lone_thread_reads_its_own_id_from_either_storage() {
    on_both_runners(|env| {
        let (r, went_wrong) = thread_local(
            ThreadLocalParams {
                threads: 1,
                iterations: 1000,
                window: 5,
                force: true,
            },
            env,
        );
        assert_eq!((r.thread_local_mismatches, r.shared_mismatches), (0, 0));
        assert!(!went_wrong);
    });
}

#[test]
fn every_try_is_counted_once_as_got_or_busy() {
    on_both_runners(|env| {
        for force in [false, true] {
            let r = try_lock(
                TryLockParams {
                    threads: 4,
                    attempts: 500,
                    work: 50,
                    force,
                },
                env,
            );
            assert_eq!(r.successes_per_thread.len(), 4);
            for (got, busy) in r.successes_per_thread.iter().zip(&r.failures_per_thread) {
                assert_eq!(got + busy, 500);
            }
            assert_eq!(r.successes + r.failures, 4 * 500);
            assert!(r.successes >= 1, "some try finds the lock free");
            assert!((0.0..=100.0).contains(&r.success_rate));
            assert_eq!(r.timeouts, 0);
            assert!(!LabReport::TryLock(r).went_wrong());
        }
    });
}

#[test]
fn forced_holder_makes_every_other_thread_find_the_lock_busy() {
    on_both_runners(|env| {
        let r = try_lock(
            TryLockParams {
                threads: 4,
                attempts: 20,
                work: 10,
                force: true,
            },
            env,
        );
        assert!(r.successes_per_thread[0] >= 1);
        for (t, busy) in r.failures_per_thread.iter().enumerate().skip(1) {
            assert!(*busy >= 1, "thread {t} never found the lock busy");
        }
        assert!(r.failures >= 3);
    });
}

#[test]
fn a_lone_thread_always_gets_the_lock() {
    on_both_runners(|env| {
        let r = try_lock(
            TryLockParams {
                threads: 1,
                attempts: 300,
                work: 10,
                force: true,
            },
            env,
        );
        assert_eq!((r.successes, r.failures), (300, 0));
        assert_eq!(r.success_rate, 100.0);
        assert_eq!(r.try_loop_busy, 0);
    });
}
