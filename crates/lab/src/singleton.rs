//! The singleton experiment: threads race to get "the" instance. A naive check-then-create lets
//! several threads see "none yet" and each create one; double-checked locking and a once-cell
//! create exactly one.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::env::{run_collect, Env};
use crate::params::{in_range, threads_in_range, ParamError};
use crate::report::Figure;
use crate::wait::{wait_until, Gate};
use crate::LabError;

/// The widest check-to-create window, in spin iterations.
pub const MAX_WINDOW_SPINS: u32 = 1_000_000;

/// How the instance is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SingletonDesign {
    /// `if _instance is None: _instance = create()`, with no lock: check, then act.
    Naive,
    /// The seed's `ThreadSafeSingleton`: check, lock, check again, create.
    DoubleChecked,
    /// `std::sync::OnceLock::get_or_init`: the standard library does the double check.
    OnceCell,
}

impl SingletonDesign {
    /// Kebab-case name.
    pub fn slug(&self) -> &'static str {
        match self {
            SingletonDesign::Naive => "naive",
            SingletonDesign::DoubleChecked => "double-checked",
            SingletonDesign::OnceCell => "once-cell",
        }
    }
}

/// Parameters of the singleton experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SingletonParams {
    /// How the instance is made.
    pub design: SingletonDesign,
    /// Threads asking for it at once, 1..=the runner's `max_threads`.
    pub threads: u32,
    /// Busy-wait iterations between the check and the create, widening the window the naive
    /// version races in (as `__init__` doing real work would), 0..=[`MAX_WINDOW_SPINS`].
    pub window_spins: u32,
    /// Force the race: after its (first) check, each thread waits until every thread has
    /// checked. The naive version then creates one instance per thread; the others still one.
    pub force: bool,
}

impl Default for SingletonParams {
    /// Naive, 4 threads, a 20 000-spin window.
    fn default() -> Self {
        Self {
            design: SingletonDesign::Naive,
            threads: 4,
            window_spins: 20_000,
            force: false,
        }
    }
}

impl SingletonParams {
    /// The defaults with another design.
    pub fn with_design(design: SingletonDesign) -> Self {
        Self {
            design,
            ..Self::default()
        }
    }

    /// Checks every bound; `max_threads` is the runner's.
    pub fn validate(&self, max_threads: usize) -> Result<(), ParamError> {
        threads_in_range("threads", self.threads, 1, max_threads, 0, "")?;
        in_range("window_spins", self.window_spins, 0, MAX_WINDOW_SPINS)
    }
}

/// What a singleton run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct SingletonReport {
    /// How the instance was made.
    pub design: SingletonDesign,
    /// Threads.
    pub threads: u32,
    /// Instances created: 1 is correct.
    pub instances: u64,
    /// Different instances the threads ended up holding.
    pub distinct_seen: u64,
    /// Time for the whole run.
    pub ms: f64,
}

impl SingletonReport {
    /// The report's figures, for the UI.
    pub fn figures(&self) -> Vec<Figure> {
        vec![
            Figure::new("design", "Design", self.design.slug()),
            Figure::int("threads", "Threads", self.threads),
            Figure::int("instances", "Instances created", self.instances),
            Figure::int(
                "distinct-seen",
                "Different instances the threads hold",
                self.distinct_seen,
            ),
            Figure::ms("ms", "Time (ms)", self.ms),
        ]
    }
}

/// The shared state: an instance is represented by its id (0 = none yet), so the naive race is
/// real but has no undefined behaviour.
struct Singleton {
    slot: AtomicU64,
    created: AtomicU64,
    lock: Mutex<()>,
    once: OnceLock<u64>,
    checked: AtomicU32,
}

impl Singleton {
    /// `super().__new__(cls)` and `__init__`: the work that widens the window, then a new id.
    fn create(&self, window_spins: u32) -> u64 {
        for i in 0..window_spins {
            std::hint::spin_loop();
            if i % 1024 == 1023 {
                // Lets a thread that shares this core in: on 2 cores the race needs it.
                std::thread::yield_now();
            }
        }
        self.created.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// With `force`, waits until every thread has made its first check. `false` if cancelled.
    fn checked(&self, params: &SingletonParams, env: &Env) -> bool {
        self.checked.fetch_add(1, Ordering::AcqRel);
        !params.force
            || wait_until(env, || {
                self.checked.load(Ordering::Acquire) >= params.threads
            })
    }

    fn get(&self, params: &SingletonParams, env: &Env) -> Option<u64> {
        match params.design {
            SingletonDesign::Naive => {
                if self.slot.load(Ordering::Acquire) == 0 {
                    if !self.checked(params, env) {
                        return None;
                    }
                    let id = self.create(params.window_spins);
                    self.slot.store(id, Ordering::Release);
                    // Each creator goes on with its own instance, as `cls._instance = …;
                    // return cls._instance` would if another store landed in between.
                    return Some(id);
                }
                self.checked(params, env)
                    .then(|| self.slot.load(Ordering::Acquire))
            }
            SingletonDesign::DoubleChecked => {
                if self.slot.load(Ordering::Acquire) == 0 {
                    if !self.checked(params, env) {
                        return None;
                    }
                    let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
                    if self.slot.load(Ordering::Acquire) == 0 {
                        let id = self.create(params.window_spins);
                        self.slot.store(id, Ordering::Release);
                    }
                    return Some(self.slot.load(Ordering::Acquire));
                }
                self.checked(params, env)
                    .then(|| self.slot.load(Ordering::Acquire))
            }
            SingletonDesign::OnceCell => {
                if !self.checked(params, env) {
                    return None;
                }
                Some(*self.once.get_or_init(|| self.create(params.window_spins)))
            }
        }
    }
}

/// Runs the singleton experiment (parameters already validated).
pub(crate) fn run(params: &SingletonParams, env: &Env) -> Result<SingletonReport, LabError> {
    let singleton = Singleton {
        slot: AtomicU64::new(0),
        created: AtomicU64::new(0),
        lock: Mutex::new(()),
        once: OnceLock::new(),
        checked: AtomicU32::new(0),
    };
    let gate = Gate::new(params.threads);
    let held = run_collect(env.runner, params.threads as usize, |_| {
        if !gate.arrive_and_wait(env) {
            return None;
        }
        singleton.get(params, env)
    });
    let ms = gate
        .opened_at_ms()
        .map_or(0.0, |start| env.now_ms() - start);
    if env.cancelled() {
        return Err(LabError::Cancelled);
    }
    let distinct: HashSet<u64> = held.into_iter().flatten().collect();
    Ok(SingletonReport {
        design: params.design,
        threads: params.threads,
        instances: singleton.created.load(Ordering::Acquire),
        distinct_seen: distinct.len() as u64,
        ms,
    })
}
