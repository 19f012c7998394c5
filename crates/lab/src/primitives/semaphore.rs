//! Python's `threading.Semaphore` and `threading.BoundedSemaphore`: a counter of permits, with
//! cancellable waits.

use std::fmt;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::env::Cancel;
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
        let mut count = self.count();
        (*count > 0).then(|| {
            *count -= 1;
            Permit { semaphore: self }
        })
    }

    /// Takes a permit, waiting while there is none; `None` if the run was cancelled first.
    pub fn acquire(&self, cancel: &Cancel) -> Option<Permit<'_>> {
        let mut count = self.count();
        while *count == 0 {
            if cancel.is_cancelled() {
                return None;
            }
            count = self
                .available
                .wait_timeout(count, SLICE)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        *count -= 1;
        Some(Permit { semaphore: self })
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
/// `threading.BoundedSemaphore`: an unmatched release is an error, not an extra permit.
#[derive(Debug)]
pub struct BoundedSemaphore {
    inner: Semaphore,
    bound: u64,
}

/// One permit of a [`BoundedSemaphore`]; released on drop (a paired release never exceeds the
/// bound).
#[derive(Debug)]
pub struct BoundedPermit<'a> {
    _permit: Permit<'a>,
}

impl BoundedSemaphore {
    /// A bounded semaphore with `permits` permits, which is also its bound.
    pub fn new(permits: u64) -> Self {
        Self {
            inner: Semaphore::new(permits),
            bound: permits,
        }
    }

    /// Permits available now.
    pub fn available(&self) -> u64 {
        self.inner.available()
    }

    /// Takes a permit if one is available.
    pub fn try_acquire(&self) -> Option<BoundedPermit<'_>> {
        self.inner
            .try_acquire()
            .map(|p| BoundedPermit { _permit: p })
    }

    /// Takes a permit, waiting while there is none; `None` if the run was cancelled first.
    pub fn acquire(&self, cancel: &Cancel) -> Option<BoundedPermit<'_>> {
        self.inner
            .acquire(cancel)
            .map(|p| BoundedPermit { _permit: p })
    }

    /// Adds a permit unless that would exceed the bound.
    pub fn release(&self) -> Result<(), OverRelease> {
        let mut count = self.inner.count();
        if *count >= self.bound {
            return Err(OverRelease { bound: self.bound });
        }
        *count += 1;
        drop(count);
        self.inner.available.notify_one();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
