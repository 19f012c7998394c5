//! The lab: the tutorial's experiments run on real threads, every figure measured at the moment
//! the learner presses Run.
//!
//! No web dependencies: natively it runs on `std::thread` (tests, benchmarks), in the browser
//! on the wasm-bindgen-rayon pool through [`RayonScope`]. Everything here may block, so it runs
//! on pool threads, never on the browser's main thread.
//!
//! # Map
//!
//! - [`env`](mod@env): what an experiment is handed: a [`Clock`], a [`Runner`] ([`StdThreads`],
//!   [`RayonScope`]), a [`Cancel`] flag and a deadline, bundled in an [`Env`].
//! - [`params`]: [`ParamError`] and the range checks behind every `validate`.
//! - [`report`]: [`Figure`] and [`Histogram`], so the UI renders any report generically.
//! - [`wait`]: worker-side waiting: backoff, the start [`wait::Gate`], cancellable sleeps,
//!   calibrated CPU work, a tiny PRNG.
//! - [`primitives`]: the lab's own locks, each small and explained: spin lock, GIL, `Lock` and
//!   `RLock` with owners, semaphores, two reader-writer locks, a bounded queue, and the
//!   [`primitives::WaitGraph`] whose waiters detect deadlocks.
//! - One module per experiment, each with its `…Params` (bounded, `Default`, `validate`) and
//!   `…Report` (`figures()`): [`counter`], [`sleep_cpu`], [`try_lock`], [`reentry`],
//!   [`semaphore`], [`thread_local`](mod@thread_local), [`rwlock`], [`deadlock`], [`bank`], [`cache`],
//!   [`producer_consumer`], [`singleton`].
//! - [`trace`](mod@trace): bounded per-thread timelines (who waited, who held what), recorded
//!   by the experiments with holders and waiters.
//! - [`repeat`](mod@repeat): one experiment run R times, with a histogram of its key outcome.
//! - [`schema`]: each experiment's title, question and parameters (bounds, current values) as
//!   data, so a UI can edit any request without knowing its struct.
//!
//! Experiments depend on `env`, `params`, `report`, `wait` and `primitives`; nothing depends on
//! an experiment but this file. Data flows one way: a [`LabRequest`] goes in to [`run`] (or
//! [`repeat()`]), a [`LabReport`] or a [`LabError`] comes out.
//!
//! No wait can hang: every gate, hand-shake and blocking acquire gives up on a cancel and at
//! the run's deadline ([`LabRequest::deadline_ms`]), and the run then says so
//! ([`LabError::TimedOut`]).
//!
//! # From the browser
//!
//! 1. Start the pool (`wasm_bindgen_rayon::init_thread_pool(n)`) with `n` at least one more
//!    than [`LabRequest::threads_needed`] of any request the page offers (every default needs
//!    at most 4, so `n = 5`; more lets learners raise thread counts). The pool may be larger
//!    than the core count: the experiments' threads mostly wait.
//! 2. Inside `rayon::spawn` (never on the main thread), build an [`Env`] with a
//!    `performance.now()` [`Clock`], [`RayonScope`] and a clone of the page's [`Cancel`], call
//!    [`run`], and send the result back on a oneshot channel.
//! 3. Cancel by calling [`Cancel::cancel`] from the main thread: it only stores a flag.

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod bank;
pub mod cache;
pub mod counter;
pub mod deadlock;
pub mod env;
pub mod params;
pub mod primitives;
pub mod producer_consumer;
pub mod reentry;
pub mod repeat;
pub mod report;
pub mod rwlock;
pub mod schema;
pub mod semaphore;
pub mod singleton;
pub mod sleep_cpu;
pub mod thread_local;
pub mod trace;
pub mod try_lock;
pub mod wait;

use std::fmt;

pub use bank::{BankMode, BankParams, BankReport};
pub use cache::{CacheDesign, CacheParams, CacheReport};
pub use counter::{CounterMode, CounterParams, CounterReport};
pub use deadlock::{DeadlockParams, DeadlockReport, LockOrdering};
pub use env::{run_collect, Cancel, Clock, Env, RayonScope, Runner};
#[cfg(not(target_arch = "wasm32"))]
pub use env::{StdClock, StdThreads};
pub use params::ParamError;
pub use primitives::CycleEdge;
pub use producer_consumer::{ProducerConsumerParams, ProducerConsumerReport, Shutdown};
pub use reentry::{ReentryParams, ReentryReport};
pub use repeat::{repeat, RepeatReport};
pub use report::{Figure, Histogram, Outcome};
pub use rwlock::{RwDesign, RwLockParams, RwLockReport, RwRun};
pub use semaphore::{BoundedPoolRun, SemaphoreParams, SemaphoreReport};
pub use singleton::{SingletonDesign, SingletonParams, SingletonReport};
pub use sleep_cpu::{PhaseTimes, SleepVsCpuParams, SleepVsCpuReport};
pub use thread_local::{ThreadLocalParams, ThreadLocalReport};
pub use trace::{Phase, Span, Trace};
pub use try_lock::{TryLockParams, TryLockReport};

/// An experiment to run, with its parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum LabRequest {
    /// Lost updates on a shared counter: racy, mutex, atomic, spin lock, GIL.
    Counter(CounterParams),
    /// Waiting work overlaps on threads; CPU work speeds up, except under a GIL.
    SleepVsCpu(SleepVsCpuParams),
    /// `acquire(blocking=False)`: how often a try gets the lock; blocking vs looping on tries.
    TryLock(TryLockParams),
    /// A held `Lock` re-acquired (detected, reported) vs an `RLock` (re-entered).
    Reentry(ReentryParams),
    /// N tasks, K permits; the unmatched-release pitfall.
    Semaphore(SemaphoreParams),
    /// Each thread's id written and read back: thread-local storage vs one shared slot.
    ThreadLocal(ThreadLocalParams),
    /// Concurrent readers and a writer's wait, reader- vs writer-preferring.
    RwLock(RwLockParams),
    /// Two locks in opposite order: detected, reported, recovered; one global order finishes.
    Deadlock(DeadlockParams),
    /// Transfers: global lock vs ordered per-account locks vs the seed's deadlocking order.
    Bank(BankParams),
    /// A thundering herd on one cache key: the seed's cache vs per-key once.
    Cache(CacheParams),
    /// Bounded queue, P producers, C consumers: correct shutdown vs the seed's sentinels.
    ProducerConsumer(ProducerConsumerParams),
    /// Naive check-then-create vs double-checked vs once-cell: instances created.
    Singleton(SingletonParams),
}

/// What an experiment measured.
#[derive(Clone, Debug, PartialEq)]
pub enum LabReport {
    /// See [`CounterReport`].
    Counter(CounterReport),
    /// See [`SleepVsCpuReport`].
    SleepVsCpu(SleepVsCpuReport),
    /// See [`TryLockReport`].
    TryLock(TryLockReport),
    /// See [`ReentryReport`].
    Reentry(ReentryReport),
    /// See [`SemaphoreReport`].
    Semaphore(SemaphoreReport),
    /// See [`ThreadLocalReport`].
    ThreadLocal(ThreadLocalReport),
    /// See [`RwLockReport`].
    RwLock(RwLockReport),
    /// See [`DeadlockReport`].
    Deadlock(DeadlockReport),
    /// See [`BankReport`].
    Bank(BankReport),
    /// See [`CacheReport`].
    Cache(CacheReport),
    /// See [`ProducerConsumerReport`].
    ProducerConsumer(ProducerConsumerReport),
    /// See [`SingletonReport`].
    Singleton(SingletonReport),
}

/// Why an experiment did not produce a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabError {
    /// A parameter is out of bounds; nothing was run.
    Invalid(ParamError),
    /// The run was cancelled through its [`Cancel`] flag before it finished.
    Cancelled,
    /// The run passed its deadline ([`LabRequest::deadline_ms`]) and its waits gave up: some
    /// thread was waiting for another that never came, or the machine is far slower than the
    /// budget assumes. No report: what was measured up to then is not trustworthy.
    TimedOut {
        /// How long the run was allowed, in milliseconds.
        limit_ms: u64,
    },
}

impl fmt::Display for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabError::Invalid(e) => write!(f, "invalid parameters: {e}"),
            LabError::Cancelled => f.write_str("the run was cancelled"),
            LabError::TimedOut { limit_ms } => write!(
                f,
                "the run was stopped after {:.1} s, far longer than it should take: a thread was \
                 still waiting for another that never came",
                *limit_ms as f64 / 1000.0
            ),
        }
    }
}

impl std::error::Error for LabError {}

impl From<ParamError> for LabError {
    fn from(e: ParamError) -> Self {
        LabError::Invalid(e)
    }
}

/// A run's deadline is this many times its [`LabRequest::budget_ms`] (plus
/// [`DEADLINE_SLACK_MS`]): see [`LabRequest::deadline_ms`].
pub const DEADLINE_FACTOR: u64 = 10;

/// Added to every run's deadline, so that short runs on a busy machine keep a margin too.
pub const DEADLINE_SLACK_MS: u64 = 5_000;

/// Every experiment's slug, in the order the tutorial introduces them.
pub const SLUGS: [&str; 12] = [
    "counter",
    "sleep-vs-cpu",
    "try-lock",
    "reentry",
    "semaphore",
    "thread-local",
    "rwlock",
    "deadlock",
    "bank",
    "cache",
    "producer-consumer",
    "singleton",
];

impl LabRequest {
    /// One request per experiment, each with its default parameters, in [`SLUGS`] order.
    pub fn defaults() -> Vec<LabRequest> {
        vec![
            LabRequest::Counter(CounterParams::default()),
            LabRequest::SleepVsCpu(SleepVsCpuParams::default()),
            LabRequest::TryLock(TryLockParams::default()),
            LabRequest::Reentry(ReentryParams::default()),
            LabRequest::Semaphore(SemaphoreParams::default()),
            LabRequest::ThreadLocal(ThreadLocalParams::default()),
            LabRequest::RwLock(RwLockParams::default()),
            LabRequest::Deadlock(DeadlockParams::default()),
            LabRequest::Bank(BankParams::default()),
            LabRequest::Cache(CacheParams::default()),
            LabRequest::ProducerConsumer(ProducerConsumerParams::default()),
            LabRequest::Singleton(SingletonParams::default()),
        ]
    }

    /// The request with default parameters for a slug of [`SLUGS`].
    pub fn default_for(slug: &str) -> Option<LabRequest> {
        Self::defaults().into_iter().find(|r| r.slug() == slug)
    }

    /// Kebab-case name of the experiment (`counter`, `sleep-vs-cpu`, …).
    pub fn slug(&self) -> &'static str {
        match self {
            LabRequest::Counter(_) => SLUGS[0],
            LabRequest::SleepVsCpu(_) => SLUGS[1],
            LabRequest::TryLock(_) => SLUGS[2],
            LabRequest::Reentry(_) => SLUGS[3],
            LabRequest::Semaphore(_) => SLUGS[4],
            LabRequest::ThreadLocal(_) => SLUGS[5],
            LabRequest::RwLock(_) => SLUGS[6],
            LabRequest::Deadlock(_) => SLUGS[7],
            LabRequest::Bank(_) => SLUGS[8],
            LabRequest::Cache(_) => SLUGS[9],
            LabRequest::ProducerConsumer(_) => SLUGS[10],
            LabRequest::Singleton(_) => SLUGS[11],
        }
    }

    /// Checks the parameters against a runner offering `max_threads` threads.
    pub fn validate(&self, max_threads: usize) -> Result<(), ParamError> {
        match self {
            LabRequest::Counter(p) => p.validate(max_threads),
            LabRequest::SleepVsCpu(p) => p.validate(max_threads),
            LabRequest::TryLock(p) => p.validate(max_threads),
            LabRequest::Reentry(p) => p.validate(max_threads),
            LabRequest::Semaphore(p) => p.validate(max_threads),
            LabRequest::ThreadLocal(p) => p.validate(max_threads),
            LabRequest::RwLock(p) => p.validate(max_threads),
            LabRequest::Deadlock(p) => p.validate(max_threads),
            LabRequest::Bank(p) => p.validate(max_threads),
            LabRequest::Cache(p) => p.validate(max_threads),
            LabRequest::ProducerConsumer(p) => p.validate(max_threads),
            LabRequest::Singleton(p) => p.validate(max_threads),
        }
    }

    /// A rough, deliberately generous estimate of one run's duration in milliseconds (a
    /// 2-core machine's rates, with margin), so [`repeat()`] can refuse work that would run for
    /// minutes. Saturating: never overflows, whatever the parameters.
    pub fn budget_ms(&self) -> u64 {
        let m = u64::from;
        let ms = match self {
            // 100 M increments/s is well under what every exact mode reaches on 2 cores.
            LabRequest::Counter(p) => m(p.threads).saturating_mul(p.increments) / 100_000,
            LabRequest::SleepVsCpu(p) => p.estimated_ms(),
            // Three phases of `total_work` (10 ns per unit is generous), plus a microsecond of
            // lock traffic per try or acquisition.
            LabRequest::TryLock(p) => {
                let ops = m(p.threads).saturating_mul(m(p.attempts));
                p.total_work().saturating_mul(3) / 100_000 + ops.saturating_mul(3) / 1000
            }
            LabRequest::Reentry(p) => m(p.timeout_ms),
            // The extra release runs the pool a second time, on a BoundedSemaphore.
            LabRequest::Semaphore(p) => {
                let pool = m(p.tasks)
                    .saturating_mul(m(p.rounds))
                    .saturating_mul(m(p.hold_ms))
                    / m(p.permits.max(1));
                pool.saturating_mul(1 + u64::from(p.extra_release))
            }
            // Two phases of `total_work`, plus contended stores and loads on the shared slot.
            LabRequest::ThreadLocal(p) => {
                let ops = m(p.threads).saturating_mul(m(p.iterations));
                p.total_work().saturating_mul(2) / 100_000 + ops / 5_000
            }
            LabRequest::RwLock(p) => 2 * m(p.duration_ms),
            LabRequest::Deadlock(p) => m(p.timeout_ms) + m(p.hold_ms),
            // About 200 k iterations of in-lock work per millisecond, plus a watchdog time-out.
            LabRequest::Bank(p) => {
                m(p.transfers)
                    .saturating_mul(m(p.threads))
                    .saturating_mul(m(p.work.max(1)))
                    / 200_000
                    + m(p.timeout_ms)
            }
            LabRequest::Cache(p) => m(p.compute_ms).saturating_mul(m(p.lookups)),
            LabRequest::ProducerConsumer(p) => {
                let tasks = m(p.producers).saturating_mul(m(p.tasks_per_producer));
                let consume = tasks.saturating_mul(m(p.consume_ms)) / m(p.consumers.max(1));
                let produce = m(p.tasks_per_producer).saturating_mul(m(p.produce_ms));
                consume.max(produce) + m(p.timeout_ms)
            }
            LabRequest::Singleton(p) => m(p.threads).saturating_mul(m(p.window_spins)) / 100_000,
        };
        ms.saturating_add(50)
    }

    /// How long one run may take before every wait in it gives up and [`run`] returns
    /// [`LabError::TimedOut`]: [`DEADLINE_FACTOR`] times [`LabRequest::budget_ms`] plus
    /// [`DEADLINE_SLACK_MS`]. Only a hang gets there; a slow machine has a tenfold margin.
    pub fn deadline_ms(&self) -> u64 {
        self.budget_ms()
            .saturating_mul(DEADLINE_FACTOR)
            .saturating_add(DEADLINE_SLACK_MS)
    }

    /// The most tasks this request runs at once: the runner needs at least this many threads
    /// (a rayon pool one more, see [`RayonScope`]).
    pub fn threads_needed(&self) -> usize {
        let n = match self {
            LabRequest::Counter(p) => p.threads,
            LabRequest::SleepVsCpu(p) => p.tasks,
            LabRequest::TryLock(p) => p.threads,
            LabRequest::Reentry(_) => 1,
            LabRequest::Semaphore(p) => p.tasks.max(2),
            LabRequest::ThreadLocal(p) => p.threads,
            LabRequest::RwLock(p) => p.readers.saturating_add(1),
            LabRequest::Deadlock(p) => p.threads,
            LabRequest::Bank(p) => p.threads,
            LabRequest::Cache(p) => p.threads,
            LabRequest::ProducerConsumer(p) => p.threads(),
            LabRequest::Singleton(p) => p.threads,
        };
        n as usize
    }
}

impl LabReport {
    /// The timelines this run recorded ([`trace`](mod@trace)), in the order to show them:
    /// experiments with holders and waiters record one per traced part; the others none.
    pub fn traces(&self) -> Vec<&Trace> {
        match self {
            LabReport::Semaphore(r) => r.trace.iter().collect(),
            LabReport::RwLock(r) => r
                .reader_preferring
                .trace
                .iter()
                .chain(r.writer_preferring.trace.iter())
                .collect(),
            LabReport::Deadlock(r) => r.trace.iter().collect(),
            LabReport::ProducerConsumer(r) => r.trace.iter().collect(),
            LabReport::Bank(r) => r.trace.iter().collect(),
            LabReport::TryLock(r) => r.trace.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Kebab-case name of the experiment that produced this report.
    pub fn slug(&self) -> &'static str {
        match self {
            LabReport::Counter(_) => SLUGS[0],
            LabReport::SleepVsCpu(_) => SLUGS[1],
            LabReport::TryLock(_) => SLUGS[2],
            LabReport::Reentry(_) => SLUGS[3],
            LabReport::Semaphore(_) => SLUGS[4],
            LabReport::ThreadLocal(_) => SLUGS[5],
            LabReport::RwLock(_) => SLUGS[6],
            LabReport::Deadlock(_) => SLUGS[7],
            LabReport::Bank(_) => SLUGS[8],
            LabReport::Cache(_) => SLUGS[9],
            LabReport::ProducerConsumer(_) => SLUGS[10],
            LabReport::Singleton(_) => SLUGS[11],
        }
    }

    /// The measured figures, for the UI.
    pub fn figures(&self) -> Vec<Figure> {
        match self {
            LabReport::Counter(r) => r.figures(),
            LabReport::SleepVsCpu(r) => r.figures(),
            LabReport::TryLock(r) => r.figures(),
            LabReport::Reentry(r) => r.figures(),
            LabReport::Semaphore(r) => r.figures(),
            LabReport::ThreadLocal(r) => r.figures(),
            LabReport::RwLock(r) => r.figures(),
            LabReport::Deadlock(r) => r.figures(),
            LabReport::Bank(r) => r.figures(),
            LabReport::Cache(r) => r.figures(),
            LabReport::ProducerConsumer(r) => r.figures(),
            LabReport::Singleton(r) => r.figures(),
        }
    }

    /// Whether the run showed the experiment's failure: updates lost, more holders than
    /// permits, a thread reading another thread's id from the shared slot, a deadlock, money
    /// created or destroyed, a value computed twice, tasks lost or duplicated, more than one
    /// instance, a starved writer, a lock that waited for itself. A lesson offers to replay an
    /// interleaving that does the same when this is true.
    ///
    /// Measurements with no bad outcome (sleep-vs-cpu, try-lock: a busy try is the pattern
    /// working) never went wrong. For thread-local it is the shared slot's mismatches, the
    /// lesson's bad variant; thread-local storage cannot mismatch.
    pub fn went_wrong(&self) -> bool {
        match self {
            LabReport::Counter(r) => r.lost > 0,
            LabReport::SleepVsCpu(_) => false,
            LabReport::TryLock(_) => false,
            LabReport::Reentry(r) => r.lock_detected,
            LabReport::Semaphore(r) => r.max_holders > r.permits,
            LabReport::ThreadLocal(r) => r.shared_mismatches > 0,
            LabReport::RwLock(r) => {
                r.reader_preferring.writer_starved || r.writer_preferring.writer_starved
            }
            LabReport::Deadlock(r) => r.deadlocked,
            LabReport::Bank(r) => r.deadlocked || r.total_after != r.total_before,
            LabReport::Cache(r) => r.duplicate_computations > 0 || !r.consistent,
            LabReport::ProducerConsumer(r) => r.lost_tasks > 0 || r.duplicates > 0,
            LabReport::Singleton(r) => r.instances > 1,
        }
    }

    /// The run's key outcome, for [`repeat()`]'s histogram: `(figure key, label, value)`.
    pub fn outcome(&self) -> (&'static str, &'static str, Outcome) {
        match self {
            LabReport::Counter(r) => ("lost", "Lost updates", Outcome::Count(r.lost)),
            LabReport::SleepVsCpu(r) => (
                "cpu-speedup-threads",
                "CPU speed-up with threads",
                Outcome::Real(r.cpu.speedup_threads()),
            ),
            LabReport::TryLock(r) => (
                "success-rate",
                "Tries that got the lock (%)",
                Outcome::Real(r.success_rate),
            ),
            LabReport::Reentry(r) => (
                "lock-detected",
                "Self-deadlock detected",
                Outcome::Flag(r.lock_detected),
            ),
            LabReport::Semaphore(r) => (
                "max-holders",
                "Most holders at once",
                Outcome::Count(u64::from(r.max_holders)),
            ),
            LabReport::ThreadLocal(r) => (
                "shared-mismatches",
                "Shared slot: read another thread's id",
                Outcome::Count(r.shared_mismatches),
            ),
            LabReport::RwLock(r) => (
                "rp-writer-starved",
                "Writer starved (reader-preferring)",
                Outcome::Flag(r.reader_preferring.writer_starved),
            ),
            LabReport::Deadlock(r) => ("deadlocked", "Deadlocked", Outcome::Flag(r.deadlocked)),
            LabReport::Bank(r) => ("deadlocked", "Deadlocked", Outcome::Flag(r.deadlocked)),
            LabReport::Cache(r) => (
                "computations",
                "Computations",
                Outcome::Count(r.computations),
            ),
            LabReport::ProducerConsumer(r) => {
                ("lost-tasks", "Lost tasks", Outcome::Count(r.lost_tasks))
            }
            LabReport::Singleton(r) => (
                "instances",
                "Instances created",
                Outcome::Count(r.instances),
            ),
        }
    }
}

/// Runs one experiment on `env` and reports what it measured.
///
/// Blocks the calling thread until the run ends, so call it from a pool thread (in the browser:
/// inside `rayon::spawn`), never from the browser's main thread. Parameters are validated first
/// ([`LabError::Invalid`]). On a cancel the counter returns its partial report flagged
/// `cancelled`; the other experiments return [`LabError::Cancelled`].
///
/// The run gets a deadline, [`LabRequest::deadline_ms`] from now (or `env`'s own deadline if
/// that is earlier). Every wait in every experiment gives up there, and the run returns
/// [`LabError::TimedOut`] instead of hanging.
pub fn run(req: &LabRequest, env: &Env) -> Result<LabReport, LabError> {
    req.validate(env.runner.max_threads())?;
    let start = env.now_ms();
    let env = &env.with_deadline(start + req.deadline_ms() as f64);
    let result = run_validated(req, env);
    if env.timed_out() && !env.cancel.is_cancelled() {
        return Err(LabError::TimedOut {
            limit_ms: (env.deadline_ms - start).max(0.0) as u64,
        });
    }
    result
}

fn run_validated(req: &LabRequest, env: &Env) -> Result<LabReport, LabError> {
    Ok(match req {
        LabRequest::Counter(p) => LabReport::Counter(counter::run(p, env)),
        LabRequest::SleepVsCpu(p) => LabReport::SleepVsCpu(sleep_cpu::run(p, env)?),
        LabRequest::TryLock(p) => LabReport::TryLock(try_lock::run(p, env)?),
        LabRequest::Reentry(p) => LabReport::Reentry(reentry::run(p, env)?),
        LabRequest::Semaphore(p) => LabReport::Semaphore(semaphore::run(p, env)?),
        LabRequest::ThreadLocal(p) => LabReport::ThreadLocal(thread_local::run(p, env)?),
        LabRequest::RwLock(p) => LabReport::RwLock(rwlock::run(p, env)?),
        LabRequest::Deadlock(p) => LabReport::Deadlock(deadlock::run(p, env)?),
        LabRequest::Bank(p) => LabReport::Bank(bank::run(p, env)?),
        LabRequest::Cache(p) => LabReport::Cache(cache::run(p, env)?),
        LabRequest::ProducerConsumer(p) => {
            LabReport::ProducerConsumer(producer_consumer::run(p, env)?)
        }
        LabRequest::Singleton(p) => LabReport::Singleton(singleton::run(p, env)?),
    })
}
