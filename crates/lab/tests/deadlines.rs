//! No wait can hang: a gate whose other party never arrives, and every experiment run on a
//! runner that loses one of its threads, give up at the run's deadline and say so.

use lab::wait::Gate;
use lab::{Cancel, Clock, Env, LabError, LabRequest, Runner, StdClock, StdThreads};

/// Runs every task but the last when it is asked for two or more: the lost thread never
/// arrives at a gate, never answers a hand-shake, never releases anything.
struct LosingRunner;

impl Runner for LosingRunner {
    fn max_threads(&self) -> usize {
        StdThreads::DEFAULT_MAX_THREADS
    }

    fn run(&self, n: usize, task: &(dyn Fn(usize) + Sync)) {
        let kept = if n >= 2 { n - 1 } else { n };
        std::thread::scope(|scope| {
            for i in 0..kept {
                scope.spawn(move || task(i));
            }
        });
    }
}

#[test]
fn a_gate_whose_other_party_never_arrives_times_out() {
    let (clock, cancel, runner) = (StdClock::new(), Cancel::new(), StdThreads::new());
    let env = Env::new(&clock, &runner, &cancel).with_deadline(clock.now_ms() + 50.0);
    let gate = Gate::new(2);
    assert!(
        !gate.arrive_and_wait(&env),
        "the gate cannot open with one party"
    );
    assert!(env.timed_out());
    assert!(!cancel.is_cancelled(), "a deadline is not a cancel");
    assert_eq!(gate.opened_at_ms(), None);
}

#[test]
fn a_gate_opens_before_its_deadline_when_everyone_arrives() {
    let (clock, cancel, runner) = (StdClock::new(), Cancel::new(), StdThreads::new());
    let env = Env::new(&clock, &runner, &cancel).with_deadline(clock.now_ms() + 60_000.0);
    let gate = Gate::new(3);
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| assert!(gate.arrive_and_wait(&env)));
        }
    });
    assert!(gate.opened_at_ms().is_some());
}

#[test]
fn a_caller_deadline_earlier_than_the_budget_wins() {
    let (clock, cancel, runner) = (StdClock::new(), Cancel::new(), StdThreads::new());
    let env = Env::new(&clock, &runner, &cancel);
    assert!(env.deadline_ms.is_infinite());
    let soon = env.with_deadline(100.0);
    assert_eq!(soon.with_deadline(5_000.0).deadline_ms, 100.0);
}

#[test]
fn every_experiment_whose_thread_is_lost_times_out_with_a_clear_error() {
    let (clock, cancel) = (StdClock::new(), Cancel::new());
    for req in LabRequest::defaults() {
        let env = Env::new(&clock, &LosingRunner, &cancel).with_deadline(clock.now_ms() + 150.0);
        match lab::run(&req, &env) {
            Err(e @ LabError::TimedOut { limit_ms }) => {
                assert!(
                    limit_ms <= 150,
                    "{}: the caller's deadline was the earlier",
                    req.slug()
                );
                assert!(e.to_string().contains("waiting for another"), "{e}");
            }
            // One thread (reentry), or no wait on the lost thread: the run ends by itself.
            Ok(_) if req.threads_needed() < 2 || !waits_for_every_thread(&req) => {}
            other => panic!("{}: {other:?}", req.slug()),
        }
        assert!(!cancel.is_cancelled());
    }
}

/// Experiments that start their threads behind a gate, so a lost thread always stops them.
fn waits_for_every_thread(req: &LabRequest) -> bool {
    !matches!(req.slug(), "deadlock" | "producer-consumer")
}
