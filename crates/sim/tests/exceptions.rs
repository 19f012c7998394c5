//! Exceptions end only the thread that raised them, after the `finally:` blocks around them, as
//! in CPython: outcome sets over every interleaving ("litmus" style), and how such runs end and
//! are explained.

use sim::prelude::*;
use sim::{
    explain, explore, EventKind, ExploreLimits, ExploreReport, Explorer, OutcomeClass, PyError,
    Run, Scenario, Seg,
};
use std::collections::BTreeSet;
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

fn kinds(r: &ExploreReport) -> BTreeSet<&'static str> {
    r.outcomes
        .iter()
        .map(|o| match o.class {
            OutcomeClass::Finished { .. } => "finished",
            OutcomeClass::Deadlock { .. } => "deadlock",
            OutcomeClass::Violated { .. } => "violated",
            OutcomeClass::Misuse { .. } => "misuse",
            _ => "other",
        })
        .collect()
}

fn set(items: &[&'static str]) -> BTreeSet<&'static str> {
    items.iter().copied().collect()
}

fn boom() -> PyError {
    PyError::new(PyExc::ValueError, "boom")
}

fn run(scn: &Arc<Scenario>, picks: &[u8]) -> Run {
    let mut run = Run::new(Arc::clone(scn)).expect("valid");
    for &p in picks {
        run.step(ThreadId(p)).expect("can step");
    }
    run
}

/// Lesson "Lock Usage Patterns": T1 raises `ValueError("boom")` in its critical section; T2
/// increments `counter` under the same lock. `with_lock` uses `with lock:`; otherwise T1 calls
/// `acquire()` … `release()` with no `try:`/`finally:`.
fn raise_in_critical_section(with_lock: bool) -> Arc<Scenario> {
    build(
        ScenarioBuilder::new("raise in a critical section")
            .var("counter", 0)
            .lock("lock", LockKind::Lock)
            .thread("T1", |t| {
                if with_lock {
                    t.line(4).with_lock("lock", |b| {
                        b.line(5).op(
                            "raise ValueError(\"boom\")",
                            raise(PyExc::ValueError, "boom"),
                        );
                    });
                } else {
                    t.line(4)
                        .op("lock.acquire()", acquire("lock"))
                        .line(5)
                        .op(
                            "raise ValueError(\"boom\")",
                            raise(PyExc::ValueError, "boom"),
                        )
                        .line(6)
                        .op("lock.release()", release("lock"));
                }
            })
            .thread("T2", |t| {
                t.line(9).with_lock("lock", |b| {
                    b.line(10).op("counter += 1", tally("counter", 1));
                });
            }),
    )
}

#[test]
fn with_lock_releases_the_lock_when_the_body_raises() {
    let r = all(raise_in_critical_section(true));
    // T1's exception ends T1 only; T2 always gets the lock and finishes.
    assert_eq!(
        r.outcomes.iter().map(|o| &o.class).collect::<Vec<_>>(),
        [&OutcomeClass::Misuse { error: boom() }]
    );
    let Some(Outcome::Misuse { thread, error }) = &r.outcomes[0].example else {
        panic!("no example")
    };
    assert_eq!((*thread, error), (T1, &boom()));
    // The lock keeps the two blocks apart: T1's (acquire, raise, release in the `finally:`)
    // before T2's, or after.
    assert_eq!(r.schedules, 2);
}

#[test]
fn acquire_without_finally_leaves_the_lock_held_forever_when_the_body_raises() {
    let scn = raise_in_critical_section(false);
    let r = all(Arc::clone(&scn));
    assert_eq!(kinds(&r), set(&["deadlock", "misuse"]));
    let dl = r
        .outcomes
        .iter()
        .find(|o| matches!(o.class, OutcomeClass::Deadlock { .. }))
        .unwrap();
    assert_eq!(dl.class, OutcomeClass::Deadlock { blocked: vec![T2] });
    let Some(Outcome::Deadlock { cycle, .. }) = &dl.example else {
        panic!("no example")
    };
    let cycle: Vec<String> = cycle.iter().map(ToString::to_string).collect();
    assert_eq!(cycle, ["T2 waits for lock `lock` held by T1"]);
    // The deadlock is explained by the exception that kept the lock.
    let e = explain(&Run::replay(scn, &dl.shortest).unwrap()).unwrap();
    assert_eq!(e.kind, "deadlock");
    assert_eq!(
        e.to_string(),
        "Deadlock: no thread can move\n\
         T2 waits for `lock`, held by T1, which an exception ended before it released it \
         (since step 1).\n\
         T1 raised `ValueError: boom` at step 2 (line 5: `raise ValueError(\"boom\")`) while \
         holding `lock` (acquired at step 1), and never released it: no `finally:` or `with` \
         block was there to release it.\n\
         No running thread is left to change that."
    );
}

#[test]
fn finally_runs_whether_or_not_the_body_raises() {
    // T1 raises if it reads `flag` set; T2 sets it. `cleanups` counts `finally:` blocks run.
    let scn = build(
        ScenarioBuilder::new("cleanup")
            .var("flag", false)
            .var("cleanups", 0)
            .thread("T1", |t| {
                t.try_finally(
                    |b| {
                        b.op("f = flag", load("flag", "f"))
                            .op("if not f:", jump_if_false("f", "fine"))
                            .op("raise", raise(PyExc::ValueError, "boom"))
                            .label("fine");
                    },
                    |f| {
                        f.op("cleanups += 1", tally("cleanups", 1));
                    },
                );
            })
            .thread("T2", |t| {
                t.op("flag = True", load_const("v", true))
                    .op("STORE", store("flag", "v"));
            }),
    );
    let r = all(scn);
    let classes: BTreeSet<String> = r.outcomes.iter().map(|o| o.class.to_string()).collect();
    assert_eq!(
        classes,
        BTreeSet::from([
            "finished: flag = True, cleanups = 1".to_string(),
            "raised ValueError: boom".to_string()
        ])
    );
}

/// The order a run's ending is decided in: deadlock, then a failed final check, then an
/// exception, then finished.
#[test]
fn a_deadlock_outranks_a_failed_check_which_outranks_an_exception() {
    let b = |want: i64, raise_holding: bool| {
        ScenarioBuilder::new("order")
            .var("counter", 0)
            .lock("lock", LockKind::Lock)
            .check_final("counter", Cmp::Eq, want, "counter is off")
            .thread("T1", move |t| {
                if raise_holding {
                    t.op("lock.acquire()", acquire("lock"));
                }
                t.op("raise", raise(PyExc::ValueError, "boom"));
            })
            .thread("T2", |t| {
                t.op("lock.acquire()", acquire("lock"))
                    .op("counter += 1", tally("counter", 1))
                    .op("lock.release()", release("lock"));
            })
    };
    // T1 first: T2 waits forever for the lock T1 took with it, whatever the check says.
    let r = run(&build(b(5, true)), &[0, 0]);
    assert!(matches!(r.outcome(), Some(Outcome::Deadlock { .. })));
    // Everyone ended and the check fails: the check, not the exception.
    let r = run(&build(b(5, false)), &[0, 1, 1, 1]);
    assert!(matches!(r.outcome(), Some(Outcome::Violated { .. })));
    let e = explain(&r).unwrap().to_string();
    assert!(
        e.contains("T1 raised `ValueError: boom` at step 1, which ended T1.\ncounter is off"),
        "{e}"
    );
    // Everyone ended, the check holds: the exception.
    let r = run(&build(b(1, false)), &[0, 1, 1, 1]);
    assert_eq!(
        r.outcome(),
        Some(&Outcome::Misuse {
            thread: T1,
            error: boom()
        })
    );
    assert!(r.outcome().unwrap().is_bad());
}

#[test]
fn a_raising_thread_says_so_in_its_lane_and_its_events() {
    let scn = raise_in_critical_section(true);
    let r = run(&scn, &[0, 0]);
    let m = r.machine();
    assert_eq!(m.pending_exception(T1), Some(&boom()));
    assert_eq!(m.raised(T1), None);
    let e = &r.events()[1];
    assert_eq!(e.kind, EventKind::Raised(boom()));
    assert_eq!(
        e.to_string(),
        "T1 raised ValueError: boom; it runs the finally: block at line 4 first"
    );
    let r = run(&scn, &[0, 0, 0]);
    let m = r.machine();
    assert_eq!(m.status(T1), Some(ThreadStatus::Finished));
    assert_eq!(
        m.raised(T1).map(ToString::to_string).as_deref(),
        Some("ValueError: boom")
    );
    assert_eq!(
        r.events()[2].to_string(),
        "T1 released `lock`; the finally: block is over, so ValueError: boom goes on and ends T1"
    );
    // The lock was released by the `finally:`: T2 can take it.
    assert!(m.can_step(T2));
}

#[test]
fn an_exception_is_explained_with_the_finally_block_that_ran_and_the_threads_that_went_on() {
    let scn = raise_in_critical_section(true);
    let r = run(&scn, &[0, 0, 0, 1, 1, 1]);
    let e = explain(&r).unwrap();
    assert_eq!(e.kind, "exception");
    assert!(e.bad);
    assert_eq!(
        e.to_string(),
        "T1 raised `ValueError: boom` at step 2 (line 5: `raise ValueError(\"boom\")`)\n\
         It went to the `finally:` block around it, which ran from step 3 (line 4: \
         `(end of with) → lock.release()`); at its end the exception went on and ended T1 at \
         step 3.\n\
         An exception ends only the thread that raised it: T2 went on and finished."
    );
    // Steps point at real steps.
    for seg in e.title.iter().chain(e.lines.iter().flatten()) {
        if let Seg::Step(k) = seg {
            assert!(*k >= 1 && *k <= r.len());
        }
    }
}

#[test]
fn a_thread_an_exception_ended_while_holding_a_lock_is_explained_as_holding_it() {
    // T2 finishes first; then T1 raises with the lock and nobody waits: the run ends as the
    // exception, and the explanation says the lock stays taken.
    let scn = raise_in_critical_section(false);
    let r = run(&scn, &[1, 1, 1, 0, 0]);
    assert!(matches!(r.outcome(), Some(Outcome::Misuse { .. })));
    let e = explain(&r).unwrap();
    let text = e.to_string();
    assert!(
        text.contains("No `try:`/`finally:` or `with` block was around it, so it ended T1 there."),
        "{text}"
    );
    assert!(
        text.contains(
            "T1 ended still holding `lock` (acquired at step 4): nobody will ever release it."
        ),
        "{text}"
    );
}

/// Two copies of one program: whether each raises depends on what it reads, so at the
/// `finally:` one may carry an exception and the other not, with the same registers.
fn twins_in_a_finally_block() -> Arc<Scenario> {
    let worker = |t: &mut ThreadBuilder| {
        t.try_finally(
            |b| {
                b.op("n = arrived", load("arrived", "n"))
                    .op("arrived += 1", tally("arrived", 1))
                    .op("if n == 0:", jump_if_false("n", "first"))
                    .op(
                        "raise ValueError('second')",
                        raise(PyExc::ValueError, "second"),
                    )
                    .label("first");
            },
            |f| {
                f.op("cleanups += 1", tally("cleanups", 1));
            },
        );
        t.op("done += 1", tally("done", 1));
    };
    build(
        ScenarioBuilder::new("twins")
            .var("arrived", 0)
            .var("cleanups", 0)
            .var("done", 0)
            .thread("W1", worker)
            .thread("W2", worker),
    )
}

#[test]
fn the_second_to_arrive_raises_and_both_clean_up() {
    let r = Explorer::new(twins_in_a_finally_block(), ExploreLimits::default())
        .unwrap()
        .with_symmetry(false)
        .run_to_completion();
    assert_eq!(kinds(&r), set(&["misuse", "finished"]));
    let misuse = r
        .outcome(&OutcomeClass::Misuse {
            error: PyError::new(PyExc::ValueError, "second"),
        })
        .expect("the second to arrive raises");
    assert!(misuse.schedules > 0);
    // Both read 0 before either adds: nobody raises.
    assert_eq!(
        r.final_values("cleanups"),
        vec![Value::Int(2)],
        "every schedule that finishes ran both finally: blocks"
    );
}

/// The symmetry reduction must tell apart two copies at the same op of a `finally:` block when
/// only one carries an exception (without that, it counted 106 schedules for the `ValueError`
/// instead of 112).
#[test]
fn symmetry_reduction_agrees_with_the_plain_explorer_on_threads_in_finally_blocks() {
    let plain = Explorer::new(twins_in_a_finally_block(), ExploreLimits::default())
        .unwrap()
        .with_symmetry(false)
        .run_to_completion();
    let reduced = explore(twins_in_a_finally_block(), ExploreLimits::default()).unwrap();
    let key = |r: &ExploreReport| -> Vec<(OutcomeClass, u128)> {
        r.outcomes
            .iter()
            .map(|o| (o.class.clone(), o.schedules))
            .collect()
    };
    assert_eq!(key(&reduced), key(&plain));
}

/// A register the `finally:` block reads, whose value from before the `try:` matters only if
/// the body raises (without an exception the body overwrites it first).
fn finally_reads_an_old_register() -> Arc<Scenario> {
    build(
        ScenarioBuilder::new("old register")
            .var("x", Value::None)
            .check_final("x", Cmp::Eq, 5, "the finally: block saw a cleared register")
            .thread("T1", |t| {
                t.op("r = 5", load_const("r", 5)).try_finally(
                    |b| {
                        b.op("raise", raise(PyExc::ValueError, "boom"))
                            .op("r = 7", load_const("r", 7));
                    },
                    |f| {
                        f.op("x = r", store("x", "r"));
                    },
                );
            }),
    )
}

#[test]
fn a_finally_block_sees_the_registers_the_body_left() {
    let r = run(&finally_reads_an_old_register(), &[0, 0, 0]);
    assert_eq!(r.machine().var_by_name("x"), Some(Value::Int(5)));
}

/// The explorer clears registers no op can read any more; an op inside a try block can go to
/// its `finally:` block, so what that block reads stays live (without that edge in its register
/// liveness, the explorer saw `x = None` here).
#[test]
fn the_explorer_keeps_registers_a_finally_block_reads() {
    let r = all(finally_reads_an_old_register());
    assert_eq!(
        r.outcomes.iter().map(|o| &o.class).collect::<Vec<_>>(),
        [&OutcomeClass::Misuse { error: boom() }]
    );
}
