//! Lesson 05 — "RLocks: Reentrant Locks": the tutorial's `recursive_function` with a `Lock`
//! (the thread waits for itself) and with an `RLock` (the count rises and falls), its
//! `ThreadSafeCounter` whose methods call each other under one RLock, and ownership: an RLock
//! released by a thread that does not hold it. Prose: `rlock.md`.

use sim::prelude::*;
use sim::{Scenario, ScenarioError};

use super::{predict, Exploration, Expect, Lesson, Part, Picker, Real, Variant};

const CODE_LOCK: &str = "\
import threading

# Problem with regular locks - can cause deadlock
regular_lock = threading.Lock()

def recursive_function(n):
    with regular_lock:
        print(f\"Level {n}\")
        if n > 0:
            recursive_function(n - 1)  # Tries to acquire same lock again!
            # This will deadlock with a regular Lock

thread1 = threading.Thread(target=recursive_function, args=(1,))
thread2 = threading.Thread(target=recursive_function, args=(1,))";

const CODE_RLOCK: &str = "\
import threading

# Solution: Use RLock
rlock = threading.RLock()

def safe_recursive_function(n):
    with rlock:  # Can be acquired multiple times by same thread
        print(f\"Level {n}\")
        if n > 0:
            safe_recursive_function(n - 1)  # No deadlock!

thread1 = threading.Thread(target=safe_recursive_function, args=(1,))
thread2 = threading.Thread(target=safe_recursive_function, args=(1,))";

const CODE_COUNTER: &str = "\
import threading

class ThreadSafeCounter:
    def __init__(self):
        self._value = 0
        self._lock = threading.RLock()  # Use RLock for class methods

    def increment(self):
        with self._lock:
            self._value += 1
            self._notify_change()  # Calls another method that needs the lock

    def _notify_change(self):
        with self._lock:  # Same thread can acquire again
            print(f\"Counter changed to: {self._value}\")

    def get_value(self):
        with self._lock:
            return self._value

counter = ThreadSafeCounter()
thread1 = threading.Thread(target=counter.increment)
thread2 = threading.Thread(target=counter.increment)";

const CODE_OWNER: &str = "\
import threading

rlock = threading.RLock()

def worker():
    rlock.acquire()
    print(\"worker: holding the RLock\")
    rlock.release()

def helper():
    rlock.release()  # helper never acquired it

thread1 = threading.Thread(target=worker)
thread2 = threading.Thread(target=helper)";

/// `recursive_function(1)` on two threads, with a `Lock` or an `RLock` named `name`.
fn recursive(kind: LockKind) -> Result<Scenario, ScenarioError> {
    let (name, func) = match kind {
        LockKind::Lock => ("regular_lock", "recursive_function"),
        LockKind::RLock => ("rlock", "safe_recursive_function"),
    };
    let mut b = ScenarioBuilder::new(format!("{func}(1) on two threads")).lock(name, kind);
    for t in ["thread1", "thread2"] {
        b = b.thread(t, |t| {
            t.line(7).op(format!("BEFORE_WITH → {name}.acquire()"), acquire(name));
            t.line(8).op("CALL print(f\"Level 1\")", enter("inside"));
            t.line(10).op(format!("CALL {func}(0)"), nop());
            t.line(7).op(format!("BEFORE_WITH → {name}.acquire()"), acquire(name));
            t.line(8).op("CALL print(f\"Level 0\")", nop());
            t.line(7).op(format!("(end of with) → {name}.release()"), release(name));
            t.line(10).op(format!("RETURN from {func}(0)"), exit("inside"));
            t.line(7).op(format!("(end of with) → {name}.release()"), release(name));
        });
    }
    b.check_max_in_section("inside", 1, "Two threads were inside the lock's block at once.")
        .kind("two-holders")
        .build()
}

fn counter() -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new("ThreadSafeCounter")
        .var("_value", 0)
        .lock("_lock", LockKind::RLock);
    for t in ["thread1", "thread2"] {
        b = b.thread(t, |t| {
            t.line(9).op("BEFORE_WITH → self._lock.acquire()", acquire("_lock"));
            t.line(10)
                .op("LOAD_ATTR (_value)", load("_value", "tmp"))
                .op("LOAD_CONST (1)", load_const("n", 1))
                .op("BINARY_OP 13 (+=)", add("tmp", "tmp", "n"))
                .op("STORE_ATTR (_value)", store("_value", "tmp"));
            t.line(11).op("CALL self._notify_change()", nop());
            t.line(14).op("BEFORE_WITH → self._lock.acquire()", acquire("_lock"));
            t.line(15).op("LOAD_ATTR (_value) → print(…)", load("_value", "shown"));
            t.line(14).op("(end of with) → self._lock.release()", release("_lock"));
            t.line(9).op("(end of with) → self._lock.release()", release("_lock"));
        });
    }
    b.check_final("_value", Cmp::Eq, 2, "An increment was lost.").kind("lost-update").build()
}

fn ownership() -> Result<Scenario, ScenarioError> {
    ScenarioBuilder::new("RLock released by another thread")
        .lock("rlock", LockKind::RLock)
        .thread("worker", |t| {
            t.line(6).op("CALL rlock.acquire()", acquire("rlock"));
            t.line(7).op("CALL print(\"worker: holding the RLock\")", nop());
            t.line(8).op("CALL rlock.release()", release("rlock"));
        })
        .thread("helper", |t| {
            t.line(11).op("CALL rlock.release()", release("rlock"));
        })
        .build()
}

/// The lab's re-entry experiment runs both sides (Lock and RLock) in one run.
const REAL: Option<Real> = Some(Real { experiment: "reentry", set: &[], predict: Some(predict::BACK_IN) });

/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "05-rlock",
    slug: "rlock",
    part: Part::LocksAndSemaphores,
    variants: &[
        Variant {
            slug: "lock",
            label: "Lock",
            code: CODE_LOCK,
            scenario: || recursive(LockKind::Lock),
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL,
        },
        Variant {
            slug: "rlock",
            label: "RLock",
            code: CODE_RLOCK,
            scenario: || recursive(LockKind::RLock),
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL,
        },
        Variant {
            slug: "counter",
            label: "ThreadSafeCounter",
            code: CODE_COUNTER,
            scenario: counter,
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL,
        },
        Variant {
            slug: "ownership",
            label: "Released by another thread",
            code: CODE_OWNER,
            scenario: ownership,
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL,
        },
    ],
    picker: Picker::Choice("Version"),
    legacy_lock: None,
    headline: None,
    quiz: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{Machine, Outcome, PyExc, ThreadId};
    use std::sync::Arc;

    #[test]
    fn a_lock_taken_again_by_its_holder_waits_for_itself() {
        let mut m = Machine::new(Arc::new(recursive(LockKind::Lock).unwrap())).unwrap();
        for _ in 0..3 {
            m.step(ThreadId(0)).expect("step");
        }
        assert!(!m.can_step(ThreadId(0)), "T1 waits for the lock it holds");
        assert_eq!(m.wait_for_graph().cycle.len(), 2, "a self-loop: T1 → regular_lock → T1");
    }

    #[test]
    fn an_rlock_counts_up_and_down() {
        let mut m = Machine::new(Arc::new(recursive(LockKind::RLock).unwrap())).unwrap();
        let mut counts = Vec::new();
        for _ in 0..8 {
            m.step(ThreadId(0)).expect("step");
            counts.push(m.lock_view(sim::LockId(0)).unwrap().count);
        }
        assert_eq!(counts, vec![1, 1, 1, 2, 2, 1, 1, 0]);
    }

    #[test]
    fn only_the_owner_may_release_an_rlock() {
        let mut m = Machine::new(Arc::new(ownership().unwrap())).unwrap();
        m.step(ThreadId(0)).unwrap();
        let _ = m.step(ThreadId(1));
        let error = m.raised(ThreadId(1)).expect("the helper's release raises");
        assert_eq!(error.kind, PyExc::RuntimeError);
        assert_eq!(error.message, "cannot release un-acquired lock");
        // The exception ends only the helper: the worker finishes, and the run reports it.
        m.step(ThreadId(0)).unwrap();
        m.step(ThreadId(0)).unwrap();
        assert!(matches!(m.outcome(), Some(Outcome::Misuse { .. })), "{:?}", m.outcome());
    }

    #[test]
    fn code_lines_match_the_ops() {
        for (code, with) in [(CODE_LOCK, "with regular_lock:"), (CODE_RLOCK, "with rlock:")] {
            let l: Vec<&str> = code.lines().collect();
            assert!(l[6].contains(with) && l[7].contains("print") && l[9].contains("recursive_function(n - 1)"));
        }
        let c: Vec<&str> = CODE_COUNTER.lines().collect();
        assert!(c[8].contains("with self._lock:") && c[9].contains("+= 1") && c[13].contains("with self._lock:"));
        let o: Vec<&str> = CODE_OWNER.lines().collect();
        assert!(o[5].contains("acquire") && o[10].contains("release"));
    }
}
