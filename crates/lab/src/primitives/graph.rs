//! Locks a deadlock watchdog can see: a [`WaitGraph`] owns a set of [`Lock`]s and records which
//! lock each worker waits for, so a waiter that has made no progress for the time-out can build
//! the wait-for graph, find the cycle, and release everyone.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::env::Env;
use crate::primitives::lock::{Lock, LockGuard, NOBODY, SLICE};

/// Why [`WaitGraph::acquire`] gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitError {
    /// A deadlock was detected (by this waiter or another): back off, release what you hold.
    Deadlock,
    /// The run was cancelled.
    Cancelled,
}

/// One edge of a wait-for cycle: `thread` holds `holds` and waits for `waits_for`, which
/// `held_by` holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CycleEdge {
    /// The waiting thread ("T1").
    pub thread: String,
    /// The lock of the cycle it holds ("lock_a").
    pub holds: String,
    /// The lock it waits for ("lock_b").
    pub waits_for: String,
    /// Who holds that lock ("T2").
    pub held_by: String,
}

impl fmt::Display for CycleEdge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} holds {}, waits for {} held by {}",
            self.thread, self.holds, self.waits_for, self.held_by
        )
    }
}

/// Joins a cycle into one line: "T1 holds lock_a, waits for lock_b held by T2 → T2 holds …".
pub fn describe_cycle(cycle: &[CycleEdge]) -> String {
    cycle
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" → ")
}

/// What the watchdog found.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// The wait-for cycle, starting at the thread that detected it.
    pub cycle: Vec<CycleEdge>,
    /// When it was detected (clock milliseconds).
    pub at_ms: f64,
    /// How long the detecting thread had waited without progress.
    pub waited_ms: f64,
}

/// A set of named locks plus what each worker waits for: enough to find a deadlock.
///
/// # How detection works
///
/// There is no separate watchdog thread (a browser pool sized to the cores may have none to
/// spare): every waiter is its own watchdog. It waits in [`SLICE`]-long sleeps; once it has
/// waited `timeout_ms` without getting the lock it follows the wait-for edges (I wait for lock L,
/// L is held by T, T waits for lock M, …). If they lead back to itself, that is a cycle: it looks
/// again one slice later, and if the same cycle is still there (a real deadlock never resolves
/// itself), it records the cycle and raises the abort flag. Every waiter of the graph sees the
/// flag within one slice, gives up with [`WaitError::Deadlock`] and drops what it holds: the
/// threads are released and the locks are free for the next run.
///
/// A waiter whose holder is merely slow finds no cycle and keeps waiting, so a long critical
/// section is never mistaken for a deadlock.
#[derive(Debug)]
pub struct WaitGraph {
    locks: Vec<Lock>,
    lock_names: Vec<String>,
    thread_names: Vec<String>,
    waiting_for: Vec<AtomicUsize>,
    timeout_ms: f64,
    aborted: AtomicBool,
    detection: Mutex<Option<Detection>>,
}

impl WaitGraph {
    /// A graph of free locks named `lock_names` for workers named `thread_names` (worker `i` is
    /// `thread_names[i]`); waiters look for a cycle after `timeout_ms` without progress.
    pub fn new(lock_names: Vec<String>, thread_names: Vec<String>, timeout_ms: f64) -> Self {
        Self {
            locks: lock_names.iter().map(|_| Lock::new()).collect(),
            waiting_for: thread_names
                .iter()
                .map(|_| AtomicUsize::new(NOBODY))
                .collect(),
            lock_names,
            thread_names,
            timeout_ms,
            aborted: AtomicBool::new(false),
            detection: Mutex::new(None),
        }
    }

    /// Lock `i`.
    pub fn lock(&self, i: usize) -> &Lock {
        &self.locks[i]
    }

    /// The lock worker `t` waits for, if any.
    pub fn waiting_for(&self, t: usize) -> Option<usize> {
        let l = self.waiting_for[t].load(Ordering::Acquire);
        (l != NOBODY).then_some(l)
    }

    /// True if worker `t` holds at least one lock of the graph.
    pub fn holds_any(&self, t: usize) -> bool {
        self.locks.iter().any(|l| l.owner() == t)
    }

    /// True once a deadlock was detected: everyone should back off.
    pub fn aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }

    /// The detection, if there was one.
    pub fn detection(&self) -> Option<Detection> {
        self.detection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// True if no lock is held and nobody waits: the state a recovered run must end in.
    pub fn all_free(&self) -> bool {
        self.locks.iter().all(|l| l.owner() == NOBODY)
            && self
                .waiting_for
                .iter()
                .all(|w| w.load(Ordering::Acquire) == NOBODY)
    }

    /// Takes lock `lock` for worker `me`, acting as the watchdog while it waits (see the type's
    /// docs).
    pub fn acquire(&self, me: usize, lock: usize, env: &Env) -> Result<LockGuard<'_>, WaitError> {
        let target = &self.locks[lock];
        if let Some(guard) = target.try_acquire(me) {
            return Ok(guard);
        }
        self.waiting_for[me].store(lock, Ordering::Release);
        let start = env.now_ms();
        let mut suspect: Option<Vec<(usize, usize, usize)>> = None;
        let result = loop {
            if let Some(guard) = target.acquire_for(me, SLICE) {
                break Ok(guard);
            }
            if self.aborted() {
                break Err(WaitError::Deadlock);
            }
            if env.cancelled() {
                break Err(WaitError::Cancelled);
            }
            let waited_ms = env.now_ms() - start;
            if waited_ms < self.timeout_ms {
                continue;
            }
            let cycle = self.find_cycle(me);
            if cycle.is_some() && cycle == suspect {
                self.record(
                    cycle.as_deref().unwrap_or_default(),
                    env.now_ms(),
                    waited_ms,
                );
                break Err(WaitError::Deadlock);
            }
            suspect = cycle;
        };
        self.waiting_for[me].store(NOBODY, Ordering::Release);
        result
    }

    /// Follows wait-for edges from `me`: `(thread, lock it waits for, that lock's owner)` up to
    /// and including the edge back to `me`, or `None` if they do not lead back.
    fn find_cycle(&self, me: usize) -> Option<Vec<(usize, usize, usize)>> {
        let mut path = Vec::new();
        let mut t = me;
        while path.len() <= self.thread_names.len() {
            let lock = self.waiting_for(t)?;
            let owner = self.locks[lock].owner();
            if owner >= self.thread_names.len() {
                return None;
            }
            path.push((t, lock, owner));
            if owner == me {
                return Some(path);
            }
            if path.iter().any(|&(seen, _, _)| seen == owner) {
                // A cycle that does not pass through `me`: its own members will report it.
                return None;
            }
            t = owner;
        }
        None
    }

    fn record(&self, path: &[(usize, usize, usize)], at_ms: f64, waited_ms: f64) {
        let mut detection = self
            .detection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if detection.is_none() {
            let cycle = path
                .iter()
                .enumerate()
                .map(|(i, &(thread, lock, owner))| {
                    // The lock of the cycle `thread` holds is the one the previous edge waits for.
                    let held = path[(i + path.len() - 1) % path.len()].1;
                    CycleEdge {
                        thread: self.thread_names[thread].clone(),
                        holds: self.lock_names[held].clone(),
                        waits_for: self.lock_names[lock].clone(),
                        held_by: self.thread_names[owner].clone(),
                    }
                })
                .collect();
            *detection = Some(Detection {
                cycle,
                at_ms,
                waited_ms,
            });
        }
        self.aborted.store(true, Ordering::Release);
    }
}

/// Names "T1", "T2", … for `n` workers (1-based, as a learner counts).
pub fn thread_names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("T{i}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{Cancel, StdClock, StdThreads};

    #[test]
    fn self_deadlock_is_a_cycle_of_one() {
        let (clock, cancel, runner) = (StdClock::new(), Cancel::new(), StdThreads::new());
        let env = Env::new(&clock, &runner, &cancel);
        let graph = WaitGraph::new(vec!["lock".into()], thread_names(1), 10.0);
        let held = graph.acquire(0, 0, &env).unwrap();
        assert_eq!(graph.acquire(0, 0, &env).unwrap_err(), WaitError::Deadlock);
        let detection = graph.detection().unwrap();
        assert_eq!(
            describe_cycle(&detection.cycle),
            "T1 holds lock, waits for lock held by T1"
        );
        drop(held);
        assert!(graph.all_free());
    }
}
