//! The deadlock experiment: threads take two locks each, in opposite order (the seed's
//! `thread1_work`/`thread2_work`; with more threads, a ring) or in one global order. The
//! opposite order deadlocks; the waiters' watchdog finds the wait-for cycle, reports it and
//! releases everyone. One global order always finishes.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::env::Env;
use crate::params::{in_range, threads_in_range, ParamError};
use crate::primitives::{describe_cycle, graph::thread_names, CycleEdge, WaitError, WaitGraph};
use crate::report::Figure;
use crate::trace::{Lane, Trace, Tracer};
use crate::wait::{sleep_ms, wait_until};
use crate::LabError;

/// The most threads (and locks) in the ring.
pub const MAX_THREADS: u32 = 8;
/// The longest hold between the first and the second lock, in milliseconds.
pub const MAX_HOLD_MS: u32 = 1000;
/// The shortest and longest watchdog time-outs, in milliseconds.
pub const TIMEOUT_MS_RANGE: (u32, u32) = (20, 5000);

/// In which order each thread takes its two locks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockOrdering {
    /// Thread `i` takes lock `i`, then lock `i + 1` (wrapping): with two threads, T1 takes
    /// lock_a then lock_b and T2 lock_b then lock_a, as in the seed.
    Opposite,
    /// Every thread takes the lower-named of its two locks first: "always acquire locks in the
    /// same order".
    Global,
}

impl LockOrdering {
    /// Kebab-case name.
    pub fn slug(&self) -> &'static str {
        match self {
            LockOrdering::Opposite => "opposite",
            LockOrdering::Global => "global",
        }
    }
}

/// Parameters of the deadlock experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeadlockParams {
    /// Lock order.
    pub ordering: LockOrdering,
    /// Threads, and locks, 2..=min([`MAX_THREADS`], the runner's `max_threads`).
    pub threads: u32,
    /// Force the bad interleaving: each thread, holding its first lock, waits until every other
    /// thread holds or waits for a lock (or is done) before it asks for its second. With the
    /// opposite order this deadlocks every time; with one global order it still finishes.
    pub force: bool,
    /// Without `force`, how long a thread holds its first lock before asking for the second
    /// (the seed's `time.sleep(0.1)`), 0..=[`MAX_HOLD_MS`] ms.
    pub hold_ms: u32,
    /// How long a waiter waits without progress before it looks for a cycle,
    /// [`TIMEOUT_MS_RANGE`].
    pub timeout_ms: u32,
}

impl Default for DeadlockParams {
    /// Two threads, opposite order, forced, 200 ms watchdog time-out.
    fn default() -> Self {
        Self {
            ordering: LockOrdering::Opposite,
            threads: 2,
            force: true,
            hold_ms: 50,
            timeout_ms: 200,
        }
    }
}

impl DeadlockParams {
    /// Checks every bound; `max_threads` is the runner's.
    pub fn validate(&self, max_threads: usize) -> Result<(), ParamError> {
        threads_in_range(
            "threads",
            self.threads,
            2,
            max_threads.min(MAX_THREADS as usize),
            0,
            "",
        )?;
        in_range("hold_ms", self.hold_ms, 0, MAX_HOLD_MS)?;
        in_range(
            "timeout_ms",
            self.timeout_ms,
            TIMEOUT_MS_RANGE.0,
            TIMEOUT_MS_RANGE.1,
        )
    }
}

/// What a deadlock run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct DeadlockReport {
    /// Lock order.
    pub ordering: LockOrdering,
    /// Threads (and locks).
    pub threads: u32,
    /// Whether the bad interleaving was forced.
    pub force: bool,
    /// A wait-for cycle was found.
    pub deadlocked: bool,
    /// How long the detecting thread had waited without progress when it found the cycle.
    pub detected_ms: Option<f64>,
    /// The cycle, one edge per thread in it.
    pub cycle: Vec<CycleEdge>,
    /// After the run every thread had returned and every lock was free.
    pub locks_free: bool,
    /// Deadlocked, and then released: threads returned, locks free, pool usable.
    pub recovered: bool,
    /// Threads that got both locks.
    pub completed: u32,
    /// Time for the whole run.
    pub ms: f64,
    /// Timeline: which lock each thread held and which it waited for.
    pub trace: Option<Trace>,
}

impl DeadlockReport {
    /// The cycle as one line ("T1 holds lock_a, waits for lock_b held by T2 → …"), or "none".
    pub fn cycle_text(&self) -> String {
        if self.cycle.is_empty() {
            "none".to_string()
        } else {
            describe_cycle(&self.cycle)
        }
    }

    /// The report's figures, for the UI.
    pub fn figures(&self) -> Vec<Figure> {
        vec![
            Figure::new("ordering", "Lock order", self.ordering.slug()),
            Figure::int("threads", "Threads", self.threads),
            Figure::flag("forced", "Bad interleaving forced", self.force),
            Figure::flag("deadlocked", "Deadlocked", self.deadlocked),
            Figure::new(
                "detected-ms",
                "Detected after (ms)",
                self.detected_ms
                    .map_or("-".to_string(), crate::report::fmt_ms),
            ),
            Figure::new("cycle", "Wait-for cycle", self.cycle_text()),
            Figure::flag("recovered", "Recovered", self.recovered),
            Figure::flag("locks-free", "Locks free afterwards", self.locks_free),
            Figure::int("completed", "Threads that got both locks", self.completed),
            Figure::ms("ms", "Time (ms)", self.ms),
        ]
    }
}

/// Lock names: lock_a, lock_b, …
pub fn lock_names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("lock_{}", char::from(b'a' + (i % 26) as u8)))
        .collect()
}

/// Runs the deadlock experiment (parameters already validated).
pub(crate) fn run(params: &DeadlockParams, env: &Env) -> Result<DeadlockReport, LabError> {
    let n = params.threads as usize;
    let graph = WaitGraph::new(lock_names(n), thread_names(n), f64::from(params.timeout_ms));
    let done: Vec<AtomicBool> = (0..n).map(|_| AtomicBool::new(false)).collect();
    let completed = AtomicU32::new(0);
    let start = env.now_ms();
    let tracer = Tracer::new(env, thread_names(n), lock_names(n));
    let table = Table {
        graph: &graph,
        params,
        done: &done,
        env,
    };

    env.runner.run(n, &|me| {
        let mut lane = tracer.lane(me);
        let (a, b) = (me, (me + 1) % n);
        let (first, second) = match params.ordering {
            LockOrdering::Opposite => (a, b),
            LockOrdering::Global => (a.min(b), a.max(b)),
        };
        let outcome = table.take_both(me, first, second, &mut lane);
        if outcome.is_ok() {
            completed.fetch_add(1, Ordering::Relaxed);
        }
        done[me].store(true, Ordering::Release);
    });

    let ms = env.now_ms() - start;
    if env.cancelled() {
        return Err(LabError::Cancelled);
    }
    let detection = graph.detection();
    let locks_free = graph.all_free();
    Ok(DeadlockReport {
        ordering: params.ordering,
        threads: params.threads,
        force: params.force,
        deadlocked: detection.is_some(),
        detected_ms: detection.as_ref().map(|d| d.waited_ms),
        cycle: detection.map(|d| d.cycle).unwrap_or_default(),
        locks_free,
        recovered: graph.aborted() && locks_free,
        completed: completed.load(Ordering::Relaxed),
        ms,
        trace: tracer.finish(format!(
            "{n} threads, two locks each, {} order",
            match params.ordering {
                LockOrdering::Opposite => "opposite",
                LockOrdering::Global => "one global",
            }
        )),
    })
}

/// What every thread of a run shares.
struct Table<'a> {
    graph: &'a WaitGraph,
    params: &'a DeadlockParams,
    done: &'a [AtomicBool],
    env: &'a Env<'a>,
}

impl Table<'_> {
    /// Thread `me` takes `first`, then `second`; its lane records what it held and waited for.
    fn take_both(
        &self,
        me: usize,
        first: usize,
        second: usize,
        lane: &mut Lane,
    ) -> Result<(), WaitError> {
        let waiting = lane.mark();
        let got_first = self.graph.acquire(me, first, self.env);
        let held_first = lane.wait(first as u16, waiting);
        let _first = got_first?;
        let result = self.hold_then_take(me, second, lane);
        lane.hold(first as u16, held_first);
        result
    }

    /// Holding the first lock: lets the others take theirs (forced) or sleeps, then takes the
    /// second and lets it go at once.
    fn hold_then_take(&self, me: usize, second: usize, lane: &mut Lane) -> Result<(), WaitError> {
        let (graph, env, done) = (self.graph, self.env, self.done);
        if self.params.force {
            let others_engaged = || {
                graph.aborted()
                    || (0..done.len()).filter(|&t| t != me).all(|t| {
                        done[t].load(Ordering::Acquire)
                            || graph.holds_any(t)
                            || graph.waiting_for(t).is_some()
                    })
            };
            if !wait_until(env, others_engaged) {
                return Err(WaitError::Cancelled);
            }
        } else if !sleep_ms(env, f64::from(self.params.hold_ms)) {
            return Err(WaitError::Cancelled);
        }
        let waiting = lane.mark();
        let got_second = graph.acquire(me, second, env);
        let held_second = lane.wait(second as u16, waiting);
        let _second = got_second?;
        lane.hold(second as u16, held_second);
        Ok(())
    }
}
