//! Lesson 10 — "Common Thread Safety Pitfalls: Deadlock": the tutorial's `thread1_work` and
//! `thread2_work`, started as threads (the tutorial defines them but never starts them), and
//! its fix, one global lock order. Prose: `deadlock.md`.

use lab::schema::Value as P;
use sim::prelude::*;
use sim::{Scenario, ScenarioError};

use super::{predict, Exploration, Expect, Lesson, Part, Picker, Real, Variant};

/// The tutorial's deadlock, with the two lines that start its threads.
const CODE_OPPOSITE: &str = "\
import threading
import time

lock1 = threading.Lock()
lock2 = threading.Lock()

def thread1_work():
    with lock1:
        print(\"Thread 1: acquired lock1\")
        time.sleep(0.1)
        with lock2:  # Waits for lock2
            print(\"Thread 1: acquired lock2\")

def thread2_work():
    with lock2:
        print(\"Thread 2: acquired lock2\")
        time.sleep(0.1)
        with lock1:  # Waits for lock1 - DEADLOCK!
            print(\"Thread 2: acquired lock1\")

threading.Thread(target=thread1_work).start()
threading.Thread(target=thread2_work).start()";

/// The tutorial's solution: the same order everywhere.
const CODE_SAME: &str = "\
import threading

lock1 = threading.Lock()
lock2 = threading.Lock()

def safe_thread1_work():
    with lock1:  # Always acquire lock1 first
        with lock2:  # Then lock2
            print(\"Thread 1: safely acquired both locks\")

def safe_thread2_work():
    with lock1:  # Same order: lock1 first
        with lock2:  # Then lock2
            print(\"Thread 2: safely acquired both locks\")

threading.Thread(target=safe_thread1_work).start()
threading.Thread(target=safe_thread2_work).start()";

/// One thread of the tutorial's deadlock: `(name, first lock, second lock, first line)`.
fn opposite() -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new("deadlock (opposite order)")
        .lock("lock1", LockKind::Lock)
        .lock("lock2", LockKind::Lock);
    for (name, n, first, second, line) in
        [("thread1_work", 1, "lock1", "lock2", 8u16), ("thread2_work", 2, "lock2", "lock1", 15)]
    {
        b = b.thread(name, |t| {
            t.line(line).op(format!("BEFORE_WITH → {first}.acquire()"), acquire(first));
            t.line(line + 1).op(format!("CALL print(\"Thread {n}: acquired {first}\")"), nop());
            t.line(line + 2).op("CALL time.sleep(0.1)", sleep(100));
            t.line(line + 3).op(format!("BEFORE_WITH → {second}.acquire()"), acquire(second));
            t.line(line + 4).op(format!("CALL print(\"Thread {n}: acquired {second}\")"), nop());
            t.line(line + 3).op(format!("(end of with) → {second}.release()"), release(second));
            t.line(line).op(format!("(end of with) → {first}.release()"), release(first));
        });
    }
    b.build()
}

fn same_order() -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new("deadlock (same order)")
        .lock("lock1", LockKind::Lock)
        .lock("lock2", LockKind::Lock);
    for (name, n, line) in [("safe_thread1_work", 1, 7u16), ("safe_thread2_work", 2, 12)] {
        b = b.thread(name, |t| {
            t.line(line).op("BEFORE_WITH → lock1.acquire()", acquire("lock1"));
            t.line(line + 1).op("BEFORE_WITH → lock2.acquire()", acquire("lock2"));
            t.line(line + 2).op(format!("CALL print(\"Thread {n}: safely acquired both locks\")"), nop());
            t.line(line + 1).op("(end of with) → lock2.release()", release("lock2"));
            t.line(line).op("(end of with) → lock1.release()", release("lock1"));
        });
    }
    b.build()
}

/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "10-deadlock",
    slug: "deadlock",
    part: Part::Pitfalls,
    variants: &[
        Variant {
            slug: "opposite-order",
            label: "Opposite order (the tutorial's)",
            code: CODE_OPPOSITE,
            scenario: opposite,
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(Real {
                experiment: "deadlock",
                set: &[("ordering", P::Choice("opposite"))],
                predict: Some(predict::EVERY_THREAD_FINISHES),
            }),
        },
        Variant {
            slug: "same-order",
            label: "Same order (the fix)",
            code: CODE_SAME,
            scenario: same_order,
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(Real {
                experiment: "deadlock",
                set: &[("ordering", P::Choice("global"))],
                predict: Some(predict::EVERY_THREAD_FINISHES),
            }),
        },
    ],
    picker: Picker::Choice("Lock order"),
    legacy_lock: None,
    headline: None,
    quiz: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{Machine, ThreadId};
    use std::sync::Arc;

    #[test]
    fn each_thread_holding_its_first_lock_deadlocks() {
        let mut m = Machine::new(Arc::new(opposite().unwrap())).unwrap();
        for t in [0, 1, 0, 1, 0, 1] {
            m.step(ThreadId(t)).expect("step");
        }
        assert!(matches!(m.outcome(), Some(sim::Outcome::Deadlock { .. })), "{:?}", m.outcome());
        let g = m.wait_for_graph();
        assert_eq!(g.cycle.len(), 4, "T1 → lock2 → T2 → lock1");
    }

    #[test]
    fn code_lines_match_the_ops() {
        let lines: Vec<&str> = CODE_OPPOSITE.lines().collect();
        assert!(lines[7].contains("with lock1:") && lines[10].contains("with lock2:"));
        assert!(lines[14].contains("with lock2:") && lines[17].contains("with lock1:"));
        let same: Vec<&str> = CODE_SAME.lines().collect();
        assert!(same[6].contains("with lock1:") && same[7].contains("with lock2:"));
        assert!(same[11].contains("with lock1:") && same[12].contains("with lock2:"));
    }
}
