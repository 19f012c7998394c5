//! `acquire(timeout=…)` that may give up, `print(...)` and what a run printed, and virtual time
//! ("Threads vs sequential"): outcome sets over every interleaving, and single runs.

use sim::prelude::*;
use sim::{
    explain, explore, run_to_end, EventKind, ExploreLimits, ExploreReport, LockId, RoundRobin, Run,
    Scenario, SemId,
};
use std::sync::Arc;

const T1: ThreadId = ThreadId(0);
const T2: ThreadId = ThreadId(1);

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

/// T1 holds the lock for a while; T2 tries `lock.acquire(timeout=1)` and counts what happened.
fn impatient(sem: bool) -> Arc<Scenario> {
    let b = ScenarioBuilder::new("impatient")
        .var("got", 0)
        .var("gave_up", 0)
        .lock("lock", LockKind::Lock)
        .semaphore("pool", 1);
    let (take, give) = if sem {
        (sem_acquire("pool"), sem_release("pool"))
    } else {
        (acquire("lock"), release("lock"))
    };
    build(
        b.thread("T1", |t| {
            t.op("take", take)
                .op("work", work(100))
                .op("give back", give);
        })
        .thread("T2", move |t| {
            let timed = if sem {
                sem_acquire_timeout("pool", "ok")
            } else {
                acquire_timeout("lock", "ok")
            };
            t.op("ok = acquire(timeout=1)", timed)
                .op("if ok:", jump_if_false("ok", "late"))
                .op("got += 1", tally("got", 1))
                .op(
                    "release()",
                    if sem {
                        sem_release("pool")
                    } else {
                        release("lock")
                    },
                )
                .op("return", jump("end"))
                .label("late")
                .op("gave_up += 1", tally("gave_up", 1))
                .label("end");
        }),
    )
}

#[test]
fn a_timed_acquire_gets_the_lock_or_gives_up_but_never_waits_forever() {
    for sem in [false, true] {
        let r = all(impatient(sem));
        assert!(r.outcomes.iter().all(|o| !o.class.is_bad()), "sem={sem}");
        assert_eq!(r.final_values("got"), ints(&[0, 1]), "sem={sem}");
        assert_eq!(r.final_values("gave_up"), ints(&[0, 1]), "sem={sem}");
    }
}

#[test]
fn a_timed_acquire_of_a_free_lock_never_times_out() {
    // T2 first, while nobody holds the lock: it can only get it.
    let mut m = Machine::new(impatient(false)).unwrap();
    let e = m.step(T2).unwrap();
    assert_eq!(
        e.kind,
        EventKind::Acquired {
            lock: LockId(0),
            count: 1
        }
    );
    assert_eq!(m.regs(T2)[0], Value::Bool(true));
}

#[test]
fn a_timed_acquire_of_a_held_lock_is_steppable_and_times_out() {
    for sem in [false, true] {
        let mut run = Run::new(impatient(sem)).unwrap();
        run.step(T1).unwrap();
        assert!(run.machine().can_step(T2), "a timed acquire never blocks");
        let e = run.step(T2).unwrap();
        assert_eq!(
            e.kind,
            if sem {
                EventKind::SemTimedOut { sem: SemId(0) }
            } else {
                EventKind::TimedOut { lock: LockId(0) }
            }
        );
        let what = if sem { "semaphore `pool`" } else { "`lock`" };
        assert_eq!(
            e.to_string(),
            format!("T2 gave up waiting for {what} (timeout): acquire returned False")
        );
        assert_eq!(run.machine().regs(T2)[0], Value::Bool(false));
        for t in [T2, T2, T1, T1] {
            run.step(t).unwrap();
        }
        let ex = explain(&run).unwrap();
        assert_eq!(ex.kind, "ok");
        let name = if sem { "pool" } else { "lock" };
        assert!(
            ex.to_string().ends_with(&format!(
                "T2 gave up waiting for `{name}` at step 2 (timeout): `acquire` returned `False`, \
                 while T1 held it."
            )),
            "{ex}"
        );
    }
}

/// "Threads vs sequential": each thread prints and sleeps 1 s, five times.
fn sleepers(sequential: bool) -> Arc<Scenario> {
    let body = |name: &'static str| {
        move |t: &mut ThreadBuilder| {
            if sequential && name == "Thread-2" {
                t.op("thread1.join()", join_thread("T1"));
            }
            for i in 1..=5 {
                t.op(
                    format!("print(f\"{{name}} - Count: {i}\")"),
                    print(format!("{name} - Count: {i}")),
                )
                .op("time.sleep(1)", sleep(1000));
            }
        }
    };
    build(
        ScenarioBuilder::new("sleepers")
            .gil(true)
            .thread("T1", body("Thread-1"))
            .thread("T2", body("Thread-2")),
    )
}

#[test]
fn two_sleeping_threads_take_five_seconds_together_and_ten_one_after_the_other() {
    let (run, _) = run_to_end(
        Machine::new(sleepers(false)).unwrap(),
        &mut RoundRobin::new(),
        1000,
    );
    assert!(matches!(run.outcome(), Some(Outcome::Finished { .. })));
    assert_eq!(run.machine().elapsed_ms(), 5000);
    let (run, _) = run_to_end(
        Machine::new(sleepers(true)).unwrap(),
        &mut RoundRobin::new(),
        1000,
    );
    assert!(matches!(run.outcome(), Some(Outcome::Finished { .. })));
    assert_eq!(run.machine().elapsed_ms(), 10_000);
}

#[test]
fn output_lists_printed_lines_in_the_order_this_schedule_printed_them() {
    let (run, _) = run_to_end(
        Machine::new(sleepers(false)).unwrap(),
        &mut RoundRobin::new(),
        1000,
    );
    let out = run.output();
    assert_eq!(out.len(), 10);
    assert_eq!(out[0], (T1, "Thread-1 - Count: 1".to_string(), 1));
    // Round-robin: T1 prints, T2 prints, then each sleeps…
    assert_eq!(out[1].0, T2);
    assert_eq!(out[1].1, "Thread-2 - Count: 1");
    let steps: Vec<usize> = out.iter().map(|o| o.2).collect();
    assert!(steps.windows(2).all(|w| w[0] < w[1]));
    for (t, text, step) in &out {
        assert_eq!(run.events()[step - 1].thread, *t);
        assert_eq!(
            run.events()[step - 1].to_string(),
            format!("{t} printed {text:?}")
        );
    }
    let (run, _) = run_to_end(
        Machine::new(sleepers(true)).unwrap(),
        &mut RoundRobin::new(),
        1000,
    );
    let who: Vec<ThreadId> = run.output().iter().map(|o| o.0).collect();
    assert_eq!(
        who,
        [[T1; 5], [T2; 5]].concat(),
        "joined: one after the other"
    );
}

#[test]
fn prints_do_not_split_explorer_states() {
    let scn = |printing: bool| {
        let body = move |t: &mut ThreadBuilder| {
            t.increment("counter", 1);
            t.op(
                "print(counter)",
                if printing { print("done") } else { nop() },
            );
        };
        build(
            ScenarioBuilder::new("print")
                .var("counter", 0)
                .thread("T1", body)
                .thread("T2", body),
        )
    };
    let (with, without) = (all(scn(true)), all(scn(false)));
    assert_eq!(with.states, without.states);
    assert_eq!(with.schedules, without.schedules);
    assert_eq!(with.final_values("counter"), ints(&[1, 2]));
}
