//! Reference scenarios, lesson-sized, modelled on the seed tutorial's snippets. Tests, the
//! benchmark and lesson authors use them; each builds with the [`ScenarioBuilder`] exactly as a
//! lesson would. Bytecode texts are CPython 3.11's.

use crate::builder::ops::*;
use crate::builder::{ScenarioBuilder, ThreadBuilder};
use crate::op::Cmp;
use crate::scenario::{LockKind, Scenario, MAX_THREADS};
use crate::value::Value;
use std::sync::Arc;

fn done(b: ScenarioBuilder) -> Arc<Scenario> {
    // Sample scenarios are fixed shapes with clamped sizes, all built by the tests; an error
    // here is a bug in this file, not something a caller can cause.
    match b.build_arc() {
        Ok(s) => s,
        Err(e) => panic!("sample scenario is invalid: {e}"),
    }
}

/// `counter += 1` as CPython 3.11's four bytecodes, optionally inside `with lock:`.
fn increment(t: &mut ThreadBuilder, locked: bool) {
    if locked {
        t.line(7).op("with lock:", acquire("lock"));
    }
    t.line(8)
        .op("LOAD_GLOBAL 0 (counter)", load("counter", "tmp"))
        .op("LOAD_CONST 1 (1)", load_const("one", 1))
        .op("BINARY_OP 13 (+=)", add("tmp", "tmp", "one"))
        .op("STORE_GLOBAL 0 (counter)", store("counter", "tmp"));
    if locked {
        t.line(7)
            .op("(end of with) lock.release()", release("lock"));
    }
}

/// The race condition: `threads` threads each run `counter += 1` `increments` times (unrolled),
/// with or without a `Lock` around it. No checks: the final counter is the outcome.
/// `threads` is clamped to `1..=`[`MAX_THREADS`] (16), `increments` to `0..=100`.
pub fn race(threads: usize, increments: usize, locked: bool) -> Arc<Scenario> {
    let threads = threads.clamp(1, MAX_THREADS);
    let increments = increments.min(100);
    let mut b = ScenarioBuilder::new(format!(
        "race {threads}x{increments}{}",
        if locked { " locked" } else { "" }
    ))
    .var("counter", 0)
    .lock("lock", LockKind::Lock);
    for i in 0..threads {
        b = b.thread(format!("T{}", i + 1), |t| {
            for _ in 0..increments {
                increment(t, locked);
            }
        });
    }
    done(b)
}

/// The race as a real loop, `for _ in range(n): counter += 1`, with the GIL on. The loop's
/// `JUMP_BACKWARD` is a switch point (CPython 3.10+); with `switch_everywhere` every op is one
/// (an interpreter that may switch between any two bytecodes). `threads` is clamped to
/// `1..=`[`MAX_THREADS`] (16).
pub fn gil_race(threads: usize, n: i64, switch_everywhere: bool) -> Arc<Scenario> {
    let threads = threads.clamp(1, MAX_THREADS);
    let mut b = ScenarioBuilder::new(format!(
        "gil race {threads}x{n}, switch {}",
        if switch_everywhere {
            "anywhere"
        } else {
            "at back-edges"
        }
    ))
    .var("counter", 0)
    .gil(true)
    .gil_switch_every_op(switch_everywhere);
    for i in 0..threads {
        b = b.thread(format!("T{}", i + 1), |t| {
            t.line(5)
                .op("i = 0", load_const("i", 0))
                .label("loop")
                .op("FOR_ITER (i < n)", lt("more", "i", n))
                .op("FOR_ITER (exit)", jump_if_false("more", "end"));
            increment(t, false);
            t.line(5)
                .op("i += 1", add("i", "i", 1))
                .op("JUMP_BACKWARD", jump("loop").switch_point())
                .label("end");
        });
    }
    done(b)
}

/// The seed's deadlock: two threads take `lock1` and `lock2`, in opposite orders or the same.
pub fn two_locks(opposite: bool) -> Arc<Scenario> {
    let order = |first: &'static str, second: &'static str| {
        move |t: &mut ThreadBuilder| {
            t.line(2)
                .op(format!("with {first}:"), acquire(first))
                .line(3)
                .op(format!("print(\"acquired {first}\")"), nop())
                .line(4)
                .op(format!("with {second}:"), acquire(second))
                .line(5)
                .op(format!("print(\"acquired {second}\")"), nop())
                .line(4)
                .op(format!("(end of with) {second}.release()"), release(second))
                .line(2)
                .op(format!("(end of with) {first}.release()"), release(first));
        }
    };
    let b = ScenarioBuilder::new(if opposite {
        "two locks, opposite order"
    } else {
        "two locks, same order"
    })
    .lock("lock1", LockKind::Lock)
    .lock("lock2", LockKind::Lock)
    .thread("T1", order("lock1", "lock2"));
    let b = if opposite {
        b.thread("T2", order("lock2", "lock1"))
    } else {
        b.thread("T2", order("lock1", "lock2"))
    };
    done(b)
}

/// The seed's bank transfers: `T1` moves 30 from `a` to `b` while `T2` moves 50 from `b` to
/// `a`. `ordered: false` locks "self, then other" (can deadlock); `ordered: true` locks in
/// account-id order. The total must stay 200.
pub fn transfers(ordered: bool) -> Arc<Scenario> {
    let transfer = move |from: &'static str, to: &'static str, amount: i64| {
        move |t: &mut ThreadBuilder| {
            let (l_from, l_to) = (format!("{from}_lock"), format!("{to}_lock"));
            let (first, second) = if ordered && from > to {
                (l_to, l_from)
            } else {
                (l_from, l_to)
            };
            t.line(3)
                .op(format!("with {first}:"), acquire(first.clone()))
                .line(4)
                .op(format!("with {second}:"), acquire(second.clone()))
                .line(5)
                .op(format!("LOAD {from}.balance"), load(from, "bal"))
                .op(
                    format!("COMPARE_OP >= {amount}"),
                    ge("enough", "bal", amount),
                )
                .op("POP_JUMP_IF_FALSE", jump_if_false("enough", "unlock"))
                .line(6)
                .op(format!("LOAD {from}.balance"), load(from, "x"))
                .op(format!("BINARY_OP -= {amount}"), sub("x", "x", amount))
                .op(format!("STORE {from}.balance"), store(from, "x"))
                .line(7)
                .op(format!("LOAD {to}.balance"), load(to, "y"))
                .op(format!("BINARY_OP += {amount}"), add("y", "y", amount))
                .op(format!("STORE {to}.balance"), store(to, "y"))
                .label("unlock")
                .line(4)
                .op(format!("(end of with) {second}.release()"), release(second))
                .line(3)
                .op(format!("(end of with) {first}.release()"), release(first));
        }
    };
    done(
        ScenarioBuilder::new(if ordered {
            "transfers, ordered locks"
        } else {
            "transfers, self then other"
        })
        .var("a", 100)
        .var("b", 100)
        .lock("a_lock", LockKind::Lock)
        .lock("b_lock", LockKind::Lock)
        .thread("T1", transfer("a", "b", 30))
        .thread("T2", transfer("b", "a", 50))
        .check_final_sum(&["a", "b"], Cmp::Eq, 200, "money was created or destroyed"),
    )
}

/// Producer-consumer with a bounded queue: 2 producers put `tasks` tasks each, 3 consumers
/// process them (`processed` is an atomic tally). Every task must be processed.
///
/// `fixed: false` is the seed's scheme: each producer puts one `None` when done, and a consumer
/// that gets `None` puts it back and exits, so the first producer to finish can stop every
/// consumer while the other still has tasks. `fixed: true` joins both producers in a `main`
/// thread, then puts one `None` per consumer. `tasks` is clamped to `0..=100`; a `maxsize` of 0
/// is unbounded.
pub fn producer_consumer(fixed: bool, tasks: i64, maxsize: u32) -> Arc<Scenario> {
    let tasks = tasks.clamp(0, 100);
    let producer = move |id: i64| {
        move |t: &mut ThreadBuilder| {
            for i in 0..tasks {
                t.line(4).op(
                    format!("task_queue.put(Task-{id}-{i})"),
                    put("task_queue", id * 10 + i),
                );
            }
            if !fixed {
                t.line(7)
                    .op("task_queue.put(None)", put("task_queue", Value::None));
            }
        }
    };
    let consumer = move |t: &mut ThreadBuilder| {
        t.label("loop")
            .line(10)
            .op("task = task_queue.get()", get("task_queue", "task"))
            .line(11)
            .op("if task is None:", eq("stop", "task", Value::None))
            .op("POP_JUMP_IF_TRUE", jump_if_true("stop", "stop"))
            .line(15)
            .op("process(task)", tally("processed", 1))
            .line(16)
            .op("task_queue.task_done()", task_done("task_queue"))
            .op("JUMP_BACKWARD", jump("loop").switch_point())
            .label("stop");
        if !fixed {
            t.line(12)
                .op("task_queue.put(None)", put("task_queue", Value::None));
        }
        t.line(13).op("break", nop());
    };
    let mut b = ScenarioBuilder::new(if fixed {
        "producer-consumer, one sentinel per consumer"
    } else {
        "producer-consumer, seed's shared sentinel"
    })
    .var("processed", 0)
    .queue("task_queue", maxsize)
    .thread("P1", producer(1))
    .thread("P2", producer(2))
    .thread("C1", consumer)
    .thread("C2", consumer)
    .thread("C3", consumer);
    if fixed {
        b = b.thread("main", |t| {
            t.line(20)
                .op("p1.join()", join_thread("P1"))
                .op("p2.join()", join_thread("P2"))
                .line(21)
                .op("task_queue.put(None)", put("task_queue", Value::None))
                .op("task_queue.put(None)", put("task_queue", Value::None))
                .op("task_queue.put(None)", put("task_queue", Value::None));
        });
    }
    done(b.check_final(
        "processed",
        Cmp::Eq,
        2 * tasks,
        "tasks were left unprocessed",
    ))
}

/// Singleton creation by two threads: naive check-then-create, or the seed's double-checked
/// locking. `instances` counts constructor calls and must end at 1.
pub fn singleton(double_checked: bool) -> Arc<Scenario> {
    let body = move |t: &mut ThreadBuilder| {
        t.line(6)
            .op("if cls._instance is None:", load("_instance", "inst"))
            .op("COMPARE_OP is None", eq("none", "inst", Value::None))
            .op("POP_JUMP_IF_FALSE", jump_if_false("none", "end"));
        if double_checked {
            t.line(7)
                .op("with cls._lock:", acquire("_lock"))
                .line(9)
                .op("if cls._instance is None:", load("_instance", "inst"))
                .op("COMPARE_OP is None", eq("none", "inst", Value::None))
                .op("POP_JUMP_IF_FALSE", jump_if_false("none", "unlock"));
        }
        t.line(10)
            .op("super().__new__(cls)", tally("instances", 1))
            .op("cls._instance = ...", load_const("obj", 1))
            .op("STORE_ATTR _instance", store("_instance", "obj"));
        if double_checked {
            t.label("unlock")
                .line(7)
                .op("(end of with) _lock.release()", release("_lock"));
        }
        t.label("end");
    };
    let mut b = ScenarioBuilder::new(if double_checked {
        "singleton, double-checked locking"
    } else {
        "singleton, check then create"
    })
    .var("_instance", Value::None)
    .var("instances", 0);
    if double_checked {
        b = b.lock("_lock", LockKind::Lock);
    }
    done(b.thread("T1", body).thread("T2", body).check_final(
        "instances",
        Cmp::Eq,
        1,
        "two instances were created",
    ))
}

/// A connection pool: `threads` threads each take a permit of `Semaphore(permits)`, use a
/// connection, and give it back. At most `permits` may be inside at once. `threads` is clamped
/// to `1..=`[`MAX_THREADS`] (16): `semaphore_pool(10, 3)` is ten users sharing three connections.
pub fn semaphore_pool(threads: usize, permits: u32) -> Arc<Scenario> {
    pool(threads, permits, false)
}

/// [`semaphore_pool`] with a bug: `T1` calls `pool.release()` once more after its `with pool:`
/// block. A plain `Semaphore` just counts up, so the pool now hands out one connection too many
/// and `permits + 1` users can be inside at once, which the section check catches. (A
/// `BoundedSemaphore` would raise `ValueError` at the extra release instead.)
pub fn semaphore_pool_extra_release(threads: usize, permits: u32) -> Arc<Scenario> {
    pool(threads, permits, true)
}

fn pool(threads: usize, permits: u32, extra_release: bool) -> Arc<Scenario> {
    let threads = threads.clamp(1, MAX_THREADS);
    let mut b = ScenarioBuilder::new(format!(
        "semaphore pool {threads} threads, {permits} permits{}",
        if extra_release {
            ", T1 releases twice"
        } else {
            ""
        }
    ))
    .semaphore("pool", permits)
    .check_max_in_section(
        "connection",
        u8::try_from(permits).unwrap_or(u8::MAX),
        "too many connections in use",
    );
    for i in 0..threads {
        b = b.thread(format!("T{}", i + 1), |t| {
            t.line(5)
                .op("with pool:", sem_acquire("pool"))
                .op("(inside)", enter("connection"))
                .line(6)
                .op("time.sleep(0.1)", sleep(100))
                .op("(leaving)", exit("connection"))
                .line(5)
                .op("(end of with) pool.release()", sem_release("pool"));
            if extra_release && i == 0 {
                t.line(7)
                    .op("pool.release()  # one too many", sem_release("pool"));
            }
        });
    }
    done(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_build_for_any_size() {
        for n in [0, 1, 3, 8, 9, 1000] {
            assert!(race(n, n, true).threads.len() <= MAX_THREADS);
            assert!(gil_race(n, 2, false).threads.len() <= MAX_THREADS);
            assert!(semaphore_pool(n, 0).threads.len() <= MAX_THREADS);
            assert!(semaphore_pool_extra_release(n, 0).threads.len() <= MAX_THREADS);
        }
        for tasks in [-5, 0, 3, 1_000_000] {
            producer_consumer(false, tasks, 0);
            producer_consumer(true, tasks, 1);
        }
        two_locks(true);
        transfers(true);
        singleton(false);
    }
}
