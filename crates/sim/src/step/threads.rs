//! `Thread.join()`: `JoinThread` blocks until the other thread has ended; joining the current
//! thread raises `RuntimeError: cannot join current thread`, as in CPython.

use super::{runtime, Ctx};
use crate::event::EventKind;
use crate::machine::Machine;
use crate::outcome::PyError;
use crate::value::ThreadId;

impl Machine {
    /// `thread.join()` (the caller is not blocked, so `thread` has ended, or is the caller).
    pub(super) fn join_thread(&mut self, c: Ctx, thread: ThreadId) -> Result<EventKind, PyError> {
        if thread == c.t {
            return Err(runtime("cannot join current thread"));
        }
        let ready = self.aux_get(|a| a.clock[thread.index()]);
        self.start(c.ti, ready);
        Ok(EventKind::JoinedThread { thread })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::prelude::*;

    #[test]
    fn joining_the_current_thread_is_a_runtime_error() {
        let mut m = machine(ScenarioBuilder::new("x").thread("T1", |t| {
            t.op("t.join()", join_thread("T1"));
        }));
        m.step(T1).unwrap();
        assert_eq!(misuse(&m), "RuntimeError: cannot join current thread");
    }
}
