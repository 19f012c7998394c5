//! Timelines of real threads: what each traced experiment records agrees with what it
//! measured, holds never overlap more than the primitive allows, and every lane is bounded.

mod common;

use common::{on_both_runners, run};
use lab::trace::MAX_SPANS_PER_THREAD;
use lab::{
    BankMode, BankParams, DeadlockParams, LabReport, LabRequest, LockOrdering, Phase,
    ProducerConsumerParams, RwLockParams, SemaphoreParams, Shutdown, Trace,
};

fn only_trace(report: &LabReport) -> &Trace {
    let traces = report.traces();
    assert_eq!(traces.len(), 1, "{} should record one trace", report.slug());
    traces[0]
}

/// Every lane is within its bound, spans are well formed and a thread's spans of one phase
/// and resource never overlap each other.
fn well_formed(trace: &Trace) {
    for t in 0..trace.threads.len() {
        let mine: Vec<_> = trace
            .spans
            .iter()
            .filter(|s| usize::from(s.thread) == t)
            .collect();
        assert!(mine.len() <= MAX_SPANS_PER_THREAD);
        for phase in [Phase::Waits, Phase::Holds] {
            for r in 0..trace.resources.len() {
                let of: Vec<_> = mine
                    .iter()
                    .filter(|s| s.phase == phase && usize::from(s.resource) == r)
                    .collect();
                assert!(of.windows(2).all(|w| w[0].to_ms <= w[1].from_ms));
            }
        }
    }
    for s in &trace.spans {
        assert!(s.from_ms >= 0.0 && s.from_ms <= s.to_ms && s.to_ms <= trace.ms + 1e-9);
        assert!(usize::from(s.resource) < trace.resources.len());
    }
}

#[test]
fn a_semaphore_trace_never_shows_more_holders_than_permits() {
    on_both_runners(|env| {
        let params = SemaphoreParams {
            tasks: 5,
            permits: 2,
            rounds: 4,
            hold_ms: 3,
            ..SemaphoreParams::default()
        };
        let report = run(LabRequest::Semaphore(params), env);
        let trace = only_trace(&report);
        well_formed(trace);
        assert_eq!(trace.threads.len(), 5);
        let holds = trace.count(Phase::Holds);
        assert_eq!(holds, 5 * 4, "one hold per acquisition");
        assert!(trace.max_overlap(Phase::Holds, 0) <= 2);
        // Five users, two permits, 3 ms each: someone waits.
        assert!(trace.spans.iter().any(|s| s.phase == Phase::Waits));
    });
}

#[test]
fn opposite_order_shows_each_thread_holding_one_lock_and_waiting_for_the_next() {
    on_both_runners(|env| {
        let report = run(LabRequest::Deadlock(DeadlockParams::default()), env);
        let LabReport::Deadlock(r) = &report else {
            unreachable!()
        };
        assert!(r.deadlocked);
        let trace = only_trace(&report);
        well_formed(trace);
        assert_eq!(trace.resources, ["lock_a", "lock_b"]);
        for t in 0..2u16 {
            let own = trace
                .spans
                .iter()
                .find(|s| s.thread == t && s.phase == Phase::Holds && s.resource == t)
                .expect("holds its first lock");
            let wait = trace
                .spans
                .iter()
                .find(|s| s.thread == t && s.phase == Phase::Waits && s.resource == 1 - t)
                .expect("waits for the other");
            assert!(own.from_ms <= wait.from_ms && wait.to_ms <= own.to_ms);
        }
    });
}

#[test]
fn one_global_order_lets_every_thread_hold_both_locks() {
    on_both_runners(|env| {
        let params = DeadlockParams {
            ordering: LockOrdering::Global,
            threads: 3,
            ..DeadlockParams::default()
        };
        let report = run(LabRequest::Deadlock(params), env);
        let trace = only_trace(&report);
        well_formed(trace);
        let holds = trace.count(Phase::Holds);
        assert_eq!(holds, 3 * 2);
        for lock in 0..3 {
            assert!(
                trace.max_overlap(Phase::Holds, lock) <= 1,
                "a lock has one holder"
            );
        }
    });
}

#[test]
fn rwlock_traces_show_readers_sharing_and_the_writer_alone() {
    on_both_runners(|env| {
        let report = run(LabRequest::RwLock(RwLockParams::default()), env);
        let traces = report.traces();
        assert_eq!(traces.len(), 2, "one per design");
        for trace in traces {
            well_formed(trace);
            assert_eq!(trace.threads.last().map(String::as_str), Some("writer"));
            assert!(trace.max_overlap(Phase::Holds, 0) >= 2, "readers share");
            assert!(trace.max_overlap(Phase::Holds, 1) <= 1);
            let writes = trace
                .spans
                .iter()
                .filter(|s| s.phase == Phase::Holds && s.resource == 1);
            for w in writes {
                assert!(
                    trace.spans.iter().all(|r| r.phase != Phase::Holds
                        || r.resource != 0
                        || r.to_ms <= w.from_ms
                        || w.to_ms <= r.from_ms),
                    "no reader inside while the writer writes"
                );
            }
        }
    });
}

#[test]
fn producer_consumer_trace_has_a_hold_per_task_processed() {
    on_both_runners(|env| {
        let params = ProducerConsumerParams::with_shutdown(Shutdown::JoinThenSentinels);
        let report = run(LabRequest::ProducerConsumer(params), env);
        let LabReport::ProducerConsumer(r) = &report else {
            unreachable!()
        };
        let trace = only_trace(&report);
        well_formed(trace);
        let holds = trace.count(Phase::Holds) as u64;
        assert_eq!(holds, r.processed_once + r.duplicates);
        assert!(trace
            .spans
            .iter()
            .filter(|s| s.phase == Phase::Holds)
            .all(|s| trace.threads[usize::from(s.thread)].starts_with("consumer")));
    });
}

#[test]
fn tracing_off_records_no_timeline_and_the_others_record_none() {
    on_both_runners(|env| {
        let off = env.without_trace();
        for req in LabRequest::defaults() {
            if req.slug() == "counter" {
                continue;
            }
            let report = run(req.clone(), &off);
            assert!(
                report.traces().is_empty(),
                "{} traced with tracing off",
                req.slug()
            );
            let traced = matches!(
                req.slug(),
                "semaphore" | "rwlock" | "deadlock" | "producer-consumer" | "bank" | "try-lock"
            );
            assert_eq!(
                !run(req.clone(), env).traces().is_empty(),
                traced,
                "{}",
                req.slug()
            );
        }
    });
}

#[test]
fn bank_traces_stop_where_a_thread_stopped_recording_and_hold_both_accounts() {
    on_both_runners(|env| {
        for mode in [BankMode::GlobalLock, BankMode::OrderedLocks] {
            let report = run(LabRequest::Bank(BankParams::with_mode(mode)), env);
            let trace = only_trace(&report);
            well_formed(trace);
            // 20 000 transfers per thread: far more than a lane keeps.
            assert!(trace.cut && trace.dropped > 0);
            for r in 0..trace.resources.len() {
                assert!(
                    trace.max_overlap(Phase::Holds, r as u16) <= 1,
                    "{mode:?}: one holder per lock"
                );
            }
        }
        let forced = BankParams {
            force_deadlock: true,
            ..BankParams::with_mode(BankMode::SelfThenOther)
        };
        let report = run(LabRequest::Bank(forced), env);
        let trace = only_trace(&report);
        well_formed(trace);
        let waited_for = |t: u16, account: u16| {
            trace
                .spans
                .iter()
                .any(|s| s.thread == t && s.phase == Phase::Waits && s.resource == account)
        };
        assert!(
            waited_for(0, 1) && waited_for(1, 0),
            "the forced pair waits for each other"
        );
    });
}

#[test]
fn a_repeat_traces_its_last_run_only() {
    on_both_runners(|env| {
        let req = LabRequest::Semaphore(SemaphoreParams {
            hold_ms: 1,
            ..SemaphoreParams::default()
        });
        let r = lab::repeat(&req, 3, env, &mut |_| {}).unwrap();
        let traced: Vec<bool> = r.reports.iter().map(|x| !x.traces().is_empty()).collect();
        assert_eq!(traced, [false, false, true]);
    });
}
