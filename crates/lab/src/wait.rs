//! Waiting helpers for worker threads: a [`Backoff`], a start [`Gate`], and cancellable sleeps
//! and polls. Everything here may block, so it runs inside worker threads only, never on the
//! browser's main thread; every wait gives up on a cancel and at the run's deadline.

use std::hint::spin_loop;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use crate::env::Env;

/// Escalating politeness for a thread that waits by polling: spin a little, then yield, then
/// sleep.
///
/// Spinning alone is not enough here: on 2 cores with 4 threads the thread we wait for is often
/// descheduled, and in a Web Worker `std::thread::yield_now` does nothing, so after a short spin
/// the waiter sleeps and gives the core away.
#[derive(Debug, Default)]
pub struct Backoff {
    step: u32,
}

impl Backoff {
    const SPIN_LIMIT: u32 = 6;
    const YIELD_LIMIT: u32 = 10;

    /// A fresh backoff.
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits a little, a little longer each call.
    pub fn snooze(&mut self) {
        if self.step <= Self::SPIN_LIMIT {
            for _ in 0..(1u32 << self.step) {
                spin_loop();
            }
        } else if self.step <= Self::YIELD_LIMIT {
            std::thread::yield_now();
        } else {
            std::thread::sleep(Duration::from_micros(100));
        }
        self.step = self.step.saturating_add(1);
    }
}

/// Polls `done` until it returns true (then `true`), or until the run is cancelled or reaches
/// its deadline ([`Env::cancelled`], then `false`).
///
/// The wait for hand-shakes between an experiment's threads: the other thread's step normally
/// comes within microseconds, but if it never comes (the thread was lost, or waits for this one)
/// the run's deadline ends the wait instead of hanging.
pub fn wait_until(env: &Env, mut done: impl FnMut() -> bool) -> bool {
    let mut backoff = Backoff::new();
    loop {
        if done() {
            return true;
        }
        if env.cancelled() {
            return false;
        }
        backoff.snooze();
    }
}

/// Polls `done` until it returns true (then `true`), or until the run is cancelled, the
/// environment's clock passes `deadline_ms` or the run's own deadline (then `false`).
///
/// The wait for forced interleavings: a thread held back until another has taken its step
/// normally waits microseconds, but if that other thread never gets there (it was cancelled, or
/// panicked) the deadline still ends the wait, and the run goes on unforced.
pub fn wait_until_deadline(env: &Env, deadline_ms: f64, mut done: impl FnMut() -> bool) -> bool {
    let mut backoff = Backoff::new();
    loop {
        if done() {
            return true;
        }
        if env.cancelled() || env.now_ms() >= deadline_ms {
            return false;
        }
        backoff.snooze();
    }
}

/// How long a forced interleaving waits for one step of another thread before it gives up and
/// lets the run go on unforced: generous, since the step normally comes within microseconds.
pub const FORCE_WAIT_MS: f64 = 2000.0;

/// The longest single `thread::sleep` of a cancellable sleep: a cancel is noticed within this.
pub const SLICE_MS: f64 = 5.0;

/// Sleeps `ms` milliseconds in slices, measured on the environment's clock; `false` if the run
/// was cancelled (or reached its deadline) first.
pub fn sleep_ms(env: &Env, ms: f64) -> bool {
    let deadline = env.now_ms() + ms;
    loop {
        if env.cancelled() {
            return false;
        }
        let left = deadline - env.now_ms();
        if left <= 0.0 {
            return true;
        }
        std::thread::sleep(Duration::from_secs_f64(left.min(SLICE_MS) / 1000.0));
    }
}

/// Burns CPU for `iterations` rounds of arithmetic the optimiser cannot remove: the unit of
/// "CPU work" (see [`crate::sleep_cpu`] for how it is calibrated against the clock).
pub fn cpu_work(iterations: u64) -> u64 {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for i in 0..iterations {
        x = std::hint::black_box(x.rotate_left(5) ^ i).wrapping_mul(0x2545_F491_4F6C_DD1D);
    }
    x
}

/// A start gate for a fixed number of threads: each [`Gate::arrive_and_wait`]s, and all go on
/// together once the last has arrived.
///
/// Experiments start their workers behind a gate so the workers really overlap: spawning a
/// thread takes tens of microseconds, long enough for a first thread to finish a short loop
/// before the last one starts. The gate spins (then backs off), so it costs a few microseconds
/// of CPU. It gives up on a cancel and at the run's deadline ([`Env::deadline_ms`]), so a gate
/// whose threads never all arrive cannot hang a run.
#[derive(Debug)]
pub struct Gate {
    parties: u32,
    arrived: AtomicU32,
    opened_at: AtomicU64,
}

impl Gate {
    /// A gate for `parties` threads.
    pub fn new(parties: u32) -> Self {
        Self {
            parties,
            arrived: AtomicU32::new(0),
            opened_at: AtomicU64::new(0),
        }
    }

    /// Arrives and waits for the others: `true` once all have arrived, `false` if the run was
    /// cancelled or reached its deadline first. The last to arrive notes the time the gate
    /// opened.
    pub fn arrive_and_wait(&self, env: &Env) -> bool {
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.parties {
            self.opened_at
                .store(env.now_ms().to_bits(), Ordering::Release);
        }
        wait_until(env, || self.arrived.load(Ordering::Acquire) >= self.parties)
    }

    /// When the gate opened (clock milliseconds), if it has.
    pub fn opened_at_ms(&self) -> Option<f64> {
        (self.arrived.load(Ordering::Acquire) >= self.parties)
            .then(|| f64::from_bits(self.opened_at.load(Ordering::Acquire)))
    }
}

/// A tiny, fast, deterministic pseudo-random generator (SplitMix64), one per worker thread,
/// so experiments need no `rand` crate and a seed reproduces a run's choices.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`, or 0 when `n` is 0 (the tiny modulo bias does not matter here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64().checked_rem(n).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_deterministic_and_in_range() {
        let (mut a, mut b) = (SplitMix64::new(7), SplitMix64::new(7));
        for _ in 0..100 {
            let x = a.below(10);
            assert_eq!(x, b.below(10));
            assert!(x < 10);
        }
    }
}
