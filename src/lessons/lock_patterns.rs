//! Lesson 04 — "Lock Usage Patterns" and "How Locks Work": the tutorial's three patterns
//! (`acquire()` + `try/finally`, `with lock:`, `acquire(blocking=False)`) on two threads, and what
//! the first two protect against: an exception between an `acquire()` and its `release()`.
//! Prose: `lock-patterns.md`.

use lab::schema::Value as P;
use sim::prelude::*;
use sim::{Scenario, ScenarioError};

use super::{predict, Exploration, Expect, Lesson, Part, Picker, Real, Variant};

/// The tutorial's block, verbatim (lines 1–29); each variant adds the two threads it runs.
macro_rules! patterns {
    ($($driver:literal),*) => {
        concat!(
            "import threading

lock = threading.Lock()

# Method 1: Manual acquire/release (NOT recommended)
def unsafe_pattern():
    lock.acquire()
    try:
        # Critical section
        print(\"Doing critical work\")
    finally:
        lock.release()  # Must remember to release!

# Method 2: Context manager (RECOMMENDED)
def safe_pattern():
    with lock:  # Automatically handles acquire/release
        # Critical section
        print(\"Doing critical work\")
    # Lock automatically released here, even if exception occurs

# Method 3: Checking if lock is available
def conditional_pattern():
    if lock.acquire(blocking=False):  # Don't wait if lock unavailable
        try:
            print(\"Got the lock immediately\")
        finally:
            lock.release()
    else:
        print(\"Lock was busy, doing something else\")
",
            $($driver),*
        )
    };
}

const CODE_METHOD1: &str = patterns!(
    "
# Added to run it: two threads use method 1
thread1 = threading.Thread(target=unsafe_pattern)
thread2 = threading.Thread(target=unsafe_pattern)
thread1.start()
thread2.start()"
);

const CODE_METHOD2: &str = patterns!(
    "
# Added to run it: two threads use method 2
thread1 = threading.Thread(target=safe_pattern)
thread2 = threading.Thread(target=safe_pattern)
thread1.start()
thread2.start()"
);

const CODE_METHOD3: &str = patterns!(
    "
# Added to run it: two threads use method 3
thread1 = threading.Thread(target=conditional_pattern)
thread2 = threading.Thread(target=conditional_pattern)
thread1.start()
thread2.start()"
);

/// Method 1 without its `try/finally`, and an item that makes the critical section raise.
const CODE_LEAK: &str = "\
import threading

lock = threading.Lock()

# Method 1 without try/finally: an exception skips the release
def leaky_pattern(item):
    lock.acquire()
    # Critical section
    print(f\"Processing {item}\")
    if item < 0:
        raise ValueError(\"negative item\")
    lock.release()  # never reached after the raise

thread1 = threading.Thread(target=leaky_pattern, args=(-1,))
thread2 = threading.Thread(target=leaky_pattern, args=(1,))
thread1.start()
thread2.start()";

/// Method 2 with the same exception.
const CODE_WITH_RAISE: &str = "\
import threading

lock = threading.Lock()

# Method 2 with the same exception
def safe_pattern(item):
    with lock:  # Automatically handles acquire/release
        # Critical section
        print(f\"Processing {item}\")
        if item < 0:
            raise ValueError(\"negative item\")
    # Lock automatically released here, even if exception occurs

thread1 = threading.Thread(target=safe_pattern, args=(-1,))
thread2 = threading.Thread(target=safe_pattern, args=(1,))
thread1.start()
thread2.start()";

const THREADS: [&str; 2] = ["thread1", "thread2"];

/// Method 1: `lock.acquire()`, then `try:` the print, `finally:` the release.
fn method1() -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new("method 1: acquire() + try/finally").lock("lock", LockKind::Lock);
    for name in THREADS {
        b = b.thread(name, |t| {
            t.line(7).op("CALL lock.acquire()", acquire("lock"));
            t.line(8).try_finally(
                |body| {
                    body.line(10).op("CALL print(\"Doing critical work\")", print("Doing critical work"));
                },
                |finally| {
                    finally.line(12).op("CALL lock.release()", release("lock"));
                },
            );
        });
    }
    b.build()
}

/// Method 2: `with lock:` around the print.
fn method2() -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new("method 2: with lock").lock("lock", LockKind::Lock);
    for name in THREADS {
        b = b.thread(name, |t| {
            t.line(16).with_lock("lock", |body| {
                body.line(18).op("CALL print(\"Doing critical work\")", print("Doing critical work"));
            });
        });
    }
    b.build()
}

/// Method 3: `if lock.acquire(blocking=False):` … `else:` something else.
fn method3() -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new("method 3: acquire(blocking=False)").lock("lock", LockKind::Lock);
    for name in THREADS {
        b = b.thread(name, |t| {
            t.line(23)
                .op("CALL lock.acquire(blocking=False)", try_acquire("lock", "got"))
                .op("POP_JUMP_IF_FALSE (to else:)", jump_if_false("got", "busy"));
            t.line(24).try_finally(
                |body| {
                    body.line(25)
                        .op("CALL print(\"Got the lock immediately\")", print("Got the lock immediately"));
                },
                |finally| {
                    finally.line(27).op("CALL lock.release()", release("lock"));
                },
            );
            t.line(28).op("JUMP_FORWARD (past else:)", jump("end"));
            t.label("busy").line(29).op(
                "CALL print(\"Lock was busy, doing something else\")",
                print("Lock was busy, doing something else"),
            );
            t.label("end");
        });
    }
    b.build()
}

/// `item` -1 on thread 1 and 1 on thread 2; `with_block` picks `with lock:` over a bare
/// `acquire()` … `release()`.
fn raising(with_block: bool) -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new(if with_block { "with lock, and a raise" } else { "acquire() without try/finally" })
        .lock("lock", LockKind::Lock);
    for (name, item) in THREADS.into_iter().zip([-1, 1]) {
        let critical = move |t: &mut ThreadBuilder| {
            t.line(9).op(format!("CALL print(f\"Processing {{item}}\")  # {item}"), print(format!("Processing {item}")));
            if item < 0 {
                t.line(11).op("RAISE_VARARGS → ValueError(\"negative item\")", raise(PyExc::ValueError, "negative item"));
            }
        };
        b = b.thread(name, |t| {
            if with_block {
                t.line(7).with_lock("lock", critical);
            } else {
                t.line(7).op("CALL lock.acquire()", acquire("lock"));
                critical(t);
                t.line(12).op("CALL lock.release()", release("lock"));
            }
        });
    }
    b.build()
}

/// The lab's try-lock experiment: how often `acquire(blocking=False)` gets the lock.
const REAL: Option<Real> = Some(Real {
    experiment: "try-lock",
    set: &[],
    predict: Some(predict::TRIES_THAT_GET_IT),
});
/// The same with a busy lock forced: thread 0 holds it until every other thread found it busy.
const REAL_FORCED: Option<Real> = Some(Real {
    experiment: "try-lock",
    set: &[("force", P::Flag(true))],
    predict: Some(predict::TRIES_THAT_GET_IT),
});

/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "04-lock-patterns",
    slug: "lock-patterns",
    part: Part::LocksAndSemaphores,
    variants: &[
        Variant {
            slug: "method-1",
            label: "1: acquire() + try/finally",
            code: CODE_METHOD1,
            scenario: method1,
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL,
        },
        Variant {
            slug: "method-2",
            label: "2: with lock:",
            code: CODE_METHOD2,
            scenario: method2,
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL,
        },
        Variant {
            slug: "method-3",
            label: "3: acquire(blocking=False)",
            code: CODE_METHOD3,
            scenario: method3,
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL_FORCED,
        },
        Variant {
            slug: "no-finally",
            label: "acquire() without try/finally",
            code: CODE_LEAK,
            scenario: || raising(false),
            expect: Expect::Bad,
            // The ValueError is the input's fault; the bug is the lock it leaves held.
            fine: &["exception"],
            exploration: Exploration::Exhaustive,
            real: REAL,
        },
        Variant {
            slug: "with-raise",
            label: "with lock: and the same raise",
            code: CODE_WITH_RAISE,
            scenario: || raising(true),
            expect: Expect::Safe,
            fine: &["exception"],
            exploration: Exploration::Exhaustive,
            real: REAL,
        },
    ],
    picker: Picker::Choice("Pattern"),
    legacy_lock: None,
    headline: None,
    quiz: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{explore, ExploreLimits, Machine, Outcome, Run, ThreadId};
    use std::sync::Arc;

    const T1: ThreadId = ThreadId(0);
    const T2: ThreadId = ThreadId(1);

    fn kinds(s: Result<Scenario, ScenarioError>) -> Vec<String> {
        let scn = Arc::new(s.unwrap());
        let r = explore(scn.clone(), ExploreLimits::default()).unwrap();
        assert!(!r.truncated);
        let mut k: Vec<String> = r.outcomes.iter().map(|o| sim::class_kind(&scn, &o.class)).collect();
        k.sort();
        k.dedup();
        k
    }

    #[test]
    fn the_three_patterns_always_finish() {
        for s in [method1, method2, method3] {
            assert_eq!(kinds(s()), ["ok"]);
        }
    }

    #[test]
    fn a_busy_lock_sends_method_3_to_its_else_branch() {
        let mut r = Run::new(Arc::new(method3().unwrap())).unwrap();
        r.step(T1).unwrap(); // thread 1 gets the lock
        while r.outcome().is_none() {
            let t = if r.machine().can_step(T2) { T2 } else { T1 };
            r.step(t).unwrap();
        }
        let out: Vec<(u8, String)> = r.output().into_iter().map(|(t, s, _)| (t.0, s)).collect();
        assert_eq!(
            out,
            [(1, "Lock was busy, doing something else".to_string()), (0, "Got the lock immediately".to_string())]
        );
    }

    #[test]
    fn an_exception_without_finally_leaves_the_lock_held_and_the_next_thread_waits_forever() {
        let mut m = Machine::new(Arc::new(raising(false).unwrap())).unwrap();
        for _ in 0..3 {
            m.step(T1).unwrap(); // acquire, print, raise
        }
        assert_eq!(m.raised(T1).map(|e| e.to_string()).as_deref(), Some("ValueError: negative item"));
        assert_eq!(m.lock_view(sim::LockId(0)).unwrap().owner, Some(T1), "nobody released it");
        assert!(matches!(m.outcome(), Some(Outcome::Deadlock { .. })), "{:?}", m.outcome());
        assert_eq!(kinds(raising(false)), ["deadlock", "exception"]);
    }

    #[test]
    fn with_releases_the_lock_on_the_way_out_of_the_exception() {
        let mut m = Machine::new(Arc::new(raising(true).unwrap())).unwrap();
        while m.can_step(T1) {
            m.step(T1).unwrap();
        }
        assert_eq!(m.lock_view(sim::LockId(0)).unwrap().owner, None);
        assert!(m.can_step(T2));
        assert_eq!(kinds(raising(true)), ["exception"]);
    }

    #[test]
    fn code_lines_match_the_ops() {
        for (code, target) in [(CODE_METHOD1, "unsafe_pattern"), (CODE_METHOD2, "safe_pattern"), (CODE_METHOD3, "conditional_pattern")] {
            let l: Vec<&str> = code.lines().collect();
            assert!(l[6].contains("lock.acquire()") && l[7].contains("try:") && l[9].contains("critical work"));
            assert!(l[11].contains("lock.release()") && l[15].contains("with lock:") && l[17].contains("critical work"));
            assert!(l[22].contains("acquire(blocking=False)") && l[24].contains("immediately"));
            assert!(l[26].contains("lock.release()") && l[28].contains("Lock was busy"));
            assert!(l[31].contains(target) && l[32].contains(target));
        }
        for code in [CODE_LEAK, CODE_WITH_RAISE] {
            let l: Vec<&str> = code.lines().collect();
            assert!(l[6].contains("lock") && l[8].contains("Processing") && l[10].contains("raise ValueError"));
        }
        assert!(CODE_LEAK.lines().nth(11).unwrap().contains("lock.release()"));
    }
}
