//! Lesson 13 — "Producer-Consumer Pattern": the tutorial's program (2 producers × 5 tasks, 3
//! consumers, `queue.Queue(maxsize=10)`, one `None` per producer that consumers put back) loses
//! tasks; `task_queue.join()` after it would hang; the fix joins the producers, then sends one
//! `None` per consumer and calls `task_done()` for every `get()`. Prose: `producer-consumer.md`.
//!
//! The stepped model keeps every queue operation and leaves out the prints and sleeps (they
//! change when things happen, never which orders are possible). Every task is drawn as `1` in
//! the queue: which task it is does not change what can happen, and identical producers let the
//! explorer merge their states, so all five tasks of each fit its limits.

use lab::schema::Value as P;
use sim::prelude::*;
use sim::{Scenario, ScenarioError};

use super::{predict, Exploration, Expect, Lesson, Part, Picker, Real, Variant};

/// Tasks per producer, as in the tutorial.
pub const TASKS: i64 = 5;

/// The tutorial's program, verbatim (blank lines' trailing spaces trimmed).
const CODE_SEED: &str = "\
import threading
import queue
import time
import random

# Thread-safe queue for producer-consumer
task_queue = queue.Queue(maxsize=10)
results_queue = queue.Queue()

def producer(producer_id):
    for i in range(5):
        task = f\"Task-{producer_id}-{i}\"
        task_queue.put(task)
        print(f\"Producer {producer_id}: Created {task}\")
        time.sleep(random.uniform(0.1, 0.5))

    # Signal completion
    task_queue.put(None)

def consumer(consumer_id):
    while True:
        task = task_queue.get()
        if task is None:
            task_queue.put(None)  # Pass signal to other consumers
            break

        # Process task
        print(f\"Consumer {consumer_id}: Processing {task}\")
        result = f\"{task}-COMPLETED\"
        time.sleep(random.uniform(0.2, 0.8))

        results_queue.put(result)
        task_queue.task_done()

# Start producers and consumers
producers = [threading.Thread(target=producer, args=(i,)) for i in range(2)]
consumers = [threading.Thread(target=consumer, args=(i,)) for i in range(3)]

for p in producers:
    p.start()
for c in consumers:
    c.start()

for p in producers:
    p.join()
for c in consumers:
    c.join()

# Collect results
results = []
while not results_queue.empty():
    results.append(results_queue.get())

print(\"All results:\", results)";

/// The tutorial's program with `task_queue.join()` where a reader might add it.
const CODE_SEED_JOIN: &str = "\
import threading
import queue
import time
import random

# Thread-safe queue for producer-consumer
task_queue = queue.Queue(maxsize=10)
results_queue = queue.Queue()

def producer(producer_id):
    for i in range(5):
        task = f\"Task-{producer_id}-{i}\"
        task_queue.put(task)
        print(f\"Producer {producer_id}: Created {task}\")
        time.sleep(random.uniform(0.1, 0.5))

    # Signal completion
    task_queue.put(None)

def consumer(consumer_id):
    while True:
        task = task_queue.get()
        if task is None:
            task_queue.put(None)  # Pass signal to other consumers
            break

        # Process task
        print(f\"Consumer {consumer_id}: Processing {task}\")
        result = f\"{task}-COMPLETED\"
        time.sleep(random.uniform(0.2, 0.8))

        results_queue.put(result)
        task_queue.task_done()

# Start producers and consumers
producers = [threading.Thread(target=producer, args=(i,)) for i in range(2)]
consumers = [threading.Thread(target=consumer, args=(i,)) for i in range(3)]

for p in producers:
    p.start()
for c in consumers:
    c.start()

for p in producers:
    p.join()
task_queue.join()  # added: wait until every task is done";

/// The fix: join the producers, then one `None` per consumer; `task_done()` for every `get()`.
const CODE_FIXED: &str = "\
import threading
import queue
import time
import random

task_queue = queue.Queue(maxsize=10)
results_queue = queue.Queue()

def producer(producer_id):
    for i in range(5):
        task = f\"Task-{producer_id}-{i}\"
        task_queue.put(task)
        print(f\"Producer {producer_id}: Created {task}\")
        time.sleep(random.uniform(0.1, 0.5))
    # no None here: the main thread stops the consumers once every producer is done

def consumer(consumer_id):
    while True:
        task = task_queue.get()
        try:
            if task is None:
                return  # one None per consumer: nothing to pass on
            print(f\"Consumer {consumer_id}: Processing {task}\")
            result = f\"{task}-COMPLETED\"
            time.sleep(random.uniform(0.2, 0.8))
            results_queue.put(result)
        finally:
            task_queue.task_done()  # for every get(), the None included

producers = [threading.Thread(target=producer, args=(i,)) for i in range(2)]
consumers = [threading.Thread(target=consumer, args=(i,)) for i in range(3)]

for p in producers:
    p.start()
for c in consumers:
    c.start()

for p in producers:
    p.join()
for c in consumers:
    task_queue.put(None)  # after the last task: one None per consumer
task_queue.join()  # returns: every get() was matched by a task_done()
for c in consumers:
    c.join()";

/// Lines of the tutorial's program (also of the `join` version, which shares its first 45).
mod seed {
    pub const PUT: u16 = 13;
    pub const SENTINEL: u16 = 18;
    pub const LOOP: u16 = 21;
    pub const GET: u16 = 22;
    pub const IS_NONE: u16 = 23;
    pub const PASS_ON: u16 = 24;
    pub const RESULT: u16 = 32;
    pub const DONE: u16 = 33;
    pub const P_JOIN: u16 = 45;
    pub const JOIN: u16 = 46;
}

/// Lines of the fixed program.
mod fixed {
    pub const PUT: u16 = 12;
    pub const LOOP: u16 = 18;
    pub const GET: u16 = 19;
    pub const IS_NONE: u16 = 21;
    pub const RETURN: u16 = 22;
    pub const RESULT: u16 = 26;
    pub const DONE: u16 = 28;
    pub const P_JOIN: u16 = 39;
    pub const STOP: u16 = 41;
    pub const Q_JOIN: u16 = 42;
}

/// A task, as the queue shows it (any value but `None`; see the module docs).
const TASK: i64 = 1;

/// The tutorial's producer: five tasks, then (`sentinel`) its `None`.
fn producer(t: &mut ThreadBuilder, id: usize, put_line: u16, sentinel: Option<u16>) {
    for i in 0..TASKS {
        t.line(put_line).op(format!("task_queue.put(task)  # 'Task-{id}-{i}'"), put("task_queue", TASK));
    }
    if let Some(line) = sentinel {
        t.line(line).op("task_queue.put(None)", put("task_queue", Value::None));
    }
}

/// The tutorial's consumer: `None` is put back for the others.
fn seed_consumer(t: &mut ThreadBuilder) {
    t.label("loop")
        .line(seed::GET)
        .op("task = task_queue.get()", get("task_queue", "task"))
        .line(seed::IS_NONE)
        .op("if task is None: (POP_JUMP_IF_NONE)", jump_if_false("task", "stop"))
        .line(seed::RESULT)
        .op("results_queue.put(result)", tally("results", 1))
        .line(seed::DONE)
        .op("task_queue.task_done()", task_done("task_queue"))
        .line(seed::LOOP)
        .op("JUMP_BACKWARD (while True)", jump("loop").switch_point())
        .label("stop")
        .line(seed::PASS_ON)
        .op("task_queue.put(None)", put("task_queue", Value::None));
}

fn lost_check(b: ScenarioBuilder) -> ScenarioBuilder {
    b.check_final(
        "results",
        Cmp::Eq,
        2 * TASKS,
        "A task was never processed: every consumer had stopped while a producer still had tasks \
         to put, and they stayed in task_queue.",
    )
    .kind("lost-task")
}

/// The tutorial's program; with `join`, the main thread also calls `task_queue.join()`.
fn seed(join: bool) -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new(if join { "the tutorial's sentinels, then task_queue.join()" } else { "the tutorial's sentinels" })
        .var("results", 0)
        .queue("task_queue", 10);
    for id in 0..2 {
        b = b.thread(format!("Producer {id}"), |t| producer(t, id, seed::PUT, Some(seed::SENTINEL)));
    }
    for id in 0..3 {
        b = b.thread(format!("Consumer {id}"), seed_consumer);
    }
    if join {
        b = b.thread("main", |t| {
            t.line(seed::P_JOIN).op("p.join()  # Producer 0", join_thread("Producer 0"));
            t.line(seed::P_JOIN).op("p.join()  # Producer 1", join_thread("Producer 1"));
            t.line(seed::JOIN).op("task_queue.join()", join_queue("task_queue"));
        });
    }
    lost_check(b).build()
}

/// The fix.
fn fixed_scenario() -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new("join the producers, then one None per consumer")
        .var("results", 0)
        .queue("task_queue", 10);
    for id in 0..2 {
        b = b.thread(format!("Producer {id}"), |t| producer(t, id, fixed::PUT, None));
    }
    for id in 0..3 {
        b = b.thread(format!("Consumer {id}"), |t| {
            t.label("loop")
                .line(fixed::GET)
                .op("task = task_queue.get()", get("task_queue", "task"))
                .line(fixed::IS_NONE)
                .op("if task is None: (POP_JUMP_IF_NONE)", jump_if_false("task", "stop"))
                .line(fixed::RESULT)
                .op("results_queue.put(result)", tally("results", 1))
                .line(fixed::DONE)
                .op("(finally) task_queue.task_done()", task_done("task_queue"))
                .line(fixed::LOOP)
                .op("JUMP_BACKWARD (while True)", jump("loop").switch_point())
                .label("stop")
                .line(fixed::RETURN)
                .op("return", nop())
                .line(fixed::DONE)
                .op("(finally) task_queue.task_done()", task_done("task_queue"));
        });
    }
    b = b.thread("main", |t| {
        t.line(fixed::P_JOIN).op("p.join()  # Producer 0", join_thread("Producer 0"));
        t.line(fixed::P_JOIN).op("p.join()  # Producer 1", join_thread("Producer 1"));
        for _ in 0..3 {
            t.line(fixed::STOP).op("task_queue.put(None)", put("task_queue", Value::None));
        }
        t.line(fixed::Q_JOIN).op("task_queue.join()", join_queue("task_queue"));
    });
    lost_check(b).build()
}

/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "13-producer-consumer",
    slug: "producer-consumer",
    part: Part::RealWorld,
    variants: &[
        Variant {
            slug: "seed-sentinel",
            label: "The tutorial's sentinels",
            code: CODE_SEED,
            scenario: || seed(false),
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(Real {
                experiment: "producer-consumer",
                set: REAL_SEED,
                predict: Some(predict::EVERY_TASK_ONCE),
            }),
        },
        Variant {
            slug: "seed-join",
            label: "…and task_queue.join()",
            code: CODE_SEED_JOIN,
            scenario: || seed(true),
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(Real {
                experiment: "producer-consumer",
                set: REAL_SEED,
                predict: Some(predict::EVERY_TASK_ONCE),
            }),
        },
        Variant {
            slug: "join-then-sentinels",
            label: "Join, then one None per consumer",
            code: CODE_FIXED,
            scenario: fixed_scenario,
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(Real {
                experiment: "producer-consumer",
                set: &[
                    ("shutdown", P::Choice("join-then-sentinels")),
                    ("producers", P::Int(2)),
                    ("consumers", P::Int(3)),
                    ("tasks", P::Int(5)),
                ],
                predict: Some(predict::EVERY_TASK_ONCE),
            }),
        },
    ],
    picker: Picker::Choice("Shutdown"),
    legacy_lock: None,
    headline: Some("results"),
    quiz: false,
};

/// The tutorial's shape on real threads: 2 producers × 5 tasks, 3 consumers, a queue of 10.
const REAL_SEED: &[(&str, P)] = &[
    ("shutdown", P::Choice("seed-sentinel")),
    ("producers", P::Int(2)),
    ("consumers", P::Int(3)),
    ("tasks", P::Int(5)),
];

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{Machine, Outcome, ThreadId};
    use std::sync::Arc;

    fn steps(m: &mut Machine, t: u8, n: usize) {
        for _ in 0..n {
            m.step(ThreadId(t)).expect("step");
        }
    }

    #[test]
    fn the_first_producers_none_stops_every_consumer_and_the_others_tasks_are_lost() {
        let mut m = Machine::new(Arc::new(seed(false).unwrap())).unwrap();
        // Producer 0 puts its five tasks and its None; the consumers process the five, then
        // each takes the None and puts it back.
        steps(&mut m, 0, 6);
        for c in [2, 3, 4] {
            if c == 2 {
                steps(&mut m, c, 5 * 5);
            }
            steps(&mut m, c, 3);
        }
        for c in [2, 3, 4] {
            assert_eq!(m.status(ThreadId(c)), Some(sim::ThreadStatus::Finished));
        }
        // Producer 1 now puts five tasks nobody will take.
        steps(&mut m, 1, 6);
        match m.outcome() {
            Some(Outcome::Violated { vars, .. }) => assert!(vars.contains(&("results".into(), Value::Int(5)))),
            o => panic!("expected lost tasks, got {o:?}"),
        }
        assert_eq!(m.queue_view(sim::QueueId(0)).unwrap().items.len(), 7, "five tasks and two None");
    }

    #[test]
    fn task_queue_join_waits_for_task_done_calls_that_never_come() {
        let m = Machine::new(Arc::new(seed(true).unwrap())).unwrap();
        let (_, o) = sim::run_to_end(m, &mut sim::RoundRobin::new(), 10_000);
        match o {
            Some(Outcome::Deadlock { blocked, .. }) => assert_eq!(blocked, vec![ThreadId(5)], "only main waits"),
            o => panic!("expected main to hang, got {o:?}"),
        }
    }

    #[test]
    fn the_fix_stops_consumers_only_after_the_last_task_and_join_returns() {
        let mut m = Machine::new(Arc::new(fixed_scenario().unwrap())).unwrap();
        // Producer 0 is done, but main still waits for Producer 1: no None goes out yet.
        steps(&mut m, 0, 5);
        m.step(ThreadId(5)).unwrap();
        assert!(!m.can_step(ThreadId(5)), "main waits for Producer 1");
        let (_, o) = sim::run_to_end(m, &mut sim::RoundRobin::new(), 10_000);
        assert!(matches!(o, Some(Outcome::Finished { ref vars }) if vars.contains(&("results".into(), Value::Int(10)))), "{o:?}");
    }

    #[test]
    fn code_lines_match_the_ops() {
        let l = |code: &str, n: u16| code.lines().nth(usize::from(n) - 1).unwrap().to_string();
        for code in [CODE_SEED, CODE_SEED_JOIN] {
            assert!(l(code, seed::PUT).contains("task_queue.put(task)") && l(code, seed::SENTINEL).contains("task_queue.put(None)"));
            assert!(l(code, seed::LOOP).contains("while True:") && l(code, seed::GET).contains("task = task_queue.get()"));
            assert!(l(code, seed::IS_NONE).contains("if task is None:") && l(code, seed::PASS_ON).contains("task_queue.put(None)"));
            assert!(l(code, seed::RESULT).contains("results_queue.put(result)") && l(code, seed::DONE).contains("task_queue.task_done()"));
        }
        assert!(l(CODE_SEED_JOIN, seed::P_JOIN).contains("p.join()") && l(CODE_SEED_JOIN, seed::JOIN).contains("task_queue.join()"));
        assert!(l(CODE_FIXED, fixed::PUT).contains("task_queue.put(task)") && l(CODE_FIXED, fixed::LOOP).contains("while True:"));
        assert!(l(CODE_FIXED, fixed::GET).contains("task_queue.get()") && l(CODE_FIXED, fixed::IS_NONE).contains("if task is None:"));
        assert!(l(CODE_FIXED, fixed::RETURN).contains("return") && l(CODE_FIXED, fixed::RESULT).contains("results_queue.put(result)"));
        assert!(l(CODE_FIXED, fixed::DONE).contains("task_queue.task_done()") && l(CODE_FIXED, fixed::P_JOIN).contains("p.join()"));
        assert!(l(CODE_FIXED, fixed::STOP).contains("task_queue.put(None)") && l(CODE_FIXED, fixed::Q_JOIN).contains("task_queue.join()"));
    }
}
