//! Lesson 15 — "Best Practices Summary": the tutorial's six rules, each with the lesson that
//! shows it and what we measured there, then "Spot the bug": short snippets drawn from the
//! lessons, some safe and some not, that the learner judges before the explorer checks them.
//! Prose: `best-practices.md`.

use lab::schema::Value as P;
use sim::prelude::*;
use sim::{Scenario, ScenarioError};

use super::{predict, Exploration, Expect, Lesson, Part, Picker, Real, Variant};

const CODE_COUNTER: &str = "\
import threading

counter = 0

def work():
    global counter
    counter += 1

for _ in range(2):
    threading.Thread(target=work).start()";

const CODE_COUNTER_LOCKED: &str = "\
import threading

counter = 0
lock = threading.Lock()

def work():
    global counter
    with lock:
        counter += 1

for _ in range(2):
    threading.Thread(target=work).start()";

const CODE_CHECK_OUTSIDE: &str = "\
import threading

balance = 50
lock = threading.Lock()

def withdraw(amount):
    global balance
    if balance >= amount:
        with lock:
            balance -= amount

for _ in range(2):
    threading.Thread(target=withdraw, args=(30,)).start()";

const CODE_CHECK_INSIDE: &str = "\
import threading

balance = 50
lock = threading.Lock()

def withdraw(amount):
    global balance
    with lock:
        if balance >= amount:
            balance -= amount

for _ in range(2):
    threading.Thread(target=withdraw, args=(30,)).start()";

const CODE_TWO_LOCKS: &str = "\
import threading

lock_a = threading.Lock()
lock_b = threading.Lock()

def one():
    with lock_a:
        with lock_b:
            print(\"one has both\")

def two():
    with lock_b:
        with lock_a:
            print(\"two has both\")

threading.Thread(target=one).start()
threading.Thread(target=two).start()";

const CODE_RLOCK: &str = "\
import threading

class Account:
    def __init__(self):
        self.balance = 0
        self.lock = threading.RLock()

    def deposit(self, amount):
        with self.lock:
            self.balance += amount

    def deposit_twice(self, amount):
        with self.lock:
            self.deposit(amount)  # takes self.lock again
            self.deposit(amount)

account = Account()
for _ in range(2):
    threading.Thread(target=account.deposit_twice, args=(10,)).start()";

const CODE_QUEUE: &str = "\
import threading
import queue

tasks = queue.Queue()
done = 0
done_lock = threading.Lock()

def consumer():
    global done
    while True:
        task = tasks.get()
        if task is None:
            return
        with done_lock:
            done += 1

consumers = [threading.Thread(target=consumer) for _ in range(2)]
for c in consumers:
    c.start()
for task in (\"a\", \"b\", \"c\"):
    tasks.put(task)
for c in consumers:
    tasks.put(None)  # one None per consumer, after the last task";

const CODE_LAZY: &str = "\
import threading

config = None

def load_config():
    return {\"debug\": False}  # imagine a slow file read

def get_config():
    global config
    if config is None:
        config = load_config()
    return config

for _ in range(2):
    threading.Thread(target=get_config).start()";

/// `counter += 1` on `line`, as CPython 3.11's four bytecodes.
fn increment(t: &mut ThreadBuilder, var: &str, line: u16) {
    t.line(line)
        .op(format!("LOAD_GLOBAL ({var})"), load(var, "tmp"))
        .op("LOAD_CONST (1)", load_const("n", 1))
        .op("BINARY_OP 13 (+=)", add("tmp", "tmp", "n"))
        .op(format!("STORE_GLOBAL ({var})"), store(var, "tmp"));
}

fn counter(locked: bool) -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new(if locked { "counter with a lock" } else { "counter" }).var("counter", 0);
    if locked {
        b = b.lock("lock", LockKind::Lock);
    }
    for i in 1..=2 {
        b = b.thread(format!("Thread-{i}"), |t| {
            if locked {
                t.line(8).op("BEFORE_WITH → lock.acquire()", acquire("lock"));
                increment(t, "counter", 9);
                t.line(8).op("(end of with) → lock.release()", release("lock"));
            } else {
                increment(t, "counter", 7);
            }
        });
    }
    b.check_final("counter", Cmp::Eq, 2, "An update was lost: both threads read the same counter.")
        .kind("lost-update")
        .build()
}

/// `withdraw(30)` twice from 50; `inside` puts the check under the lock.
fn withdraw(inside: bool) -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new(if inside { "check and act under the lock" } else { "check, then lock" })
        .var("balance", 50)
        .lock("lock", LockKind::Lock);
    let (with_line, if_line, sub_line) = if inside { (8, 9, 10) } else { (9, 8, 10) };
    for i in 1..=2 {
        b = b.thread(format!("withdraw-{i}"), |t| {
            if inside {
                t.line(with_line).op("BEFORE_WITH → lock.acquire()", acquire("lock"));
            }
            t.line(if_line)
                .op("LOAD_GLOBAL (balance)", load("balance", "b"))
                .op("COMPARE_OP >= (30)", ge("ok", "b", 30))
                .op("POP_JUMP_IF_FALSE", jump_if_false("ok", "skip"));
            if !inside {
                t.line(with_line).op("BEFORE_WITH → lock.acquire()", acquire("lock"));
            }
            t.line(sub_line)
                .op("LOAD_GLOBAL (balance)", load("balance", "x"))
                .op("BINARY_OP -= (30)", sub("x", "x", 30))
                .op("STORE_GLOBAL (balance)", store("balance", "x"));
            if !inside {
                t.line(with_line).op("(end of with) → lock.release()", release("lock"));
            }
            t.label("skip");
            if inside {
                t.line(with_line).op("(end of with) → lock.release()", release("lock"));
            }
        });
    }
    b.check_final("balance", Cmp::Ge, 0, "The balance went below 0: both threads passed the check before either withdrew.")
        .kind("overdraft")
        .build()
}

fn two_locks() -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new("two locks, two orders")
        .lock("lock_a", LockKind::Lock)
        .lock("lock_b", LockKind::Lock);
    for (name, first, second, line) in [("one", "lock_a", "lock_b", 7u16), ("two", "lock_b", "lock_a", 12)] {
        b = b.thread(name, |t| {
            t.line(line).op(format!("BEFORE_WITH → {first}.acquire()"), acquire(first));
            t.line(line + 1).op(format!("BEFORE_WITH → {second}.acquire()"), acquire(second));
            t.line(line + 2).op(format!("CALL print(\"{name} has both\")"), nop());
            t.line(line + 1).op(format!("(end of with) → {second}.release()"), release(second));
            t.line(line).op(format!("(end of with) → {first}.release()"), release(first));
        });
    }
    b.build()
}

fn rlock_account() -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new("deposit_twice under an RLock")
        .var("account.balance", 0)
        .lock("self.lock", LockKind::RLock);
    for i in 1..=2 {
        b = b.thread(format!("Thread-{i}"), |t| {
            t.line(13).op("BEFORE_WITH → self.lock.acquire()", acquire("self.lock"));
            for line in [14u16, 15] {
                t.line(line).op("CALL self.deposit(amount)", nop());
                t.line(9).op("BEFORE_WITH → self.lock.acquire()", acquire("self.lock"));
                t.line(10)
                    .op("LOAD_ATTR (self.balance)", load("account.balance", "x"))
                    .op("BINARY_OP += (10)", add("x", "x", 10))
                    .op("STORE_ATTR (self.balance)", store("account.balance", "x"));
                t.line(9).op("(end of with) → self.lock.release()", release("self.lock"));
            }
            t.line(13).op("(end of with) → self.lock.release()", release("self.lock"));
        });
    }
    b.check_final("account.balance", Cmp::Eq, 40, "A deposit was lost.").kind("lost-update").build()
}

fn queue_with_sentinels() -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new("one None per consumer")
        .var("done", 0)
        .queue("tasks", 0)
        .lock("done_lock", LockKind::Lock);
    for i in 1..=2 {
        b = b.thread(format!("consumer-{i}"), |t| {
            t.label("loop")
                .line(11)
                .op("task = tasks.get()", get("tasks", "task"))
                .line(12)
                .op("if task is None: (POP_JUMP_IF_NONE)", jump_if_false("task", "stop"))
                .line(14)
                .op("BEFORE_WITH → done_lock.acquire()", acquire("done_lock"));
            increment(t, "done", 15);
            t.line(14)
                .op("(end of with) → done_lock.release()", release("done_lock"))
                .line(10)
                .op("JUMP_BACKWARD (while True)", jump("loop").switch_point())
                .label("stop")
                .line(13)
                .op("return", nop());
        });
    }
    b = b.thread("main", |t| {
        for task in ["a", "b", "c"] {
            // A task is any value but None; the queue draws it as 1.
            t.line(21).op(format!("tasks.put(task)  # '{task}'"), put("tasks", 1));
        }
        for _ in 0..2 {
            t.line(23).op("tasks.put(None)", put("tasks", Value::None));
        }
    });
    b.check_final("done", Cmp::Eq, 3, "A task was never processed.").kind("lost-task").build()
}

fn lazy_config() -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new("lazy initialisation").var("config", Value::None).var("load_config() calls", 0);
    for i in 1..=2 {
        b = b.thread(format!("Thread-{i}"), |t| {
            t.line(10)
                .op("LOAD_GLOBAL (config)", load("config", "c"))
                .op("POP_JUMP_IF_NOT_NONE", jump_if_true("c", "have"));
            // The dict load_config() returns is drawn as 1.
            t.line(11).op("CALL load_config()", tally("load_config() calls", 1));
            t.line(6).op("RETURN_VALUE ({'debug': False})", load_const("new", 1));
            t.line(11).op("STORE_GLOBAL (config)", store("config", "new"));
            t.label("have");
        });
    }
    b.check_final("load_config() calls", Cmp::Eq, 1, "The configuration was loaded twice, and one thread may have handed out a copy that is then replaced.")
        .kind("duplicate")
        .build()
}

/// A snippet of the quiz.
const fn snippet(
    slug: &'static str,
    label: &'static str,
    code: &'static str,
    scenario: fn() -> Result<Scenario, ScenarioError>,
    expect: Expect,
    real: Option<Real>,
) -> Variant {
    Variant { slug, label, code, scenario, expect, fine: &[], exploration: Exploration::Exhaustive, real }
}

/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "15-best-practices",
    slug: "best-practices",
    part: Part::BestPractices,
    variants: &[
        snippet(
            "counter",
            "Snippet 1: a shared counter",
            CODE_COUNTER,
            || counter(false),
            Expect::Bad,
            Some(Real {
                experiment: "counter",
                set: &[("mode", P::Choice("racy"))],
                predict: Some(predict::LOST_UPDATES),
            }),
        ),
        snippet(
            "counter-locked",
            "Snippet 2: the counter behind a lock",
            CODE_COUNTER_LOCKED,
            || counter(true),
            Expect::Safe,
            Some(Real {
                experiment: "counter",
                set: &[("mode", P::Choice("mutex"))],
                predict: Some(predict::LOST_UPDATES),
            }),
        ),
        snippet("check-outside", "Snippet 3: check, then lock", CODE_CHECK_OUTSIDE, || withdraw(false), Expect::Bad, None),
        snippet("check-inside", "Snippet 4: check under the lock", CODE_CHECK_INSIDE, || withdraw(true), Expect::Safe, None),
        snippet(
            "two-locks",
            "Snippet 5: two locks",
            CODE_TWO_LOCKS,
            two_locks,
            Expect::Bad,
            Some(Real {
                experiment: "deadlock",
                set: &[("ordering", P::Choice("opposite"))],
                predict: Some(predict::EVERY_THREAD_FINISHES),
            }),
        ),
        snippet("rlock", "Snippet 6: a method calling a method", CODE_RLOCK, rlock_account, Expect::Safe, None),
        snippet("queue", "Snippet 7: a queue and its stop signals", CODE_QUEUE, queue_with_sentinels, Expect::Safe, None),
        snippet("lazy", "Snippet 8: lazy initialisation", CODE_LAZY, lazy_config, Expect::Bad, None),
    ],
    picker: Picker::Choice("Snippet"),
    legacy_lock: None,
    headline: None,
    quiz: true,
};

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{Machine, Outcome, ThreadId};
    use std::sync::Arc;

    fn machine(s: Result<Scenario, ScenarioError>) -> Machine {
        Machine::new(Arc::new(s.unwrap())).unwrap()
    }

    fn run(mut m: Machine, order: &[u8]) -> Outcome {
        for &t in order {
            m.step(ThreadId(t)).expect("step");
        }
        sim::run_to_end(m, &mut sim::RoundRobin::new(), 10_000).1.expect("ends")
    }

    #[test]
    fn the_quiz_has_at_least_six_snippets_some_safe_some_not() {
        let v = LESSON.variants;
        assert!(v.len() >= 6);
        assert!(v.iter().any(|s| s.expect == Expect::Safe) && v.iter().any(|s| s.expect == Expect::Bad));
        assert!(v.iter().enumerate().all(|(i, s)| s.label.starts_with(&format!("Snippet {}: ", i + 1))));
    }

    #[test]
    fn checking_outside_the_lock_lets_both_withdraw() {
        // Both read 50 and pass the check before either takes the lock.
        let o = run(machine(withdraw(false)), &[0, 0, 0, 1, 1, 1]);
        assert!(matches!(&o, Outcome::Violated { vars, .. } if vars.contains(&("balance".into(), Value::Int(-10)))), "{o:?}");
    }

    #[test]
    fn checking_under_the_lock_lets_one_withdraw() {
        let o = run(machine(withdraw(true)), &[0, 0, 0]);
        assert!(matches!(&o, Outcome::Finished { vars } if vars.contains(&("balance".into(), Value::Int(20)))), "{o:?}");
    }

    #[test]
    fn an_rlock_lets_a_method_call_another_under_it() {
        let o = run(machine(rlock_account()), &[0, 0, 0]);
        assert!(matches!(&o, Outcome::Finished { vars } if vars.contains(&("account.balance".into(), Value::Int(40)))), "{o:?}");
    }

    #[test]
    fn two_threads_past_the_none_check_load_twice() {
        let o = run(machine(lazy_config()), &[0, 0, 1, 1]);
        assert!(matches!(&o, Outcome::Violated { vars, .. } if vars.contains(&("load_config() calls".into(), Value::Int(2)))), "{o:?}");
    }

    #[test]
    fn the_stop_signals_come_after_every_task() {
        let o = run(machine(queue_with_sentinels()), &[2, 2, 2, 2, 2]);
        assert!(matches!(&o, Outcome::Finished { vars } if vars.contains(&("done".into(), Value::Int(3)))), "{o:?}");
    }

    #[test]
    fn code_lines_match_the_ops() {
        let l = |code: &str, n: usize| code.lines().nth(n - 1).unwrap().to_string();
        assert!(l(CODE_COUNTER, 7).contains("counter += 1"));
        assert!(l(CODE_COUNTER_LOCKED, 8).contains("with lock:") && l(CODE_COUNTER_LOCKED, 9).contains("counter += 1"));
        assert!(l(CODE_CHECK_OUTSIDE, 8).contains("if balance >= amount:") && l(CODE_CHECK_OUTSIDE, 9).contains("with lock:"));
        assert!(l(CODE_CHECK_OUTSIDE, 10).contains("balance -= amount"));
        assert!(l(CODE_CHECK_INSIDE, 8).contains("with lock:") && l(CODE_CHECK_INSIDE, 9).contains("if balance >= amount:"));
        assert!(l(CODE_CHECK_INSIDE, 10).contains("balance -= amount"));
        assert!(l(CODE_TWO_LOCKS, 7).contains("with lock_a:") && l(CODE_TWO_LOCKS, 8).contains("with lock_b:"));
        assert!(l(CODE_TWO_LOCKS, 12).contains("with lock_b:") && l(CODE_TWO_LOCKS, 13).contains("with lock_a:"));
        assert!(l(CODE_TWO_LOCKS, 9).contains("print") && l(CODE_TWO_LOCKS, 14).contains("print"));
        assert!(l(CODE_RLOCK, 9).contains("with self.lock:") && l(CODE_RLOCK, 10).contains("self.balance += amount"));
        assert!(l(CODE_RLOCK, 13).contains("with self.lock:") && l(CODE_RLOCK, 14).contains("self.deposit(amount)"));
        assert!(l(CODE_RLOCK, 15).contains("self.deposit(amount)"));
        assert!(l(CODE_QUEUE, 10).contains("while True:") && l(CODE_QUEUE, 11).contains("tasks.get()"));
        assert!(l(CODE_QUEUE, 12).contains("if task is None:") && l(CODE_QUEUE, 13).contains("return"));
        assert!(l(CODE_QUEUE, 14).contains("with done_lock:") && l(CODE_QUEUE, 15).contains("done += 1"));
        assert!(l(CODE_QUEUE, 21).contains("tasks.put(task)") && l(CODE_QUEUE, 23).contains("tasks.put(None)"));
        assert!(l(CODE_LAZY, 10).contains("if config is None:") && l(CODE_LAZY, 11).contains("config = load_config()"));
        assert!(l(CODE_LAZY, 6).contains("return {\"debug\": False}"));
    }
}
