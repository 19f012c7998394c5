//! The cache experiment: many threads miss the same key at once (a thundering herd). The seed's
//! cache checks under its lock and computes outside it, so every thread that missed computes;
//! a per-key in-flight marker makes the others wait for the one computation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::env::Env;
use crate::params::{in_range, threads_in_range, ParamError};
use crate::primitives::lock::SLICE;
use crate::report::Figure;
use crate::wait::{sleep_ms, wait_until, Gate};
use crate::LabError;

/// The longest computation, in milliseconds.
pub const MAX_COMPUTE_MS: u32 = 500;
/// The most lookups per thread.
pub const MAX_LOOKUPS: u32 = 100;

/// The key every thread asks for: `expensive_computation(7)`.
const KEY: u64 = 7;

/// Which cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheDesign {
    /// The seed's `ThreadSafeCache` with its `cached` decorator: `get` under the lock; on a
    /// miss, compute *outside* the lock, then `set`. Every thread that misses before the first
    /// `set` computes.
    Seed,
    /// A per-key in-flight marker: the first thread to miss marks the key as being computed;
    /// later threads wait on a condition variable for that one result.
    PerKeyOnce,
}

impl CacheDesign {
    /// Kebab-case name.
    pub fn slug(&self) -> &'static str {
        match self {
            CacheDesign::Seed => "seed",
            CacheDesign::PerKeyOnce => "per-key-once",
        }
    }
}

/// Parameters of the cache experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheParams {
    /// Which cache.
    pub design: CacheDesign,
    /// Threads asking for the key at once, 1..=the runner's `max_threads`.
    pub threads: u32,
    /// How long the computation sleeps, 1..=[`MAX_COMPUTE_MS`] ms (the seed sleeps 1 s).
    pub compute_ms: u32,
    /// Lookups of the key per thread, 1..=[`MAX_LOOKUPS`]; after the first, they should hit.
    pub lookups: u32,
    /// Force the herd: a thread about to compute first waits until every thread has looked
    /// the key up once, so with the seed's cache every thread computes.
    pub force: bool,
}

impl Default for CacheParams {
    /// The seed's cache, 4 threads, 20 ms computation, 3 lookups each.
    fn default() -> Self {
        Self {
            design: CacheDesign::Seed,
            threads: 4,
            compute_ms: 20,
            lookups: 3,
            force: false,
        }
    }
}

impl CacheParams {
    /// The defaults with another design.
    pub fn with_design(design: CacheDesign) -> Self {
        Self {
            design,
            ..Self::default()
        }
    }

    /// Checks every bound; `max_threads` is the runner's.
    pub fn validate(&self, max_threads: usize) -> Result<(), ParamError> {
        threads_in_range("threads", self.threads, 1, max_threads, 0, "")?;
        in_range("compute_ms", self.compute_ms, 1, MAX_COMPUTE_MS)?;
        in_range("lookups", self.lookups, 1, MAX_LOOKUPS)
    }
}

/// What a cache run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheReport {
    /// Which cache.
    pub design: CacheDesign,
    /// Threads.
    pub threads: u32,
    /// Lookups made (threads × lookups).
    pub lookups: u64,
    /// Lookups that found the value ready.
    pub hits: u64,
    /// Lookups that found nothing and computed the value themselves.
    pub misses: u64,
    /// Lookups that found the value being computed and waited for it (per-key once only).
    pub waited: u64,
    /// Times the expensive function ran.
    pub computations: u64,
    /// Computations beyond the one the key needed.
    pub duplicate_computations: u64,
    /// Every lookup returned the same, correct value.
    pub consistent: bool,
    /// Time for the whole run.
    pub ms: f64,
}

impl CacheReport {
    /// The report's figures, for the UI.
    pub fn figures(&self) -> Vec<Figure> {
        vec![
            Figure::new("design", "Cache", self.design.slug()),
            Figure::int("threads", "Threads", self.threads),
            Figure::int("lookups", "Lookups", self.lookups),
            Figure::int("hits", "Hits", self.hits),
            Figure::int("misses", "Misses", self.misses),
            Figure::int("waited", "Waited for another's computation", self.waited),
            Figure::int("computations", "Computations", self.computations),
            Figure::int(
                "duplicate-computations",
                "Duplicate computations",
                self.duplicate_computations,
            ),
            Figure::flag(
                "consistent",
                "Every lookup got the right value",
                self.consistent,
            ),
            Figure::ms("ms", "Time (ms)", self.ms),
        ]
    }
}

/// A slot of the per-key-once cache.
#[derive(Clone, Copy, Debug)]
enum Slot {
    InFlight,
    Ready(u64),
}

#[derive(Default)]
struct Counts {
    hits: AtomicU64,
    misses: AtomicU64,
    waited: AtomicU64,
    computations: AtomicU64,
    wrong: AtomicU64,
    /// Threads that have made their first lookup (for `force`).
    first_lookups: AtomicU32,
}

/// Runs the cache experiment (parameters already validated).
pub(crate) fn run(params: &CacheParams, env: &Env) -> Result<CacheReport, LabError> {
    let counts = Counts::default();
    let gate = Gate::new(params.threads);
    let seed_cache: Mutex<HashMap<u64, u64>> = Mutex::new(HashMap::new());
    let once_cache: Mutex<HashMap<u64, Slot>> = Mutex::new(HashMap::new());
    let ready = Condvar::new();

    env.runner.run(params.threads as usize, &|_| {
        if !gate.arrive_and_wait(env) {
            return;
        }
        for lookup in 0..params.lookups {
            let first = lookup == 0;
            let value = match params.design {
                CacheDesign::Seed => seed_lookup(&seed_cache, first, params, &counts, env),
                CacheDesign::PerKeyOnce => {
                    once_lookup(&once_cache, &ready, first, params, &counts, env)
                }
            };
            match value {
                Some(v) if v == expensive_result(KEY) => {}
                Some(_) => {
                    counts.wrong.fetch_add(1, Ordering::Relaxed);
                }
                None => return,
            }
        }
    });
    let ms = gate
        .opened_at_ms()
        .map_or(0.0, |start| env.now_ms() - start);
    if env.cancelled() {
        return Err(LabError::Cancelled);
    }
    let computations = counts.computations.load(Ordering::Relaxed);
    Ok(CacheReport {
        design: params.design,
        threads: params.threads,
        lookups: u64::from(params.threads) * u64::from(params.lookups),
        hits: counts.hits.load(Ordering::Relaxed),
        misses: counts.misses.load(Ordering::Relaxed),
        waited: counts.waited.load(Ordering::Relaxed),
        computations,
        duplicate_computations: computations.saturating_sub(1),
        consistent: counts.wrong.load(Ordering::Relaxed) == 0,
        ms,
    })
}

fn expensive_result(n: u64) -> u64 {
    n * n
}

/// The seed's `expensive_computation`: sleep, then `n ** 2`. `None` if cancelled.
fn expensive_computation(n: u64, params: &CacheParams, counts: &Counts, env: &Env) -> Option<u64> {
    counts.computations.fetch_add(1, Ordering::Relaxed);
    sleep_ms(env, f64::from(params.compute_ms)).then(|| expensive_result(n))
}

/// With `force`, a thread about to compute on its first lookup waits until every thread has
/// made its first lookup. `false` if cancelled.
fn herd_gate(first: bool, params: &CacheParams, counts: &Counts, env: &Env) -> bool {
    if !first {
        return true;
    }
    counts.first_lookups.fetch_add(1, Ordering::AcqRel);
    !params.force
        || wait_until(env, || {
            counts.first_lookups.load(Ordering::Acquire) >= params.threads
        })
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The seed's `cached` wrapper: `get` under the lock; on a miss compute outside it, then `set`.
fn seed_lookup(
    cache: &Mutex<HashMap<u64, u64>>,
    first: bool,
    params: &CacheParams,
    counts: &Counts,
    env: &Env,
) -> Option<u64> {
    let hit = lock(cache).get(&KEY).copied();
    if let Some(v) = hit {
        counts.hits.fetch_add(1, Ordering::Relaxed);
        if first {
            counts.first_lookups.fetch_add(1, Ordering::AcqRel);
        }
        return Some(v);
    }
    counts.misses.fetch_add(1, Ordering::Relaxed);
    if !herd_gate(first, params, counts, env) {
        return None;
    }
    // The lock is not held here, so every thread that missed computes too.
    let v = expensive_computation(KEY, params, counts, env)?;
    lock(cache).insert(KEY, v);
    Some(v)
}

/// Per-key once: the first to miss marks the key in flight and computes; the others wait on
/// `ready` for its result.
fn once_lookup(
    cache: &Mutex<HashMap<u64, Slot>>,
    ready: &Condvar,
    first: bool,
    params: &CacheParams,
    counts: &Counts,
    env: &Env,
) -> Option<u64> {
    let mut slots = lock(cache);
    match slots.get(&KEY).copied() {
        Some(Slot::Ready(v)) => {
            drop(slots);
            counts.hits.fetch_add(1, Ordering::Relaxed);
            if first {
                counts.first_lookups.fetch_add(1, Ordering::AcqRel);
            }
            Some(v)
        }
        Some(Slot::InFlight) => {
            counts.waited.fetch_add(1, Ordering::Relaxed);
            if first {
                counts.first_lookups.fetch_add(1, Ordering::AcqRel);
            }
            loop {
                match slots.get(&KEY).copied() {
                    Some(Slot::Ready(v)) => return Some(v),
                    Some(Slot::InFlight) if !env.cancelled() => {
                        slots = ready
                            .wait_timeout(slots, SLICE)
                            .unwrap_or_else(PoisonError::into_inner)
                            .0;
                    }
                    // Cancelled, or the computing thread was cancelled and withdrew its marker.
                    _ => return None,
                }
            }
        }
        None => {
            slots.insert(KEY, Slot::InFlight);
            drop(slots);
            counts.misses.fetch_add(1, Ordering::Relaxed);
            let value = if herd_gate(first, params, counts, env) {
                expensive_computation(KEY, params, counts, env)
            } else {
                None
            };
            let mut slots = lock(cache);
            match value {
                Some(v) => slots.insert(KEY, Slot::Ready(v)),
                None => slots.remove(&KEY),
            };
            ready.notify_all();
            value
        }
    }
}
