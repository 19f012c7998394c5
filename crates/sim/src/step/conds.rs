//! `threading.Condition`: `CondWait` (two phases: release and wait for a notify, then
//! re-acquire), `CondNotify`, `CondNotifyAll`. Waiting or notifying without the condition's
//! lock raises `RuntimeError`, with CPython's messages.

use super::{runtime, Ctx, Flow};
use crate::event::EventKind;
use crate::machine::{Machine, Phase};
use crate::outcome::PyError;
use crate::value::{CondId, ThreadId};

impl Machine {
    /// `cond.wait()`: in the first phase, release the lock fully and start waiting (the thread
    /// stays on the op); in the second, once notified and the lock is free, take it back with
    /// its saved count and return.
    pub(super) fn cond_wait(&mut self, c: Ctx, cond: CondId) -> Result<(EventKind, Flow), PyError> {
        let (t, ti) = (c.t, c.ti);
        let lock = self.scn.conds[cond.index()].lock;
        match self.threads[ti].phase {
            Phase::Run => {
                if !self.owns(lock, t) {
                    return Err(runtime("cannot wait on un-acquired lock"));
                }
                let now = self.start(ti, 0);
                // `_release_save`: an RLock gives up all its levels at once, and the
                // count comes back in `_acquire_restore`.
                let count = std::mem::replace(&mut self.locks[lock.index()].count, 0);
                self.locks[lock.index()].owner = None;
                self.aux_mut(|a| a.lock_free_at[lock.index()] = now);
                self.conds[cond.index()].push(t);
                self.threads[ti].phase = Phase::WaitNotify { count };
                Ok((EventKind::CondWaiting { cond, lock }, Flow::Stay))
            }
            Phase::WaitNotify { count } | Phase::Reacquire { count } => {
                let ready = self.aux_get(|a| a.woken_at[ti].max(a.lock_free_at[lock.index()]));
                self.start(ti, ready);
                self.locks[lock.index()].count = count.max(1);
                self.locks[lock.index()].owner = Some(t);
                self.threads[ti].phase = Phase::Run;
                Ok((EventKind::CondReturned { cond, lock }, Flow::Next))
            }
        }
    }

    /// `cond.notify(n)` (`n == usize::MAX`: `notify_all()`): wake the `n` longest waiters.
    pub(super) fn notify(&mut self, c: Ctx, cond: CondId, n: usize) -> Result<EventKind, PyError> {
        let lock = self.scn.conds[cond.index()].lock;
        if !self.owns(lock, c.t) {
            return Err(runtime("cannot notify on un-acquired lock"));
        }
        let now = self.start(c.ti, 0);
        let waiters = &mut self.conds[cond.index()];
        let woken: Vec<ThreadId> = waiters.drain(..n.min(waiters.len())).collect();
        for w in &woken {
            let st = &mut self.threads[w.index()];
            if let Phase::WaitNotify { count } = st.phase {
                st.phase = Phase::Reacquire { count };
            }
        }
        self.aux_mut(|a| {
            for w in &woken {
                a.woken_at[w.index()] = now;
            }
        });
        Ok(EventKind::Notified { cond, woken })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::prelude::*;
    use crate::{BlockReason, CondId, EventKind, LockId, ThreadStatus, WaitKind};

    #[test]
    fn condition_wait_is_two_phases_and_restores_rlock_count() {
        let mut m = machine(
            ScenarioBuilder::new("x")
                .lock("l", LockKind::RLock)
                .condition("cv", "l")
                .thread("T1", |t| {
                    t.op("a", acquire("l"))
                        .op("a", acquire("l"))
                        .op("wait", wait("cv"))
                        .op("r", release("l"));
                })
                .thread("T2", |t| {
                    t.op("a", acquire("l"))
                        .op("notify", notify("cv", 1))
                        .op("r", release("l"));
                }),
        );
        m.step(T1).unwrap();
        m.step(T1).unwrap();
        let e = m.step(T1).unwrap();
        assert_eq!(e.to_string(), "T1 released `l` and waits on `cv`");
        assert_eq!(m.lock_view(LockId(0)).unwrap().count, 0);
        assert!(matches!(
            m.status(T1),
            Some(ThreadStatus::Blocked(BlockReason {
                waits_for: WaitKind::Notify(_),
                ..
            }))
        ));
        m.step(T2).unwrap();
        m.step(T2).unwrap();
        assert!(matches!(
            m.status(T1),
            Some(ThreadStatus::Blocked(BlockReason {
                waits_for: WaitKind::CondLock(..),
                holder: Some(T2),
                ..
            }))
        ));
        m.step(T2).unwrap();
        let e = m.step(T1).unwrap();
        assert_eq!(
            e.kind,
            EventKind::CondReturned {
                cond: CondId(0),
                lock: LockId(0)
            }
        );
        assert_eq!(m.lock_view(LockId(0)).unwrap().count, 2);
    }

    #[test]
    fn condition_misuse_uses_cpython_messages() {
        let mut m = machine(
            ScenarioBuilder::new("x")
                .lock("l", LockKind::Lock)
                .condition("cv", "l")
                .thread("T1", |t| {
                    t.op("wait", wait("cv"));
                }),
        );
        m.step(T1).unwrap();
        assert_eq!(misuse(&m), "RuntimeError: cannot wait on un-acquired lock");
        let mut m = machine(
            ScenarioBuilder::new("x")
                .lock("l", LockKind::RLock)
                .condition("cv", "l")
                .thread("T1", |t| {
                    t.op("notify_all", notify_all("cv"));
                }),
        );
        m.step(T1).unwrap();
        assert_eq!(
            misuse(&m),
            "RuntimeError: cannot notify on un-acquired lock"
        );
    }
}
