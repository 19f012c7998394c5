//! `threading.local()`: `LocalSet` and `LocalGet`. Each thread sees only the attributes it set
//! itself; reading one it never set raises `AttributeError`, with CPython's message.

use super::Ctx;
use crate::event::EventKind;
use crate::machine::Machine;
use crate::op::Operand;
use crate::outcome::{PyError, PyExc};
use crate::value::{LocalId, RegId};

impl Machine {
    /// `local.slot = src`.
    pub(super) fn local_set(&mut self, c: Ctx, slot: LocalId, src: &Operand) -> EventKind {
        self.start(c.ti, 0);
        let value = c.operand(self, src);
        let n = self.threads.len();
        self.locals[slot.index() * n + c.ti] = Some(value);
        EventKind::LocalSet { slot, value }
    }

    /// `dst = local.slot`.
    pub(super) fn local_get(
        &mut self,
        c: Ctx,
        slot: LocalId,
        dst: RegId,
    ) -> Result<EventKind, PyError> {
        let n = self.threads.len();
        let Some(value) = self.locals[slot.index() * n + c.ti] else {
            return Err(PyError::new(
                PyExc::AttributeError,
                format!(
                    "'_thread._local' object has no attribute '{}'",
                    self.scn.local_name(slot)
                ),
            ));
        };
        self.start(c.ti, 0);
        c.set(self, dst, value);
        Ok(EventKind::LocalGot { slot, value })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::prelude::*;

    #[test]
    fn reading_an_unset_local_raises_attribute_error() {
        let mut m = machine(ScenarioBuilder::new("x").local("x").thread("T1", |t| {
            t.op("local.x", local_get("x", "v"));
        }));
        m.step(T1).unwrap();
        assert_eq!(
            misuse(&m),
            "AttributeError: '_thread._local' object has no attribute 'x'"
        );
    }
}
