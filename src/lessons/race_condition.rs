//! Lesson 02 — "Race Conditions: The Core Problem": two threads, one `counter += 1`, stepped
//! as CPython 3.11 bytecode and raced on real threads. Prose: `race-condition.md`.
//!
//! Bytecode texts are what `dis.dis` prints on CPython 3.11.7 (checked on this project's
//! machines; `tests/python/check_seed.py` asserts the opcode sequence).

use lab::schema::Value as P;
use sim::prelude::*;
use sim::{Scenario, ScenarioError};

use super::{predict, Exploration, Expect, Lesson, Part, Picker, Real, Variant};

/// The stepped code without the lock. Line numbers matter: ops point at them.
const CODE_UNLOCKED: &str = "\
import threading

counter = 0

def increment_counter():
    global counter
    counter += 1   # one pass of the seed's loop

thread1 = threading.Thread(target=increment_counter)
thread2 = threading.Thread(target=increment_counter)";

/// The stepped code with the lock (the seed's `safe_increment`, one pass).
const CODE_LOCKED: &str = "\
import threading

counter = 0
lock = threading.Lock()

def safe_increment():
    global counter
    with lock:
        counter += 1   # one pass of the seed's loop

thread1 = threading.Thread(target=safe_increment)
thread2 = threading.Thread(target=safe_increment)";

/// Line of `counter += 1` in each code variant.
const INC_LINE: [u16; 2] = [7, 9];
/// Line of `with lock:` in the locked code.
const WITH_LINE: u16 = 8;

fn scenario(lock: bool) -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new(if lock { "race-condition (lock)" } else { "race-condition" })
        .var("counter", 0);
    if lock {
        b = b.lock("lock", LockKind::Lock);
    }
    for name in ["thread1", "thread2"] {
        b = b.thread(name, |t| {
            t.reg("tmp").reg("n");
            if lock {
                t.line(WITH_LINE).op("BEFORE_WITH  → lock.acquire()", acquire("lock"));
            }
            t.line(INC_LINE[usize::from(lock)])
                .op("LOAD_GLOBAL 0 (counter)", load("counter", "tmp"))
                .op("LOAD_CONST 1 (1)", load_const("n", 1))
                .op("BINARY_OP 13 (+=)", add("tmp", "tmp", "n"))
                .op("STORE_GLOBAL 0 (counter)", store("counter", "tmp"));
            if lock {
                t.line(WITH_LINE).op("CALL 2  → lock.__exit__(): release()", release("lock"));
            }
        });
    }
    b.check_final(
        "counter",
        Cmp::Eq,
        2,
        "Lost update: both threads loaded the same value of counter, so the second \
         STORE_GLOBAL overwrote the first thread's increment.",
    )
    .kind("lost-update")
    .build()
}


/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "02-race-condition",
    slug: "race-condition",
    part: Part::Foundations,
    variants: &[
        Variant {
            slug: "no-lock",
            label: "No lock",
            code: CODE_UNLOCKED,
            scenario: || scenario(false),
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(Real {
                experiment: "counter",
                set: &[("mode", P::Choice("racy"))],
                predict: Some(predict::LOST_UPDATES),
            }),
        },
        Variant {
            slug: "lock",
            label: "with lock:",
            code: CODE_LOCKED,
            scenario: || scenario(true),
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(Real {
                experiment: "counter",
                set: &[("mode", P::Choice("mutex"))],
                predict: Some(predict::LOST_UPDATES),
            }),
        },
    ],
    picker: Picker::Switch("Lock"),
    legacy_lock: Some(("no-lock", "lock")),
    headline: Some("counter"),
    quiz: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{Machine, ThreadId};
    use std::sync::Arc;

    fn step_all(m: &mut Machine, order: &[u8]) {
        for &t in order {
            m.step(ThreadId(t)).expect("step");
        }
    }

    #[test]
    fn interleaved_loads_lose_an_update_without_the_lock() {
        let mut m = Machine::new(Arc::new(scenario(false).unwrap())).unwrap();
        step_all(&mut m, &[0, 1, 0, 0, 0, 1, 1, 1]);
        assert_eq!(m.var_by_name("counter"), Some(sim::Value::Int(1)));
        assert!(m.outcome().is_some_and(|o| o.is_bad()));
    }

    #[test]
    fn with_the_lock_the_second_thread_waits() {
        let mut m = Machine::new(Arc::new(scenario(true).unwrap())).unwrap();
        step_all(&mut m, &[0]);
        assert!(!m.can_step(ThreadId(1)), "T2 must be blocked while T1 holds the lock");
        step_all(&mut m, &[0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
        assert_eq!(m.var_by_name("counter"), Some(sim::Value::Int(2)));
        assert!(m.outcome().is_some_and(|o| !o.is_bad()));
    }

    #[test]
    fn both_codes_show_the_lines_the_ops_point_at() {
        assert!(CODE_UNLOCKED.lines().nth(usize::from(INC_LINE[0]) - 1).unwrap().contains("counter += 1"));
        assert!(CODE_LOCKED.lines().nth(usize::from(INC_LINE[1]) - 1).unwrap().contains("counter += 1"));
        assert!(CODE_LOCKED.lines().nth(usize::from(WITH_LINE) - 1).unwrap().contains("with lock:"));
    }
}
