//! Scenarios at the thread limit: sixteen threads build, step and replay from their schedule
//! string, seventeen are refused, and the lesson's ten users sharing a `Semaphore(3)` explore
//! completely thanks to the symmetry reduction.

use sim::prelude::*;
use sim::samples;
use sim::{
    explore, replay, CheckRef, ExploreLimits, Explorer, OutcomeClass, RoundRobin, Run,
    ScenarioError, Schedule, MAX_THREADS,
};
use std::sync::Arc;

#[test]
fn sixteen_threads_build_step_and_replay_from_their_schedule_string() {
    assert_eq!(MAX_THREADS, 16);
    let scn = samples::race(16, 1, true);
    assert_eq!(scn.threads.len(), 16);
    let mut run = Run::new(Arc::clone(&scn)).expect("16 threads are allowed");
    // The last thread goes first, so its letter leads the schedule string.
    run.step(ThreadId(15)).expect("T16 can take the lock");
    assert_eq!(run.schedule().encode(), "1.p");
    let mut m = run.machine().clone();
    let (rest, outcome) = sim::run_in_place(&mut m, &mut RoundRobin::new(), 10_000);
    assert!(matches!(outcome, Some(Outcome::Finished { .. })));
    assert_eq!(m.var_by_name("counter"), Some(Value::Int(16)));
    let mut whole = run.schedule().clone();
    for &t in rest.steps() {
        whole.push(t);
    }
    let text = whole.encode();
    assert!(text.starts_with("1.p"));
    let decoded = Schedule::decode(&text).expect("round-trips");
    assert_eq!(decoded, whole);
    let again = replay(scn, &decoded).expect("replays");
    assert_eq!(again.machine(), &m);
}

#[test]
fn seventeen_threads_are_a_scenario_error_that_names_the_limit() {
    let mut b = ScenarioBuilder::new("too many");
    for i in 0..17 {
        b = b.thread(format!("T{}", i + 1), |t| {
            t.op("pass", nop());
        });
    }
    let err = b.build().expect_err("17 threads are too many");
    assert_eq!(err, ScenarioError::TooManyThreads { count: 17 });
    assert_eq!(
        err.to_string(),
        "the scenario has 17 threads; at most 16 are allowed"
    );
}

#[test]
fn ten_users_sharing_three_connections_never_have_four_inside() {
    let report = explore(samples::semaphore_pool(10, 3), ExploreLimits::default()).expect("valid");
    assert!(!report.truncated);
    assert_eq!(report.bad_schedules, 0);
    assert!(report
        .outcomes
        .iter()
        .all(|o| matches!(o.class, OutcomeClass::Finished { .. })));
    // Up to a renaming of the users: how many are waiting, inside (three places) or done.
    assert_eq!(report.states, 301);
}

#[test]
fn an_extra_release_lets_a_fourth_user_in() {
    let scn = samples::semaphore_pool_extra_release(10, 3);
    let report = explore(Arc::clone(&scn), ExploreLimits::default()).expect("valid");
    assert!(!report.truncated);
    assert!(report.has_bad());
    let over = OutcomeClass::Violated {
        check: CheckRef::Check(0),
        message: "too many connections in use".into(),
    };
    let stats = report.outcome(&over).expect("over capacity is reachable");
    assert_eq!(report.bad().count(), 1);
    assert_eq!(stats.schedules, report.bad_schedules);
    // T1 runs its block and releases twice (6 steps); four users then take a permit and enter.
    assert_eq!(stats.shortest.len(), 14);
    let run = replay(Arc::clone(&scn), &stats.shortest).expect("the shortest schedule replays");
    assert_eq!(run.outcome().map(Outcome::class), Some(over));
    let connection = scn.section_id("connection").expect("declared");
    assert_eq!(run.machine().section_occupants(connection).len(), 4);
}

#[test]
fn without_symmetry_the_ten_user_pool_does_not_fit_the_same_budget() {
    let limits = ExploreLimits {
        max_states: 5_000,
        max_depth: 100,
    };
    let scn = samples::semaphore_pool(10, 3);
    let plain = Explorer::new(Arc::clone(&scn), limits)
        .expect("valid")
        .with_symmetry(false)
        .run_to_completion();
    assert!(plain.truncated);
    let reduced = Explorer::new(scn, limits)
        .expect("valid")
        .run_to_completion();
    assert!(!reduced.truncated);
}

#[test]
fn a_bounded_pool_refuses_the_extra_release_only_while_all_permits_are_free() {
    let mut scn = samples::semaphore_pool_extra_release(10, 3)
        .as_ref()
        .clone();
    scn.sems[0].bounded = true;
    let scn = Arc::new(scn);
    let report = explore(Arc::clone(&scn), ExploreLimits::default()).expect("valid");
    assert!(!report.truncated);
    let kinds: Vec<&OutcomeClass> = report.bad().map(|o| &o.class).collect();
    assert!(matches!(
        kinds.as_slice(),
        [OutcomeClass::Violated { .. }, OutcomeClass::Misuse { .. }]
    ));
    for o in report.bad() {
        let run = replay(Arc::clone(&scn), &o.shortest).expect("replays");
        assert_eq!(run.outcome().map(Outcome::class), Some(o.class.clone()));
    }
}
