//! Python's `threading.Lock` and `threading.RLock`, with their owners tracked so the lab can say
//! who holds what, and with timed, cancellable acquires so a self-deadlock is reported instead of
//! hanging the run.

use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use crate::env::Env;

/// Stands for "no thread" in owner and waiting-for fields.
pub const NOBODY: usize = usize::MAX;

/// The longest single wait inside an acquire: cancels, time-outs and deadlock checks are
/// noticed within this.
pub const SLICE: Duration = Duration::from_millis(5);

/// Why a timed acquire gave up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AcquireError {
    /// Still held by another thread (or by the caller itself) after the time-out.
    TimedOut {
        /// How long the caller waited, in clock milliseconds.
        waited_ms: f64,
        /// Who held the lock when the caller gave up.
        holder: usize,
    },
    /// The run was cancelled while waiting.
    Cancelled,
}

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcquireError::TimedOut { waited_ms, .. } => {
                write!(f, "timed out after {waited_ms:.1} ms")
            }
            AcquireError::Cancelled => f.write_str("cancelled"),
        }
    }
}

/// A non-reentrant lock like Python's `threading.Lock`, whose owner is known.
///
/// The owner's worker index *is* the lock word: `compare_exchange(NOBODY, me)` takes it. A
/// thread that finds it taken sleeps on a condition variable in [`SLICE`]-long waits.
///
/// # Re-entry
///
/// Python's `Lock` has no owner, so a thread that acquires it twice waits for itself forever.
/// This one waits too (it is the same lock), but because it knows the owner, a timed acquire
/// that gives up can report that the holder was the caller itself: a self-deadlock.
///
/// # Fairness
///
/// None: a releasing thread wakes one sleeper, but any thread whose `compare_exchange` lands
/// first takes the lock, including the one that just released it.
#[derive(Debug)]
pub struct Lock {
    owner: AtomicUsize,
    sleepers: Mutex<u32>,
    wake: Condvar,
}

/// Holds a [`Lock`]; releases it on drop.
#[derive(Debug)]
pub struct LockGuard<'a> {
    lock: &'a Lock,
}

impl Default for Lock {
    fn default() -> Self {
        Self::new()
    }
}

impl Lock {
    /// A free lock.
    pub const fn new() -> Self {
        Self {
            owner: AtomicUsize::new(NOBODY),
            sleepers: Mutex::new(0),
            wake: Condvar::new(),
        }
    }

    /// Who holds the lock now ([`NOBODY`] if free): a snapshot, for reports and the watchdog.
    pub fn owner(&self) -> usize {
        self.owner.load(Ordering::Acquire)
    }

    /// Takes the lock for worker `me` if it is free.
    pub fn try_acquire(&self, me: usize) -> Option<LockGuard<'_>> {
        self.owner
            .compare_exchange(NOBODY, me, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
            .then(|| LockGuard { lock: self })
    }

    /// Tries to take the lock, sleeping at most `slice` if it is held.
    pub fn acquire_for(&self, me: usize, slice: Duration) -> Option<LockGuard<'_>> {
        if let Some(guard) = self.try_acquire(me) {
            return Some(guard);
        }
        let mut sleepers = self.sleepers.lock().unwrap_or_else(PoisonError::into_inner);
        // Checked again while holding `sleepers`: a release in between either happened before
        // this check (we see the lock free) or must take `sleepers` after we wait (it wakes us).
        if let Some(guard) = self.try_acquire(me) {
            return Some(guard);
        }
        *sleepers += 1;
        sleepers = self
            .wake
            .wait_timeout(sleepers, slice)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
        *sleepers -= 1;
        drop(sleepers);
        self.try_acquire(me)
    }

    /// Takes the lock, waiting at most `timeout_ms` on the environment's clock.
    pub fn acquire_timeout(
        &self,
        me: usize,
        timeout_ms: f64,
        env: &Env,
    ) -> Result<LockGuard<'_>, AcquireError> {
        let start = env.now_ms();
        loop {
            let left = timeout_ms - (env.now_ms() - start);
            let slice =
                Duration::from_secs_f64(left.clamp(0.0, SLICE.as_secs_f64() * 1000.0) / 1000.0);
            if let Some(guard) = self.acquire_for(me, slice) {
                return Ok(guard);
            }
            if env.cancelled() {
                return Err(AcquireError::Cancelled);
            }
            let waited_ms = env.now_ms() - start;
            if waited_ms >= timeout_ms {
                return Err(AcquireError::TimedOut {
                    waited_ms,
                    holder: self.owner(),
                });
            }
        }
    }

    fn release(&self) {
        self.owner.store(NOBODY, Ordering::Release);
        let sleepers = self.sleepers.lock().unwrap_or_else(PoisonError::into_inner);
        if *sleepers > 0 {
            self.wake.notify_one();
        }
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        self.lock.release();
    }
}

/// A reentrant lock like Python's `threading.RLock`: an owner and a depth.
///
/// The owner may acquire it again (depth + 1) and must release it as many times; only the last
/// release frees it for other threads. Re-entry costs nothing but a check that the owner is the
/// caller, which is why the seed's `ThreadSafeCounter` can call one locked method from another.
#[derive(Debug, Default)]
pub struct RLock {
    lock: Lock,
    depth: AtomicU32,
}

/// Holds one level of an [`RLock`]; drops it on drop.
#[derive(Debug)]
pub struct RLockGuard<'a> {
    rlock: &'a RLock,
    inner: Option<LockGuard<'a>>,
}

impl RLock {
    /// A free reentrant lock.
    pub const fn new() -> Self {
        Self {
            lock: Lock::new(),
            depth: AtomicU32::new(0),
        }
    }

    /// Who holds it now ([`NOBODY`] if free).
    pub fn owner(&self) -> usize {
        self.lock.owner()
    }

    /// How many times the owner holds it (0 when free). Only meaningful to the owner.
    pub fn depth(&self) -> u32 {
        self.depth.load(Ordering::Relaxed)
    }

    /// Takes one more level (the owner never waits), waiting at most `timeout_ms` otherwise.
    pub fn acquire_timeout(
        &self,
        me: usize,
        timeout_ms: f64,
        env: &Env,
    ) -> Result<RLockGuard<'_>, AcquireError> {
        // Only `me` can have stored `me` as the owner, so this check cannot race.
        if self.lock.owner() == me {
            self.depth.fetch_add(1, Ordering::Relaxed);
            return Ok(RLockGuard {
                rlock: self,
                inner: None,
            });
        }
        let guard = self.lock.acquire_timeout(me, timeout_ms, env)?;
        self.depth.store(1, Ordering::Relaxed);
        Ok(RLockGuard {
            rlock: self,
            inner: Some(guard),
        })
    }
}

impl Drop for RLockGuard<'_> {
    fn drop(&mut self) {
        // Levels are dropped innermost first, so the outermost guard (the one holding the
        // inner lock) brings the depth to 0 and then releases.
        self.rlock.depth.fetch_sub(1, Ordering::Relaxed);
        self.inner.take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_env(f: impl FnOnce(&Env)) {
        crate::env::testing::with_env(None, f);
    }

    #[test]
    fn reacquiring_a_held_lock_times_out_naming_the_holder() {
        with_env(|env| {
            let lock = Lock::new();
            let _held = lock.try_acquire(3).unwrap();
            let err = lock.acquire_timeout(3, 20.0, env).unwrap_err();
            assert!(
                matches!(err, AcquireError::TimedOut { holder: 3, waited_ms } if waited_ms >= 20.0)
            );
        });
    }

    #[test]
    fn lock_is_free_after_its_guard_drops() {
        let lock = Lock::new();
        drop(lock.try_acquire(0).unwrap());
        assert_eq!(lock.owner(), NOBODY);
        assert!(lock.try_acquire(1).is_some());
    }

    #[test]
    fn rlock_counts_levels_and_frees_after_the_last() {
        with_env(|env| {
            let rlock = RLock::new();
            let a = rlock.acquire_timeout(0, 10.0, env).unwrap();
            let b = rlock.acquire_timeout(0, 10.0, env).unwrap();
            assert_eq!(rlock.depth(), 2);
            assert!(rlock.acquire_timeout(1, 10.0, env).is_err());
            drop(b);
            assert_eq!(rlock.owner(), 0);
            drop(a);
            assert_eq!(rlock.owner(), NOBODY);
            assert_eq!(rlock.depth(), 0);
        });
    }
}
