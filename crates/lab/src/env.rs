//! What every experiment is handed: a [`Clock`], a [`Runner`] of real threads and a [`Cancel`]
//! flag, bundled in an [`Env`].
//!
//! Nothing here touches the web. The browser side implements [`Clock`] with `performance.now()`
//! and runs experiments through [`RayonScope`] on the wasm-bindgen-rayon pool; native tests use
//! [`StdClock`] and either runner.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// A monotonic clock in milliseconds.
///
/// Injected rather than read from `std::time::Instant`, because `Instant::now()` panics on
/// `wasm32-unknown-unknown`; the browser passes a clock backed by `performance.now()`, which
/// works on the window and inside workers alike. [`StdClock`] is the only place in this crate
/// that reads `Instant`.
pub trait Clock: Send + Sync {
    /// Milliseconds since an arbitrary fixed origin. Never decreases.
    fn now_ms(&self) -> f64;
}

#[cfg(not(target_arch = "wasm32"))]
pub use std_clock::StdClock;

#[cfg(not(target_arch = "wasm32"))]
mod std_clock {
    use std::time::Instant;

    /// A [`Clock`](super::Clock) on `std::time::Instant`, for native tests and benchmarks.
    ///
    /// Not compiled for wasm32: `Instant::now()` panics on `wasm32-unknown-unknown`.
    #[derive(Clone, Copy, Debug)]
    pub struct StdClock {
        origin: Instant,
    }

    impl StdClock {
        /// A clock whose origin is now.
        pub fn new() -> Self {
            Self {
                origin: Instant::now(),
            }
        }
    }

    impl Default for StdClock {
        fn default() -> Self {
            Self::new()
        }
    }

    impl super::Clock for StdClock {
        fn now_ms(&self) -> f64 {
            self.origin.elapsed().as_secs_f64() * 1000.0
        }
    }
}

/// Runs `n` copies of a task *concurrently*, each on a thread of its own.
///
/// Experiments rely on the "each on its own thread" part: tasks block on locks, gates and
/// semaphores, and a gate for `n` tasks only opens if all `n` are running at once. That is why
/// every experiment checks its thread count against [`Runner::max_threads`] before it starts.
pub trait Runner: Sync {
    /// The largest `n` that [`Runner::run`] can give a thread each.
    fn max_threads(&self) -> usize;

    /// Calls `task(0)`, …, `task(n - 1)` concurrently and returns when all have returned.
    ///
    /// `n` must be at most [`Runner::max_threads`]; experiments validate this first.
    fn run(&self, n: usize, task: &(dyn Fn(usize) + Sync));
}

/// Runs `f(0..n)` on `runner` (each on its own thread) and collects the results in task order.
pub fn run_collect<T: Send>(
    runner: &dyn Runner,
    n: usize,
    f: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    let slots: Vec<Mutex<Option<T>>> = (0..n).map(|_| Mutex::new(None)).collect();
    runner.run(n, &|i| {
        let result = f(i);
        *slots[i].lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
    });
    // `run` returns only after every task has returned, so every slot is filled.
    slots
        .into_iter()
        .filter_map(|slot| slot.into_inner().unwrap_or_else(PoisonError::into_inner))
        .collect()
}

/// A [`Runner`] on fresh `std::thread`s (`std::thread::scope`), for native tests and benchmarks.
///
/// Not compiled for wasm32, where `std::thread::spawn` is unsupported: use [`RayonScope`] there.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy, Debug)]
pub struct StdThreads {
    max_threads: usize,
}

#[cfg(not(target_arch = "wasm32"))]
impl StdThreads {
    /// The default bound on threads per run.
    pub const DEFAULT_MAX_THREADS: usize = 16;

    /// A runner allowing up to [`StdThreads::DEFAULT_MAX_THREADS`] threads per run.
    pub fn new() -> Self {
        Self {
            max_threads: Self::DEFAULT_MAX_THREADS,
        }
    }

    /// A runner allowing up to `max_threads` threads per run (at least 1).
    pub fn with_max_threads(max_threads: usize) -> Self {
        Self {
            max_threads: max_threads.max(1),
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Default for StdThreads {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Runner for StdThreads {
    fn max_threads(&self) -> usize {
        self.max_threads
    }

    fn run(&self, n: usize, task: &(dyn Fn(usize) + Sync)) {
        std::thread::scope(|scope| {
            for i in 0..n {
                scope.spawn(move || task(i));
            }
        });
    }
}

/// A [`Runner`] on the *current* rayon pool (`rayon::scope`): the browser's runner, where the
/// pool is wasm-bindgen-rayon's Web Workers.
///
/// Call [`Runner::run`] from inside a pool thread (in the browser: from a closure given to
/// `rayon::spawn`, never on the main thread, which must not block). The calling thread waits
/// inside the scope, so only `rayon::current_num_threads() - 1` other threads are free:
/// [`Runner::max_threads`] says so, and experiments refuse to start with more tasks than that.
/// With at most that many tasks every task gets a thread of its own, so tasks may block on each
/// other (a task that blocks occupies its thread; the idle threads steal the rest).
///
/// Size the pool for the experiments: [`crate::LabRequest::threads_needed`] tells how many
/// tasks a request runs at once, so the pool needs one thread more.
#[derive(Clone, Copy, Debug, Default)]
pub struct RayonScope;

impl Runner for RayonScope {
    fn max_threads(&self) -> usize {
        rayon::current_num_threads().saturating_sub(1)
    }

    fn run(&self, n: usize, task: &(dyn Fn(usize) + Sync)) {
        rayon::scope(|scope| {
            for i in 0..n {
                scope.spawn(move |_| task(i));
            }
        });
    }
}

/// A cancel flag shared by the UI and a running experiment.
///
/// Cloning shares the flag. Experiments poll it (every few thousand iterations, and on every
/// slice of every wait) and end early; see [`crate::run`] for what a cancelled run returns.
#[derive(Clone, Debug, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
}

impl Cancel {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every experiment watching this flag to stop.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// True once [`Cancel::cancel`] was called on this flag or a clone of it.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }
}

/// Everything an experiment needs from its surroundings.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// Where time comes from.
    pub clock: &'a dyn Clock,
    /// Where threads come from.
    pub runner: &'a dyn Runner,
    /// When to stop early.
    pub cancel: &'a Cancel,
    /// When every wait gives up, in clock milliseconds (`f64::INFINITY`: never). [`crate::run`]
    /// sets it from the request's budget ([`crate::LabRequest::deadline_ms`]), so a thread
    /// waiting for another that never comes (a gate, a hand-shake, a permit) cannot hang a run.
    pub deadline_ms: f64,
    /// Whether experiments record timelines of their threads ([`crate::trace`]). On by
    /// default; [`Env::without_trace`] turns it off, which benchmarks use to show that
    /// recording does not change the figures.
    pub trace: bool,
}

impl<'a> Env<'a> {
    /// An environment with no deadline (a run through [`crate::run`] gets one).
    pub fn new(clock: &'a dyn Clock, runner: &'a dyn Runner, cancel: &'a Cancel) -> Self {
        Self {
            clock,
            runner,
            cancel,
            deadline_ms: f64::INFINITY,
            trace: true,
        }
    }

    /// The same environment with tracing off.
    pub fn without_trace(self) -> Self {
        Self {
            trace: false,
            ..self
        }
    }

    /// The same environment with its deadline at `deadline_ms` (clock milliseconds), or left
    /// where it is if that is earlier.
    pub fn with_deadline(self, deadline_ms: f64) -> Self {
        Self {
            deadline_ms: self.deadline_ms.min(deadline_ms),
            ..self
        }
    }

    /// Milliseconds on the environment's clock.
    pub fn now_ms(&self) -> f64 {
        self.clock.now_ms()
    }

    /// True once the run must stop: it was cancelled, or it ran past its deadline.
    ///
    /// Every wait and every long loop polls this, and both reasons mean the same to them: give
    /// up and unwind. [`Env::timed_out`] tells the two apart afterwards.
    pub fn cancelled(&self) -> bool {
        self.cancel.is_cancelled() || self.timed_out()
    }

    /// True once the clock has passed the deadline.
    pub fn timed_out(&self) -> bool {
        self.deadline_ms.is_finite() && self.now_ms() >= self.deadline_ms
    }
}

/// A native environment for unit tests.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod testing {
    use super::{Cancel, Env, StdClock, StdThreads};

    /// Calls `f` with an environment on `std` threads whose deadline is `deadline_in_ms` from
    /// now (`None`: no deadline).
    pub fn with_env(deadline_in_ms: Option<f64>, f: impl FnOnce(&Env)) {
        let (clock, cancel, runner) = (StdClock::new(), Cancel::new(), StdThreads::new());
        let env = Env::new(&clock, &runner, &cancel);
        let env = match deadline_in_ms {
            Some(ms) => env.with_deadline(env.now_ms() + ms),
            None => env,
        };
        f(&env);
    }
}
