//! The sleep-vs-cpu experiment, the seed's "10 s vs 5 s" scaled down: T tasks that wait
//! (sleep) and T tasks that compute, each run one after another, on T threads, and on T threads
//! under an emulated GIL. Waiting overlaps in every threaded run; computing speeds up with real
//! threads (up to the core count) and not under the GIL.
//!
//! CPU work is a fixed number of iterations of [`cpu_work`], calibrated once against the clock
//! to last `cpu_ms` on one thread. (A loop that ran "until `cpu_ms` had passed" would take
//! `cpu_ms` however many threads shared the cores, and show nothing.)

use crate::env::{run_collect, Env};
use crate::params::{in_range, threads_in_range, ParamError};
use crate::primitives::Gil;
use crate::report::Figure;
use crate::wait::{cpu_work, sleep_ms, wait_until, Gate};
use crate::LabError;

/// The longest sleep or computation per task, in milliseconds.
pub const MAX_TASK_MS: u32 = 1000;
/// The most estimated run time, in milliseconds.
pub const MAX_ESTIMATED_MS: u64 = 10_000;
/// How long calibration measures, in milliseconds.
const CALIBRATION_MS: f64 = 20.0;

/// Parameters of the sleep-vs-cpu experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SleepVsCpuParams {
    /// Tasks (and threads in the threaded runs), 1..=the runner's `max_threads`.
    pub tasks: u32,
    /// How long each waiting task sleeps, 1..=[`MAX_TASK_MS`] ms.
    pub sleep_ms: u32,
    /// How long each computing task computes on one thread, 1..=[`MAX_TASK_MS`] ms.
    pub cpu_ms: u32,
    /// The emulated GIL's switch interval while computing, 1..=50 ms (CPython's is 5 ms).
    pub gil_switch_ms: u32,
}

impl Default for SleepVsCpuParams {
    /// The seed's two tasks of five 1 s sleeps, 50× shorter: 2 tasks × 100 ms, about 1.2 s in
    /// all with the warm-up (see [`SleepVsCpuParams::estimated_ms`]).
    fn default() -> Self {
        Self {
            tasks: 2,
            sleep_ms: 100,
            cpu_ms: 100,
            gil_switch_ms: 5,
        }
    }
}

impl SleepVsCpuParams {
    /// Roughly how long the run takes, in milliseconds (every phase on one core).
    pub fn estimated_ms(&self) -> u64 {
        let t = u64::from(self.tasks);
        // Sleep phases, CPU phases (sequential, GIL, threads and its rehearsal), warm-up.
        (t + 2) * u64::from(self.sleep_ms) + (3 * t + 1) * u64::from(self.cpu_ms) + 100
    }

    /// Checks every bound; `max_threads` is the runner's.
    pub fn validate(&self, max_threads: usize) -> Result<(), ParamError> {
        threads_in_range("tasks", self.tasks, 1, max_threads, 0, "")?;
        in_range("sleep_ms", self.sleep_ms, 1, MAX_TASK_MS)?;
        in_range("cpu_ms", self.cpu_ms, 1, MAX_TASK_MS)?;
        in_range("gil_switch_ms", self.gil_switch_ms, 1, 50)?;
        let estimate = self.estimated_ms();
        if estimate > MAX_ESTIMATED_MS {
            return Err(ParamError::new(
                "tasks",
                format!("the run would take about {estimate} ms; at most {MAX_ESTIMATED_MS} ms is allowed"),
            ));
        }
        Ok(())
    }
}

/// Elapsed time of one kind of work run three ways.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhaseTimes {
    /// All tasks one after another on one thread.
    pub sequential_ms: f64,
    /// Each task on its own thread.
    pub threads_ms: f64,
    /// Each task on its own thread, under the emulated GIL.
    pub gil_ms: f64,
}

impl PhaseTimes {
    /// How many times faster the threads were than one thread.
    pub fn speedup_threads(&self) -> f64 {
        ratio(self.sequential_ms, self.threads_ms)
    }

    /// How many times faster the threads under the GIL were than one thread.
    pub fn speedup_gil(&self) -> f64 {
        ratio(self.sequential_ms, self.gil_ms)
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// What a sleep-vs-cpu run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct SleepVsCpuReport {
    /// Tasks.
    pub tasks: u32,
    /// Sleep per waiting task.
    pub sleep_ms: u32,
    /// Computation per computing task (on one thread).
    pub cpu_ms: u32,
    /// Calibration: [`cpu_work`] iterations per millisecond on one thread.
    pub iterations_per_ms: f64,
    /// The waiting tasks.
    pub sleep: PhaseTimes,
    /// The computing tasks.
    pub cpu: PhaseTimes,
    /// Times the GIL changed hands while computing.
    pub gil_switches: u64,
}

impl SleepVsCpuReport {
    /// The report's figures, for the UI.
    pub fn figures(&self) -> Vec<Figure> {
        vec![
            Figure::int("tasks", "Tasks", self.tasks),
            Figure::int("sleep-ms-each", "Sleep per task (ms)", self.sleep_ms),
            Figure::int(
                "cpu-ms-each",
                "CPU work per task (ms, one thread)",
                self.cpu_ms,
            ),
            Figure::ms(
                "sleep-sequential-ms",
                "Sleeping, one after another (ms)",
                self.sleep.sequential_ms,
            ),
            Figure::ms(
                "sleep-threads-ms",
                "Sleeping, on threads (ms)",
                self.sleep.threads_ms,
            ),
            Figure::ms(
                "sleep-gil-ms",
                "Sleeping, on threads under the GIL (ms)",
                self.sleep.gil_ms,
            ),
            Figure::real(
                "sleep-speedup-threads",
                "Sleeping: speed-up with threads",
                self.sleep.speedup_threads(),
                2,
            ),
            Figure::real(
                "sleep-speedup-gil",
                "Sleeping: speed-up under the GIL",
                self.sleep.speedup_gil(),
                2,
            ),
            Figure::ms(
                "cpu-sequential-ms",
                "Computing, one after another (ms)",
                self.cpu.sequential_ms,
            ),
            Figure::ms(
                "cpu-threads-ms",
                "Computing, on threads (ms)",
                self.cpu.threads_ms,
            ),
            Figure::ms(
                "cpu-gil-ms",
                "Computing, on threads under the GIL (ms)",
                self.cpu.gil_ms,
            ),
            Figure::real(
                "cpu-speedup-threads",
                "Computing: speed-up with threads",
                self.cpu.speedup_threads(),
                2,
            ),
            Figure::real(
                "cpu-speedup-gil",
                "Computing: speed-up under the GIL",
                self.cpu.speedup_gil(),
                2,
            ),
            Figure::int(
                "gil-switches",
                "GIL switches while computing",
                self.gil_switches,
            ),
            Figure::real(
                "iterations-per-ms",
                "Calibrated iterations per ms",
                self.iterations_per_ms,
                0,
            ),
        ]
    }
}

/// How many iterations of CPU work run between cancel checks.
const CHUNK: u64 = 1 << 16;

/// Runs `iterations` of CPU work in chunks; `false` if cancelled.
fn compute(iterations: u64, env: &Env) -> bool {
    let mut left = iterations;
    while left > 0 {
        if env.cancelled() {
            return false;
        }
        let chunk = left.min(CHUNK);
        cpu_work(chunk);
        left -= chunk;
    }
    true
}

/// Measures [`cpu_work`] iterations per millisecond on one thread.
fn calibrate(env: &Env) -> Option<f64> {
    let mut iterations: u64 = 10_000;
    loop {
        if env.cancelled() {
            return None;
        }
        let start = env.now_ms();
        cpu_work(iterations);
        let took = env.now_ms() - start;
        if took >= CALIBRATION_MS || iterations >= 1 << 40 {
            return Some(iterations as f64 / took.max(1e-3));
        }
        iterations *= 2;
    }
}

/// Runs `task` on `n` threads behind a start gate; elapsed from the gate opening to the last
/// return.
fn timed(env: &Env, n: u32, task: impl Fn() + Sync) -> f64 {
    let gate = Gate::new(n);
    env.runner.run(n as usize, &|_| {
        if gate.arrive_and_wait(env) {
            task();
        }
    });
    gate.opened_at_ms()
        .map_or(0.0, |start| env.now_ms() - start)
}

/// CPU loop iterations each thread runs, unmeasured, before calibration (see `run`): about
/// 30-80 ms.
const WARM_UP_ITERATIONS: u64 = 30_000_000;

/// Runs the sleep-vs-cpu experiment (parameters already validated).
pub(crate) fn run(params: &SleepVsCpuParams, env: &Env) -> Result<SleepVsCpuReport, LabError> {
    // Warm-up, not reported, before calibrating: every thread runs the CPU loop first. In the
    // browser a worker's first runs of a hot wasm function are slower while V8 tiers it up
    // (measured in a fresh page: the first threaded phase at 0.7x, later ones at 1.8-1.95x);
    // natively it costs a few tens of milliseconds.
    timed(env, params.tasks, || {
        compute(WARM_UP_ITERATIONS, env);
    });
    let rate = run_collect(env.runner, 1, |_| calibrate(env))
        .into_iter()
        .flatten()
        .next()
        .ok_or(LabError::Cancelled)?;
    let iterations = (rate * f64::from(params.cpu_ms)) as u64;
    let slice = ((rate * f64::from(params.gil_switch_ms)) as u64).max(1);
    let (t, sleep) = (params.tasks, f64::from(params.sleep_ms));

    let sleep_times = PhaseTimes {
        sequential_ms: timed(env, 1, || {
            for _ in 0..t {
                if !sleep_ms(env, sleep) {
                    return;
                }
            }
        }),
        threads_ms: timed(env, t, || {
            sleep_ms(env, sleep);
        }),
        gil_ms: {
            let gil = Gil::new();
            timed(env, t, || {
                // CPython releases the GIL around `time.sleep` and takes it back after.
                let Some(held) = gil.acquire(env) else {
                    return;
                };
                drop(held);
                sleep_ms(env, sleep);
                drop(gil.acquire(env));
            })
        },
    };

    // The threaded phase once, unmeasured, right before it counts. In a fresh page the first
    // threaded CPU phase still ran at 0.8x after the warm-up above (a worker's first pass
    // through these functions), every later one at 1.8-1.95x; this rehearsal makes the first
    // reported run agree with the rest. Natively it only costs `cpu_ms`.
    timed(env, t, || {
        compute(iterations, env);
    });

    let gil = Gil::new();
    let cpu_times = PhaseTimes {
        sequential_ms: timed(env, 1, || {
            for _ in 0..t {
                if !compute(iterations, env) {
                    return;
                }
            }
        }),
        threads_ms: timed(env, t, || {
            compute(iterations, env);
        }),
        gil_ms: timed(env, t, || {
            let Some(mut held) = gil.acquire(env) else {
                return;
            };
            // As in the counter: the first holder waits until every thread is queued for the
            // GIL, so the threads really take turns instead of one finishing alone.
            if !wait_until(env, || gil.arrivals() >= t) {
                return;
            }
            let mut left = iterations;
            while left > 0 {
                let step = left.min(slice);
                if !compute(step, env) {
                    return;
                }
                left -= step;
                // The switch interval fired: let a waiting thread run its slice.
                if left > 0 && !held.switch(env) {
                    return;
                }
            }
        }),
    };

    if env.cancelled() {
        return Err(LabError::Cancelled);
    }
    Ok(SleepVsCpuReport {
        tasks: params.tasks,
        sleep_ms: params.sleep_ms,
        cpu_ms: params.cpu_ms,
        iterations_per_ms: rate,
        sleep: sleep_times,
        cpu: cpu_times,
        gil_switches: gil.switches(),
    })
}
