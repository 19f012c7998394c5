//! Schedulers: who runs next. A [`Scheduler`] is an oracle asked for one pick at a time (in the
//! manner of awslabs/shuttle); manual stepping is simply the UI calling
//! [`Machine::step`]/[`Run::step`] itself.

use crate::machine::Machine;
use crate::outcome::Outcome;
use crate::run::Run;
use crate::schedule::Schedule;
use crate::value::ThreadId;

/// Picks the next thread to step.
pub trait Scheduler {
    /// The thread to step next in `m`, or `None` to stop. Picking a thread that cannot step
    /// also stops [`run_to_end`].
    fn pick(&mut self, m: &Machine) -> Option<ThreadId>;

    /// Forget any per-run state, to start a new run.
    fn reset(&mut self) {}
}

/// The next runnable thread after `after` in id order, wrapping around (`T1` if `after` is
/// `None`).
fn next_after(m: &Machine, after: Option<ThreadId>) -> Option<ThreadId> {
    let runnable = m.runnable();
    let start = after.map_or(0, |t| usize::from(t.0) + 1);
    runnable
        .iter()
        .copied()
        .find(|t| usize::from(t.0) >= start)
        .or_else(|| runnable.first().copied())
}

/// One step per thread in turn: T1, T2, T3, T1, … skipping threads that cannot run.
#[derive(Clone, Debug, Default)]
pub struct RoundRobin {
    last: Option<ThreadId>,
}

impl RoundRobin {
    /// A round-robin scheduler starting with `T1`.
    pub fn new() -> Self {
        RoundRobin::default()
    }
}

impl Scheduler for RoundRobin {
    fn pick(&mut self, m: &Machine) -> Option<ThreadId> {
        let t = next_after(m, self.last)?;
        self.last = Some(t);
        Some(t)
    }

    fn reset(&mut self) {
        self.last = None;
    }
}

/// A uniformly random runnable thread each step, from a seeded SplitMix64 generator: the same
/// seed gives the same run on every platform, wasm32 included.
#[derive(Clone, Debug)]
pub struct SeededRandom {
    seed: u64,
    state: u64,
}

impl SeededRandom {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRandom { seed, state: seed }
    }

    /// The next 64 random bits (SplitMix64).
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0), without modulo bias worth mentioning.
    pub fn below(&mut self, n: usize) -> usize {
        // Lemire's multiply-shift: the high half of a 64x64 product is uniform enough for
        // n <= 8 and needs no division.
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

impl Scheduler for SeededRandom {
    fn pick(&mut self, m: &Machine) -> Option<ThreadId> {
        let runnable = m.runnable();
        let i = self.below(runnable.len());
        runnable.get(i).copied()
    }

    fn reset(&mut self) {
        self.state = self.seed;
    }
}

/// Like CPython's switch interval: keep running the current thread for `k` steps or until it
/// blocks or finishes, then move to the next runnable thread in id order.
#[derive(Clone, Debug)]
pub struct SwitchInterval {
    k: usize,
    current: Option<ThreadId>,
    ran: usize,
}

impl SwitchInterval {
    /// Switch every `k` steps (`k` of 0 is treated as 1).
    pub fn new(k: usize) -> Self {
        SwitchInterval {
            k: k.max(1),
            current: None,
            ran: 0,
        }
    }
}

impl Scheduler for SwitchInterval {
    fn pick(&mut self, m: &Machine) -> Option<ThreadId> {
        if let Some(t) = self.current {
            if self.ran < self.k && m.can_step(t) {
                self.ran += 1;
                return Some(t);
            }
        }
        let t = next_after(m, self.current)?;
        self.current = Some(t);
        self.ran = 1;
        Some(t)
    }

    fn reset(&mut self) {
        self.current = None;
        self.ran = 0;
    }
}

/// Replays a recorded schedule, then stops.
#[derive(Clone, Debug)]
pub struct Replay {
    schedule: Schedule,
    pos: usize,
}

impl Replay {
    /// Replay `schedule` from its start.
    pub fn new(schedule: Schedule) -> Self {
        Replay { schedule, pos: 0 }
    }
}

impl Scheduler for Replay {
    fn pick(&mut self, _m: &Machine) -> Option<ThreadId> {
        let t = self.schedule.steps().get(self.pos).copied()?;
        self.pos += 1;
        Some(t)
    }

    fn reset(&mut self) {
        self.pos = 0;
    }
}

/// Step `machine` with `scheduler` until the run ends, the scheduler stops (or picks a thread
/// that cannot step), or `max_steps` steps were taken. Returns the recorded run (with undo) and
/// the outcome, `None` if it stopped before the end.
pub fn run_to_end(
    machine: Machine,
    scheduler: &mut dyn Scheduler,
    max_steps: usize,
) -> (Run, Option<Outcome>) {
    let mut run = Run::from_machine(machine);
    for _ in 0..max_steps {
        if run.outcome().is_some() {
            break;
        }
        let Some(t) = scheduler.pick(run.machine()) else {
            break;
        };
        if run.step(t).is_err() {
            break;
        }
    }
    let outcome = run.outcome().cloned();
    (run, outcome)
}

/// [`run_to_end`] in place, without recording snapshots or events: for many quick runs.
/// Returns the schedule taken and the outcome.
pub fn run_in_place(
    machine: &mut Machine,
    scheduler: &mut dyn Scheduler,
    max_steps: usize,
) -> (Schedule, Option<Outcome>) {
    let mut schedule = Schedule::new();
    for _ in 0..max_steps {
        if machine.is_over() {
            break;
        }
        let Some(t) = scheduler.pick(machine) else {
            break;
        };
        if machine.step_kind(t).is_err() {
            break;
        }
        schedule.push(t);
    }
    (schedule, machine.outcome().cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_deterministic_and_matches_reference() {
        // First outputs of SplitMix64 seeded with 0 (reference values from the original C).
        let mut r = SeededRandom::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        let mut a = SeededRandom::new(42);
        let mut b = SeededRandom::new(42);
        for _ in 0..100 {
            assert_eq!(a.below(3), b.below(3));
        }
        assert_eq!(a.below(0), 0);
    }

    fn picks(scheduler: &mut dyn Scheduler, scn: std::sync::Arc<crate::Scenario>) -> String {
        let m = Machine::new(scn).unwrap();
        let (run, outcome) = run_to_end(m, scheduler, 1000);
        assert!(outcome.is_some());
        run.schedule().encode()
    }

    #[test]
    fn round_robin_alternates_and_skips_blocked_threads() {
        assert_eq!(
            picks(&mut RoundRobin::new(), crate::samples::race(2, 1, false)),
            "1.abababab"
        );
        // With the lock, T2 blocks on acquire while T1 holds it, so T1 runs on.
        assert_eq!(
            picks(&mut RoundRobin::new(), crate::samples::race(2, 1, true)),
            "1.a6b6"
        );
    }

    #[test]
    fn switch_interval_runs_each_thread_k_steps() {
        assert_eq!(
            picks(
                &mut SwitchInterval::new(3),
                crate::samples::race(2, 1, false)
            ),
            "1.a3b3ab"
        );
        assert_eq!(
            picks(
                &mut SwitchInterval::new(100),
                crate::samples::race(2, 1, false)
            ),
            "1.a4b4"
        );
    }

    #[test]
    fn seeded_random_repeats_itself_and_replay_follows_the_schedule() {
        let scn = crate::samples::race(3, 2, false);
        let a = picks(&mut SeededRandom::new(7), scn.clone());
        let mut again = SeededRandom::new(7);
        assert_eq!(picks(&mut again, scn.clone()), a);
        again.reset();
        assert_eq!(picks(&mut again, scn.clone()), a);
        let replayed = picks(&mut Replay::new(Schedule::decode(&a).unwrap()), scn);
        assert_eq!(replayed, a);
    }
}
