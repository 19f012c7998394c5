//! Lesson 14 — the tutorial's "Thread-safe singleton pattern": check-then-create without a
//! lock (several instances), its double-checked locking (one), always taking the lock (one,
//! simpler), and its `__init__`, which runs on every call behind a `hasattr` guard that is itself
//! a check-then-act race. Prose: `singleton.md`.
//!
//! `cls._instance = super().__new__(cls)` is CPython 3.11's `CALL` (counted in `instances`),
//! `LOAD_FAST cls` and `STORE_ATTR`; `None` in `_instance` and `initialized` means "not set";
//! `init_bodies` counts the runs of `__init__`'s guarded body (`self.data = {}`).

use lab::schema::Value as P;
use sim::prelude::*;
use sim::{Scenario, ScenarioError};

use super::{predict, Exploration, Expect, Lesson, Part, Picker, Real, Variant};

/// Threads, as in the tutorial's test.
pub const THREADS: usize = 5;

/// Check-then-create with no lock (not in the tutorial: what its double check guards against).
const CODE_NAIVE: &str = "\
import threading

class NaiveSingleton:
    _instance = None

    def __new__(cls):
        if cls._instance is None:  # check...
            cls._instance = super().__new__(cls)  # ...then act
        return cls._instance

def test_singleton():
    singleton = NaiveSingleton()
    print(f\"Singleton ID: {id(singleton)}\")

threads = [threading.Thread(target=test_singleton) for _ in range(5)]
for t in threads:
    t.start()
for t in threads:
    t.join()";

/// The tutorial's singleton and its test, verbatim (blank lines' trailing spaces trimmed).
const CODE_DOUBLE: &str = "\
# Final example: Thread-safe singleton pattern
import threading

class ThreadSafeSingleton:
    _instance = None
    _lock = threading.Lock()

    def __new__(cls):
        if cls._instance is None:
            with cls._lock:
                # Double-check pattern
                if cls._instance is None:
                    cls._instance = super().__new__(cls)
        return cls._instance

    def __init__(self):
        if not hasattr(self, 'initialized'):
            self.initialized = True
            self.data = {}

# Test that only one instance is created across threads
def test_singleton():
    singleton = ThreadSafeSingleton()
    print(f\"Singleton ID: {id(singleton)}\")

threads = [threading.Thread(target=test_singleton) for _ in range(5)]
for t in threads:
    t.start()
for t in threads:
    t.join()
# All threads will print the same ID";

/// Always take the lock: one check, under it.
const CODE_ALWAYS: &str = "\
import threading

class LockedSingleton:
    _instance = None
    _lock = threading.Lock()

    def __new__(cls):
        with cls._lock:  # every call takes the lock, and checks once, under it
            if cls._instance is None:
                cls._instance = super().__new__(cls)
        return cls._instance

def test_singleton():
    singleton = LockedSingleton()
    print(f\"Singleton ID: {id(singleton)}\")

threads = [threading.Thread(target=test_singleton) for _ in range(5)]
for t in threads:
    t.start()
for t in threads:
    t.join()";

/// `cls._instance = super().__new__(cls)` on `line`.
fn create(t: &mut ThreadBuilder, line: u16) {
    t.line(line)
        .op("CALL super().__new__(cls)", tally("instances", 1))
        .op("LOAD_FAST (cls)", load_const("obj", 1))
        .op("STORE_ATTR (cls._instance)", store("_instance", "obj"));
}

/// `if cls._instance is None:` on `line`; continues at `label` when it is not `None`.
fn check(t: &mut ThreadBuilder, line: u16, label: &str) {
    t.line(line)
        .op("LOAD_ATTR (cls._instance)", load("_instance", "inst"))
        .op("POP_JUMP_IF_NOT_NONE", jump_if_true("inst", label));
}

/// The versions' `__new__`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum New {
    Naive,
    DoubleChecked,
    AlwaysLock,
}

fn new_body(t: &mut ThreadBuilder, how: New) {
    match how {
        New::Naive => {
            check(t, 7, "made");
            create(t, 8);
            t.label("made");
        }
        New::DoubleChecked => {
            check(t, 9, "made");
            t.line(10).op("BEFORE_WITH → cls._lock.acquire()", acquire("_lock"));
            check(t, 12, "unlock");
            create(t, 13);
            t.label("unlock");
            t.line(10).op("(end of with) → cls._lock.release()", release("_lock"));
            t.label("made");
        }
        New::AlwaysLock => {
            t.line(8).op("BEFORE_WITH → cls._lock.acquire()", acquire("_lock"));
            check(t, 9, "unlock");
            create(t, 10);
            t.label("unlock");
            t.line(8).op("(end of with) → cls._lock.release()", release("_lock"));
        }
    }
}

/// Five threads create "the" instance; with `init`, each then runs the tutorial's `__init__`.
fn scenario(how: New, init: bool) -> Result<Scenario, ScenarioError> {
    let name = match how {
        New::Naive => "check then create",
        New::DoubleChecked if init => "double-checked, and __init__",
        New::DoubleChecked => "double-checked locking",
        New::AlwaysLock => "always take the lock",
    };
    let mut b = ScenarioBuilder::new(name).var("_instance", Value::None).var("instances", 0);
    if how != New::Naive {
        b = b.lock("_lock", LockKind::Lock);
    }
    if init {
        b = b.var("initialized", Value::None).var("init_bodies", 0);
    }
    for i in 1..=THREADS {
        b = b.thread(format!("Thread-{i}"), |t| {
            new_body(t, how);
            if init {
                t.line(17)
                    .op("hasattr(self, 'initialized')", load("initialized", "done"))
                    .op("POP_JUMP_IF_TRUE (not hasattr…: False)", jump_if_true("done", "end"));
                t.line(18)
                    .op("LOAD_CONST (True)", load_const("yes", true))
                    .op("STORE_ATTR (self.initialized)", store("initialized", "yes"));
                t.line(19).op("STORE_ATTR (self.data = {})", tally("init_bodies", 1));
                t.label("end");
            }
        });
    }
    b = b
        .check_final("instances", Cmp::Eq, 1, "More than one instance was created: two threads both saw cls._instance is None before either set it.")
        .kind("duplicate");
    if init {
        b = b
            .check_final(
                "init_bodies",
                Cmp::Eq,
                1,
                "__init__'s body ran twice: both threads passed the hasattr guard before either set `initialized`, and the second `self.data = {}` replaced the dictionary the first one had made.",
            )
            .kind("duplicate");
    }
    b.build()
}

/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "14-singleton",
    slug: "singleton",
    part: Part::BestPractices,
    variants: &[
        Variant {
            slug: "naive",
            label: "Check, then create",
            code: CODE_NAIVE,
            scenario: || scenario(New::Naive, false),
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(Real {
                experiment: "singleton",
                set: &[("design", P::Choice("naive")), ("threads", P::Int(5))],
                predict: Some(predict::INSTANCES),
            }),
        },
        Variant {
            slug: "double-checked",
            label: "Double-checked (the tutorial's)",
            code: CODE_DOUBLE,
            scenario: || scenario(New::DoubleChecked, false),
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(Real {
                experiment: "singleton",
                set: &[("design", P::Choice("double-checked")), ("threads", P::Int(5))],
                predict: Some(predict::INSTANCES),
            }),
        },
        Variant {
            slug: "always-lock",
            label: "Always take the lock",
            code: CODE_ALWAYS,
            scenario: || scenario(New::AlwaysLock, false),
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            // The lab's designs are naive, double-checked and a once-cell.
            real: None,
        },
        Variant {
            slug: "init-guard",
            label: "…and its __init__",
            code: CODE_DOUBLE,
            scenario: || scenario(New::DoubleChecked, true),
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: None,
        },
    ],
    picker: Picker::Choice("Singleton"),
    legacy_lock: None,
    headline: Some("instances"),
    quiz: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{Machine, Outcome, ThreadId};
    use std::sync::Arc;

    fn machine(how: New, init: bool) -> Machine {
        Machine::new(Arc::new(scenario(how, init).unwrap())).unwrap()
    }

    fn finish(m: Machine) -> Outcome {
        sim::run_to_end(m, &mut sim::RoundRobin::new(), 10_000).1.expect("ends")
    }

    #[test]
    fn two_threads_past_the_check_create_two_instances() {
        let mut m = machine(New::Naive, false);
        for t in [0, 0, 1, 1] {
            m.step(ThreadId(t)).unwrap();
        }
        // T1 and T2 have both seen None: whatever the others do, two objects get made.
        match finish(m) {
            Outcome::Violated { vars, .. } => {
                let n = vars.iter().find(|(k, _)| k == "instances").map(|(_, v)| *v);
                assert!(matches!(n, Some(Value::Int(k)) if k >= 2), "{vars:?}");
            }
            o => panic!("expected two instances, got {o:?}"),
        }
    }

    #[test]
    fn the_double_check_under_the_lock_stops_the_second_creator() {
        let mut m = machine(New::DoubleChecked, false);
        // Both pass the outer check; the first to take the lock creates.
        for t in [0, 0, 1, 1] {
            m.step(ThreadId(t)).unwrap();
        }
        assert!(matches!(finish(m), Outcome::Finished { vars } if vars.contains(&("instances".into(), Value::Int(1)))));
    }

    #[test]
    fn both_threads_past_hasattr_run_the_init_body_twice() {
        let mut m = machine(New::DoubleChecked, true);
        // T1 creates the instance and reaches `hasattr`; T2 finds the instance and does too.
        let at_hasattr = |m: &Machine, t: u8| m.current_op(ThreadId(t)).is_some_and(|o| o.text.starts_with("hasattr"));
        for t in [0, 1] {
            while !at_hasattr(&m, t) {
                m.step(ThreadId(t)).unwrap();
            }
            m.step(ThreadId(t)).unwrap();
        }
        match finish(m) {
            Outcome::Violated { vars, .. } => assert!(vars.contains(&("init_bodies".into(), Value::Int(2))), "{vars:?}"),
            o => panic!("expected the init body twice, got {o:?}"),
        }
    }

    #[test]
    fn code_lines_match_the_ops() {
        let l = |code: &str, n: usize| code.lines().nth(n - 1).unwrap().to_string();
        assert!(l(CODE_NAIVE, 7).contains("if cls._instance is None:") && l(CODE_NAIVE, 8).contains("super().__new__(cls)"));
        assert!(l(CODE_DOUBLE, 9).contains("if cls._instance is None:") && l(CODE_DOUBLE, 10).contains("with cls._lock:"));
        assert!(l(CODE_DOUBLE, 12).contains("if cls._instance is None:") && l(CODE_DOUBLE, 13).contains("super().__new__(cls)"));
        assert!(l(CODE_DOUBLE, 17).contains("hasattr(self, 'initialized')") && l(CODE_DOUBLE, 18).contains("self.initialized = True"));
        assert!(l(CODE_DOUBLE, 19).contains("self.data = {}"));
        assert!(l(CODE_ALWAYS, 8).contains("with cls._lock:") && l(CODE_ALWAYS, 9).contains("if cls._instance is None:"));
        assert!(l(CODE_ALWAYS, 10).contains("super().__new__(cls)"));
    }
}
