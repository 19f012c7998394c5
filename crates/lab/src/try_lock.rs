//! The try-lock experiment: the seed's third lock usage pattern, `lock.acquire(blocking=False)`.
//! Threads try a lock that each holds for a short critical section; a try that finds it taken
//! does something else instead ("Lock was busy, doing something else"). How often does a try
//! succeed, and what does an acquisition cost when threads wait with a blocking acquire instead,
//! or loop on the non-blocking one until it succeeds?
//!
//! The lock is the lab's [`Lock`] (Python's `threading.Lock`): [`Lock::try_acquire`] is
//! `acquire(blocking=False)`, [`Lock::acquire_timeout`] a blocking acquire with a deadline.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use crate::env::Env;
use crate::params::{in_range, threads_in_range, ParamError};
use crate::primitives::graph::thread_names;
use crate::primitives::{AcquireError, Lock};
use crate::report::Figure;
use crate::trace::{Trace, Tracer};
use crate::wait::{cpu_work, wait_until_deadline, Backoff, Gate, FORCE_WAIT_MS};
use crate::LabError;

/// The most attempts per thread.
pub const MAX_ATTEMPTS: u32 = 100_000;
/// The longest critical section, in [`cpu_work`] iterations.
pub const MAX_WORK: u32 = 100_000;
/// The most work of one phase, all threads together: `threads × attempts × (work + 1)`.
pub const MAX_TOTAL_WORK: u64 = 200_000_000;
/// The longest one acquisition may wait, blocking or looping, before it is counted as timed
/// out and skipped: far more than any critical section here takes.
pub const ACQUIRE_TIMEOUT_MS: f64 = 1000.0;

/// Parameters of the try-lock experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TryLockParams {
    /// Threads sharing the lock, 1..=the runner's `max_threads`.
    pub threads: u32,
    /// Non-blocking tries per thread, and acquisitions per thread in each of the two timed
    /// phases, 1..=[`MAX_ATTEMPTS`].
    pub attempts: u32,
    /// The critical section, 0..=[`MAX_WORK`] [`cpu_work`] iterations; "something else" after a
    /// failed try is the same amount of work. With `threads × attempts × (work + 1)` at most
    /// [`MAX_TOTAL_WORK`].
    pub work: u32,
    /// Force contention: thread 0's first try takes the lock and keeps it until every other
    /// thread has tried once and found it busy. Every thread but 0 then has at least one
    /// failure, in every run.
    pub force: bool,
}

impl Default for TryLockParams {
    /// 4 threads × 2 000 tries, a 200-iteration critical section: a few tens of milliseconds
    /// for all three phases.
    fn default() -> Self {
        Self {
            threads: 4,
            attempts: 2_000,
            work: 200,
            force: false,
        }
    }
}

impl TryLockParams {
    /// Checks every bound; `max_threads` is the runner's.
    pub fn validate(&self, max_threads: usize) -> Result<(), ParamError> {
        threads_in_range("threads", self.threads, 1, max_threads, 0, "")?;
        in_range("attempts", self.attempts, 1, MAX_ATTEMPTS)?;
        in_range("work", self.work, 0, MAX_WORK)?;
        if self.total_work() > MAX_TOTAL_WORK {
            return Err(ParamError::new(
                "work",
                format!("threads × attempts × (work + 1) must be at most {MAX_TOTAL_WORK}"),
            ));
        }
        Ok(())
    }

    /// `threads × attempts × (work + 1)`: the work of one phase.
    pub fn total_work(&self) -> u64 {
        u64::from(self.threads)
            .saturating_mul(u64::from(self.attempts))
            .saturating_mul(u64::from(self.work) + 1)
    }
}

/// What a try-lock run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct TryLockReport {
    /// Threads.
    pub threads: u32,
    /// Tries per thread (and acquisitions per thread in each timed phase).
    pub attempts: u32,
    /// The critical section's work.
    pub work: u32,
    /// Whether contention was forced ([`TryLockParams::force`]).
    pub force: bool,
    /// Non-blocking tries that got the lock, per thread.
    pub successes_per_thread: Vec<u64>,
    /// Non-blocking tries that found it busy and did something else, per thread.
    pub failures_per_thread: Vec<u64>,
    /// All tries that got the lock.
    pub successes: u64,
    /// All tries that found it busy.
    pub failures: u64,
    /// `successes` as a percentage of all tries.
    pub success_rate: f64,
    /// Time of the non-blocking phase.
    pub try_ms: f64,
    /// Time of the blocking phase (`threads × attempts` blocking acquisitions).
    pub blocking_ms: f64,
    /// Time of the try-loop phase (as many acquisitions, each looping on the non-blocking try).
    pub try_loop_ms: f64,
    /// Blocking phase: microseconds of wall time per acquisition.
    pub blocking_us_per_acquisition: f64,
    /// Try-loop phase: microseconds of wall time per acquisition.
    pub try_loop_us_per_acquisition: f64,
    /// Try-loop phase: tries that found the lock busy before one succeeded, in all.
    pub try_loop_busy: u64,
    /// Acquisitions, blocking or looping, that waited [`ACQUIRE_TIMEOUT_MS`] in vain: 0.
    pub timeouts: u64,
    /// Timeline of the blocking phase's first acquisitions: who held the lock, who waited.
    pub trace: Option<Trace>,
}

impl TryLockReport {
    /// The report's figures, for the UI.
    pub fn figures(&self) -> Vec<Figure> {
        let list = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        vec![
            Figure::int("threads", "Threads", self.threads),
            Figure::int("attempts", "Tries per thread", self.attempts),
            Figure::int("work", "Critical section (work)", self.work),
            Figure::flag("forced", "Busy lock forced", self.force),
            Figure::int("successes", "Tries that got the lock", self.successes),
            Figure::int(
                "failures",
                "Tries that found it busy (did something else)",
                self.failures,
            ),
            Figure::real(
                "success-rate",
                "Tries that got the lock (%)",
                self.success_rate,
                1,
            ),
            Figure::new(
                "successes-per-thread",
                "Got the lock, per thread",
                list(&self.successes_per_thread),
            ),
            Figure::new(
                "failures-per-thread",
                "Found it busy, per thread",
                list(&self.failures_per_thread),
            ),
            Figure::ms("try-ms", "Non-blocking tries: time (ms)", self.try_ms),
            Figure::real(
                "blocking-us-per-acquisition",
                "Blocking acquire: µs per acquisition",
                self.blocking_us_per_acquisition,
                2,
            ),
            Figure::real(
                "try-loop-us-per-acquisition",
                "Looping on try: µs per acquisition",
                self.try_loop_us_per_acquisition,
                2,
            ),
            Figure::int(
                "try-loop-busy",
                "Looping on try: tries that found it busy",
                self.try_loop_busy,
            ),
            Figure::int("timeouts", "Acquisitions timed out", self.timeouts),
            Figure::ms(
                "ms",
                "Time (ms)",
                self.try_ms + self.blocking_ms + self.try_loop_ms,
            ),
        ]
    }
}

/// How often workers check for a cancel: every this many attempts.
const CANCEL_EVERY: u32 = 256;

/// Runs the try-lock experiment (parameters already validated).
pub(crate) fn run(params: &TryLockParams, env: &Env) -> Result<TryLockReport, LabError> {
    let n = params.threads as usize;
    let successes: Vec<AtomicU64> = (0..n).map(|_| AtomicU64::new(0)).collect();
    let failures: Vec<AtomicU64> = (0..n).map(|_| AtomicU64::new(0)).collect();
    let timeouts = AtomicU64::new(0);
    let try_loop_busy = AtomicU64::new(0);

    let try_ms = phase(params, env, |shared, me| {
        tries(shared, me, params, &successes[me], &failures[me], env)
    });
    // `with lock:`: wait (with a deadline) until it is free. Its timeline is the seed's "How
    // Locks Work" diagram.
    let tracer = Tracer::new(env, thread_names(n), vec!["the lock".to_string()]);
    let blocking_ms = phase(params, env, |shared, me| {
        let mut lane = tracer.lane(me);
        for i in 0..params.attempts {
            if i % CANCEL_EVERY == 0 && env.cancelled() {
                return;
            }
            let waiting = lane.mark();
            let got = shared.lock.acquire_timeout(me, ACQUIRE_TIMEOUT_MS, env);
            let held = lane.wait(0, waiting);
            match got {
                Ok(_guard) => {
                    cpu_work(u64::from(params.work));
                    lane.hold(0, held);
                }
                Err(AcquireError::TimedOut { .. }) => {
                    timeouts.fetch_add(1, Ordering::Relaxed);
                }
                Err(AcquireError::Cancelled) => return,
            }
        }
    });
    // `while not lock.acquire(blocking=False): back off`: poll until it is free.
    let try_loop_ms = phase(params, env, |shared, me| {
        let mut busy = 0;
        for i in 0..params.attempts {
            if i % CANCEL_EVERY == 0 && env.cancelled() {
                break;
            }
            let deadline = env.now_ms() + ACQUIRE_TIMEOUT_MS;
            let mut backoff = Backoff::new();
            loop {
                if let Some(_guard) = shared.lock.try_acquire(me) {
                    cpu_work(u64::from(params.work));
                    break;
                }
                busy += 1;
                if env.cancelled() {
                    break;
                }
                if env.now_ms() >= deadline {
                    timeouts.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                backoff.snooze();
            }
        }
        try_loop_busy.fetch_add(busy, Ordering::Relaxed);
    });
    if env.cancelled() {
        return Err(LabError::Cancelled);
    }

    let load = |v: &[AtomicU64]| {
        v.iter()
            .map(|a| a.load(Ordering::Relaxed))
            .collect::<Vec<_>>()
    };
    let (successes_per_thread, failures_per_thread) = (load(&successes), load(&failures));
    let successes: u64 = successes_per_thread.iter().sum();
    let failures: u64 = failures_per_thread.iter().sum();
    let acquisitions = u64::from(params.threads) * u64::from(params.attempts);
    let us_per = |ms: f64| ms * 1000.0 / acquisitions as f64;
    Ok(TryLockReport {
        threads: params.threads,
        attempts: params.attempts,
        work: params.work,
        force: params.force,
        successes_per_thread,
        failures_per_thread,
        successes,
        failures,
        success_rate: 100.0 * successes as f64 / (successes + failures).max(1) as f64,
        try_ms,
        blocking_ms,
        try_loop_ms,
        blocking_us_per_acquisition: us_per(blocking_ms),
        try_loop_us_per_acquisition: us_per(try_loop_ms),
        try_loop_busy: try_loop_busy.load(Ordering::Relaxed),
        timeouts: timeouts.load(Ordering::Relaxed),
        trace: tracer.finish(format!(
            "Blocking acquires (the seed's with lock:), {} threads",
            params.threads
        )),
    })
}

/// Shared by a phase's threads: the lock, and the forced first try's hand-shake.
struct Shared {
    lock: Lock,
    holder_in: AtomicBool,
    found_busy: AtomicU32,
}

/// Runs `body(shared, thread)` on every thread behind a start gate, with a fresh lock; the
/// phase's time from the gate's opening.
fn phase(params: &TryLockParams, env: &Env, body: impl Fn(&Shared, usize) + Sync) -> f64 {
    let shared = Shared {
        lock: Lock::new(),
        holder_in: AtomicBool::new(false),
        found_busy: AtomicU32::new(0),
    };
    let gate = Gate::new(params.threads);
    env.runner.run(params.threads as usize, &|me| {
        if gate.arrive_and_wait(env) {
            body(&shared, me);
        }
    });
    gate.opened_at_ms()
        .map_or(0.0, |start| env.now_ms() - start)
}

/// The seed's `conditional_pattern`, `attempts` times:
///
/// ```python
/// if lock.acquire(blocking=False):
///     try: ...  # critical work
///     finally: lock.release()
/// else:
///     print("Lock was busy, doing something else")
/// ```
fn tries(
    shared: &Shared,
    me: usize,
    params: &TryLockParams,
    successes: &AtomicU64,
    failures: &AtomicU64,
    env: &Env,
) {
    let others = params.threads - 1;
    let (mut got, mut busy) = (0, 0);
    for i in 0..params.attempts {
        if i % CANCEL_EVERY == 0 && env.cancelled() {
            break;
        }
        let first_forced = i == 0 && params.force;
        if first_forced && me != 0 {
            // Thread 0 tries first, and takes the lock.
            wait_until_deadline(env, env.now_ms() + FORCE_WAIT_MS, || {
                shared.holder_in.load(Ordering::Acquire)
            });
        }
        match shared.lock.try_acquire(me) {
            Some(_guard) => {
                got += 1;
                if first_forced && me == 0 {
                    // Hold it until every other thread has found it busy.
                    shared.holder_in.store(true, Ordering::Release);
                    wait_until_deadline(env, env.now_ms() + FORCE_WAIT_MS, || {
                        shared.found_busy.load(Ordering::Acquire) >= others
                    });
                }
                cpu_work(u64::from(params.work));
            }
            None => {
                busy += 1;
                if first_forced && me != 0 {
                    shared.found_busy.fetch_add(1, Ordering::AcqRel);
                }
                // "Lock was busy, doing something else".
                cpu_work(u64::from(params.work));
            }
        }
    }
    successes.store(got, Ordering::Relaxed);
    failures.store(busy, Ordering::Relaxed);
}
