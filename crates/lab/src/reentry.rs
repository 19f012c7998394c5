//! The reentry experiment: a worker re-acquires a non-reentrant [`Lock`] it already holds (a
//! self-deadlock, detected by a time-out and reported, never hung), then recurses into an
//! [`RLock`], which lets its owner back in.

use crate::env::{run_collect, Env};
use crate::params::{in_range, threads_in_range, ParamError};
use crate::primitives::{AcquireError, Lock, RLock, NOBODY};
use crate::report::Figure;
use crate::LabError;

/// The longest re-acquire time-out, in milliseconds.
pub const MAX_TIMEOUT_MS: u32 = 2000;
/// The deepest RLock recursion.
pub const MAX_DEPTH: u32 = 64;

/// Parameters of the reentry experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReentryParams {
    /// How long the second acquire of the plain lock waits before it is declared a
    /// self-deadlock, 10..=[`MAX_TIMEOUT_MS`] ms.
    pub timeout_ms: u32,
    /// How deep the recursive function takes the RLock, 1..=[`MAX_DEPTH`].
    pub depth: u32,
}

impl Default for ReentryParams {
    /// 200 ms time-out, depth 5.
    fn default() -> Self {
        Self {
            timeout_ms: 200,
            depth: 5,
        }
    }
}

impl ReentryParams {
    /// Checks every bound; `max_threads` is the runner's (one thread is needed).
    pub fn validate(&self, max_threads: usize) -> Result<(), ParamError> {
        threads_in_range("threads", 1, 1, max_threads, 0, "")?;
        in_range("timeout_ms", self.timeout_ms, 10, MAX_TIMEOUT_MS)?;
        in_range("depth", self.depth, 1, MAX_DEPTH)
    }
}

/// What a reentry run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct ReentryReport {
    /// The time-out the second acquire was given.
    pub timeout_ms: u32,
    /// The plain lock's second acquire did not succeed within the time-out.
    pub lock_detected: bool,
    /// How long the second acquire waited before giving up.
    pub lock_waited_ms: f64,
    /// The thread holding the lock when the second acquire gave up was the caller itself.
    pub lock_held_by_self: bool,
    /// After the worker dropped its first acquire the plain lock was free again.
    pub lock_released: bool,
    /// The RLock depth asked for.
    pub rlock_depth: u32,
    /// The deepest level the RLock reached (equals `rlock_depth` when re-entry works).
    pub rlock_max_depth: u32,
    /// After the recursion unwound, the RLock was free (owner none, depth 0).
    pub rlock_released: bool,
}

impl ReentryReport {
    /// The report's figures, for the UI.
    pub fn figures(&self) -> Vec<Figure> {
        vec![
            Figure::flag(
                "lock-detected",
                "Lock re-acquire detected as a self-deadlock",
                self.lock_detected,
            ),
            Figure::ms(
                "lock-waited-ms",
                "Waited before giving up (ms)",
                self.lock_waited_ms,
            ),
            Figure::flag(
                "lock-held-by-self",
                "Lock was held by the waiting thread itself",
                self.lock_held_by_self,
            ),
            Figure::flag("lock-released", "Lock free afterwards", self.lock_released),
            Figure::int("rlock-depth", "RLock depth asked", self.rlock_depth),
            Figure::int(
                "rlock-max-depth",
                "RLock depth reached",
                self.rlock_max_depth,
            ),
            Figure::flag(
                "rlock-released",
                "RLock free afterwards",
                self.rlock_released,
            ),
            Figure::flag(
                "recovered",
                "Recovered",
                self.lock_released && self.rlock_released,
            ),
        ]
    }
}

/// Runs the reentry experiment (parameters already validated).
pub(crate) fn run(params: &ReentryParams, env: &Env) -> Result<ReentryReport, LabError> {
    let lock = Lock::new();
    let rlock = RLock::new();
    let results = run_collect(env.runner, 1, |me| -> Result<ReentryReport, LabError> {
        let timeout = f64::from(params.timeout_ms);
        // `with lock:` … and inside it `with lock:` again, as in the seed's recursive_function.
        let outer = lock
            .acquire_timeout(me, timeout, env)
            .map_err(|_| LabError::Cancelled)?;
        let (lock_detected, lock_waited_ms, lock_held_by_self) = match lock
            .acquire_timeout(me, timeout, env)
        {
            Ok(_) => (false, 0.0, false),
            Err(AcquireError::TimedOut { waited_ms, holder }) => (true, waited_ms, holder == me),
            Err(AcquireError::Cancelled) => return Err(LabError::Cancelled),
        };
        drop(outer);
        let lock_released = lock.owner() == NOBODY;

        let mut rlock_max_depth = 0;
        recurse(&rlock, me, params.depth, timeout, env, &mut rlock_max_depth)?;
        Ok(ReentryReport {
            timeout_ms: params.timeout_ms,
            lock_detected,
            lock_waited_ms,
            lock_held_by_self,
            lock_released,
            rlock_depth: params.depth,
            rlock_max_depth,
            rlock_released: rlock.owner() == NOBODY && rlock.depth() == 0,
        })
    });
    results
        .into_iter()
        .next()
        .unwrap_or(Err(LabError::Cancelled))
}

/// The seed's `safe_recursive_function`: takes the RLock, notes the depth, recurses.
fn recurse(
    rlock: &RLock,
    me: usize,
    levels: u32,
    timeout: f64,
    env: &Env,
    max: &mut u32,
) -> Result<(), LabError> {
    let _level = rlock
        .acquire_timeout(me, timeout, env)
        .map_err(|_| LabError::Cancelled)?;
    *max = (*max).max(rlock.depth());
    if levels > 1 {
        recurse(rlock, me, levels - 1, timeout, env, max)?;
    }
    Ok(())
}
