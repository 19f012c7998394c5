//! `threading.Semaphore` and `threading.BoundedSemaphore`: `SemAcquire`, `SemTryAcquire`,
//! `SemTimedAcquire`, `SemRelease`.
//!
//! A plain semaphore's count just grows on an extra release (CPython does not complain); a
//! bounded one raises `ValueError: Semaphore released too many times` when the release would
//! take it past its initial count.

use super::{overflow, Ctx};
use crate::event::EventKind;
use crate::machine::Machine;
use crate::outcome::{PyError, PyExc};
use crate::value::{RegId, SemId, Value};

impl Machine {
    /// Take a permit (the caller checked there is one); permits left.
    fn take_permit(&mut self, ti: usize, s: usize) -> u32 {
        let left = self.sems[s].saturating_sub(1);
        self.sems[s] = left;
        let nsems = self.scn.sems.len();
        let ready = self.aux.as_deref_mut().map_or(0, |a| {
            let held = &mut a.sem_held[ti * nsems + s];
            *held = held.saturating_add(1);
            a.sem_free_at[s].take()
        });
        self.start(ti, ready);
        left
    }

    /// `sem.acquire()` (the caller is not blocked, so a permit is left).
    pub(super) fn sem_acquire(&mut self, c: Ctx, sem: SemId) -> EventKind {
        let permits_left = self.take_permit(c.ti, sem.index());
        EventKind::SemAcquired { sem, permits_left }
    }

    /// `dst = sem.acquire(blocking=False)`.
    pub(super) fn sem_try_acquire(&mut self, c: Ctx, sem: SemId, dst: RegId) -> EventKind {
        let ok = self.sems[sem.index()] > 0;
        if ok {
            self.take_permit(c.ti, sem.index());
        } else {
            self.start(c.ti, 0);
        }
        c.set(self, dst, Value::Bool(ok));
        EventKind::SemTried { sem, ok }
    }

    /// `dst = sem.acquire(timeout=…)`: a permit if one is left, else the timeout expiring.
    pub(super) fn sem_timed_acquire(&mut self, c: Ctx, sem: SemId, dst: RegId) -> EventKind {
        if self.sems[sem.index()] > 0 {
            let kind = self.sem_acquire(c, sem);
            c.set(self, dst, Value::Bool(true));
            kind
        } else {
            self.start(c.ti, 0);
            c.set(self, dst, Value::Bool(false));
            EventKind::SemTimedOut { sem }
        }
    }

    /// `sem.release()`.
    pub(super) fn sem_release(&mut self, c: Ctx, sem: SemId) -> Result<EventKind, PyError> {
        let s = sem.index();
        let decl = &self.scn.sems[s];
        if decl.bounded && self.sems[s] >= decl.initial {
            return Err(PyError::new(
                PyExc::ValueError,
                "Semaphore released too many times",
            ));
        }
        let permits = self.sems[s].checked_add(1).ok_or_else(overflow)?;
        let now = self.start(c.ti, 0);
        self.sems[s] = permits;
        let nsems = self.scn.sems.len();
        let ti = c.ti;
        self.aux_mut(|a| {
            a.sem_free_at[s].give(now);
            let held = &mut a.sem_held[ti * nsems + s];
            *held = held.saturating_sub(1);
        });
        Ok(EventKind::SemReleased { sem, permits })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::prelude::*;
    use crate::samples;
    use crate::SemId;

    #[test]
    fn semaphore_over_release_raises_the_count_but_bounded_raises_value_error() {
        for bounded in [false, true] {
            let b = ScenarioBuilder::new("x");
            let b = if bounded {
                b.bounded_semaphore("s", 1)
            } else {
                b.semaphore("s", 1)
            };
            let mut m = machine(b.thread("T1", |t| {
                t.op("s.release()", sem_release("s"));
            }));
            m.step(T1).unwrap();
            if bounded {
                assert_eq!(misuse(&m), "ValueError: Semaphore released too many times");
            } else {
                assert_eq!(m.sem_view(SemId(0)).unwrap().permits, 2);
            }
        }
    }

    #[test]
    fn semaphore_pool_timeline_runs_in_waves() {
        let mut m = Machine::new(samples::semaphore_pool(5, 2)).unwrap();
        let (_, outcome) = crate::run_in_place(&mut m, &mut crate::RoundRobin::new(), 1000);
        assert!(matches!(outcome, Some(Outcome::Finished { .. })));
        assert_eq!(m.elapsed_ms(), 300);
    }
}
