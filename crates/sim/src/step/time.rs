//! Virtual time: `Sleep` (occupies the thread, releases the GIL) and `Work` (occupies the thread
//! and, with a GIL, the GIL). See the timeline model on [`Machine::elapsed_ms`].

use super::Ctx;
use crate::event::EventKind;
use crate::machine::Machine;

impl Machine {
    /// `time.sleep(ms / 1000)`.
    pub(super) fn sleep(&mut self, c: Ctx, ms: u32) -> EventKind {
        self.start(c.ti, 0);
        self.last_for(c.ti, ms, false);
        EventKind::Slept { ms }
    }

    /// CPU-bound work for `ms`.
    pub(super) fn work(&mut self, c: Ctx, ms: u32) -> EventKind {
        self.start(c.ti, 0);
        self.last_for(c.ti, ms, true);
        EventKind::Worked { ms }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::prelude::*;

    #[test]
    fn sleep_and_work_advance_virtual_time() {
        let mut m = machine(
            ScenarioBuilder::new("x")
                .gil(true)
                .thread("T1", |t| {
                    t.op("work", work(30)).op("sleep", sleep(100));
                })
                .thread("T2", |t| {
                    t.op("work", work(50));
                }),
        );
        m.step(T1).unwrap();
        let e = m.step(T1).unwrap();
        assert_eq!((e.start_ms, e.end_ms), (30, 130));
        let e = m.step(T2).unwrap();
        // The GIL was busy with T1's work until 30.
        assert_eq!((e.start_ms, e.end_ms), (30, 80));
        assert_eq!(m.elapsed_ms(), 130);
    }
}
