//! Control flow and markers: `Jump`, `JumpIf`, `Assert`, the critical-section markers `Enter` and
//! `Exit`, `Print` and `Nop`. None of them touches a shared object.

use super::{Ctx, Flow};
use crate::event::EventKind;
use crate::machine::Machine;
use crate::outcome::{CheckRef, Outcome};
use crate::value::{RegId, SectionId};

impl Machine {
    /// Continue at `target`.
    pub(super) fn jump(&mut self, c: Ctx, target: u16) -> (EventKind, Flow) {
        self.start(c.ti, 0);
        (
            EventKind::Branched {
                taken: true,
                target,
            },
            Flow::To(target),
        )
    }

    /// Continue at `target` if `cond`'s truthiness is `when`.
    pub(super) fn jump_if(
        &mut self,
        c: Ctx,
        cond: RegId,
        when: bool,
        target: u16,
    ) -> (EventKind, Flow) {
        self.start(c.ti, 0);
        let taken = self.regs[c.base + cond.index()].truthy() == when;
        let flow = if taken { Flow::To(target) } else { Flow::Next };
        (EventKind::Branched { taken, target }, flow)
    }

    /// `assert cond, message`: a falsy `cond` ends the run with [`Outcome::Violated`].
    pub(super) fn assert(&mut self, c: Ctx, cond: RegId, message: &str) -> (EventKind, Flow) {
        self.start(c.ti, 0);
        let ok = self.regs[c.base + cond.index()].truthy();
        if !ok {
            let pc = u16::try_from(c.pc).unwrap_or(u16::MAX);
            self.outcome = Some(Outcome::Violated {
                check: CheckRef::Assert { thread: c.t, pc },
                message: message.to_string(),
                vars: self.vars(),
            });
            return (EventKind::Asserted { ok }, Flow::Stay);
        }
        (EventKind::Asserted { ok }, Flow::Next)
    }

    /// Enter a critical section (for section checks).
    pub(super) fn enter(&mut self, c: Ctx, section: SectionId) -> EventKind {
        self.start(c.ti, 0);
        self.threads[c.ti].sections |= 1u64.checked_shl(u32::from(section.0)).unwrap_or(0);
        EventKind::Entered { section }
    }

    /// Leave a critical section.
    pub(super) fn exit(&mut self, c: Ctx, section: SectionId) -> EventKind {
        self.start(c.ti, 0);
        self.threads[c.ti].sections &= !1u64.checked_shl(u32::from(section.0)).unwrap_or(0);
        EventKind::Exited { section }
    }

    /// `print(text)`: output only, no state.
    pub(super) fn print(&mut self, c: Ctx, text: &str) -> EventKind {
        self.start(c.ti, 0);
        EventKind::Printed {
            text: text.to_string(),
        }
    }

    /// A step with no effect.
    pub(super) fn nop(&mut self, c: Ctx) -> EventKind {
        self.start(c.ti, 0);
        EventKind::Nothing
    }
}
