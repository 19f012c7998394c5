//! The counter experiment: `threads` workers each add 1 to a shared counter `increments` times,
//! racy or through a mutex, an atomic, a spin lock or an emulated GIL, and the report compares
//! what was expected with what the counter holds.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::env::Env;
use crate::params::{in_range, threads_in_range, ParamError};
use crate::primitives::{Gil, SpinLock};
use crate::report::{per_sec, Figure};
use crate::wait::Gate;

/// How the workers add 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterMode {
    /// `let v = counter.load(Relaxed); counter.store(v + 1, Relaxed)`: a real lost-update race
    /// (two workers load the same value and both store `v + 1`) with no undefined behaviour.
    Racy,
    /// `*std::sync::Mutex<u64>::lock() += 1`. Exact.
    Mutex,
    /// `counter.fetch_add(1, Relaxed)`: one indivisible read-modify-write. Exact and fast.
    Atomic,
    /// The racy load-then-store, guarded by the lab's compare-exchange [`SpinLock`]. Exact;
    /// slow under contention with more threads than cores.
    SpinLock,
    /// The racy load-then-store run as two "bytecode" micro-steps under an emulated GIL that
    /// switches threads every `switch_every` micro-steps, as CPython's switch interval does.
    ///
    /// An odd `switch_every` lets every other switch land between a load and its store, and the
    /// increments other threads make meanwhile are overwritten: lost, GIL or not. That is what
    /// CPython 3.8/3.9 could do (the switch request was honoured at almost any instruction). An
    /// even one only ever switches between whole increments, and nothing is lost: that is
    /// CPython 3.10+ on the tutorial's loop, which honours a switch only at calls, backward
    /// jumps and function entry (see docs/python-findings.md).
    Gil {
        /// Micro-steps (a load or a store) between switches, 1..=[`MAX_SWITCH_EVERY`].
        switch_every: u32,
    },
}

impl CounterMode {
    /// Kebab-case name: `racy`, `mutex`, `atomic`, `spin-lock`, `gil`.
    pub fn slug(&self) -> &'static str {
        match self {
            CounterMode::Racy => "racy",
            CounterMode::Mutex => "mutex",
            CounterMode::Atomic => "atomic",
            CounterMode::SpinLock => "spin-lock",
            CounterMode::Gil { .. } => "gil",
        }
    }

    /// Whether the mode guarantees an exact count.
    pub fn is_exact(&self) -> bool {
        match self {
            CounterMode::Racy => false,
            CounterMode::Mutex | CounterMode::Atomic | CounterMode::SpinLock => true,
            CounterMode::Gil { switch_every } => switch_every % 2 == 0,
        }
    }
}

impl fmt::Display for CounterMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CounterMode::Gil { switch_every } => write!(f, "gil (switch every {switch_every})"),
            other => f.write_str(other.slug()),
        }
    }
}

/// The most increments per thread: 20 M, a few hundred milliseconds per thread natively.
pub const MAX_INCREMENTS: u64 = 20_000_000;
/// The most increments of one run, all threads together: 80 M (4 threads × 20 M), which keeps
/// even a contended spin lock on 2 cores to seconds.
pub const MAX_TOTAL_INCREMENTS: u64 = 80_000_000;
/// The longest GIL switch interval, in micro-steps.
pub const MAX_SWITCH_EVERY: u32 = 1_000_000;
/// The default GIL switch interval: odd, so switches can land between a load and its store.
pub const DEFAULT_SWITCH_EVERY: u32 = 1001;

/// Parameters of the counter experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CounterParams {
    /// How the workers add 1.
    pub mode: CounterMode,
    /// Worker threads, 1..=the runner's `max_threads`.
    pub threads: u32,
    /// Increments per thread, 1..=[`MAX_INCREMENTS`], and at most [`MAX_TOTAL_INCREMENTS`] for
    /// all threads together.
    pub increments: u64,
}

impl Default for CounterParams {
    /// Racy, 4 threads × 5 M: on 2 cores 4 × 1 M lost nothing in 10–25 % of runs, 4 × 5 M lost
    /// updates in every one of 15 runs.
    fn default() -> Self {
        Self {
            mode: CounterMode::Racy,
            threads: 4,
            increments: 5_000_000,
        }
    }
}

impl CounterParams {
    /// The defaults with another mode.
    pub fn with_mode(mode: CounterMode) -> Self {
        Self {
            mode,
            ..Self::default()
        }
    }

    /// Checks every bound; `max_threads` is the runner's.
    pub fn validate(&self, max_threads: usize) -> Result<(), ParamError> {
        threads_in_range("threads", self.threads, 1, max_threads, 0, "")?;
        in_range("increments", self.increments, 1, MAX_INCREMENTS)?;
        if u64::from(self.threads) * self.increments > MAX_TOTAL_INCREMENTS {
            return Err(ParamError::new(
                "increments",
                format!("threads × increments must be at most {MAX_TOTAL_INCREMENTS}"),
            ));
        }
        if let CounterMode::Gil { switch_every } = self.mode {
            in_range("switch_every", switch_every, 1, MAX_SWITCH_EVERY)?;
        }
        Ok(())
    }
}

/// What a counter run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct CounterReport {
    /// How the workers added 1.
    pub mode: CounterMode,
    /// Worker threads.
    pub threads: u32,
    /// Increments each thread was asked for.
    pub increments_per_thread: u64,
    /// Increments actually performed (all of them unless cancelled).
    pub expected: u64,
    /// What the counter holds at the end.
    pub actual: u64,
    /// `expected - actual`: updates overwritten by another thread's store.
    pub lost: u64,
    /// From the moment the start gate opened to the moment the last worker finished.
    pub ms: f64,
    /// `expected` per second.
    pub per_sec: f64,
    /// Spins wasted waiting for the spin lock (spin-lock mode; 0 otherwise).
    pub spins: u64,
    /// Times the GIL changed hands (GIL mode; 0 otherwise).
    pub gil_switches: u64,
    /// One sentence on why this mode is, or is not, exact.
    pub explanation: &'static str,
    /// True if the run was cancelled; the figures then cover the increments done so far.
    pub cancelled: bool,
}

impl CounterReport {
    /// The report's figures, for the UI.
    pub fn figures(&self) -> Vec<Figure> {
        let mut figures = vec![
            Figure::new("mode", "Mode", self.mode.to_string()),
            Figure::int("threads", "Threads", self.threads),
            Figure::int(
                "increments",
                "Increments per thread",
                self.increments_per_thread,
            ),
            Figure::int("expected", "Expected", self.expected),
            Figure::int("actual", "Actual", self.actual),
            Figure::int("lost", "Lost updates", self.lost),
            Figure::ms("ms", "Time (ms)", self.ms),
            Figure::real("per-sec", "Increments per second", self.per_sec, 0),
        ];
        match self.mode {
            CounterMode::SpinLock => {
                figures.push(Figure::int("spins", "Spins while waiting", self.spins))
            }
            CounterMode::Gil { .. } => {
                figures.push(Figure::int(
                    "gil-switches",
                    "GIL switches",
                    self.gil_switches,
                ));
                let lands = if self.mode.is_exact() {
                    "only between whole increments"
                } else {
                    "between a load and its store"
                };
                figures.push(Figure::new("switch-lands", "A switch can land", lands));
            }
            _ => {}
        }
        figures.push(Figure::new("why", "Why", self.explanation));
        figures.push(Figure::flag("cancelled", "Cancelled", self.cancelled));
        figures
    }
}

fn explanation(mode: CounterMode) -> &'static str {
    match mode {
        CounterMode::Racy => {
            "load then store is two steps: two threads can load the same value and both store \
             value + 1, so one increment is lost"
        }
        CounterMode::Mutex => "only one thread at a time runs load-add-store, so none is lost",
        CounterMode::Atomic => "fetch_add reads, adds and writes as one indivisible step",
        CounterMode::SpinLock => {
            "the same load then store, but only the thread whose compare-exchange took the lock \
             runs it"
        }
        CounterMode::Gil { switch_every } if switch_every % 2 == 0 => {
            "the GIL switches only after a store, between whole increments, so none is lost (like \
             CPython 3.10+ on the tutorial's loop)"
        }
        CounterMode::Gil { .. } => {
            "the GIL can switch after a load and before its store (as CPython 3.8/3.9 could): the \
             other threads' increments made meanwhile are overwritten, GIL or not"
        }
    }
}

/// How often workers check for a cancel: every this many increments.
const CANCEL_EVERY: u64 = 4096;

/// Runs the counter experiment (parameters already validated).
pub(crate) fn run(params: &CounterParams, env: &Env) -> CounterReport {
    let threads = params.threads;
    let counter = AtomicU64::new(0);
    let mutex = Mutex::new(0u64);
    let spin = SpinLock::new();
    let gil = Gil::new();
    let done = AtomicU64::new(0);
    let spins = AtomicU64::new(0);
    let gate = Gate::new(threads);

    env.runner.run(threads as usize, &|_| {
        if !gate.arrive_and_wait(env) {
            return;
        }
        let (n, wasted) = match params.mode {
            CounterMode::Racy => racy(&counter, params.increments, env),
            CounterMode::Mutex => locked(&mutex, params.increments, env),
            CounterMode::Atomic => atomic(&counter, params.increments, env),
            CounterMode::SpinLock => spin_locked(&spin, &counter, params.increments, env),
            CounterMode::Gil { switch_every } => under_gil(
                &gil,
                threads,
                &counter,
                params.increments,
                switch_every,
                env,
            ),
        };
        done.fetch_add(n, Ordering::Relaxed);
        spins.fetch_add(wasted, Ordering::Relaxed);
    });
    let end = env.now_ms();

    let actual = match params.mode {
        CounterMode::Mutex => *mutex.lock().unwrap_or_else(PoisonError::into_inner),
        _ => counter.load(Ordering::Relaxed),
    };
    let expected = done.load(Ordering::Relaxed);
    let ms = gate.opened_at_ms().map_or(0.0, |start| end - start);
    CounterReport {
        mode: params.mode,
        threads,
        increments_per_thread: params.increments,
        expected,
        actual,
        lost: expected.saturating_sub(actual),
        ms,
        per_sec: per_sec(expected, ms),
        spins: spins.load(Ordering::Relaxed),
        gil_switches: gil.switches(),
        explanation: explanation(params.mode),
        cancelled: env.cancelled(),
    }
}

/// Runs `body` `increments` times in chunks, checking for a cancel between chunks; returns the
/// increments done.
fn chunked(increments: u64, env: &Env, mut body: impl FnMut(u64) -> bool) -> u64 {
    let mut done = 0;
    while done < increments {
        if env.cancelled() {
            break;
        }
        let chunk = CANCEL_EVERY.min(increments - done);
        if !body(chunk) {
            break;
        }
        done += chunk;
    }
    done
}

fn racy(counter: &AtomicU64, increments: u64, env: &Env) -> (u64, u64) {
    let done = chunked(increments, env, |chunk| {
        for _ in 0..chunk {
            // Two separate steps, like Python's LOAD and STORE: another thread's store between
            // them is overwritten.
            let v = counter.load(Ordering::Relaxed);
            counter.store(v + 1, Ordering::Relaxed);
        }
        true
    });
    (done, 0)
}

fn locked(mutex: &Mutex<u64>, increments: u64, env: &Env) -> (u64, u64) {
    let done = chunked(increments, env, |chunk| {
        for _ in 0..chunk {
            *mutex.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        }
        true
    });
    (done, 0)
}

fn atomic(counter: &AtomicU64, increments: u64, env: &Env) -> (u64, u64) {
    let done = chunked(increments, env, |chunk| {
        for _ in 0..chunk {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        true
    });
    (done, 0)
}

fn spin_locked(spin: &SpinLock, counter: &AtomicU64, increments: u64, env: &Env) -> (u64, u64) {
    let mut spins = 0;
    let done = chunked(increments, env, |chunk| {
        for _ in 0..chunk {
            let _guard = spin.lock_counting_spins(&mut spins);
            // Relaxed is enough inside the lock: its Acquire/Release orders these accesses.
            let v = counter.load(Ordering::Relaxed);
            counter.store(v + 1, Ordering::Relaxed);
        }
        true
    });
    (done, spins)
}

fn under_gil(
    gil: &Gil,
    threads: u32,
    counter: &AtomicU64,
    increments: u64,
    switch_every: u32,
    env: &Env,
) -> (u64, u64) {
    let Some(mut held) = gil.acquire(env) else {
        return (0, 0);
    };
    // Whoever holds the GIL first waits until every worker is queued for it, as CPython's
    // threads all start and then wait: otherwise a short run could finish before the others
    // arrive, and no switch would ever happen. Later holders find the count already reached.
    if !crate::wait::wait_until(env, || gil.arrivals() >= threads) {
        return (0, 0);
    }
    let mut steps = 0u32;
    // Counts one micro-step and switches when the interval fires; false once cancelled.
    let mut tick = |held: &mut crate::primitives::GilGuard<'_>| {
        steps += 1;
        if steps < switch_every {
            return true;
        }
        steps = 0;
        held.switch(env)
    };
    let mut done = 0;
    'run: while done < increments {
        if env.cancelled() {
            break;
        }
        let chunk = CANCEL_EVERY.min(increments - done);
        for _ in 0..chunk {
            // Micro-step 1, LOAD: relaxed is enough, the GIL's hand-over orders the steps.
            let v = counter.load(Ordering::Relaxed);
            if !tick(&mut held) {
                break 'run;
            }
            // Micro-step 2, STORE: if the GIL switched after the load, this overwrites every
            // increment the other threads made meanwhile.
            counter.store(v + 1, Ordering::Relaxed);
            done += 1;
            if !tick(&mut held) {
                break 'run;
            }
        }
    }
    (done, 0)
}
