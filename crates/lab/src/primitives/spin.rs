//! A compare-exchange spin lock: the smallest lock there is, and why it is rarely the right one.

use std::hint::spin_loop;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A spin lock: one `AtomicBool`, taken with `compare_exchange`, waited for by spinning.
///
/// It protects no data of its own: the counter experiment guards a plain relaxed
/// load-then-store with it, the very code that loses updates without a lock, to show that the
/// lock's `Acquire`/`Release` pair is what makes that code exact.
///
/// # How it waits
///
/// 1. `compare_exchange_weak(false, true, Acquire, Relaxed)` tries to take the lock.
/// 2. On failure it spins on a plain `load` ("test and test-and-set"): waiting cores then share
///    the cache line instead of bouncing it between them with failed writes.
/// 3. Every 64 spins it yields to the OS, and every 4096 spins it sleeps 50 µs.
///
/// Step 3 is the bound. With more threads than cores the holder is often descheduled, and a pure
/// spinner would burn its whole time slice waiting for a thread that cannot run. In a Web Worker
/// `yield_now` does nothing at all, so only the sleep gives the core back there.
///
/// # Fairness
///
/// None. Whoever's `compare_exchange` lands first wins, and the thread that just released is
/// the likeliest winner (its cache already holds the line), so a thread can wait through many
/// hand-overs. Under contention on few cores it is also slow: compare the counter experiment's
/// spin-lock and mutex figures. `std::sync::Mutex` spins briefly and then sleeps in the kernel,
/// which is why it is the default choice.
#[derive(Debug, Default)]
pub struct SpinLock {
    locked: AtomicBool,
}

/// Holds a [`SpinLock`]; releases it on drop.
#[derive(Debug)]
pub struct SpinGuard<'a> {
    lock: &'a SpinLock,
}

impl SpinLock {
    /// An unlocked spin lock.
    pub const fn new() -> Self {
        Self {
            locked: AtomicBool::new(false),
        }
    }

    /// Takes the lock, spinning until it is free.
    pub fn lock(&self) -> SpinGuard<'_> {
        let mut spins = 0;
        self.lock_counting_spins(&mut spins)
    }

    /// Takes the lock and adds the number of spins it waited to `spins` (the figure the counter
    /// experiment reports as wasted spins).
    ///
    /// Unlike the lab's other waits this one has no deadline, and needs none: the counter's
    /// holders keep it for one increment, never wait while holding it, and release it when the
    /// guard drops, even while unwinding. The spin is bounded by the holder's few instructions
    /// (plus however long the OS deschedules it).
    pub fn lock_counting_spins(&self, spins: &mut u64) -> SpinGuard<'_> {
        loop {
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return SpinGuard { lock: self };
            }
            while self.locked.load(Ordering::Relaxed) {
                spin_loop();
                *spins += 1;
                if spins.is_multiple_of(4096) {
                    std::thread::sleep(Duration::from_micros(50));
                } else if spins.is_multiple_of(64) {
                    std::thread::yield_now();
                }
            }
        }
    }

    /// Takes the lock if it is free.
    pub fn try_lock(&self) -> Option<SpinGuard<'_>> {
        self.locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
            .then(|| SpinGuard { lock: self })
    }

    /// True while some thread holds the lock (a snapshot, for reports).
    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Relaxed)
    }
}

impl Drop for SpinGuard<'_> {
    fn drop(&mut self) {
        self.lock.locked.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn try_lock_fails_while_held_and_succeeds_after() {
        let lock = SpinLock::new();
        let guard = lock.lock();
        assert!(lock.try_lock().is_none());
        assert!(
            lock.is_locked(),
            "a failed try_lock leaves the holder's lock alone"
        );
        drop(guard);
        assert!(lock.try_lock().is_some());
    }
}
