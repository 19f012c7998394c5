//! Reentry, semaphore, rwlock and singleton experiments: the invariants that must hold in every
//! run, and the bad outcomes that forced interleavings make certain.

mod common;

use common::on_both_runners;
use lab::{
    Env, LabReport, LabRequest, ReentryParams, RwLockParams, SemaphoreParams, SingletonDesign,
    SingletonParams,
};

fn run(req: LabRequest, env: &Env) -> LabReport {
    common::run(req, env)
}

#[test]
fn reacquiring_a_held_lock_is_detected_and_released() {
    on_both_runners(|env| {
        let LabReport::Reentry(r) = run(
            LabRequest::Reentry(ReentryParams {
                timeout_ms: 30,
                depth: 3,
            }),
            env,
        ) else {
            panic!("wrong report")
        };
        assert!(r.lock_detected, "the second acquire never succeeds");
        assert!(r.lock_held_by_self, "the holder was the thread itself");
        assert!(r.lock_released, "the lock is free again afterwards");
    });
}

#[test]
fn rlock_reentry_reaches_full_depth_and_frees() {
    on_both_runners(|env| {
        let LabReport::Reentry(r) = run(
            LabRequest::Reentry(ReentryParams {
                timeout_ms: 10,
                depth: 12,
            }),
            env,
        ) else {
            panic!("wrong report")
        };
        assert_eq!(r.rlock_max_depth, 12);
        assert!(r.rlock_released);
    });
}

#[test]
fn semaphore_never_exceeds_permits() {
    on_both_runners(|env| {
        for (tasks, permits) in [(4, 1), (5, 2), (3, 3), (2, 4)] {
            let params = SemaphoreParams {
                tasks,
                permits,
                rounds: 3,
                hold_ms: 2,
                ..Default::default()
            };
            let LabReport::Semaphore(r) = run(LabRequest::Semaphore(params), env) else {
                panic!("wrong report")
            };
            assert!(r.max_holders >= 1);
            assert!(
                r.max_holders <= permits,
                "{} holders with {permits} permits",
                r.max_holders
            );
            assert_eq!(r.acquisitions, tasks * 3);
        }
    });
}

#[test]
fn unmatched_release_lets_two_holders_into_a_binary_semaphore() {
    on_both_runners(|env| {
        let LabReport::Semaphore(r) = run(
            LabRequest::Semaphore(SemaphoreParams {
                hold_ms: 0,
                ..Default::default()
            }),
            env,
        ) else {
            panic!("wrong report")
        };
        assert_eq!(r.unbounded_extra_release_holders, 2);
    });
}

#[test]
fn bounded_semaphore_refuses_an_unmatched_release_and_keeps_one_holder() {
    on_both_runners(|env| {
        let LabReport::Semaphore(r) = run(
            LabRequest::Semaphore(SemaphoreParams {
                hold_ms: 0,
                ..Default::default()
            }),
            env,
        ) else {
            panic!("wrong report")
        };
        assert!(r
            .bounded_refused
            .as_deref()
            .is_some_and(|m| m.contains("released too many times")));
        assert_eq!(r.bounded_max_holders, 1);
    });
}

fn small_rwlock() -> RwLockParams {
    RwLockParams {
        readers: 3,
        duration_ms: 60,
        read_hold_ms: 3,
        write_hold_ms: 1,
        writer_delay_ms: 5,
        force: false,
    }
}

#[test]
fn readers_and_writer_never_overlap_in_either_design() {
    on_both_runners(|env| {
        let LabReport::RwLock(r) = run(LabRequest::RwLock(small_rwlock()), env) else {
            panic!("wrong report")
        };
        for design in [&r.reader_preferring, &r.writer_preferring] {
            assert_eq!(design.overlaps, 0, "{:?}", design.design);
            assert!(design.max_readers >= 1 && design.max_readers <= 3);
        }
    });
}

#[test]
fn writer_gets_in_with_both_designs_by_the_end_of_the_stream() {
    on_both_runners(|env| {
        let LabReport::RwLock(r) = run(LabRequest::RwLock(small_rwlock()), env) else {
            panic!("wrong report")
        };
        assert!(r.reader_preferring.writes >= 1);
        assert!(r.writer_preferring.writes >= 1);
        assert!(r.writer_preferring.reads >= 1);
    });
}

fn semaphore(params: SemaphoreParams, env: &Env) -> (lab::SemaphoreReport, bool) {
    let report = run(LabRequest::Semaphore(params), env);
    let went_wrong = report.went_wrong();
    let LabReport::Semaphore(r) = report else {
        panic!("wrong report")
    };
    (r, went_wrong)
}

fn forced_extra_release(tasks: u32, permits: u32, rounds: u32) -> SemaphoreParams {
    SemaphoreParams {
        tasks,
        permits,
        rounds,
        hold_ms: 0,
        extra_release: true,
        force: true,
    }
}

#[test]
fn forced_extra_release_lets_exactly_one_holder_more_than_permits_in() {
    on_both_runners(|env| {
        // With one round, task 0 (which made the extra release) takes no part in filling the
        // pool, so one task more is needed.
        for (tasks, permits, rounds) in [(4, 2, 3), (3, 2, 2), (4, 2, 1), (3, 1, 1), (5, 3, 2)] {
            let (r, went_wrong) = semaphore(forced_extra_release(tasks, permits, rounds), env);
            assert_eq!(
                r.max_holders,
                permits + 1,
                "{tasks} tasks, {permits} permits, {rounds} rounds"
            );
            assert!(went_wrong);
            assert_eq!(r.acquisitions, tasks * rounds);
        }
    });
}

#[test]
fn forced_extra_release_on_a_bounded_semaphore_is_refused_and_keeps_the_permits() {
    on_both_runners(|env| {
        let (r, _) = semaphore(forced_extra_release(4, 2, 2), env);
        let bounded = r
            .bounded_pool
            .expect("the bounded run comes with the extra release");
        // Task 0 released while the count was full: refused on the spot, nothing later.
        assert!(bounded.extra_refused);
        assert_eq!(bounded.late_refusals, 0);
        assert_eq!(bounded.max_holders, 2);
    });
}

#[test]
fn forced_pool_without_an_extra_release_fills_exactly_the_permits() {
    on_both_runners(|env| {
        for (tasks, permits) in [(4, 2), (3, 3), (2, 4)] {
            let (r, went_wrong) = semaphore(
                SemaphoreParams {
                    tasks,
                    permits,
                    rounds: 2,
                    hold_ms: 0,
                    extra_release: false,
                    force: true,
                },
                env,
            );
            assert_eq!(r.max_holders, permits.min(tasks));
            assert!(!went_wrong);
            assert!(r.bounded_pool.is_none());
        }
    });
}

#[test]
fn an_extra_release_adds_at_most_one_holder_and_a_bounded_pool_refuses_exactly_one_release() {
    on_both_runners(|env| {
        for _ in 0..3 {
            let (r, _) = semaphore(
                SemaphoreParams {
                    tasks: 5,
                    permits: 2,
                    rounds: 4,
                    hold_ms: 1,
                    extra_release: true,
                    force: false,
                },
                env,
            );
            assert!((1..=3).contains(&r.max_holders), "{}", r.max_holders);
            let bounded = r.bounded_pool.expect("bounded run");
            // The extra release if the count was full then, else one innocent release later.
            assert_eq!(u64::from(bounded.extra_refused) + bounded.late_refusals, 1);
            assert!(bounded.max_holders <= 3);
            if bounded.extra_refused {
                assert!(bounded.max_holders <= 2);
            }
        }
    });
}

fn forced_rwlock() -> RwLockParams {
    RwLockParams {
        readers: 2,
        duration_ms: 50,
        read_hold_ms: 2,
        write_hold_ms: 1,
        writer_delay_ms: 5,
        force: true,
    }
}

#[test]
fn forced_reader_stream_starves_the_seed_writer_and_says_so() {
    // The readers hand over, so the seed's writer gets in only when the last reader releases;
    // each reader lingers right after that release until the writer has judged. Counting a
    // reader out of the stream only after its release reported this writer as not starved.
    on_both_runners(|env| {
        for readers in [1, 2, 3] {
            let report = run(
                LabRequest::RwLock(RwLockParams {
                    readers,
                    ..forced_rwlock()
                }),
                env,
            );
            assert!(report.went_wrong());
            let LabReport::RwLock(r) = report else {
                panic!("wrong report")
            };
            let rp = &r.reader_preferring;
            assert!(rp.writer_starved, "{readers} readers: {rp:?}");
            assert!(rp.writes >= 1);
            assert_eq!(rp.overlaps, 0);
            assert_eq!(r.writer_preferring.overlaps, 0);
            assert!(r.writer_preferring.writes >= 1);
        }
    });
}

fn singleton(design: SingletonDesign, threads: u32, force: bool, env: &Env) -> u64 {
    let params = SingletonParams {
        design,
        threads,
        window_spins: 100,
        force,
    };
    let LabReport::Singleton(r) = run(LabRequest::Singleton(params), env) else {
        panic!("wrong report")
    };
    assert!(r.distinct_seen <= r.instances);
    r.instances
}

#[test]
fn naive_singleton_creates_two_when_forced() {
    on_both_runners(|env| {
        assert_eq!(singleton(SingletonDesign::Naive, 2, true, env), 2);
        assert_eq!(singleton(SingletonDesign::Naive, 4, true, env), 4);
    });
}

#[test]
fn naive_singleton_creates_between_one_and_one_per_thread() {
    on_both_runners(|env| {
        let n = singleton(SingletonDesign::Naive, 4, false, env);
        assert!((1..=4).contains(&n));
    });
}

#[test]
fn locked_singletons_create_exactly_one_even_when_forced() {
    on_both_runners(|env| {
        for design in [SingletonDesign::DoubleChecked, SingletonDesign::OnceCell] {
            for force in [false, true] {
                assert_eq!(
                    singleton(design, 4, force, env),
                    1,
                    "{design:?} force={force}"
                );
            }
        }
    });
}
