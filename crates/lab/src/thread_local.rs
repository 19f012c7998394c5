//! The thread-local experiment: every thread, many times, writes its own id and reads it back,
//! once through thread-local storage (Python's `threading.local()`, here `thread_local!`) and
//! once through one shared slot (the tutorial's global `user_id`), counting the reads that
//! returned another thread's id.
//!
//! The shared slot is an `AtomicU64` stored and loaded with `Relaxed`: a real race (another
//! thread's store lands between my store and my load) with no undefined behaviour.

use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::env::Env;
use crate::params::{in_range, threads_in_range, ParamError};
use crate::report::Figure;
use crate::wait::{cpu_work, wait_until_deadline, Gate, FORCE_WAIT_MS};
use crate::LabError;

/// The most write-then-read iterations per thread.
pub const MAX_ITERATIONS: u32 = 1_000_000;
/// The widest window between the write and the read-back, in [`cpu_work`] iterations.
pub const MAX_WINDOW: u32 = 100_000;
/// The most iterations of one run, all threads together (each does them twice: thread-local
/// and shared), so even the widest window stays within seconds.
pub const MAX_TOTAL_WORK: u64 = 400_000_000;

/// Parameters of the thread-local experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadLocalParams {
    /// Threads, 1..=the runner's `max_threads`.
    pub threads: u32,
    /// Times each thread writes its id and reads it back, per storage, 1..=[`MAX_ITERATIONS`].
    pub iterations: u32,
    /// Work between the write and the read-back, 0..=[`MAX_WINDOW`] [`cpu_work`] iterations:
    /// the tutorial's `time.sleep(1)` between logging in and processing, shrunk. With
    /// `threads × iterations × (window + 1)` at most [`MAX_TOTAL_WORK`].
    pub window: u32,
    /// Force the interleaving: on its first iteration, with either storage, each thread writes
    /// its id and waits until every thread has written before it reads back. The shared slot
    /// then holds the last writer's id, and every other thread reads it: at least
    /// `threads - 1` mismatches, in every run. Thread-local storage, under the same schedule,
    /// still has none.
    pub force: bool,
}

impl Default for ThreadLocalParams {
    /// 4 threads × 20 000 iterations with a 50-iteration window: a few milliseconds.
    fn default() -> Self {
        Self {
            threads: 4,
            iterations: 20_000,
            window: 50,
            force: false,
        }
    }
}

impl ThreadLocalParams {
    /// Checks every bound; `max_threads` is the runner's.
    pub fn validate(&self, max_threads: usize) -> Result<(), ParamError> {
        threads_in_range("threads", self.threads, 1, max_threads, 0, "")?;
        in_range("iterations", self.iterations, 1, MAX_ITERATIONS)?;
        in_range("window", self.window, 0, MAX_WINDOW)?;
        if self.total_work() > MAX_TOTAL_WORK {
            return Err(ParamError::new(
                "window",
                format!("threads × iterations × (window + 1) must be at most {MAX_TOTAL_WORK}"),
            ));
        }
        Ok(())
    }

    /// `threads × iterations × (window + 1)`: the work of one storage's phase.
    pub fn total_work(&self) -> u64 {
        u64::from(self.threads)
            .saturating_mul(u64::from(self.iterations))
            .saturating_mul(u64::from(self.window) + 1)
    }
}

/// What a thread-local run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadLocalReport {
    /// Threads.
    pub threads: u32,
    /// Write-then-read iterations per thread, per storage.
    pub iterations: u32,
    /// Work between each write and its read-back.
    pub window: u32,
    /// Whether the first iteration was forced ([`ThreadLocalParams::force`]).
    pub force: bool,
    /// Reads of thread-local storage that returned another thread's id: always 0.
    pub thread_local_mismatches: u64,
    /// Reads of the shared slot that returned another thread's id: usually more than 0 with 2
    /// or more threads on 2 or more cores, at least `threads - 1` when forced.
    pub shared_mismatches: u64,
    /// Time for the thread-local phase.
    pub thread_local_ms: f64,
    /// Time for the shared-slot phase.
    pub shared_ms: f64,
}

impl ThreadLocalReport {
    /// The report's figures, for the UI.
    pub fn figures(&self) -> Vec<Figure> {
        vec![
            Figure::int("threads", "Threads", self.threads),
            Figure::int("iterations", "Iterations per thread", self.iterations),
            Figure::int("window", "Work between write and read", self.window),
            Figure::flag("forced", "First iteration forced", self.force),
            Figure::int(
                "thread-local-mismatches",
                "Thread-local: read another thread's id",
                self.thread_local_mismatches,
            ),
            Figure::int(
                "shared-mismatches",
                "Shared slot: read another thread's id",
                self.shared_mismatches,
            ),
            Figure::ms(
                "thread-local-ms",
                "Thread-local time (ms)",
                self.thread_local_ms,
            ),
            Figure::ms("shared-ms", "Shared-slot time (ms)", self.shared_ms),
            Figure::ms("ms", "Time (ms)", self.thread_local_ms + self.shared_ms),
        ]
    }
}

thread_local! {
    /// `thread_local_data.user_id`: one slot per thread.
    static USER_ID: Cell<u64> = const { Cell::new(0) };
}

/// Where a thread keeps its id.
#[derive(Clone, Copy)]
enum Storage<'a> {
    ThreadLocal,
    Shared(&'a AtomicU64),
}

impl Storage<'_> {
    fn write(self, id: u64) {
        match self {
            Storage::ThreadLocal => USER_ID.with(|slot| slot.set(id)),
            Storage::Shared(slot) => slot.store(id, Ordering::Relaxed),
        }
    }

    fn read(self) -> u64 {
        match self {
            // `black_box`: the compiler may not assume the slot still holds what was written,
            // so the read really happens, as the shared slot's does.
            Storage::ThreadLocal => USER_ID.with(|slot| black_box(slot).get()),
            Storage::Shared(slot) => slot.load(Ordering::Relaxed),
        }
    }
}

/// How often workers check for a cancel: every this many iterations.
const CANCEL_EVERY: u32 = 1024;

/// Runs the thread-local experiment (parameters already validated).
pub(crate) fn run(params: &ThreadLocalParams, env: &Env) -> Result<ThreadLocalReport, LabError> {
    let (thread_local_mismatches, thread_local_ms) = phase(Storage::ThreadLocal, params, env);
    let slot = AtomicU64::new(0);
    let (shared_mismatches, shared_ms) = phase(Storage::Shared(&slot), params, env);
    if env.cancelled() {
        return Err(LabError::Cancelled);
    }
    Ok(ThreadLocalReport {
        threads: params.threads,
        iterations: params.iterations,
        window: params.window,
        force: params.force,
        thread_local_mismatches,
        shared_mismatches,
        thread_local_ms,
        shared_ms,
    })
}

/// Every thread writes its id (1, 2, …) to `storage` and reads it back, `iterations` times:
/// the mismatches and the time from the start gate.
fn phase(storage: Storage, params: &ThreadLocalParams, env: &Env) -> (u64, f64) {
    let mismatches = AtomicU64::new(0);
    let written = AtomicU32::new(0);
    let gate = Gate::new(params.threads);
    env.runner.run(params.threads as usize, &|me| {
        if !gate.arrive_and_wait(env) {
            return;
        }
        let id = me as u64 + 1;
        let mut wrong = 0;
        for i in 0..params.iterations {
            if i % CANCEL_EVERY == 0 && env.cancelled() {
                break;
            }
            storage.write(id);
            if i == 0 && params.force {
                written.fetch_add(1, Ordering::AcqRel);
                wait_until_deadline(env, env.now_ms() + FORCE_WAIT_MS, || {
                    written.load(Ordering::Acquire) >= params.threads
                });
            }
            cpu_work(u64::from(params.window));
            if storage.read() != id {
                wrong += 1;
            }
        }
        mismatches.fetch_add(wrong, Ordering::Relaxed);
    });
    let ms = gate
        .opened_at_ms()
        .map_or(0.0, |start| env.now_ms() - start);
    (mismatches.load(Ordering::Relaxed), ms)
}
