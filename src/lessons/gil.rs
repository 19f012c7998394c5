//! Lesson 03 — "Python's Global Interpreter Lock (GIL)": the tutorial's `increment()` on two
//! threads, once per interpreter: each variant steps the bytecode that version compiles it to,
//! under that version's rule for where the GIL may change hands. Prose: `gil.md`.
//!
//! Bytecode texts are what `dis.dis` prints (argument columns squeezed to one space): CPython
//! 3.9.18 and 3.11.7 as run on this project's machines (`tests/python/check_seed.py` asserts the
//! sequences); 3.13.0's for the free-threaded build, which shares its compiler; 3.14's derived
//! from its documentation, as `gil.md` says.
//!
//! Switch points model CPython's eval breaker: before 3.10 it was checked before almost every
//! instruction, so every op is one; from 3.10 only at function entry (`RESUME`), backward jumps
//! and calls — a call to a Python function switches at the callee's `RESUME`.

use lab::schema::Value as P;
use sim::prelude::*;
use sim::{Scenario, ScenarioError};

use super::{predict, Exploration, Expect, Lesson, Part, Picker, Real, Variant};

/// The tutorial's block, verbatim (lines 1–10), and what it takes to run it on two threads.
const CODE: &str = "\
import dis

# Let's see why counter += 1 isn't atomic
def increment():
    global counter
    counter += 1

print(\"Bytecode for 'counter += 1':\")
dis.dis(increment)
# Shows multiple bytecode instructions - can be interrupted!

# Added to run it on two threads:
import threading

counter = 0
thread1 = threading.Thread(target=increment)
thread2 = threading.Thread(target=increment)
thread1.start()
thread2.start()
thread1.join()
thread2.join()
print(counter)  # 2, or 1 if an update was lost";

/// The same update with a call between the read and the write.
const CODE_CALL: &str = "\
import dis

def one():
    return 1

# Let's see why counter += 1 isn't atomic
def increment():
    global counter
    counter = counter + one()  # the same update, with a call in the window

print(\"Bytecode for 'counter = counter + one()':\")
dis.dis(increment)

# Added to run it on two threads:
import threading

counter = 0
thread1 = threading.Thread(target=increment)
thread2 = threading.Thread(target=increment)
thread1.start()
thread2.start()
thread1.join()
thread2.join()
print(counter)  # 2, or 1 if an update was lost";

/// Lines of `def increment():` and `counter += 1` in [`CODE`].
const DEF_LINE: u16 = 4;
const INC_LINE: u16 = 6;
/// Lines in [`CODE_CALL`]: `def one():`, `return 1`, `def increment():`, the update.
const CALL_LINES: (u16, u16, u16, u16) = (3, 4, 7, 9);

/// An interpreter the lesson steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Python {
    /// 3.9: `INPLACE_ADD`; a switch may come before any instruction.
    V39,
    /// 3.11: `RESUME`, `BINARY_OP 13 (+=)`; switches only at function entry, jumps back, calls.
    V311,
    /// 3.14: `LOAD_SMALL_INT`, and `LOAD_CONST None` + `RETURN_VALUE` again (no `RETURN_CONST`).
    V314,
    /// 3.13t: 3.13's bytecode and no GIL at all.
    FreeThreaded,
}

const LOST: &str = "Lost update: both threads loaded counter before either stored it, so the \
                    second STORE_GLOBAL overwrote the first thread's increment.";

/// Two threads each call the tutorial's `increment()` once, as `python` runs it.
fn increment(python: Python) -> Result<Scenario, ScenarioError> {
    let name = match python {
        Python::V39 => "increment() on CPython 3.9",
        Python::V311 => "increment() on CPython 3.11",
        Python::V314 => "increment() on CPython 3.14",
        Python::FreeThreaded => "increment() on free-threaded CPython 3.13t",
    };
    let mut b = ScenarioBuilder::new(name)
        .var("counter", 0)
        .gil(python != Python::FreeThreaded)
        .gil_switch_every_op(python == Python::V39);
    for t in ["thread1", "thread2"] {
        b = b.thread(t, |t| {
            t.reg("tmp").reg("n");
            if python != Python::V39 {
                t.line(DEF_LINE).op("RESUME 0", nop().switch_point());
            }
            t.line(INC_LINE).op("LOAD_GLOBAL 0 (counter)", load("counter", "tmp"));
            match python {
                Python::V314 => t.op("LOAD_SMALL_INT 1", load_const("n", 1)),
                _ => t.op("LOAD_CONST 1 (1)", load_const("n", 1)),
            };
            match python {
                Python::V39 => t.op("INPLACE_ADD", add("tmp", "tmp", "n")),
                _ => t.op("BINARY_OP 13 (+=)", add("tmp", "tmp", "n")),
            };
            t.op("STORE_GLOBAL 0 (counter)", store("counter", "tmp"));
            match python {
                Python::V39 | Python::V311 => {
                    t.op("LOAD_CONST 0 (None)", load_const("ret", Value::None)).op("RETURN_VALUE", nop())
                }
                Python::V314 => {
                    t.op("LOAD_CONST 1 (None)", load_const("ret", Value::None)).op("RETURN_VALUE", nop())
                }
                Python::FreeThreaded => t.op("RETURN_CONST 0 (None)", nop()),
            };
        });
    }
    b.check_final("counter", Cmp::Eq, 2, LOST).kind("lost-update").build()
}

/// `counter = counter + one()` on CPython 3.11: the call to `one()` enters a Python function,
/// whose `RESUME` is a switch point between the read and the write.
fn increment_with_call() -> Result<Scenario, ScenarioError> {
    let (def_one, ret_one, def_inc, upd) = CALL_LINES;
    let mut b = ScenarioBuilder::new("counter = counter + one() on CPython 3.11").var("counter", 0).gil(true);
    for t in ["thread1", "thread2"] {
        b = b.thread(t, |t| {
            t.reg("tmp").reg("n");
            t.line(def_inc).op("RESUME 0", nop().switch_point());
            t.line(upd)
                .op("LOAD_GLOBAL 0 (counter)", load("counter", "tmp"))
                .op("LOAD_GLOBAL 3 (NULL + one)", nop())
                .op("PRECALL 0", nop())
                .op("CALL 0", nop());
            t.line(def_one).op("RESUME 0  (in one())", nop().switch_point());
            t.line(ret_one)
                .op("LOAD_CONST 1 (1)  (in one())", load_const("n", 1))
                .op("RETURN_VALUE  (from one())", nop());
            t.line(upd)
                .op("BINARY_OP 0 (+)", add("tmp", "tmp", "n"))
                .op("STORE_GLOBAL 0 (counter)", store("counter", "tmp"))
                .op("LOAD_CONST 0 (None)", load_const("ret", Value::None))
                .op("RETURN_VALUE", nop());
        });
    }
    b.check_final("counter", Cmp::Eq, 2, LOST).kind("lost-update").build()
}

/// The counter experiment under an emulated GIL that switches every 1001 micro-steps (a load or
/// a store): odd, so a switch can land between a load and its store, as on 3.9.
const REAL_SWITCH_INSIDE: Option<Real> = Some(Real {
    experiment: "counter",
    set: &[("mode", P::Choice("gil")), ("switch-every", P::Int(1001))],
    predict: Some(predict::LOST_UPDATES),
});
/// The same with an even interval: switches land only between whole increments, as on 3.10+.
const REAL_SWITCH_BETWEEN: Option<Real> = Some(Real {
    experiment: "counter",
    set: &[("mode", P::Choice("gil")), ("switch-every", P::Int(1000))],
    predict: Some(predict::LOST_UPDATES),
});

/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "03-gil",
    slug: "gil",
    part: Part::Foundations,
    variants: &[
        Variant {
            slug: "py311",
            label: "3.11",
            code: CODE,
            scenario: || increment(Python::V311),
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL_SWITCH_BETWEEN,
        },
        Variant {
            slug: "py39",
            label: "3.9",
            code: CODE,
            scenario: || increment(Python::V39),
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL_SWITCH_INSIDE,
        },
        Variant {
            slug: "py311-call",
            label: "3.11 + a call",
            code: CODE_CALL,
            scenario: increment_with_call,
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL_SWITCH_INSIDE,
        },
        Variant {
            slug: "py314",
            label: "3.14",
            code: CODE,
            scenario: || increment(Python::V314),
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL_SWITCH_BETWEEN,
        },
        Variant {
            slug: "free-threaded",
            label: "free-threaded (3.13t/3.14t)",
            code: CODE,
            scenario: || increment(Python::FreeThreaded),
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(Real {
                experiment: "counter",
                set: &[("mode", P::Choice("racy"))],
                predict: Some(predict::LOST_UPDATES),
            }),
        },
    ],
    picker: Picker::Choice("Python version"),
    legacy_lock: None,
    headline: Some("counter"),
    quiz: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{explore, ExploreLimits, Machine, ThreadId};
    use std::sync::Arc;

    fn machine(s: Result<Scenario, ScenarioError>) -> Machine {
        Machine::new(Arc::new(s.unwrap())).unwrap()
    }

    fn texts(s: &Scenario) -> Vec<&str> {
        s.threads[0].program.iter().map(|o| o.text.as_str()).collect()
    }

    #[test]
    fn each_version_steps_its_own_bytecode() {
        let v39 = increment(Python::V39).unwrap();
        assert_eq!(
            texts(&v39),
            ["LOAD_GLOBAL 0 (counter)", "LOAD_CONST 1 (1)", "INPLACE_ADD", "STORE_GLOBAL 0 (counter)", "LOAD_CONST 0 (None)", "RETURN_VALUE"]
        );
        assert!(v39.threads[0].program.iter().all(|o| o.gil_switch), "3.9: a switch may come anywhere");
        let v311 = increment(Python::V311).unwrap();
        assert_eq!(texts(&v311)[..4], ["RESUME 0", "LOAD_GLOBAL 0 (counter)", "LOAD_CONST 1 (1)", "BINARY_OP 13 (+=)"]);
        let switches: Vec<&str> =
            v311.threads[0].program.iter().filter(|o| o.gil_switch).map(|o| o.text.as_str()).collect();
        assert_eq!(switches, ["RESUME 0"], "3.11: only function entry in this function");
        let v314 = increment(Python::V314).unwrap();
        assert!(texts(&v314).contains(&"LOAD_SMALL_INT 1") && !texts(&v314).iter().any(|t| t.starts_with("RETURN_CONST")));
        let ft = increment(Python::FreeThreaded).unwrap();
        assert!(!ft.gil && texts(&ft).last() == Some(&"RETURN_CONST 0 (None)"));
    }

    #[test]
    fn on_3_11_the_holder_keeps_the_gil_from_read_to_write() {
        let mut m = machine(increment(Python::V311));
        m.step(ThreadId(0)).unwrap(); // RESUME
        m.step(ThreadId(0)).unwrap(); // LOAD_GLOBAL
        assert_eq!(m.gil_holder(), Some(ThreadId(0)));
        assert!(!m.can_step(ThreadId(1)), "no switch point before LOAD_CONST on 3.11");
    }

    #[test]
    fn on_3_9_a_switch_between_read_and_write_loses_an_update() {
        let mut m = machine(increment(Python::V39));
        for t in [0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1] {
            m.step(ThreadId(t)).unwrap();
        }
        assert_eq!(m.var_by_name("counter"), Some(Value::Int(1)));
    }

    #[test]
    fn with_a_call_in_the_window_3_11_switches_at_the_callees_resume() {
        let mut m = machine(increment_with_call());
        for _ in 0..5 {
            m.step(ThreadId(0)).unwrap(); // RESUME … CALL 0: counter read, one() called
        }
        assert!(m.can_step(ThreadId(1)), "one()'s RESUME is a switch point");
        for _ in 0..12 {
            m.step(ThreadId(1)).unwrap();
        }
        for _ in 0..7 {
            m.step(ThreadId(0)).unwrap();
        }
        assert_eq!(m.var_by_name("counter"), Some(Value::Int(1)));
    }

    /// The outcome sets the lesson promises: exactly {1, 2} where updates can be lost, {2} where
    /// the GIL hides the race.
    #[test]
    fn outcome_sets_per_version() {
        let finals = |s: Result<Scenario, ScenarioError>| {
            let r = explore(Arc::new(s.unwrap()), ExploreLimits::default()).unwrap();
            assert!(!r.truncated);
            let mut v: Vec<i64> = r
                .outcomes
                .iter()
                .map(|o| match &o.example {
                    Some(sim::Outcome::Violated { vars, .. }) | Some(sim::Outcome::Finished { vars }) => {
                        vars.iter().find(|(n, _)| n == "counter").and_then(|(_, v)| v.as_int()).unwrap()
                    }
                    other => panic!("unexpected outcome {other:?}"),
                })
                .collect();
            v.sort();
            v.dedup();
            v
        };
        assert_eq!(finals(increment(Python::V39)), [1, 2]);
        assert_eq!(finals(increment(Python::V311)), [2]);
        assert_eq!(finals(increment_with_call()), [1, 2]);
        assert_eq!(finals(increment(Python::V314)), [2]);
        assert_eq!(finals(increment(Python::FreeThreaded)), [1, 2]);
    }

    #[test]
    fn code_lines_match_the_ops() {
        let l: Vec<&str> = CODE.lines().collect();
        assert!(l[usize::from(DEF_LINE) - 1].starts_with("def increment():"));
        assert!(l[usize::from(INC_LINE) - 1].contains("counter += 1"));
        let c: Vec<&str> = CODE_CALL.lines().collect();
        let (def_one, ret_one, def_inc, upd) = CALL_LINES;
        assert!(c[usize::from(def_one) - 1].starts_with("def one():"));
        assert!(c[usize::from(ret_one) - 1].contains("return 1"));
        assert!(c[usize::from(def_inc) - 1].starts_with("def increment():"));
        assert!(c[usize::from(upd) - 1].contains("counter = counter + one()"));
    }
}
