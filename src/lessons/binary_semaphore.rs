//! Lesson 07 — "Binary Semaphore vs Regular Lock": `Semaphore(1)`, `Lock` and
//! `BoundedSemaphore(1)`, each guarding one block on two threads while a third calls `release()`
//! without having acquired; and the tutorial's `Semaphore(0)` signal, made runnable.
//! Prose: `binary-semaphore.md`.

use lab::schema::Value as P;
use sim::prelude::*;
use sim::{OpSpec, Scenario, ScenarioError};

use super::{predict, Exploration, Expect, Lesson, Part, Picker, Real, Variant};

/// The tutorial's first lines (1–4), and two workers and a stray `release()` to run it.
const CODE_SEM: &str = "\
import threading

# Binary semaphore (acts like a lock)
binary_sem = threading.Semaphore(1)  # Only 1 resource

# Added to run it: two workers, and a helper that releases without acquiring
def worker(name):
    with binary_sem:
        print(f\"{name} is inside\")
        print(f\"{name} is leaving\")

def helper():
    binary_sem.release()  # never acquired it

threading.Thread(target=worker, args=(\"A\",)).start()
threading.Thread(target=worker, args=(\"B\",)).start()
threading.Thread(target=helper).start()";

/// The tutorial's "This is equivalent to:" line, run the same way.
const CODE_LOCK: &str = "\
import threading

# This is equivalent to:
lock = threading.Lock()

# Added to run it: two workers, and a helper that releases without acquiring
def worker(name):
    with lock:
        print(f\"{name} is inside\")
        print(f\"{name} is leaving\")

def helper():
    lock.release()  # never acquired it

threading.Thread(target=worker, args=(\"A\",)).start()
threading.Thread(target=worker, args=(\"B\",)).start()
threading.Thread(target=helper).start()";

/// The same with `BoundedSemaphore(1)`.
const CODE_BOUNDED: &str = "\
import threading

# Not in the tutorial: a semaphore that refuses to grow past its start
binary_sem = threading.BoundedSemaphore(1)

# Added to run it: two workers, and a helper that releases without acquiring
def worker(name):
    with binary_sem:
        print(f\"{name} is inside\")
        print(f\"{name} is leaving\")

def helper():
    binary_sem.release()  # never acquired it

threading.Thread(target=worker, args=(\"A\",)).start()
threading.Thread(target=worker, args=(\"B\",)).start()
threading.Thread(target=helper).start()";

/// The tutorial's signalling lines (its `import time` was missing), started on two threads.
const CODE_SIGNAL: &str = "\
import threading
import time  # missing in the tutorial

# Semaphores can also be used for signaling
signal_sem = threading.Semaphore(0)  # Start with 0 resources

def producer():
    print(\"Producing data...\")
    time.sleep(2)
    print(\"Data ready!\")
    signal_sem.release()  # Signal that data is ready

def consumer():
    print(\"Waiting for data...\")
    signal_sem.acquire()  # Wait for signal
    print(\"Processing data!\")

# Producer signals consumer when ready
# Added to run it: the tutorial never starts the threads
threading.Thread(target=consumer).start()
threading.Thread(target=producer).start()";

/// Which primitive guards the workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Guard {
    Semaphore,
    Lock,
    Bounded,
}

/// Lines of `with …:`, the two prints and the stray `release()` (the same in all three codes).
const WITH_LINE: u16 = 8;
const INSIDE_LINE: u16 = 9;
const LEAVING_LINE: u16 = 10;
const STRAY_LINE: u16 = 13;

/// Workers `A` and `B` run the guarded block; `helper` releases without acquiring.
fn stray_release(guard: Guard) -> Result<Scenario, ScenarioError> {
    let name = match guard {
        Guard::Lock => "lock",
        Guard::Semaphore | Guard::Bounded => "binary_sem",
    };
    let mut b = ScenarioBuilder::new(format!("{name}: a release without an acquire"));
    b = match guard {
        Guard::Lock => b.lock(name, LockKind::Lock),
        Guard::Semaphore => b.semaphore(name, 1),
        Guard::Bounded => b.bounded_semaphore(name, 1),
    };
    let (take, give) = match guard {
        Guard::Lock => (acquire as fn(String) -> OpSpec, release as fn(String) -> OpSpec),
        Guard::Semaphore | Guard::Bounded => {
            (sem_acquire as fn(String) -> OpSpec, sem_release as fn(String) -> OpSpec)
        }
    };
    for w in ["A", "B"] {
        b = b.thread(w, |t| {
            t.line(WITH_LINE).op(format!("BEFORE_WITH → {name}.acquire()"), take(name.to_string()));
            t.line(INSIDE_LINE).op(format!("CALL print(\"{w} is inside\")"), enter("inside"));
            t.line(LEAVING_LINE).op(format!("CALL print(\"{w} is leaving\")"), exit("inside"));
            t.line(WITH_LINE).op(format!("(end of with) → {name}.release()"), give(name.to_string()));
        });
    }
    b = b.thread("helper", |t| {
        t.line(STRAY_LINE).op(format!("CALL {name}.release()"), give(name.to_string()));
    });
    b.check_max_in_section(
        "inside",
        1,
        "Two workers were inside the guarded block at once: a release() by a thread that never \
         acquired let the second one in.",
    )
        .kind("two-holders")
        .build()
}

/// The tutorial's producer and consumer on a `Semaphore(0)`.
fn signal() -> Result<Scenario, ScenarioError> {
    ScenarioBuilder::new("Semaphore(0) as a signal")
        .semaphore("signal_sem", 0)
        .thread("consumer", |t| {
            t.line(14).op("CALL print(\"Waiting for data...\")", print("Waiting for data..."));
            t.line(15).op("CALL signal_sem.acquire()", sem_acquire("signal_sem"));
            t.line(16).op("CALL print(\"Processing data!\")", print("Processing data!"));
        })
        .thread("producer", |t| {
            t.line(8).op("CALL print(\"Producing data...\")", print("Producing data..."));
            t.line(9).op("CALL time.sleep(2)", sleep(2000));
            t.line(10).op("CALL print(\"Data ready!\")", print("Data ready!"));
            t.line(11).op("CALL signal_sem.release()", sem_release("signal_sem"));
        })
        .build()
}

/// The lab's settings: one permit; with one task releasing once too often in the shared pool.
const ONE: &[(&str, P)] = &[("permits", P::Int(1))];
const ONE_EXTRA: &[(&str, P)] = &[("permits", P::Int(1)), ("extra-release", P::Flag(true))];

/// The lab's semaphore experiment on one permit: the shared pool, then `Semaphore(1)` released
/// once without an acquire (two holders) and `BoundedSemaphore(1)` asked the same (it refuses).
/// The `Lock` version asks about those two.
const REAL: Option<Real> =
    Some(Real { experiment: "semaphore", set: ONE, predict: Some(predict::STRAY_RELEASE) });
/// The same run, asked whether the shared permit ever had two holders at once.
const REAL_PAIRED: Option<Real> =
    Some(Real { experiment: "semaphore", set: ONE, predict: Some(predict::TWO_HOLDERS_OF_ONE) });
/// The pool with the extra release, asked the same.
const REAL_EXTRA: Option<Real> =
    Some(Real { experiment: "semaphore", set: ONE_EXTRA, predict: Some(predict::TWO_HOLDERS_OF_ONE) });
/// The same run, asked about its `BoundedSemaphore(1)` pool.
const REAL_BOUNDED: Option<Real> =
    Some(Real { experiment: "semaphore", set: ONE_EXTRA, predict: Some(predict::BOUNDED_REFUSES) });

/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "07-binary-semaphore",
    slug: "binary-semaphore",
    part: Part::LocksAndSemaphores,
    variants: &[
        Variant {
            slug: "semaphore",
            label: "Semaphore(1)",
            code: CODE_SEM,
            scenario: || stray_release(Guard::Semaphore),
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL_EXTRA,
        },
        Variant {
            slug: "lock",
            label: "Lock",
            code: CODE_LOCK,
            scenario: || stray_release(Guard::Lock),
            expect: Expect::Bad,
            // `RuntimeError: release unlocked lock` is the Lock catching the stray release.
            fine: &["exception"],
            exploration: Exploration::Exhaustive,
            real: REAL,
        },
        Variant {
            slug: "bounded",
            label: "BoundedSemaphore(1)",
            code: CODE_BOUNDED,
            scenario: || stray_release(Guard::Bounded),
            expect: Expect::Bad,
            // The ValueError is BoundedSemaphore catching the stray release.
            fine: &["exception"],
            exploration: Exploration::Exhaustive,
            real: REAL_BOUNDED,
        },
        Variant {
            slug: "signal",
            label: "Semaphore(0) as a signal",
            code: CODE_SIGNAL,
            scenario: signal,
            expect: Expect::None,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL_PAIRED,
        },
    ],
    picker: Picker::Choice("Primitive"),
    legacy_lock: None,
    headline: None,
    quiz: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{explore, ExploreLimits, Machine, Outcome, PyExc, Run, SeededRandom, ThreadId};
    use std::sync::Arc;

    const A: ThreadId = ThreadId(0);
    const B: ThreadId = ThreadId(1);
    const HELPER: ThreadId = ThreadId(2);

    fn run(guard: Guard, order: &[ThreadId]) -> Machine {
        let mut m = Machine::new(Arc::new(stray_release(guard).unwrap())).unwrap();
        for &t in order {
            m.step(t).expect("step");
        }
        m
    }

    fn kinds(guard: Guard) -> Vec<String> {
        let scn = Arc::new(stray_release(guard).unwrap());
        let r = explore(scn.clone(), ExploreLimits::default()).unwrap();
        assert!(!r.truncated);
        let mut k: Vec<String> = r.outcomes.iter().map(|o| sim::class_kind(&scn, &o.class)).collect();
        k.sort();
        k.dedup();
        k
    }

    #[test]
    fn a_release_before_anyone_acquires() {
        // Lock: refused. Semaphore(1): grows to 2, and both workers get in.
        let m = run(Guard::Lock, &[HELPER]);
        assert_eq!(m.raised(HELPER).map(|e| e.to_string()).as_deref(), Some("RuntimeError: release unlocked lock"));
        let m = run(Guard::Semaphore, &[HELPER, A, A, B, B]);
        assert!(matches!(m.outcome(), Some(Outcome::Violated { .. })), "{:?}", m.outcome());
        let m = run(Guard::Bounded, &[HELPER]);
        let e = m.raised(HELPER).expect("refused");
        assert_eq!((e.kind, e.message.as_str()), (PyExc::ValueError, "Semaphore released too many times"));
    }

    #[test]
    fn a_release_while_a_worker_holds_it_lets_the_other_in_for_all_three() {
        for guard in [Guard::Lock, Guard::Semaphore, Guard::Bounded] {
            let m = run(guard, &[A, A, HELPER, B, B]);
            assert!(matches!(m.outcome(), Some(Outcome::Violated { .. })), "{guard:?}: {:?}", m.outcome());
        }
    }

    #[test]
    fn outcome_kinds_per_primitive() {
        assert_eq!(kinds(Guard::Lock), ["exception", "two-holders"]);
        assert_eq!(kinds(Guard::Semaphore), ["ok", "two-holders"]);
        assert_eq!(kinds(Guard::Bounded), ["exception", "two-holders"]);
    }

    #[test]
    fn the_consumer_waits_for_the_signal_and_processes_last() {
        let scn = Arc::new(signal().unwrap());
        let mut r = Run::new(scn.clone()).unwrap();
        r.step(ThreadId(0)).unwrap();
        r.step(ThreadId(0)).unwrap_err(); // blocked in acquire(): no permit yet
        let report = explore(scn.clone(), ExploreLimits::default()).unwrap();
        assert!(report.outcomes.iter().all(|o| sim::class_kind(&scn, &o.class) == "ok"));
        for seed in 0..64 {
            let mut r = Run::new(scn.clone()).unwrap();
            let mut s = SeededRandom::new(seed);
            while r.outcome().is_none() {
                let t = sim::Scheduler::pick(&mut s, r.machine()).expect("a runnable thread");
                r.step(t).unwrap();
            }
            let out: Vec<String> = r.output().into_iter().map(|(_, text, _)| text).collect();
            let pos = |s: &str| out.iter().position(|l| l == s).unwrap();
            assert!(pos("Data ready!") < pos("Processing data!"), "seed {seed}: {out:?}");
            assert_eq!(r.machine().elapsed_ms(), 2000);
        }
    }

    #[test]
    fn code_lines_match_the_ops() {
        for (code, guard) in [(CODE_SEM, "binary_sem"), (CODE_LOCK, "lock"), (CODE_BOUNDED, "binary_sem")] {
            let l: Vec<&str> = code.lines().collect();
            let at = |n: u16| l[usize::from(n) - 1];
            assert!(at(WITH_LINE).contains(&format!("with {guard}:")));
            assert!(at(INSIDE_LINE).contains("is inside") && at(LEAVING_LINE).contains("is leaving"));
            assert!(at(STRAY_LINE).contains(&format!("{guard}.release()")));
        }
        let s: Vec<&str> = CODE_SIGNAL.lines().collect();
        assert!(s[14].contains("signal_sem.acquire()") && s[10].contains("signal_sem.release()"));
        assert!(s[9].contains("Data ready!") && s[15].contains("Processing data!"));
    }
}
