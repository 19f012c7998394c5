//! `queue.Queue`: `QueuePut` (blocks while full), `QueueGet` (blocks while empty), `TaskDone`,
//! `QueueJoin` (blocks until every item put has been marked done). One `task_done()` too many
//! raises `ValueError`, as in CPython.

use super::{overflow, Ctx};
use crate::event::EventKind;
use crate::machine::Machine;
use crate::op::Operand;
use crate::outcome::{PyError, PyExc};
use crate::value::{QueueId, RegId};

impl Machine {
    /// `queue.put(src)` (the caller is not blocked, so there is room).
    pub(super) fn queue_put(
        &mut self,
        c: Ctx,
        queue: QueueId,
        src: &Operand,
    ) -> Result<EventKind, PyError> {
        let q = queue.index();
        let value = c.operand(self, src);
        let unfinished = self.queues[q]
            .unfinished
            .checked_add(1)
            .ok_or_else(overflow)?;
        let bounded = self.scn.queues[q].maxsize.is_some();
        let ready = if bounded {
            self.aux
                .as_deref_mut()
                .map_or(0, |a| a.slot_free_at[q].take())
        } else {
            0
        };
        let now = self.start(c.ti, ready);
        let st = &mut self.queues[q];
        st.items.push(value);
        st.unfinished = unfinished;
        let len = st.items.len();
        self.aux_mut(|a| a.item_at[q].push(now));
        Ok(EventKind::Put { queue, value, len })
    }

    /// `dst = queue.get()` (the caller is not blocked, so there is an item).
    pub(super) fn queue_get(&mut self, c: Ctx, queue: QueueId, dst: RegId) -> EventKind {
        let q = queue.index();
        if self.queues[q].items.is_empty() {
            // Unreachable (the thread would be blocked), but never worth a panic.
            return EventKind::Nothing;
        }
        let value = self.queues[q].items.remove(0);
        let ready = self.aux.as_deref_mut().map_or(0, |a| {
            if a.item_at[q].is_empty() {
                0
            } else {
                a.item_at[q].remove(0)
            }
        });
        let now = self.start(c.ti, ready);
        if self.scn.queues[q].maxsize.is_some() {
            self.aux_mut(|a| a.slot_free_at[q].give(now));
        }
        c.set(self, dst, value);
        EventKind::Got {
            queue,
            value,
            len: self.queues[q].items.len(),
        }
    }

    /// `queue.task_done()`.
    pub(super) fn task_done(&mut self, c: Ctx, queue: QueueId) -> Result<EventKind, PyError> {
        let q = queue.index();
        let Some(unfinished) = self.queues[q].unfinished.checked_sub(1) else {
            return Err(PyError::new(
                PyExc::ValueError,
                "task_done() called too many times",
            ));
        };
        let now = self.start(c.ti, 0);
        self.queues[q].unfinished = unfinished;
        if unfinished == 0 {
            self.aux_mut(|a| a.done_at[q] = now);
        }
        Ok(EventKind::TaskDone { queue, unfinished })
    }

    /// `queue.join()` (the caller is not blocked, so every task is done).
    pub(super) fn queue_join(&mut self, c: Ctx, queue: QueueId) -> EventKind {
        let ready = self.aux_get(|a| a.done_at[queue.index()]);
        self.start(c.ti, ready);
        EventKind::Joined { queue }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::prelude::*;

    #[test]
    fn queue_task_done_too_often_raises() {
        let mut m = machine(ScenarioBuilder::new("x").queue("q", 0).thread("T1", |t| {
            t.op("q.task_done()", task_done("q"));
        }));
        m.step(T1).unwrap();
        assert_eq!(misuse(&m), "ValueError: task_done() called too many times");
    }
}
