//! Python's `threading.Semaphore` and `threading.BoundedSemaphore`: a counter of permits, with
//! waits that give up on a cancel or at the run's deadline.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::env::Env;
use crate::primitives::lock::SLICE;

/// A counting semaphore with Python's semantics.
///
/// `acquire` takes a permit, waiting while there are none; `release` adds one. Nothing ties a
/// release to an earlier acquire: releasing a `Semaphore(1)` that nobody acquired raises its
/// count to 2, and from then on two threads can hold the "binary" semaphore at once. That is the
/// difference from a lock, and what [`BoundedSemaphore`] exists to catch.
///
/// # Fairness
///
/// None: a release wakes one waiter, but a thread arriving at that moment may take the permit
/// first.
#[derive(Debug)]
pub struct Semaphore {
    permits: Mutex<u64>,
    available: Condvar,
}

/// One permit of a [`Semaphore`]; released on drop.
#[derive(Debug)]
pub struct Permit<'a> {
    semaphore: &'a Semaphore,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    pub fn new(permits: u64) -> Self {
        Self {
            permits: Mutex::new(permits),
            available: Condvar::new(),
        }
    }

    fn count(&self) -> MutexGuard<'_, u64> {
        self.permits.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Permits available now.
    pub fn available(&self) -> u64 {
        *self.count()
    }

    /// Takes a permit if one is available.
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        self.take_now().then(|| Permit { semaphore: self })
    }

    /// Takes a permit, waiting while there is none; `None` if the run was cancelled or reached
    /// its deadline first.
    pub fn acquire(&self, env: &Env) -> Option<Permit<'_>> {
        self.take(env).then(|| Permit { semaphore: self })
    }

    /// Lowers the count if it is above 0; `true` if it did.
    fn take_now(&self) -> bool {
        let mut count = self.count();
        let free = *count > 0;
        if free {
            *count -= 1;
        }
        free
    }

    /// Lowers the count, waiting while it is 0; `false` if the run had to stop first.
    fn take(&self, env: &Env) -> bool {
        let mut count = self.count();
        while *count == 0 {
            if env.cancelled() {
                return false;
            }
            count = self
                .available
                .wait_timeout(count, SLICE)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        *count -= 1;
        true
    }

    /// Adds a permit, whether or not anyone acquired one (Python semantics).
    pub fn release(&self) {
        *self.count() += 1;
        self.available.notify_one();
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.semaphore.release();
    }
}

/// A release that would raise a [`BoundedSemaphore`] above its initial count: Python raises
/// `ValueError: Semaphore released too many times`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverRelease {
    /// The bound (the initial count).
    pub bound: u64,
}

impl fmt::Display for OverRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "semaphore released too many times (bound {})",
            self.bound
        )
    }
}

impl std::error::Error for OverRelease {}

/// A semaphore that refuses to be released above its initial count, like Python's
/// `threading.BoundedSemaphore`: a release that would push the count past the bound is an
/// error, not an extra permit.
///
/// # What it catches
///
/// It checks the *count*, not who releases, exactly as CPython does. An unmatched release while
/// the count is full is refused. One made while other threads hold permits is accepted (the
/// count is below the bound), lets one thread more in than there are permits, and is caught only
/// later, when an innocent holder's ordinary release would push the count past the bound: that
/// release is refused instead, and counted in [`BoundedSemaphore::refusals`].
#[derive(Debug)]
pub struct BoundedSemaphore {
    inner: Semaphore,
    bound: u64,
    refusals: AtomicU64,
}

/// One permit of a [`BoundedSemaphore`]; released on drop. That release is checked against the
/// bound like any other: after an accepted unmatched release it can be refused (Python would
/// raise in the innocent holder), which [`BoundedSemaphore::refusals`] counts.
#[derive(Debug)]
pub struct BoundedPermit<'a> {
    semaphore: &'a BoundedSemaphore,
}

impl BoundedSemaphore {
    /// A bounded semaphore with `permits` permits, which is also its bound.
    pub fn new(permits: u64) -> Self {
        Self {
            inner: Semaphore::new(permits),
            bound: permits,
            refusals: AtomicU64::new(0),
        }
    }

    /// Permits available now.
    pub fn available(&self) -> u64 {
        self.inner.available()
    }

    /// Releases refused so far, permits' own releases included: each would have raised
    /// `ValueError` in Python.
    pub fn refusals(&self) -> u64 {
        self.refusals.load(Ordering::Acquire)
    }

    /// Takes a permit if one is available.
    pub fn try_acquire(&self) -> Option<BoundedPermit<'_>> {
        self.inner
            .take_now()
            .then(|| BoundedPermit { semaphore: self })
    }

    /// Takes a permit, waiting while there is none; `None` if the run was cancelled or reached
    /// its deadline first.
    pub fn acquire(&self, env: &Env) -> Option<BoundedPermit<'_>> {
        self.inner
            .take(env)
            .then(|| BoundedPermit { semaphore: self })
    }

    /// Adds a permit unless that would exceed the bound (then the count stays, and the refusal
    /// is counted).
    pub fn release(&self) -> Result<(), OverRelease> {
        let mut count = self.inner.count();
        if *count >= self.bound {
            self.refusals.fetch_add(1, Ordering::AcqRel);
            return Err(OverRelease { bound: self.bound });
        }
        *count += 1;
        drop(count);
        self.inner.available.notify_one();
        Ok(())
    }
}

impl Drop for BoundedPermit<'_> {
    fn drop(&mut self) {
        // A refusal here is the late catch described on `BoundedSemaphore`; it is counted there.
        let _ = self.semaphore.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::testing::with_env;

    #[test]
    fn acquire_with_no_permit_left_gives_up_at_the_deadline() {
        with_env(Some(30.0), |env| {
            let sem = Semaphore::new(1);
            let _held = sem.acquire(env).expect("free");
            assert!(sem.acquire(env).is_none());
            assert!(env.timed_out());
            let bounded = BoundedSemaphore::new(1);
            let _also_held = bounded.acquire(env).expect("free");
            assert!(bounded.acquire(env).is_none());
        });
    }

    #[test]
    fn unmatched_release_adds_a_permit() {
        let sem = Semaphore::new(1);
        sem.release();
        let a = sem.try_acquire();
        let b = sem.try_acquire();
        assert!(a.is_some() && b.is_some());
    }

    #[test]
    fn bounded_semaphore_refuses_an_unmatched_release() {
        let sem = BoundedSemaphore::new(1);
        assert_eq!(sem.release(), Err(OverRelease { bound: 1 }));
        let a = sem.try_acquire();
        assert!(a.is_some());
        assert!(sem.try_acquire().is_none());
        drop(a);
        assert_eq!(sem.available(), 1);
        assert_eq!(sem.refusals(), 1);
    }

    #[test]
    fn bounded_semaphore_accepts_an_unmatched_release_while_held_and_refuses_an_innocent_one() {
        let sem = BoundedSemaphore::new(1);
        let a = sem.try_acquire().expect("free");
        assert_eq!(sem.release(), Ok(()), "the count was below the bound");
        let b = sem.try_acquire().expect("the extra permit");
        drop(a);
        assert_eq!(sem.refusals(), 0);
        drop(b);
        assert_eq!(sem.refusals(), 1, "b's own release is the one refused");
        assert_eq!(sem.available(), 1);
    }
}
