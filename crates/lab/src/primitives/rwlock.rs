//! Two reader-writer locks: the seed's reader-preferring one (a condition over a lock and a
//! readers count) and a writer-preferring one, behind one [`RwLockApi`] so the rwlock
//! experiment can run both.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::env::Env;
use crate::primitives::lock::SLICE;

/// The operations the rwlock experiment needs. Acquires return `false` if the run was cancelled
/// or reached its deadline while waiting (nothing is held then).
pub trait RwLockApi: Sync {
    /// Enters as a reader.
    fn acquire_read(&self, env: &Env) -> bool;
    /// Leaves as a reader.
    fn release_read(&self);
    /// Enters as the writer.
    fn acquire_write(&self, env: &Env) -> bool;
    /// Leaves as the writer.
    fn release_write(&self);
    /// Whether a reader arriving now would get in without waiting: a snapshot, for the rwlock
    /// experiment's forced hand-over (a reader keeps its read for a successor only while one
    /// could come in).
    fn admits_readers(&self) -> bool;
}

#[derive(Debug, Default)]
struct SeedState {
    readers: u32,
    /// The seed's writer keeps holding the condition's lock from `acquire_write` to
    /// `release_write`; this flag is that lock being held.
    writer_holds_lock: bool,
}

/// The seed's `ReadWriteLock`: `Condition(RLock())` plus a readers count.
///
/// ```python
/// def acquire_write(self):
///     self._read_ready.acquire()
///     while self._readers > 0:
///         self._read_ready.wait()
/// ```
///
/// # Fairness
///
/// Readers first. A reader only needs the lock for a moment to bump the count, so while the
/// writer waits (and `wait` gives the lock up) new readers keep walking in. The writer gets in
/// only when the count falls to 0 *and* it wins the lock before the next reader does; with a
/// steady stream of overlapping readers the count never falls to 0 and the writer starves.
/// While the writer writes it holds the lock, so readers queue behind it.
#[derive(Debug, Default)]
pub struct SeedRwLock {
    state: Mutex<SeedState>,
    read_ready: Condvar,
}

impl SeedRwLock {
    /// A free lock.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, SeedState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, state: MutexGuard<'a, SeedState>) -> MutexGuard<'a, SeedState> {
        self.read_ready
            .wait_timeout(state, SLICE)
            .unwrap_or_else(PoisonError::into_inner)
            .0
    }
}

impl RwLockApi for SeedRwLock {
    fn acquire_read(&self, env: &Env) -> bool {
        let mut state = self.state();
        // Blocked only while a writer holds the condition's lock.
        while state.writer_holds_lock {
            if env.cancelled() {
                return false;
            }
            state = self.wait(state);
        }
        state.readers += 1;
        true
    }

    fn release_read(&self) {
        let mut state = self.state();
        state.readers -= 1;
        if state.readers == 0 {
            self.read_ready.notify_all();
        }
    }

    fn acquire_write(&self, env: &Env) -> bool {
        let mut state = self.state();
        while state.writer_holds_lock || state.readers > 0 {
            if env.cancelled() {
                return false;
            }
            state = self.wait(state);
        }
        state.writer_holds_lock = true;
        true
    }

    fn release_write(&self) {
        self.state().writer_holds_lock = false;
        self.read_ready.notify_all();
    }

    fn admits_readers(&self) -> bool {
        // A waiting writer does not hold readers back: that is the seed's starvation.
        !self.state().writer_holds_lock
    }
}

#[derive(Debug, Default)]
struct WriterFirstState {
    readers: u32,
    writer: bool,
    writers_waiting: u32,
}

/// A writer-preferring reader-writer lock: once a writer is waiting, new readers wait too.
///
/// # Fairness
///
/// Writers first. A waiting writer waits only for the readers already inside to leave, so its
/// wait is bounded by the longest read. The price moves to the readers: a steady stream of
/// writers would starve them instead.
#[derive(Debug, Default)]
pub struct WriterFirstRwLock {
    state: Mutex<WriterFirstState>,
    changed: Condvar,
}

impl WriterFirstRwLock {
    /// A free lock.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, WriterFirstState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(
        &self,
        state: MutexGuard<'a, WriterFirstState>,
    ) -> MutexGuard<'a, WriterFirstState> {
        self.changed
            .wait_timeout(state, SLICE)
            .unwrap_or_else(PoisonError::into_inner)
            .0
    }
}

impl RwLockApi for WriterFirstRwLock {
    fn acquire_read(&self, env: &Env) -> bool {
        let mut state = self.state();
        while state.writer || state.writers_waiting > 0 {
            if env.cancelled() {
                return false;
            }
            state = self.wait(state);
        }
        state.readers += 1;
        true
    }

    fn release_read(&self) {
        let mut state = self.state();
        state.readers -= 1;
        if state.readers == 0 {
            self.changed.notify_all();
        }
    }

    fn acquire_write(&self, env: &Env) -> bool {
        let mut state = self.state();
        state.writers_waiting += 1;
        while state.writer || state.readers > 0 {
            if env.cancelled() {
                state.writers_waiting -= 1;
                self.changed.notify_all();
                return false;
            }
            state = self.wait(state);
        }
        state.writers_waiting -= 1;
        state.writer = true;
        true
    }

    fn release_write(&self) {
        self.state().writer = false;
        self.changed.notify_all();
    }

    fn admits_readers(&self) -> bool {
        let state = self.state();
        !state.writer && state.writers_waiting == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::testing::with_env;

    fn readers_share_and_writer_excludes(lock: &dyn RwLockApi) {
        with_env(None, |env| {
            assert!(lock.acquire_read(env));
            assert!(lock.acquire_read(env));
            lock.release_read();
            lock.release_read();
            assert!(lock.acquire_write(env));
            lock.release_write();
            assert!(lock.acquire_read(env));
            lock.release_read();
        });
    }

    #[test]
    fn seed_lock_lets_readers_share() {
        readers_share_and_writer_excludes(&SeedRwLock::new());
    }

    #[test]
    fn writer_first_lock_lets_readers_share() {
        readers_share_and_writer_excludes(&WriterFirstRwLock::new());
    }

    #[test]
    fn only_the_writer_first_lock_turns_readers_away_while_a_writer_waits() {
        with_env(None, |env| {
            let (seed, writer_first) = (SeedRwLock::new(), WriterFirstRwLock::new());
            assert!(seed.admits_readers() && writer_first.admits_readers());
            // A writer waiting behind a reader, as `acquire_write` leaves the state while it
            // waits.
            assert!(writer_first.acquire_read(env));
            writer_first.state().writers_waiting += 1;
            assert!(!writer_first.admits_readers());
            writer_first.state().writers_waiting -= 1;
            writer_first.release_read();
            // The seed's lock turns readers away only while the writer is inside.
            assert!(seed.acquire_write(env));
            assert!(!seed.admits_readers());
            seed.release_write();
            assert!(seed.admits_readers());
        });
    }

    #[test]
    fn cancelled_writer_gives_up_while_readers_hold() {
        with_env(None, |env| {
            let lock = WriterFirstRwLock::new();
            assert!(lock.acquire_read(env));
            env.cancel.cancel();
            assert!(!lock.acquire_write(env));
            assert_eq!(lock.state().writers_waiting, 0);
        });
    }

    #[test]
    fn a_writer_behind_a_reader_that_never_leaves_gives_up_at_the_deadline() {
        with_env(Some(30.0), |env| {
            for lock in [
                &SeedRwLock::new() as &dyn RwLockApi,
                &WriterFirstRwLock::new(),
            ] {
                assert!(lock.acquire_read(env));
                assert!(!lock.acquire_write(env));
            }
            assert!(env.timed_out());
        });
    }
}
