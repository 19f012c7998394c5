//! The semaphore experiment: N tasks share K permits (the most holders ever seen at once, and
//! how often and how long tasks waited), and the binary-semaphore pitfall: an unmatched release
//! of a `Semaphore(1)` lets two holders in, while a `BoundedSemaphore(1)` refuses it.
//!
//! With [`SemaphoreParams::extra_release`] the pitfall happens in the shared pool itself, as in
//! the lesson's `if user_id == 0: db_connections.release()`: task 0 releases once more than it
//! acquired, so up to K + 1 tasks can hold a permit at once. The same pool then runs again on a
//! `BoundedSemaphore(K)`, which refuses that release only if it comes while the count is full.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use crate::env::Env;
use crate::params::{in_range, threads_in_range, ParamError};
use crate::primitives::{BoundedPermit, BoundedSemaphore, Permit, Semaphore};
use crate::report::Figure;
use crate::trace::{Trace, Tracer};
use crate::wait::{sleep_ms, wait_until, wait_until_deadline, Gate, FORCE_WAIT_MS};
use crate::LabError;

/// The most permits.
pub const MAX_PERMITS: u32 = 16;
/// The most rounds per task.
pub const MAX_ROUNDS: u32 = 20;
/// The longest hold, in milliseconds.
pub const MAX_HOLD_MS: u32 = 50;

/// Parameters of the semaphore experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemaphoreParams {
    /// Tasks, each on its own thread, 2..=the runner's `max_threads` (the binary demo needs 2).
    pub tasks: u32,
    /// Permits of the shared semaphore, 1..=[`MAX_PERMITS`].
    pub permits: u32,
    /// Times each task acquires, holds and releases, 1..=[`MAX_ROUNDS`].
    pub rounds: u32,
    /// How long a holder keeps its permit, 0..=[`MAX_HOLD_MS`] ms.
    pub hold_ms: u32,
    /// Task 0 releases once more than it acquired, right after its first round (the lesson's
    /// bug): the shared semaphore then has K + 1 permits, and the pool runs a second time on a
    /// `BoundedSemaphore(K)` with the same extra release.
    pub extra_release: bool,
    /// Force the interleaving: task 0's first round (and its extra release) runs while the
    /// others wait; then every task's next acquisition holds its permit until the pool is full,
    /// i.e. until as many tasks hold one as there are permits (K, or K + 1 after an accepted
    /// extra release) or as there are tasks taking part. The most holders at once is then
    /// exactly that number, in every run.
    pub force: bool,
}

impl Default for SemaphoreParams {
    /// 4 tasks, 2 permits (the seed's 10 users and 3 connections, scaled down), 3 rounds of
    /// 10 ms: about 60 ms.
    fn default() -> Self {
        Self {
            tasks: 4,
            permits: 2,
            rounds: 3,
            hold_ms: 10,
            extra_release: false,
            force: false,
        }
    }
}

impl SemaphoreParams {
    /// Checks every bound; `max_threads` is the runner's.
    pub fn validate(&self, max_threads: usize) -> Result<(), ParamError> {
        threads_in_range("tasks", self.tasks, 2, max_threads, 0, "")?;
        in_range("permits", self.permits, 1, MAX_PERMITS)?;
        in_range("rounds", self.rounds, 1, MAX_ROUNDS)?;
        in_range("hold_ms", self.hold_ms, 0, MAX_HOLD_MS)
    }
}

/// What a semaphore run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct SemaphoreReport {
    /// Tasks sharing the semaphore.
    pub tasks: u32,
    /// Its permits.
    pub permits: u32,
    /// Acquisitions made (tasks × rounds).
    pub acquisitions: u32,
    /// The most tasks seen holding a permit at once: never more than `permits`, except with
    /// `extra_release` (then up to `permits + 1`).
    pub max_holders: u32,
    /// Acquisitions that found no permit free and had to wait.
    pub waits: u32,
    /// Total time spent waiting for permits.
    pub wait_ms: f64,
    /// Time for the whole shared-permits part (the `Semaphore` run).
    pub ms: f64,
    /// Whether task 0 released once more than it acquired.
    pub extra_release: bool,
    /// Whether the interleaving was forced ([`SemaphoreParams::force`]).
    pub force: bool,
    /// With `extra_release`: the same pool on a `BoundedSemaphore(permits)`.
    pub bounded_pool: Option<BoundedPoolRun>,
    /// Holders at once of a `Semaphore(1)` released once without an acquire: 2.
    pub unbounded_extra_release_holders: u32,
    /// What a `BoundedSemaphore(1)` said to the same release (Python's `ValueError`), if it
    /// refused.
    pub bounded_refused: Option<String>,
    /// Holders at once of that `BoundedSemaphore(1)` afterwards: 1.
    pub bounded_max_holders: u32,
    /// Timeline of the shared pool (on the plain `Semaphore`): who waited, who held a permit.
    pub trace: Option<Trace>,
}

/// The shared pool with its extra release, run on a `BoundedSemaphore(permits)`.
///
/// Exactly one release is refused in every run: the extra one if it came while the count was
/// full, else a later, innocent one (the first that would push the count past the bound).
#[derive(Clone, Debug, PartialEq)]
pub struct BoundedPoolRun {
    /// The extra release itself was refused (Python raises `ValueError` in the buggy task).
    pub extra_refused: bool,
    /// Ordinary releases refused later (Python raises in an innocent task): 1 when the extra
    /// release was accepted because other tasks held permits, else 0.
    pub late_refusals: u64,
    /// The most tasks holding a permit at once: `permits + 1` is possible when the extra release
    /// was accepted.
    pub max_holders: u32,
}

impl SemaphoreReport {
    /// The report's figures, for the UI.
    pub fn figures(&self) -> Vec<Figure> {
        let mut figures = vec![
            Figure::int("tasks", "Tasks", self.tasks),
            Figure::int("permits", "Permits", self.permits),
        ];
        if self.extra_release {
            figures.push(Figure::flag(
                "pool-extra-release",
                "Task 0 released once more than it acquired",
                true,
            ));
        }
        figures.extend([
            Figure::flag("forced", "Interleaving forced", self.force),
            Figure::int("acquisitions", "Acquisitions", self.acquisitions),
            Figure::int("max-holders", "Most holders at once", self.max_holders),
            Figure::int("waits", "Acquisitions that waited", self.waits),
            Figure::ms("wait-ms", "Total wait (ms)", self.wait_ms),
            Figure::ms("ms", "Time (ms)", self.ms),
            Figure::int(
                "extra-release-holders",
                "Semaphore(1) after an unmatched release: holders at once",
                self.unbounded_extra_release_holders,
            ),
            Figure::new(
                "bounded-refused",
                "BoundedSemaphore(1) on the same release",
                self.bounded_refused.as_deref().unwrap_or("accepted"),
            ),
            Figure::int(
                "bounded-max-holders",
                "BoundedSemaphore(1): holders at once",
                self.bounded_max_holders,
            ),
        ]);
        if let Some(b) = &self.bounded_pool {
            figures.extend([
                Figure::flag(
                    "pool-bounded-extra-refused",
                    "BoundedSemaphore(K), same pool: the extra release refused",
                    b.extra_refused,
                ),
                Figure::int(
                    "pool-bounded-late-refusals",
                    "BoundedSemaphore(K), same pool: innocent releases refused later",
                    b.late_refusals,
                ),
                Figure::int(
                    "pool-bounded-max-holders",
                    "BoundedSemaphore(K), same pool: most holders at once",
                    b.max_holders,
                ),
            ]);
        }
        figures
    }
}

/// Counts holders: `enter` after an acquire, `leave` before the release, so the count never
/// exceeds the real number of holders.
#[derive(Default)]
struct Holders {
    now: AtomicU32,
    max: AtomicU32,
}

impl Holders {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::AcqRel) + 1;
        self.max.fetch_max(now, Ordering::AcqRel);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs the semaphore experiment (parameters already validated).
pub(crate) fn run(params: &SemaphoreParams, env: &Env) -> Result<SemaphoreReport, LabError> {
    let shared = shared_permits(&Semaphore::new(u64::from(params.permits)), params, env);
    let bounded_pool = params.extra_release.then(|| {
        let semaphore = BoundedSemaphore::new(u64::from(params.permits));
        let run = shared_permits(&semaphore, params, &env.without_trace());
        let extra_refused = !run.extra_accepted;
        BoundedPoolRun {
            extra_refused,
            late_refusals: semaphore
                .refusals()
                .saturating_sub(u64::from(extra_refused)),
            max_holders: run.max_holders,
        }
    });
    let unbounded = unbounded_extra_release(env);
    let (bounded_refused, bounded_max_holders) = bounded_extra_release(env);
    if env.cancelled() {
        return Err(LabError::Cancelled);
    }
    Ok(SemaphoreReport {
        tasks: params.tasks,
        permits: params.permits,
        acquisitions: params.tasks * params.rounds,
        max_holders: shared.max_holders,
        waits: shared.waits,
        wait_ms: shared.wait_ms,
        ms: shared.ms,
        extra_release: params.extra_release,
        force: params.force,
        bounded_pool,
        unbounded_extra_release_holders: unbounded,
        bounded_refused,
        bounded_max_holders,
        trace: shared.trace,
    })
}

/// The pool's semaphore: the shared pool runs on either kind.
trait Pool: Sync {
    /// A held permit, released on drop.
    type Held<'a>
    where
        Self: 'a;
    fn try_acquire(&self) -> Option<Self::Held<'_>>;
    fn acquire(&self, env: &Env) -> Option<Self::Held<'_>>;
    /// The unmatched release; `true` if it was accepted.
    fn release_extra(&self) -> bool;
}

impl Pool for Semaphore {
    type Held<'a> = Permit<'a>;

    fn try_acquire(&self) -> Option<Permit<'_>> {
        Semaphore::try_acquire(self)
    }

    fn acquire(&self, env: &Env) -> Option<Permit<'_>> {
        Semaphore::acquire(self, env)
    }

    fn release_extra(&self) -> bool {
        self.release();
        true
    }
}

impl Pool for BoundedSemaphore {
    type Held<'a> = BoundedPermit<'a>;

    fn try_acquire(&self) -> Option<BoundedPermit<'_>> {
        BoundedSemaphore::try_acquire(self)
    }

    fn acquire(&self, env: &Env) -> Option<BoundedPermit<'_>> {
        BoundedSemaphore::acquire(self, env)
    }

    fn release_extra(&self) -> bool {
        self.release().is_ok()
    }
}

/// What one run of the shared pool measured.
struct PoolRun {
    max_holders: u32,
    waits: u32,
    wait_ms: f64,
    ms: f64,
    /// With `extra_release`: whether the semaphore accepted it.
    extra_accepted: bool,
    /// Who waited for a permit and who held one.
    trace: Option<Trace>,
}

fn shared_permits<P: Pool>(semaphore: &P, params: &SemaphoreParams, env: &Env) -> PoolRun {
    let holders = Holders::default();
    let waits = AtomicU32::new(0);
    let wait_us = AtomicU64::new(0);
    let gate = Gate::new(params.tasks);
    let first_round_done = AtomicBool::new(false);
    let extra_accepted = AtomicBool::new(false);
    // Forced: the tasks whose next acquisition fills the pool (task 0 only has one after its
    // first round if there is a second).
    let fillers = if params.rounds >= 2 {
        params.tasks
    } else {
        params.tasks - 1
    };
    let tracer = Tracer::new(
        env,
        (0..params.tasks).map(|i| format!("user {i}")).collect(),
        vec!["a permit".to_string()],
    );
    env.runner.run(params.tasks as usize, &|me| {
        if !gate.arrive_and_wait(env) {
            return;
        }
        let mut lane = tracer.lane(me);
        for round in 0..params.rounds {
            let fills = params.force && round == u32::from(me == 0);
            if fills && me != 0 {
                // Task 0's first round, extra release included, comes first.
                wait_until_deadline(env, env.now_ms() + FORCE_WAIT_MS, || {
                    first_round_done.load(Ordering::Acquire)
                });
            }
            let (permit, held_from) = match semaphore.try_acquire() {
                Some(permit) => (permit, lane.mark()),
                None => {
                    let waiting_from = lane.mark();
                    let start = env.now_ms();
                    let Some(permit) = semaphore.acquire(env) else {
                        return;
                    };
                    waits.fetch_add(1, Ordering::Relaxed);
                    wait_us.fetch_add(((env.now_ms() - start) * 1000.0) as u64, Ordering::Relaxed);
                    (permit, lane.wait(0, waiting_from))
                }
            };
            holders.enter();
            if fills {
                let permits = params.permits + u32::from(extra_accepted.load(Ordering::Acquire));
                let full = fillers.min(permits);
                // Until the pool has been full once: a filler that gets in after that (there
                // were more fillers than permits) goes straight on.
                wait_until_deadline(env, env.now_ms() + FORCE_WAIT_MS, || {
                    holders.max.load(Ordering::Acquire) >= full
                });
            }
            let finished = sleep_ms(env, f64::from(params.hold_ms));
            holders.leave();
            lane.hold(0, held_from);
            drop(permit);
            if me == 0 && round == 0 {
                if params.extra_release {
                    // `if user_id == 0: db_connections.release()`: one release too many.
                    extra_accepted.store(semaphore.release_extra(), Ordering::Release);
                }
                first_round_done.store(true, Ordering::Release);
            }
            if !finished {
                return;
            }
        }
    });
    let ms = gate
        .opened_at_ms()
        .map_or(0.0, |start| env.now_ms() - start);
    PoolRun {
        max_holders: holders.max.load(Ordering::Acquire),
        waits: waits.load(Ordering::Relaxed),
        wait_ms: wait_us.load(Ordering::Relaxed) as f64 / 1000.0,
        ms,
        extra_accepted: extra_accepted.load(Ordering::Acquire),
        trace: tracer.finish(format!(
            "Semaphore({}), {} users, {} round{} each",
            params.permits,
            params.tasks,
            params.rounds,
            if params.rounds == 1 { "" } else { "s" }
        )),
    }
}

/// `Semaphore(1)`, released once by nobody in particular; then two threads each acquire and,
/// still holding, wait until the other is in too.
fn unbounded_extra_release(env: &Env) -> u32 {
    let semaphore = Semaphore::new(1);
    semaphore.release();
    let holders = Holders::default();
    env.runner.run(2, &|_| {
        let Some(_permit) = semaphore.acquire(env) else {
            return;
        };
        holders.enter();
        // Both get in (the count was 2), so this ends at once; a cancel or the run's deadline
        // ends it in case it ever did not.
        wait_until(env, || holders.max.load(Ordering::Acquire) >= 2);
        holders.leave();
    });
    holders.max.load(Ordering::Acquire)
}

/// `BoundedSemaphore(1)`: the unmatched release is refused; then thread 0 holds it while
/// thread 1 finds it taken, and thread 1 gets in only after thread 0 left.
fn bounded_extra_release(env: &Env) -> (Option<String>, u32) {
    let semaphore = BoundedSemaphore::new(1);
    let refused = semaphore.release().err().map(|e| e.to_string());
    let holders = Holders::default();
    let first_in = AtomicBool::new(false);
    let second_refused = AtomicBool::new(false);
    env.runner.run(2, &|me| {
        if me == 0 {
            let Some(_permit) = semaphore.acquire(env) else {
                return;
            };
            holders.enter();
            first_in.store(true, Ordering::Release);
            wait_until(env, || second_refused.load(Ordering::Acquire));
            holders.leave();
        } else {
            if !wait_until(env, || first_in.load(Ordering::Acquire)) {
                return;
            }
            if let Some(_permit) = semaphore.try_acquire() {
                holders.enter();
                holders.leave();
            }
            second_refused.store(true, Ordering::Release);
            let Some(_permit) = semaphore.acquire(env) else {
                return;
            };
            holders.enter();
            holders.leave();
        }
    });
    (refused, holders.max.load(Ordering::Acquire))
}
