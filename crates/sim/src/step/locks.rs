//! `threading.Lock` and `threading.RLock`: `Acquire`, `TryAcquire`, `TimedAcquire`, `Release`.
//!
//! A `Lock` has no owner in CPython (any thread may release it; releasing it unlocked raises
//! `RuntimeError: release unlocked lock`) and is not reentrant (its holder asking again waits
//! for itself). An `RLock` has an owner and a count; only the owner may release it.

use super::{runtime, Ctx};
use crate::event::EventKind;
use crate::machine::Machine;
use crate::outcome::{PyError, PyExc};
use crate::scenario::LockKind;
use crate::value::{LockId, RegId, ThreadId, Value};

impl Machine {
    /// Python's `Condition._is_owned()`: for an `RLock`, owned by the caller; for a `Lock`,
    /// merely locked, by anyone (CPython can only ask a `Lock` whether it is locked, so a
    /// thread may `wait()` on a condition whose `Lock` another thread holds; checked on 3.11).
    pub(super) fn owns(&self, lock: LockId, t: ThreadId) -> bool {
        let st = self.locks[lock.index()];
        match self.scn.locks[lock.index()].kind {
            LockKind::Lock => st.count > 0,
            LockKind::RLock => st.owner == Some(t) && st.count > 0,
        }
    }

    fn lock_is_free_for(&self, lock: LockId, t: ThreadId) -> bool {
        let st = self.locks[lock.index()];
        st.count == 0
            || (self.scn.locks[lock.index()].kind == LockKind::RLock && st.owner == Some(t))
    }

    fn take_lock(&mut self, lock: LockId, t: ThreadId) -> Result<u32, PyError> {
        let st = &mut self.locks[lock.index()];
        st.count = st
            .count
            .checked_add(1)
            .ok_or_else(|| PyError::new(PyExc::OverflowError, "Internal lock count overflowed"))?;
        st.owner = Some(t);
        Ok(st.count)
    }

    /// `lock.acquire()` (the caller is not blocked, so the lock is free for it).
    pub(super) fn acquire(&mut self, c: Ctx, lock: LockId) -> Result<EventKind, PyError> {
        let count = self.take_lock(lock, c.t)?;
        let ready = self.aux_get(|a| a.lock_free_at[lock.index()]);
        self.start(c.ti, ready);
        Ok(EventKind::Acquired { lock, count })
    }

    /// `dst = lock.acquire(blocking=False)`.
    pub(super) fn try_acquire(
        &mut self,
        c: Ctx,
        lock: LockId,
        dst: RegId,
    ) -> Result<EventKind, PyError> {
        let ok = self.lock_is_free_for(lock, c.t);
        if ok {
            self.take_lock(lock, c.t)?;
            let ready = self.aux_get(|a| a.lock_free_at[lock.index()]);
            self.start(c.ti, ready);
        } else {
            self.start(c.ti, 0);
        }
        c.set(self, dst, Value::Bool(ok));
        Ok(EventKind::TriedAcquire { lock, ok })
    }

    /// `dst = lock.acquire(timeout=…)`: the lock if it is free for the caller, else the timeout
    /// expiring (no virtual time: the model does not know how long the timeout was).
    pub(super) fn timed_acquire(
        &mut self,
        c: Ctx,
        lock: LockId,
        dst: RegId,
    ) -> Result<EventKind, PyError> {
        if self.lock_is_free_for(lock, c.t) {
            let kind = self.acquire(c, lock)?;
            c.set(self, dst, Value::Bool(true));
            Ok(kind)
        } else {
            self.start(c.ti, 0);
            c.set(self, dst, Value::Bool(false));
            Ok(EventKind::TimedOut { lock })
        }
    }

    /// `lock.release()`.
    pub(super) fn release(&mut self, c: Ctx, lock: LockId) -> Result<EventKind, PyError> {
        let st = self.locks[lock.index()];
        let count = match self.scn.locks[lock.index()].kind {
            LockKind::Lock if st.count == 0 => return Err(runtime("release unlocked lock")),
            LockKind::Lock => 0,
            LockKind::RLock if st.owner != Some(c.t) || st.count == 0 => {
                return Err(runtime("cannot release un-acquired lock"))
            }
            LockKind::RLock => st.count - 1,
        };
        let now = self.start(c.ti, 0);
        let st = &mut self.locks[lock.index()];
        st.count = count;
        if count == 0 {
            st.owner = None;
            self.aux_mut(|a| a.lock_free_at[lock.index()] = now);
        }
        Ok(EventKind::Released { lock, count })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::prelude::*;
    use crate::samples;
    use crate::{EventKind, LockId};

    #[test]
    fn a_blocked_thread_says_who_holds_the_lock() {
        let mut m = Machine::new(samples::race(2, 1, true)).unwrap();
        m.step(T1).unwrap();
        let err = m.step(T2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "T2 is blocked, waiting for lock `lock` held by T1"
        );
        assert_eq!(m.runnable(), vec![T1]);
        let lock = m.scenario().lock_id("lock").unwrap();
        assert_eq!(m.lock_view(lock).unwrap().waiters, vec![T2]);
    }

    #[test]
    fn lock_reacquired_by_its_holder_deadlocks_with_a_self_cycle() {
        let mut m = machine(
            ScenarioBuilder::new("x")
                .lock("lock", LockKind::Lock)
                .thread("T1", |t| {
                    t.op("acquire", acquire("lock"))
                        .op("acquire", acquire("lock"));
                }),
        );
        let e = m.step(T1).unwrap();
        assert!(e.outcome.is_some());
        match m.outcome().unwrap() {
            Outcome::Deadlock { blocked, cycle } => {
                assert_eq!(blocked, &vec![T1]);
                assert_eq!(cycle.len(), 1);
                assert_eq!(cycle[0].holder, Some(T1));
            }
            o => panic!("{o:?}"),
        }
        assert_eq!(
            m.outcome().unwrap().to_string(),
            "deadlock: T1 waits for lock `lock` held by T1 itself"
        );
    }

    #[test]
    fn rlock_reentry_counts_and_releases() {
        let mut m = machine(ScenarioBuilder::new("x").lock("r", LockKind::RLock).thread(
            "T1",
            |t| {
                t.op("a", acquire("r"))
                    .op("a", acquire("r"))
                    .op("r", release("r"))
                    .op("r", release("r"));
            },
        ));
        assert_eq!(
            m.step(T1).unwrap().kind,
            EventKind::Acquired {
                lock: LockId(0),
                count: 1
            }
        );
        assert_eq!(
            m.step(T1).unwrap().kind,
            EventKind::Acquired {
                lock: LockId(0),
                count: 2
            }
        );
        assert_eq!(
            m.step(T1).unwrap().kind,
            EventKind::Released {
                lock: LockId(0),
                count: 1
            }
        );
        assert_eq!(m.lock_view(LockId(0)).unwrap().owner, Some(T1));
        m.step(T1).unwrap();
        assert!(matches!(m.outcome(), Some(Outcome::Finished { .. })));
    }

    #[test]
    fn releasing_an_unlocked_lock_is_a_runtime_error() {
        let mut m = machine(
            ScenarioBuilder::new("x")
                .lock("lock", LockKind::Lock)
                .thread("T1", |t| {
                    t.op("lock.release()", release("lock"));
                }),
        );
        let e = m.step(T1).unwrap();
        assert!(matches!(e.kind, EventKind::Raised(_)));
        assert_eq!(misuse(&m), "RuntimeError: release unlocked lock");
        // The exception ended T1 (there was no `finally:` around the release).
        assert_eq!(m.status(T1), Some(ThreadStatus::Finished));
        assert_eq!(
            m.raised(T1).map(ToString::to_string).as_deref(),
            Some("RuntimeError: release unlocked lock")
        );
    }

    #[test]
    fn a_lock_may_be_released_by_another_thread_but_an_rlock_may_not() {
        for (kind, ok) in [(LockKind::Lock, true), (LockKind::RLock, false)] {
            let mut m = machine(
                ScenarioBuilder::new("x")
                    .lock("l", kind)
                    .thread("T1", |t| {
                        t.op("acquire", acquire("l"));
                    })
                    .thread("T2", |t| {
                        t.op("release", release("l"));
                    }),
            );
            m.step(T1).unwrap();
            m.step(T2).unwrap();
            if ok {
                assert!(matches!(m.outcome(), Some(Outcome::Finished { .. })));
            } else {
                assert_eq!(misuse(&m), "RuntimeError: cannot release un-acquired lock");
            }
        }
    }
}
