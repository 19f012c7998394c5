//! What each experiment is about and which parameters it takes, as data, so a UI can list
//! the experiments and edit any of them without knowing their parameter structs.
//!
//! [`LabRequest::info`] gives the title and the question an experiment answers;
//! [`LabRequest::params`] lists its parameters with their bounds and current values;
//! [`LabRequest::set`] changes one. Bounds here are the ones `validate` enforces (a run
//! re-validates, so a UI that skips them still cannot start an unbounded run).

use crate::bank::{self, BankMode};
use crate::cache::{self, CacheDesign};
use crate::counter::{self, CounterMode};
use crate::deadlock::{self, LockOrdering};
use crate::params::ParamError;
use crate::producer_consumer::{self, Shutdown};
use crate::singleton::{self, SingletonDesign};
use crate::{reentry, rwlock, semaphore, sleep_cpu, thread_local, try_lock, LabRequest};

/// An experiment's title and what it shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Info {
    /// Title, e.g. "Shared counter".
    pub title: &'static str,
    /// The question the experiment answers, in a sentence or two.
    pub question: &'static str,
    /// The section of the seed tutorial it comes from.
    pub seed_section: &'static str,
}

/// The kind and bounds of a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A whole number in `min..=max`.
    Int {
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// One of `(value, label)`.
    Choice(&'static [(&'static str, &'static str)]),
    /// Yes or no.
    Flag,
}

/// A parameter value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// For [`Kind::Int`].
    Int(u64),
    /// For [`Kind::Choice`]: the choice's value.
    Choice(&'static str),
    /// For [`Kind::Flag`].
    Flag(bool),
}

/// One parameter of a request: what it is and its current value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// Stable key (kebab-case), e.g. "threads".
    pub key: &'static str,
    /// Human label.
    pub label: &'static str,
    /// What it does, shown as a hint.
    pub help: &'static str,
    /// Kind and bounds.
    pub kind: Kind,
    /// Current value.
    pub value: Value,
}

fn int(
    key: &'static str,
    label: &'static str,
    help: &'static str,
    min: u64,
    max: u64,
    v: u64,
) -> Param {
    // A tiny runner can make a thread bound's max fall below its min; never offer an empty range.
    let max = max.max(min);
    Param {
        key,
        label,
        help,
        kind: Kind::Int { min, max },
        value: Value::Int(v),
    }
}

fn flag(key: &'static str, label: &'static str, help: &'static str, v: bool) -> Param {
    Param {
        key,
        label,
        help,
        kind: Kind::Flag,
        value: Value::Flag(v),
    }
}

fn choice(
    key: &'static str,
    label: &'static str,
    help: &'static str,
    options: &'static [(&'static str, &'static str)],
    v: &'static str,
) -> Param {
    Param {
        key,
        label,
        help,
        kind: Kind::Choice(options),
        value: Value::Choice(v),
    }
}

const COUNTER_MODES: &[(&str, &str)] = &[
    ("racy", "racy: load, then store"),
    ("mutex", "mutex"),
    ("atomic", "atomic fetch_add"),
    ("spin-lock", "spin lock (compare-exchange)"),
    ("gil", "GIL emulation"),
];
const ORDERINGS: &[(&str, &str)] = &[
    ("opposite", "opposite order (the seed's deadlock)"),
    ("global", "one global order (the fix)"),
];
const BANK_MODES: &[(&str, &str)] = &[
    ("global-lock", "one global lock"),
    (
        "ordered-locks",
        "per-account locks in id order (GoodBankAccount)",
    ),
    ("self-then-other", "self, then other (BadBankAccount)"),
];
const CACHE_DESIGNS: &[(&str, &str)] = &[
    ("seed", "the seed's cache (compute outside the lock)"),
    ("per-key-once", "per-key once"),
];
const SHUTDOWNS: &[(&str, &str)] = &[
    (
        "seed-sentinel",
        "the seed's sentinel (one None per producer)",
    ),
    (
        "join-then-sentinels",
        "join producers, then one None per consumer",
    ),
];
const SINGLETON_DESIGNS: &[(&str, &str)] = &[
    ("naive", "naive check-then-create"),
    ("double-checked", "double-checked with a lock (the seed's)"),
    ("once-cell", "once-cell"),
];

fn bad(key: &str, what: &str) -> ParamError {
    ParamError::new("parameter", format!("`{key}` {what}"))
}

fn want_int(key: &str, v: &Value) -> Result<u64, ParamError> {
    match v {
        Value::Int(n) => Ok(*n),
        _ => Err(bad(key, "takes a whole number")),
    }
}

fn want_u32(key: &str, v: &Value) -> Result<u32, ParamError> {
    u32::try_from(want_int(key, v)?).map_err(|_| bad(key, "is too large"))
}

fn want_flag(key: &str, v: &Value) -> Result<bool, ParamError> {
    match v {
        Value::Flag(b) => Ok(*b),
        _ => Err(bad(key, "takes yes or no")),
    }
}

fn want_choice<'a>(key: &str, v: &'a Value) -> Result<&'a str, ParamError> {
    match v {
        Value::Choice(c) => Ok(c),
        _ => Err(bad(key, "takes one of its choices")),
    }
}

/// The variant of `all` whose `slug` is the chosen value: the strings live only in the enums.
fn by_slug<T: Copy>(
    all: &[T],
    slug: fn(&T) -> &'static str,
    key: &str,
    v: &Value,
) -> Result<T, ParamError> {
    let c = want_choice(key, v)?;
    all.iter()
        .copied()
        .find(|t| slug(t) == c)
        .ok_or_else(|| bad(key, "has no such choice"))
}

impl LabRequest {
    /// The experiment's title and question.
    pub fn info(&self) -> Info {
        let (title, question, seed_section) = match self {
            LabRequest::Counter(_) => (
                "Shared counter",
                "T threads add 1 to one counter N times each. How many updates are lost without a lock, with a mutex, an atomic, a spin lock, or a GIL that can switch between the read and the write?",
                "Race Conditions; Locks; the GIL",
            ),
            LabRequest::SleepVsCpu(_) => (
                "Sleeping vs computing",
                "Waiting overlaps across threads; does CPU work speed up too — on real threads, and under a GIL?",
                "Understanding Concurrency and Threads",
            ),
            LabRequest::TryLock(_) => (
                "Lock usage patterns: acquire(blocking=False)",
                "Threads try a lock each holds only briefly; a try that finds it busy does something else. How often does a try get the lock, and what does an acquisition cost when threads wait with a blocking acquire, or loop on tries?",
                "Locks: Basic Synchronization; Lock Usage Patterns",
            ),
            LabRequest::Reentry(_) => (
                "Re-entering a lock",
                "A thread acquires a Lock it already holds: it waits for itself forever (detected here by a time-out). An RLock lets it re-enter.",
                "RLocks: Reentrant Locks",
            ),
            LabRequest::Semaphore(_) => (
                "Semaphore permits",
                "N tasks share K permits: how many hold one at once? And what does one release too many do to a Semaphore, and to a BoundedSemaphore?",
                "Semaphores; Binary Semaphore vs Regular Lock",
            ),
            LabRequest::ThreadLocal(_) => (
                "Thread-Local Storage",
                "Each thread writes its own user id and reads it back, many times. Through thread-local storage it always reads its own; through one shared slot (a global user_id), how often does it read another thread's?",
                "Advanced Thread Safety Patterns: Thread-Local Storage",
            ),
            LabRequest::RwLock(_) => (
                "Reader-writer lock",
                "Readers overlap; how long does a writer wait while readers keep coming, with the seed's reader-preferring lock and with a writer-preferring one?",
                "Reader-Writer Locks",
            ),
            LabRequest::Deadlock(_) => (
                "Deadlock",
                "Two threads take two locks in opposite order. A watchdog detects the wait-for cycle and breaks it; one global order never deadlocks.",
                "Common Thread Safety Pitfalls: Deadlock",
            ),
            LabRequest::Bank(_) => (
                "Bank transfers",
                "Transfers between accounts with one global lock, with per-account locks in id order (GoodBankAccount), and with the seed's BadBankAccount. Is money conserved, how fast is each, which deadlocks?",
                "Lock Granularity Issues",
            ),
            LabRequest::Cache(_) => (
                "Thundering herd on a cache",
                "Many threads miss the same key at once. How often is the value computed with the seed's cache, and with a per-key once?",
                "Thread-Safe Cache",
            ),
            LabRequest::ProducerConsumer(_) => (
                "Producer-consumer shutdown",
                "P producers, C consumers, a bounded queue. Is every task processed exactly once with the seed's sentinel scheme, and with join-then-sentinels?",
                "Producer-Consumer Pattern",
            ),
            LabRequest::Singleton(_) => (
                "Singleton",
                "Threads race to create the one instance. How many are created by a naive check-then-create, the seed's double-checked lock, and a once-cell?",
                "Thread-safe singleton pattern",
            ),
        };
        Info {
            title,
            question,
            seed_section,
        }
    }

    /// The parameters, with bounds for a runner offering `max_threads` threads.
    pub fn params(&self, max_threads: u64) -> Vec<Param> {
        let mt = max_threads.max(1);
        match self {
            LabRequest::Counter(p) => {
                let mut v = vec![
                    choice("mode", "Mode", "how each thread adds 1", COUNTER_MODES, p.mode.slug()),
                    int("threads", "Threads", "worker threads", 1, mt, p.threads.into()),
                    int("increments", "Increments per thread", "", 1, counter::MAX_INCREMENTS, p.increments),
                ];
                if let CounterMode::Gil { switch_every } = p.mode {
                    v.push(int(
                        "switch-every",
                        "GIL switch every (steps)",
                        "odd: a switch can land between a load and its store (CPython 3.8/3.9); even: only between increments (3.10+)",
                        1,
                        counter::MAX_SWITCH_EVERY.into(),
                        switch_every.into(),
                    ));
                }
                v
            }
            LabRequest::SleepVsCpu(p) => vec![
                int("tasks", "Tasks", "one thread each", 1, mt, p.tasks.into()),
                int("sleep-ms", "Sleep per task (ms)", "", 1, sleep_cpu::MAX_TASK_MS.into(), p.sleep_ms.into()),
                int("cpu-ms", "CPU work per task (ms)", "", 1, sleep_cpu::MAX_TASK_MS.into(), p.cpu_ms.into()),
                int("gil-switch-ms", "GIL switch interval (ms)", "CPython's default is 5", 1, 50, p.gil_switch_ms.into()),
            ],
            LabRequest::TryLock(p) => vec![
                int("threads", "Threads", "all share one lock", 1, mt, p.threads.into()),
                int("attempts", "Tries per thread", "and acquisitions per thread when blocking or looping", 1, try_lock::MAX_ATTEMPTS.into(), p.attempts.into()),
                int("work", "Critical section (work)", "iterations inside the lock; a busy try does as much else", 0, try_lock::MAX_WORK.into(), p.work.into()),
                flag("force", "Force a busy lock", "thread 0 holds the lock until every other thread has found it busy once", p.force),
            ],
            LabRequest::Reentry(p) => vec![
                int("timeout-ms", "Time-out (ms)", "how long the Lock waits for itself", 10, reentry::MAX_TIMEOUT_MS.into(), p.timeout_ms.into()),
                int("depth", "RLock depth", "nested acquires", 1, reentry::MAX_DEPTH.into(), p.depth.into()),
            ],
            LabRequest::Semaphore(p) => vec![
                int("tasks", "Tasks", "one thread each", 2, mt, p.tasks.into()),
                int("permits", "Permits", "Semaphore(K)", 1, semaphore::MAX_PERMITS.into(), p.permits.into()),
                int("rounds", "Rounds", "acquisitions per task", 1, semaphore::MAX_ROUNDS.into(), p.rounds.into()),
                int("hold-ms", "Hold (ms)", "", 0, semaphore::MAX_HOLD_MS.into(), p.hold_ms.into()),
                flag("extra-release", "One release too many", "task 0 releases once more than it acquired; the pool then also runs on a BoundedSemaphore", p.extra_release),
                flag("force", "Force the interleaving", "task 0's first round runs alone, then every task holds its permit until the pool is full", p.force),
            ],
            LabRequest::ThreadLocal(p) => vec![
                int("threads", "Threads", "", 1, mt, p.threads.into()),
                int("iterations", "Iterations per thread", "writes of the id, each read back", 1, thread_local::MAX_ITERATIONS.into(), p.iterations.into()),
                int("window", "Work between write and read", "iterations", 0, thread_local::MAX_WINDOW.into(), p.window.into()),
                flag("force", "Force the interleaving", "on the first iteration every thread writes before any reads back", p.force),
            ],
            LabRequest::RwLock(p) => vec![
                int("readers", "Reader threads", "plus one writer", 1, mt.saturating_sub(1).max(1), p.readers.into()),
                int("duration-ms", "Reader stream (ms)", "per design", 50, rwlock::MAX_DURATION_MS.into(), p.duration_ms.into()),
                int("read-hold-ms", "Read hold (ms)", "", 1, rwlock::MAX_HOLD_MS.into(), p.read_hold_ms.into()),
                int("write-hold-ms", "Write hold (ms)", "", 0, rwlock::MAX_HOLD_MS.into(), p.write_hold_ms.into()),
                int("writer-delay-ms", "Writer arrives after (ms)", "before the reader stream ends", 0, u64::from(p.duration_ms.saturating_sub(1)), p.writer_delay_ms.into()),
                flag("force", "Force the reader stream", "each reader keeps its read until another is in, so their count never falls to 0 while one can enter", p.force),
            ],
            LabRequest::Deadlock(p) => vec![
                choice("ordering", "Lock order", "", ORDERINGS, p.ordering.slug()),
                int("threads", "Threads", "each takes two locks", 2, mt.min(deadlock::MAX_THREADS.into()), p.threads.into()),
                flag("force", "Force the bad interleaving", "every thread holds its first lock before any takes its second", p.force),
                int("hold-ms", "Hold first lock (ms)", "", 0, deadlock::MAX_HOLD_MS.into(), p.hold_ms.into()),
                int("timeout-ms", "Watchdog time-out (ms)", "", deadlock::TIMEOUT_MS_RANGE.0.into(), deadlock::TIMEOUT_MS_RANGE.1.into(), p.timeout_ms.into()),
            ],
            LabRequest::Bank(p) => vec![
                choice("mode", "Locking", "", BANK_MODES, p.mode.slug()),
                int("threads", "Threads", "", 1, mt, p.threads.into()),
                int("accounts", "Accounts", "", 2, bank::MAX_ACCOUNTS.into(), p.accounts.into()),
                int("transfers", "Transfers per thread", "", 1, bank::MAX_TRANSFERS.into(), p.transfers.into()),
                int("work", "Work inside the lock", "spin iterations per transfer", 0, bank::MAX_WORK.into(), p.work.into()),
                flag("force-deadlock", "Force the deadlock", "two threads transfer in opposite directions in lockstep", p.force_deadlock),
                int("timeout-ms", "Watchdog time-out (ms)", "", 20, 5000, p.timeout_ms.into()),
            ],
            LabRequest::Cache(p) => vec![
                choice("design", "Cache", "", CACHE_DESIGNS, p.design.slug()),
                int("threads", "Threads", "all ask for the same key", 1, mt, p.threads.into()),
                int("compute-ms", "Computation (ms)", "", 1, cache::MAX_COMPUTE_MS.into(), p.compute_ms.into()),
                int("lookups", "Lookups per thread", "", 1, cache::MAX_LOOKUPS.into(), p.lookups.into()),
                flag("force", "Force the herd", "every thread misses before any stores", p.force),
            ],
            LabRequest::ProducerConsumer(p) => vec![
                choice("shutdown", "Shutdown", "", SHUTDOWNS, p.shutdown.slug()),
                int("producers", "Producers", "", 1, mt.saturating_sub(1).max(1), p.producers.into()),
                int("consumers", "Consumers", "", 1, mt.saturating_sub(1).max(1), p.consumers.into()),
                int("tasks", "Tasks per producer", "", 1, producer_consumer::MAX_TASKS_PER_PRODUCER.into(), p.tasks_per_producer.into()),
                int("capacity", "Queue size", "maxsize", 1, producer_consumer::MAX_CAPACITY.into(), p.capacity.into()),
                int("produce-ms", "Produce (ms)", "", 0, producer_consumer::MAX_STEP_MS.into(), p.produce_ms.into()),
                int("consume-ms", "Consume (ms)", "", 0, producer_consumer::MAX_STEP_MS.into(), p.consume_ms.into()),
                flag("force", "Force the early exit", "one producer is held back until the others' sentinels went out", p.force),
            ],
            LabRequest::Singleton(p) => vec![
                choice("design", "Design", "", SINGLETON_DESIGNS, p.design.slug()),
                int("threads", "Threads", "", 1, mt, p.threads.into()),
                int("window", "Window (spins)", "between the check and the create", 0, singleton::MAX_WINDOW_SPINS.into(), p.window_spins.into()),
                flag("force", "Force the race", "every thread passes the check before any creates", p.force),
            ],
        }
    }

    /// Sets parameter `key` to `value`. Bounds are checked when the request runs.
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ParamError> {
        let unknown = || bad(key, "is not a parameter of this experiment");
        match self {
            LabRequest::Counter(p) => match key {
                "mode" => {
                    p.mode = match want_choice(key, value)? {
                        "racy" => CounterMode::Racy,
                        "mutex" => CounterMode::Mutex,
                        "atomic" => CounterMode::Atomic,
                        "spin-lock" => CounterMode::SpinLock,
                        "gil" => CounterMode::Gil {
                            switch_every: counter::DEFAULT_SWITCH_EVERY,
                        },
                        _ => return Err(bad(key, "has no such choice")),
                    }
                }
                "threads" => p.threads = want_u32(key, value)?,
                "increments" => p.increments = want_int(key, value)?,
                "switch-every" => {
                    p.mode = CounterMode::Gil {
                        switch_every: want_u32(key, value)?,
                    }
                }
                _ => return Err(unknown()),
            },
            LabRequest::SleepVsCpu(p) => match key {
                "tasks" => p.tasks = want_u32(key, value)?,
                "sleep-ms" => p.sleep_ms = want_u32(key, value)?,
                "cpu-ms" => p.cpu_ms = want_u32(key, value)?,
                "gil-switch-ms" => p.gil_switch_ms = want_u32(key, value)?,
                _ => return Err(unknown()),
            },
            LabRequest::TryLock(p) => match key {
                "threads" => p.threads = want_u32(key, value)?,
                "attempts" => p.attempts = want_u32(key, value)?,
                "work" => p.work = want_u32(key, value)?,
                "force" => p.force = want_flag(key, value)?,
                _ => return Err(unknown()),
            },
            LabRequest::Reentry(p) => match key {
                "timeout-ms" => p.timeout_ms = want_u32(key, value)?,
                "depth" => p.depth = want_u32(key, value)?,
                _ => return Err(unknown()),
            },
            LabRequest::Semaphore(p) => match key {
                "tasks" => p.tasks = want_u32(key, value)?,
                "permits" => p.permits = want_u32(key, value)?,
                "rounds" => p.rounds = want_u32(key, value)?,
                "hold-ms" => p.hold_ms = want_u32(key, value)?,
                "extra-release" => p.extra_release = want_flag(key, value)?,
                "force" => p.force = want_flag(key, value)?,
                _ => return Err(unknown()),
            },
            LabRequest::ThreadLocal(p) => match key {
                "threads" => p.threads = want_u32(key, value)?,
                "iterations" => p.iterations = want_u32(key, value)?,
                "window" => p.window = want_u32(key, value)?,
                "force" => p.force = want_flag(key, value)?,
                _ => return Err(unknown()),
            },
            LabRequest::RwLock(p) => match key {
                "readers" => p.readers = want_u32(key, value)?,
                "duration-ms" => p.duration_ms = want_u32(key, value)?,
                "read-hold-ms" => p.read_hold_ms = want_u32(key, value)?,
                "write-hold-ms" => p.write_hold_ms = want_u32(key, value)?,
                "writer-delay-ms" => p.writer_delay_ms = want_u32(key, value)?,
                "force" => p.force = want_flag(key, value)?,
                _ => return Err(unknown()),
            },
            LabRequest::Deadlock(p) => match key {
                "ordering" => {
                    p.ordering = by_slug(
                        &[LockOrdering::Opposite, LockOrdering::Global],
                        LockOrdering::slug,
                        key,
                        value,
                    )?
                }
                "threads" => p.threads = want_u32(key, value)?,
                "force" => p.force = want_flag(key, value)?,
                "hold-ms" => p.hold_ms = want_u32(key, value)?,
                "timeout-ms" => p.timeout_ms = want_u32(key, value)?,
                _ => return Err(unknown()),
            },
            LabRequest::Bank(p) => match key {
                "mode" => {
                    p.mode = by_slug(
                        &[
                            BankMode::GlobalLock,
                            BankMode::OrderedLocks,
                            BankMode::SelfThenOther,
                        ],
                        BankMode::slug,
                        key,
                        value,
                    )?
                }
                "threads" => p.threads = want_u32(key, value)?,
                "accounts" => p.accounts = want_u32(key, value)?,
                "transfers" => p.transfers = want_u32(key, value)?,
                "work" => p.work = want_u32(key, value)?,
                "force-deadlock" => p.force_deadlock = want_flag(key, value)?,
                "timeout-ms" => p.timeout_ms = want_u32(key, value)?,
                _ => return Err(unknown()),
            },
            LabRequest::Cache(p) => match key {
                "design" => {
                    p.design = by_slug(
                        &[CacheDesign::Seed, CacheDesign::PerKeyOnce],
                        CacheDesign::slug,
                        key,
                        value,
                    )?
                }
                "threads" => p.threads = want_u32(key, value)?,
                "compute-ms" => p.compute_ms = want_u32(key, value)?,
                "lookups" => p.lookups = want_u32(key, value)?,
                "force" => p.force = want_flag(key, value)?,
                _ => return Err(unknown()),
            },
            LabRequest::ProducerConsumer(p) => match key {
                "shutdown" => {
                    p.shutdown = by_slug(
                        &[Shutdown::SeedSentinel, Shutdown::JoinThenSentinels],
                        Shutdown::slug,
                        key,
                        value,
                    )?
                }
                "producers" => p.producers = want_u32(key, value)?,
                "consumers" => p.consumers = want_u32(key, value)?,
                "tasks" => p.tasks_per_producer = want_u32(key, value)?,
                "capacity" => p.capacity = want_u32(key, value)?,
                "produce-ms" => p.produce_ms = want_u32(key, value)?,
                "consume-ms" => p.consume_ms = want_u32(key, value)?,
                "force" => p.force = want_flag(key, value)?,
                _ => return Err(unknown()),
            },
            LabRequest::Singleton(p) => match key {
                "design" => {
                    p.design = by_slug(
                        &[
                            SingletonDesign::Naive,
                            SingletonDesign::DoubleChecked,
                            SingletonDesign::OnceCell,
                        ],
                        SingletonDesign::slug,
                        key,
                        value,
                    )?
                }
                "threads" => p.threads = want_u32(key, value)?,
                "window" => p.window_spins = want_u32(key, value)?,
                "force" => p.force = want_flag(key, value)?,
                _ => return Err(unknown()),
            },
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_request_lists_params_within_their_bounds_and_validates() {
        for req in LabRequest::defaults() {
            assert!(!req.info().title.is_empty());
            for p in req.params(7) {
                if let (Kind::Int { min, max }, Value::Int(v)) = (p.kind, &p.value) {
                    assert!(
                        (min..=max).contains(v),
                        "{} {}: {v} outside {min}..={max}",
                        req.slug(),
                        p.key
                    );
                }
            }
            req.validate(7)
                .unwrap_or_else(|e| panic!("{}: {e}", req.slug()));
        }
    }

    #[test]
    fn setting_each_param_to_its_listed_value_round_trips() {
        for req in LabRequest::defaults() {
            for p in req.params(7) {
                let mut r = req.clone();
                r.set(p.key, &p.value)
                    .unwrap_or_else(|e| panic!("{} {}: {e}", req.slug(), p.key));
                assert_eq!(r, req, "{} {}", req.slug(), p.key);
            }
        }
    }

    #[test]
    fn every_choice_can_be_set_and_is_then_listed() {
        for req in LabRequest::defaults() {
            for p in req.params(7) {
                if let Kind::Choice(options) = p.kind {
                    for (v, _) in options {
                        let mut r = req.clone();
                        r.set(p.key, &Value::Choice(v)).unwrap();
                        let now = r.params(7).into_iter().find(|q| q.key == p.key).unwrap();
                        assert_eq!(now.value, Value::Choice(v), "{} {}", req.slug(), p.key);
                    }
                }
            }
        }
    }

    #[test]
    fn huge_thread_counts_are_refused_not_overflowed() {
        for req in LabRequest::defaults() {
            for p in req.params(7) {
                if matches!(p.kind, Kind::Int { .. }) {
                    let mut r = req.clone();
                    if r.set(p.key, &Value::Int(u64::from(u32::MAX))).is_ok() {
                        // Neither may overflow: both run on parameters nobody validated yet.
                        let _ = r.threads_needed();
                        assert!(
                            r.validate(7).is_err(),
                            "{} {} = u32::MAX accepted",
                            req.slug(),
                            p.key
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_default_can_be_repeated_twenty_times_within_the_repeat_budget() {
        for req in LabRequest::defaults() {
            let total = req.budget_ms() * 20;
            assert!(
                total <= crate::repeat::MAX_REPEAT_MS,
                "{}: 20 runs budget {total} ms",
                req.slug()
            );
        }
    }

    #[test]
    fn wrong_keys_and_kinds_are_errors_not_panics() {
        let mut r = LabRequest::defaults().remove(0);
        assert!(r.set("nope", &Value::Int(1)).is_err());
        assert!(r.set("threads", &Value::Flag(true)).is_err());
        assert!(r.set("threads", &Value::Int(u64::MAX)).is_err());
        assert!(r.set("mode", &Value::Choice("teleport")).is_err());
    }
}
