//! The semaphore experiment: N tasks share K permits (the most holders ever seen at once, and
//! how often and how long tasks waited), and the binary-semaphore pitfall: an unmatched release
//! of a `Semaphore(1)` lets two holders in, while a `BoundedSemaphore(1)` refuses it.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use crate::env::Env;
use crate::params::{in_range, threads_in_range, ParamError};
use crate::primitives::{BoundedSemaphore, Semaphore};
use crate::report::Figure;
use crate::wait::{sleep_ms, wait_until, Gate};
use crate::LabError;

/// The most permits.
pub const MAX_PERMITS: u32 = 16;
/// The most rounds per task.
pub const MAX_ROUNDS: u32 = 20;
/// The longest hold, in milliseconds.
pub const MAX_HOLD_MS: u32 = 50;

/// Parameters of the semaphore experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemaphoreParams {
    /// Tasks, each on its own thread, 2..=the runner's `max_threads` (the binary demo needs 2).
    pub tasks: u32,
    /// Permits of the shared semaphore, 1..=[`MAX_PERMITS`].
    pub permits: u32,
    /// Times each task acquires, holds and releases, 1..=[`MAX_ROUNDS`].
    pub rounds: u32,
    /// How long a holder keeps its permit, 0..=[`MAX_HOLD_MS`] ms.
    pub hold_ms: u32,
}

impl Default for SemaphoreParams {
    /// 4 tasks, 2 permits (the seed's 10 users and 3 connections, scaled down), 3 rounds of
    /// 10 ms: about 60 ms.
    fn default() -> Self {
        Self {
            tasks: 4,
            permits: 2,
            rounds: 3,
            hold_ms: 10,
        }
    }
}

impl SemaphoreParams {
    /// Checks every bound; `max_threads` is the runner's.
    pub fn validate(&self, max_threads: usize) -> Result<(), ParamError> {
        threads_in_range("tasks", self.tasks, 2, max_threads, 0, "")?;
        in_range("permits", self.permits, 1, MAX_PERMITS)?;
        in_range("rounds", self.rounds, 1, MAX_ROUNDS)?;
        in_range("hold_ms", self.hold_ms, 0, MAX_HOLD_MS)
    }
}

/// What a semaphore run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct SemaphoreReport {
    /// Tasks sharing the semaphore.
    pub tasks: u32,
    /// Its permits.
    pub permits: u32,
    /// Acquisitions made (tasks × rounds).
    pub acquisitions: u32,
    /// The most tasks seen holding a permit at once: never more than `permits`.
    pub max_holders: u32,
    /// Acquisitions that found no permit free and had to wait.
    pub waits: u32,
    /// Total time spent waiting for permits.
    pub wait_ms: f64,
    /// Time for the whole shared-permits part.
    pub ms: f64,
    /// Holders at once of a `Semaphore(1)` released once without an acquire: 2.
    pub unbounded_extra_release_holders: u32,
    /// What a `BoundedSemaphore(1)` said to the same release (Python's `ValueError`), if it
    /// refused.
    pub bounded_refused: Option<String>,
    /// Holders at once of that `BoundedSemaphore(1)` afterwards: 1.
    pub bounded_max_holders: u32,
}

impl SemaphoreReport {
    /// The report's figures, for the UI.
    pub fn figures(&self) -> Vec<Figure> {
        vec![
            Figure::int("tasks", "Tasks", self.tasks),
            Figure::int("permits", "Permits", self.permits),
            Figure::int("acquisitions", "Acquisitions", self.acquisitions),
            Figure::int("max-holders", "Most holders at once", self.max_holders),
            Figure::int("waits", "Acquisitions that waited", self.waits),
            Figure::ms("wait-ms", "Total wait (ms)", self.wait_ms),
            Figure::ms("ms", "Time (ms)", self.ms),
            Figure::int(
                "extra-release-holders",
                "Semaphore(1) after an unmatched release: holders at once",
                self.unbounded_extra_release_holders,
            ),
            Figure::new(
                "bounded-refused",
                "BoundedSemaphore(1) on the same release",
                self.bounded_refused.as_deref().unwrap_or("accepted"),
            ),
            Figure::int(
                "bounded-max-holders",
                "BoundedSemaphore(1): holders at once",
                self.bounded_max_holders,
            ),
        ]
    }
}

/// Counts holders: `enter` after an acquire, `leave` before the release, so the count never
/// exceeds the real number of holders.
#[derive(Default)]
struct Holders {
    now: AtomicU32,
    max: AtomicU32,
}

impl Holders {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::AcqRel) + 1;
        self.max.fetch_max(now, Ordering::AcqRel);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs the semaphore experiment (parameters already validated).
pub(crate) fn run(params: &SemaphoreParams, env: &Env) -> Result<SemaphoreReport, LabError> {
    let (max_holders, waits, wait_ms, ms) = shared_permits(params, env);
    let unbounded = unbounded_extra_release(env);
    let (bounded_refused, bounded_max_holders) = bounded_extra_release(env);
    if env.cancelled() {
        return Err(LabError::Cancelled);
    }
    Ok(SemaphoreReport {
        tasks: params.tasks,
        permits: params.permits,
        acquisitions: params.tasks * params.rounds,
        max_holders,
        waits,
        wait_ms,
        ms,
        unbounded_extra_release_holders: unbounded,
        bounded_refused,
        bounded_max_holders,
    })
}

fn shared_permits(params: &SemaphoreParams, env: &Env) -> (u32, u32, f64, f64) {
    let semaphore = Semaphore::new(u64::from(params.permits));
    let holders = Holders::default();
    let waits = AtomicU32::new(0);
    let wait_us = AtomicU64::new(0);
    let gate = Gate::new(params.tasks);
    env.runner.run(params.tasks as usize, &|_| {
        if !gate.arrive_and_wait(env) {
            return;
        }
        for _ in 0..params.rounds {
            let permit = match semaphore.try_acquire() {
                Some(permit) => permit,
                None => {
                    let start = env.now_ms();
                    let Some(permit) = semaphore.acquire(env.cancel) else {
                        return;
                    };
                    waits.fetch_add(1, Ordering::Relaxed);
                    wait_us.fetch_add(((env.now_ms() - start) * 1000.0) as u64, Ordering::Relaxed);
                    permit
                }
            };
            holders.enter();
            let finished = sleep_ms(env, f64::from(params.hold_ms));
            holders.leave();
            drop(permit);
            if !finished {
                return;
            }
        }
    });
    let ms = gate
        .opened_at_ms()
        .map_or(0.0, |start| env.now_ms() - start);
    (
        holders.max.load(Ordering::Acquire),
        waits.load(Ordering::Relaxed),
        wait_us.load(Ordering::Relaxed) as f64 / 1000.0,
        ms,
    )
}

/// `Semaphore(1)`, released once by nobody in particular; then two threads each acquire and,
/// still holding, wait until the other is in too.
fn unbounded_extra_release(env: &Env) -> u32 {
    let semaphore = Semaphore::new(1);
    semaphore.release();
    let holders = Holders::default();
    env.runner.run(2, &|_| {
        let Some(_permit) = semaphore.acquire(env.cancel) else {
            return;
        };
        holders.enter();
        // Both get in (the count was 2), so this ends at once; it is bounded by the cancel
        // flag in case it ever did not.
        wait_until(env.cancel, || holders.max.load(Ordering::Acquire) >= 2);
        holders.leave();
    });
    holders.max.load(Ordering::Acquire)
}

/// `BoundedSemaphore(1)`: the unmatched release is refused; then thread 0 holds it while
/// thread 1 finds it taken, and thread 1 gets in only after thread 0 left.
fn bounded_extra_release(env: &Env) -> (Option<String>, u32) {
    let semaphore = BoundedSemaphore::new(1);
    let refused = semaphore.release().err().map(|e| e.to_string());
    let holders = Holders::default();
    let first_in = AtomicBool::new(false);
    let second_refused = AtomicBool::new(false);
    env.runner.run(2, &|me| {
        if me == 0 {
            let Some(_permit) = semaphore.acquire(env.cancel) else {
                return;
            };
            holders.enter();
            first_in.store(true, Ordering::Release);
            wait_until(env.cancel, || second_refused.load(Ordering::Acquire));
            holders.leave();
        } else {
            if !wait_until(env.cancel, || first_in.load(Ordering::Acquire)) {
                return;
            }
            if let Some(_permit) = semaphore.try_acquire() {
                holders.enter();
                holders.leave();
            }
            second_refused.store(true, Ordering::Release);
            let Some(_permit) = semaphore.acquire(env.cancel) else {
                return;
            };
            holders.enter();
            holders.leave();
        }
    });
    (refused, holders.max.load(Ordering::Acquire))
}
