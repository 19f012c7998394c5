//! Lesson 01 — "Understanding Concurrency and Threads": the tutorial's `count_to_5()` twice in a
//! row, then on two threads, with `time.sleep(1)` per count in virtual time (~10 s vs ~5 s); and
//! the same two threads computing instead of sleeping, under the GIL. Prose:
//! `threads-vs-sequential.md`.
//!
//! The loops are unrolled: one `print` and one `time.sleep(1)` op per count, so each printed line
//! is its own step and the output panel shows the order the schedule printed them in.

use sim::prelude::*;
use sim::{Scenario, ScenarioError};

use super::{predict, Exploration, Expect, Lesson, Part, Picker, Real, Variant};

/// The tutorial's first program, verbatim.
const CODE_SEQUENTIAL: &str = "\
import threading
import time

# Without threads - sequential execution
def count_to_5():
    for i in range(1, 6):
        print(f\"Count: {i}\")
        time.sleep(1)  # Simulate work

print(\"Sequential execution:\")
count_to_5()
count_to_5()
print(\"Total time: ~10 seconds\")";

/// The tutorial's second program, verbatim.
const CODE_THREADS: &str = "\
# With threads - concurrent execution
import threading
import time

def count_to_5(name):
    for i in range(1, 6):
        print(f\"{name} - Count: {i}\")
        time.sleep(1)

print(\"Concurrent execution:\")
# Create two threads
thread1 = threading.Thread(target=count_to_5, args=(\"Thread-1\",))
thread2 = threading.Thread(target=count_to_5, args=(\"Thread-2\",))

# Start both threads
thread1.start()
thread2.start()

# Wait for both to complete
thread1.join()
thread2.join()
print(\"Total time: ~5 seconds\")";

/// The second program computing instead of sleeping (not in the tutorial).
const CODE_CPU: &str = "\
# With threads - computing instead of sleeping (not in the tutorial):
# each count runs a pure-Python loop where the tutorial sleeps
import threading

def count_to_5(name):
    for i in range(1, 6):
        print(f\"{name} - Count: {i}\")
        for _ in range(10_000_000): pass  # CPU work instead of time.sleep(1)

print(\"Concurrent execution:\")
# Create two threads
thread1 = threading.Thread(target=count_to_5, args=(\"Thread-1\",))
thread2 = threading.Thread(target=count_to_5, args=(\"Thread-2\",))

# Start both threads
thread1.start()
thread2.start()

# Wait for both to complete
thread1.join()
thread2.join()
print(\"Total time: no less than one after another\")";

/// One second of virtual time: each `time.sleep(1)`, and each inner loop of the CPU version.
pub const SECOND_MS: u32 = 1000;

fn sequential() -> Result<Scenario, ScenarioError> {
    ScenarioBuilder::new("count_to_5() twice")
        .thread("main", |t| {
            t.line(10).op("CALL print(\"Sequential execution:\")", print("Sequential execution:"));
            for call in [11, 12] {
                t.line(call).op("CALL count_to_5()", nop());
                for i in 1..=5 {
                    t.line(7).op(format!("CALL print(f\"Count: {{i}}\")  # i = {i}"), print(format!("Count: {i}")));
                    t.line(8).op("CALL time.sleep(1)", sleep(SECOND_MS));
                }
            }
            t.line(13).op("CALL print(\"Total time: ~10 seconds\")", print("Total time: ~10 seconds"));
        })
        .build()
}

/// Two threads counting; `cpu` replaces each sleep with a second of CPU work under the GIL.
/// (The stepper starts once both threads are running, so `main` begins at its `join()`s.)
fn two_threads(cpu: bool) -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new(if cpu { "two threads computing" } else { "two threads sleeping" }).gil(true);
    for (var, name) in [("thread1", "Thread-1"), ("thread2", "Thread-2")] {
        b = b.thread(var, |t| {
            for i in 1..=5 {
                t.line(7).op(
                    format!("CALL print(f\"{{name}} - Count: {{i}}\")  # i = {i}"),
                    print(format!("{name} - Count: {i}")).switch_point(),
                );
                if cpu {
                    t.line(8).op("for _ in range(10_000_000): pass  # 1 s of CPU", work(SECOND_MS).switch_point());
                } else {
                    t.line(8).op("CALL time.sleep(1)", sleep(SECOND_MS).switch_point());
                }
            }
        });
    }
    let total = if cpu { "Total time: no less than one after another" } else { "Total time: ~5 seconds" };
    b.thread("main", |t| {
        t.line(20)
            .op("CALL thread1.join()", join_thread("thread1").switch_point())
            .line(21)
            .op("CALL thread2.join()", join_thread("thread2").switch_point())
            .line(22)
            .op(format!("CALL print(\"{total}\")"), print(total));
    })
    .build()
}

/// The lab's sleep-vs-cpu experiment: the same two kinds of work, on real threads and under an
/// emulated GIL. The sleeping versions ask about the waiting tasks first...
const REAL: Option<Real> =
    Some(Real { experiment: "sleep-vs-cpu", set: &[], predict: Some(predict::SLEEP_ON_THREADS) });
/// ...the computing one about computing under the GIL.
const REAL_CPU: Option<Real> =
    Some(Real { experiment: "sleep-vs-cpu", set: &[], predict: Some(predict::CPU_UNDER_GIL) });

/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "01-threads-vs-sequential",
    slug: "threads-vs-sequential",
    part: Part::Foundations,
    variants: &[
        Variant {
            slug: "sequential",
            label: "One after another",
            code: CODE_SEQUENTIAL,
            scenario: sequential,
            expect: Expect::None,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL,
        },
        Variant {
            slug: "threads",
            label: "Two threads",
            code: CODE_THREADS,
            scenario: || two_threads(false),
            expect: Expect::None,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL,
        },
        Variant {
            slug: "threads-cpu",
            label: "Two threads computing",
            code: CODE_CPU,
            scenario: || two_threads(true),
            expect: Expect::None,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL_CPU,
        },
    ],
    picker: Picker::Choice("Program"),
    legacy_lock: None,
    headline: None,
    quiz: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{explore, ExploreLimits, Run, RoundRobin, SeededRandom, ThreadId};
    use std::sync::Arc;

    /// Runs `scn` to its end under `sched`; the run.
    fn run_with(scn: Scenario, sched: &mut dyn sim::Scheduler) -> Run {
        let mut r = Run::new(Arc::new(scn)).unwrap();
        while r.outcome().is_none() {
            let t = sched.pick(r.machine()).expect("a runnable thread");
            r.step(t).unwrap();
        }
        r
    }

    fn lines(r: &Run) -> Vec<String> {
        r.output().into_iter().map(|(_, s, _)| s).collect()
    }

    #[test]
    fn sequential_takes_ten_seconds_and_prints_in_order() {
        let r = run_with(sequential().unwrap(), &mut RoundRobin::default());
        assert_eq!(r.machine().elapsed_ms(), 10_000);
        let out = lines(&r);
        assert_eq!(out.len(), 12);
        assert_eq!(out[0], "Sequential execution:");
        assert_eq!(out[1..6], ["Count: 1", "Count: 2", "Count: 3", "Count: 4", "Count: 5"]);
        assert_eq!(out[6..11], out[1..6]);
    }

    #[test]
    fn two_sleeping_threads_take_five_seconds_in_every_order() {
        for seed in 0..32 {
            let r = run_with(two_threads(false).unwrap(), &mut SeededRandom::new(seed));
            assert_eq!(r.machine().elapsed_ms(), 5_000, "seed {seed}");
            let out = lines(&r);
            assert_eq!(out.len(), 11);
            assert_eq!(out.last().map(String::as_str), Some("Total time: ~5 seconds"));
        }
    }

    #[test]
    fn the_order_of_the_lines_depends_on_the_schedule() {
        let first_line = |order: &[u8]| {
            let mut r = Run::new(Arc::new(two_threads(false).unwrap())).unwrap();
            for &t in order {
                r.step(ThreadId(t)).unwrap();
            }
            lines(&r)[0].clone()
        };
        assert_eq!(first_line(&[0]), "Thread-1 - Count: 1");
        assert_eq!(first_line(&[1]), "Thread-2 - Count: 1");
    }

    #[test]
    fn computing_under_the_gil_takes_as_long_as_one_after_another() {
        for seed in 0..32 {
            let r = run_with(two_threads(true).unwrap(), &mut SeededRandom::new(seed));
            assert_eq!(r.machine().elapsed_ms(), 10_000, "seed {seed}");
        }
    }

    #[test]
    fn every_order_finishes() {
        for s in [sequential(), two_threads(false), two_threads(true)] {
            let scn = Arc::new(s.unwrap());
            let r = explore(scn.clone(), ExploreLimits::default()).unwrap();
            assert!(!r.truncated);
            assert!(r.outcomes.iter().all(|o| sim::class_kind(&scn, &o.class) == "ok"));
        }
    }

    #[test]
    fn code_lines_match_the_ops() {
        let s: Vec<&str> = CODE_SEQUENTIAL.lines().collect();
        assert!(s[6].contains("print(f\"Count") && s[7].contains("time.sleep(1)"));
        assert!(s[9].contains("Sequential") && s[10] == "count_to_5()" && s[11] == "count_to_5()" && s[12].contains("~10"));
        for code in [CODE_THREADS, CODE_CPU] {
            let t: Vec<&str> = code.lines().collect();
            assert!(t[6].contains("Count:") && t[19] == "thread1.join()" && t[20] == "thread2.join()");
            assert!(t[21].starts_with("print(\"Total time"));
        }
        assert!(CODE_THREADS.lines().nth(7).unwrap().contains("time.sleep(1)"));
        assert!(CODE_CPU.lines().nth(7).unwrap().contains("for _ in range"));
    }
}
