//! Outcome-set ("litmus") tests: explore every interleaving of a small scenario and assert the
//! *set* of outcomes, in the manner of loom's `tests/litmus.rs`.

use sim::prelude::*;
use sim::samples;
use sim::{explore, ExploreLimits, ExploreReport, OutcomeClass, PyExc, Run, Scenario};
use std::collections::BTreeSet;
use std::sync::Arc;

fn all(scn: Arc<Scenario>) -> ExploreReport {
    let r = explore(scn, ExploreLimits::default()).expect("valid scenario");
    assert!(!r.truncated, "exploration hit a limit");
    r
}

fn build(b: ScenarioBuilder) -> Arc<Scenario> {
    b.build_arc().expect("valid scenario")
}

fn ints(v: &[i64]) -> Vec<Value> {
    v.iter().map(|&i| Value::Int(i)).collect()
}

/// The kinds of outcome reached: "finished", "deadlock", "violated", "misuse", "livelock"…
fn kinds(r: &ExploreReport) -> BTreeSet<&'static str> {
    r.outcomes
        .iter()
        .map(|o| match o.class {
            OutcomeClass::Finished { .. } => "finished",
            OutcomeClass::Deadlock { .. } => "deadlock",
            OutcomeClass::Violated { .. } => "violated",
            OutcomeClass::Misuse { .. } => "misuse",
            OutcomeClass::StepLimit => "step limit",
            OutcomeClass::Livelock => "livelock",
            OutcomeClass::Starvation { .. } => "starvation",
            OutcomeClass::Unexplored => "unexplored",
        })
        .collect()
}

fn set(items: &[&'static str]) -> BTreeSet<&'static str> {
    items.iter().copied().collect()
}

#[test]
fn two_unlocked_increments_end_in_one_or_two() {
    let r = all(samples::race(2, 1, false));
    assert_eq!(r.final_values("counter"), ints(&[1, 2]));
    assert_eq!(r.schedules, 70);
}

#[test]
fn two_locked_increments_always_end_in_two() {
    let r = all(samples::race(2, 1, true));
    assert_eq!(r.final_values("counter"), ints(&[2]));
    assert_eq!(kinds(&r), set(&["finished"]));
}

#[test]
fn three_threads_two_increments_each_can_end_anywhere_from_two_to_six() {
    let r = all(samples::race(3, 2, false));
    assert_eq!(r.final_values("counter"), ints(&[2, 3, 4, 5, 6]));
    let r = all(samples::race(3, 2, true));
    assert_eq!(r.final_values("counter"), ints(&[6]));
}

#[test]
fn opposite_lock_order_can_deadlock() {
    let r = all(samples::two_locks(true));
    assert_eq!(kinds(&r), set(&["deadlock", "finished"]));
    let dl = r.bad().next().expect("a deadlock");
    let Some(Outcome::Deadlock { cycle, .. }) = &dl.example else {
        panic!("no example deadlock")
    };
    let text: Vec<String> = cycle.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "T1 waits for lock `lock2` held by T2",
            "T2 waits for lock `lock1` held by T1"
        ]
    );
    // Shortest: each takes its first lock (and prints), then reaches for the other.
    let run = Run::replay(Arc::clone(&samples::two_locks(true)), &dl.shortest).expect("replays");
    assert!(matches!(run.outcome(), Some(Outcome::Deadlock { .. })));
}

#[test]
fn same_lock_order_cannot_deadlock() {
    let r = all(samples::two_locks(false));
    assert_eq!(kinds(&r), set(&["finished"]));
}

#[test]
fn transfers_locking_self_then_other_can_deadlock_but_ordered_locks_cannot() {
    let bad = all(samples::transfers(false));
    assert_eq!(kinds(&bad), set(&["deadlock", "finished"]));
    let good = all(samples::transfers(true));
    assert_eq!(kinds(&good), set(&["finished"]));
    assert_eq!(good.final_values("a"), ints(&[120]));
    assert_eq!(good.final_values("b"), ints(&[80]));
}

fn reentry(kind: LockKind) -> Arc<Scenario> {
    build(
        ScenarioBuilder::new("reentry")
            .lock("lock", kind)
            .thread("T1", |t| {
                t.line(3)
                    .op("with lock:", acquire("lock"))
                    .line(4)
                    .op("with lock:", acquire("lock"))
                    .op("(end of with)", release("lock"))
                    .line(3)
                    .op("(end of with)", release("lock"));
            }),
    )
}

#[test]
fn rlock_reentry_works() {
    assert_eq!(kinds(&all(reentry(LockKind::RLock))), set(&["finished"]));
}

#[test]
fn lock_reentry_deadlocks_on_itself() {
    let r = all(reentry(LockKind::Lock));
    assert_eq!(kinds(&r), set(&["deadlock"]));
    let Some(Outcome::Deadlock { cycle, .. }) = &r.outcomes[0].example else {
        panic!("no example")
    };
    assert_eq!(cycle.len(), 1);
    assert_eq!(cycle[0].thread, ThreadId(0));
    assert_eq!(cycle[0].holder, Some(ThreadId(0)));
}

#[test]
fn semaphore_of_three_never_has_four_holders() {
    let r = all(samples::semaphore_pool(4, 3));
    assert_eq!(kinds(&r), set(&["finished"]));
    let r = all(samples::semaphore_pool(5, 3));
    assert_eq!(kinds(&r), set(&["finished"]));
}

#[test]
fn section_check_catches_four_holders_when_the_pool_is_too_big() {
    // Control for the test above: the same check with a Semaphore(4) does fire.
    let mut b = ScenarioBuilder::new("pool of 4")
        .semaphore("pool", 4)
        .check_max_in_section("connection", 3, "four connections in use");
    for i in 0..4 {
        b = b.thread(format!("T{i}"), |t| {
            t.op("with pool:", sem_acquire("pool"))
                .op("(inside)", enter("connection"))
                .op("(leaving)", exit("connection"))
                .op("(end of with)", sem_release("pool"));
        });
    }
    let r = all(build(b));
    assert_eq!(kinds(&r), set(&["finished", "violated"]));
}

fn over_release(bounded: bool) -> Arc<Scenario> {
    let b = ScenarioBuilder::new("over-release").var("permits", 0);
    let b = if bounded {
        b.bounded_semaphore("s", 1)
    } else {
        b.semaphore("s", 1)
    };
    build(b.thread("T1", |t| {
        t.op("s.acquire()", sem_acquire("s"))
            .op("s.release()", sem_release("s"))
            .op("s.release()  # one too many", sem_release("s"))
            .op("s.acquire()", sem_acquire("s"))
            .op("s.acquire()  # the extra permit", sem_acquire("s"));
    }))
}

#[test]
fn semaphore_over_release_raises_the_count() {
    assert_eq!(kinds(&all(over_release(false))), set(&["finished"]));
}

#[test]
fn bounded_semaphore_over_release_is_a_value_error() {
    let r = all(over_release(true));
    assert_eq!(r.outcomes.len(), 1);
    let OutcomeClass::Misuse { error } = &r.outcomes[0].class else {
        panic!()
    };
    assert_eq!(error.kind, PyExc::ValueError);
    assert_eq!(error.message, "Semaphore released too many times");
}

fn release_by_other(kind: LockKind) -> Arc<Scenario> {
    build(
        ScenarioBuilder::new("release by another thread")
            .var("released", false)
            .lock("lock", kind)
            .thread("T1", |t| {
                t.op("lock.acquire()", acquire("lock"))
                    .op("released = True", load_const("v", true))
                    .op("STORE", store("released", "v"));
            })
            .thread("T2", |t| {
                t.label("wait")
                    .op("while not released:", load("released", "r"))
                    .op("POP_JUMP_IF_FALSE", jump_if_false("r", "wait"))
                    .op("lock.release()", release("lock"));
            }),
    )
}

#[test]
fn lock_released_by_a_non_holder_is_allowed() {
    // `threading.Lock` has no owner: CPython lets any thread release it.
    let r = all(release_by_other(LockKind::Lock));
    assert!(kinds(&r).contains("finished"));
    assert!(!kinds(&r).contains("misuse"));
}

#[test]
fn rlock_released_by_a_non_owner_is_a_runtime_error() {
    let r = all(release_by_other(LockKind::RLock));
    let misuse = r
        .outcomes
        .iter()
        .find_map(|o| match &o.class {
            OutcomeClass::Misuse { error } => Some(error.to_string()),
            _ => None,
        })
        .expect("a misuse");
    assert_eq!(misuse, "RuntimeError: cannot release un-acquired lock");
    assert!(!kinds(&r).contains("finished"));
}

fn wait_and_notify(notify_at_all: bool, predicate: bool) -> Arc<Scenario> {
    build(
        ScenarioBuilder::new("condition")
            .var("ready", false)
            .lock("lock", LockKind::Lock)
            .condition("cv", "lock")
            .thread("waiter", |t| {
                t.op("with cv:", acquire("lock"));
                if predicate {
                    t.label("check")
                        .op("while not ready:", load("ready", "r"))
                        .op("POP_JUMP_IF_TRUE", jump_if_true("r", "done"))
                        .op("cv.wait()", wait("cv"))
                        .op("JUMP_BACKWARD", jump("check"))
                        .label("done");
                } else {
                    t.op("cv.wait()", wait("cv"));
                }
                t.op("(end of with)", release("lock"));
            })
            .thread("notifier", |t| {
                t.op("with cv:", acquire("lock"))
                    .op("ready = True", load_const("v", true))
                    .op("STORE", store("ready", "v"));
                if notify_at_all {
                    t.op("cv.notify()", notify("cv", 1));
                }
                t.op("(end of with)", release("lock"));
            }),
    )
}

#[test]
fn condition_wait_without_a_notify_deadlocks() {
    let r = all(wait_and_notify(false, false));
    assert_eq!(kinds(&r), set(&["deadlock"]));
    let Some(Outcome::Deadlock { cycle, .. }) = &r.outcomes[0].example else {
        panic!()
    };
    assert_eq!(
        cycle[0].to_string(),
        "T1 waits for a notify on condition `cv`"
    );
}

#[test]
fn condition_notify_before_wait_is_lost() {
    // Without a predicate, a notify that comes first wakes nobody and the waiter hangs.
    let r = all(wait_and_notify(true, false));
    assert_eq!(kinds(&r), set(&["deadlock", "finished"]));
}

#[test]
fn condition_wait_in_a_predicate_loop_never_hangs() {
    let r = all(wait_and_notify(true, true));
    assert_eq!(kinds(&r), set(&["finished"]));
}

#[test]
fn queue_put_blocks_when_full_and_get_blocks_when_empty() {
    let scn = build(
        ScenarioBuilder::new("queue")
            .var("first", Value::None)
            .var("second", Value::None)
            .queue("q", 1)
            .thread("producer", |t| {
                t.op("q.put(1)", put("q", 1)).op("q.put(2)", put("q", 2));
            })
            .thread("consumer", |t| {
                t.op("a = q.get()", get("q", "a"))
                    .op("first = a", store("first", "a"))
                    .op("b = q.get()", get("q", "b"))
                    .op("second = b", store("second", "b"));
            }),
    );
    let r = all(Arc::clone(&scn));
    assert_eq!(kinds(&r), set(&["finished"]));
    assert_eq!(r.final_values("first"), ints(&[1]));
    assert_eq!(r.final_values("second"), ints(&[2]));

    let mut m = Machine::new(Arc::clone(&scn)).expect("valid");
    let get_first = m.step(ThreadId(1));
    assert_eq!(
        get_first.expect_err("empty queue").to_string(),
        "T2 is blocked, waiting for an item in queue `q`"
    );
    m.step(ThreadId(0)).expect("first put");
    assert_eq!(
        m.step(ThreadId(0)).expect_err("full queue").to_string(),
        "T1 is blocked, waiting for space in queue `q`"
    );
}

fn join_scenario(worker_calls_task_done: bool) -> Arc<Scenario> {
    build(
        ScenarioBuilder::new("task_done and join")
            .var("handled", 0)
            .queue("q", 0)
            .thread("main", |t| {
                t.op("q.put(1)", put("q", 1))
                    .op("q.put(2)", put("q", 2))
                    .op("q.join()", join_queue("q"))
                    .op("n = handled", load("handled", "n"))
                    .op("n == 2", eq("ok", "n", 2))
                    .op(
                        "assert handled == 2",
                        assert_true("ok", "join returned early"),
                    );
            })
            .thread("worker", |t| {
                for _ in 0..2 {
                    t.op("item = q.get()", get("q", "item"))
                        .op("handle(item)", tally("handled", 1));
                    if worker_calls_task_done {
                        t.op("q.task_done()", task_done("q"));
                    }
                }
            }),
    )
}

#[test]
fn queue_join_waits_until_every_task_is_done() {
    assert_eq!(kinds(&all(join_scenario(true))), set(&["finished"]));
}

#[test]
fn queue_join_without_task_done_hangs() {
    assert_eq!(kinds(&all(join_scenario(false))), set(&["deadlock"]));
}

fn per_thread(storage_is_local: bool) -> Arc<Scenario> {
    let body = move |me: i64| {
        move |t: &mut ThreadBuilder| {
            if storage_is_local {
                t.op(format!("data.value = {me}"), local_set("value", me))
                    .op("v = data.value", local_get("value", "v"));
            } else {
                t.op(format!("value = {me}"), load_const("c", me))
                    .op("STORE_GLOBAL", store("value", "c"))
                    .op("v = value", load("value", "v"));
            }
            t.op(format!("v == {me}"), eq("ok", "v", me)).op(
                format!("assert v == {me}"),
                assert_true("ok", "saw another thread's value"),
            );
        }
    };
    build(
        ScenarioBuilder::new("thread-local")
            .local("value")
            .var("value", Value::None)
            .thread("T1", body(1))
            .thread("T2", body(2)),
    )
}

#[test]
fn thread_local_values_are_per_thread() {
    assert_eq!(kinds(&all(per_thread(true))), set(&["finished"]));
}

#[test]
fn a_shared_global_is_not_per_thread() {
    assert_eq!(
        kinds(&all(per_thread(false))),
        set(&["finished", "violated"])
    );
}

#[test]
fn seed_producer_consumer_sentinel_scheme_can_lose_tasks() {
    let r = all(samples::producer_consumer(false, 2, 4));
    let lost = r.outcomes.iter().find(|o| {
        matches!(&o.class, OutcomeClass::Violated { message, .. } if message == "tasks were left unprocessed")
    });
    let lost = lost.expect("some schedule loses tasks");
    let Some(Outcome::Violated { vars, .. }) = &lost.example else {
        panic!()
    };
    let processed = vars.iter().find(|(n, _)| n == "processed").map(|(_, v)| *v);
    assert!(matches!(processed, Some(Value::Int(n)) if n < 4));
    assert!(
        kinds(&r).contains("finished"),
        "and some schedules are fine, which hides the bug"
    );
}

#[test]
fn corrected_producer_consumer_cannot_lose_tasks() {
    let r = all(samples::producer_consumer(true, 2, 4));
    assert_eq!(kinds(&r), set(&["finished"]));
    assert_eq!(r.final_values("processed"), ints(&[4]));
}

#[test]
fn naive_singleton_can_create_two_instances() {
    let r = all(samples::singleton(false));
    assert_eq!(kinds(&r), set(&["finished", "violated"]));
}

#[test]
fn double_checked_singleton_creates_one_instance() {
    let r = all(samples::singleton(true));
    assert_eq!(kinds(&r), set(&["finished"]));
}

#[test]
fn gil_with_switches_only_at_back_edges_never_loses_updates() {
    let r = all(samples::gil_race(2, 2, false));
    assert_eq!(r.final_values("counter"), ints(&[4]));
}

#[test]
fn gil_that_may_switch_between_any_two_bytecodes_loses_updates() {
    let r = all(samples::gil_race(2, 2, true));
    assert!(r.final_values("counter").contains(&Value::Int(2)));
    assert!(r.final_values("counter").contains(&Value::Int(4)));
}

#[test]
fn gil_makes_no_difference_to_locked_code() {
    // The lock, not the GIL, is what makes the increment safe: with the GIL off, the looped
    // race loses updates too.
    let scn = samples::gil_race(2, 1, false);
    let mut no_gil = (*scn).clone();
    no_gil.gil = false;
    let r = all(Arc::new(no_gil));
    assert_eq!(r.final_values("counter"), ints(&[1, 2]));
}
