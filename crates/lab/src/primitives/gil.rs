//! An emulated Global Interpreter Lock: one lock every worker must hold to run its "bytecode",
//! handed to a waiting thread when the switch interval fires.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::env::Env;

/// An emulated GIL, in the manner of CPython's.
///
/// A worker [`Gil::acquire`]s it before running, calls [`GilGuard::switch`] whenever its switch
/// interval fires, and drops the guard when it finishes or before it sleeps (CPython releases
/// the GIL around blocking I/O and `time.sleep`).
///
/// # Switching
///
/// CPython's holder drops the GIL when another thread has asked for it and the switch interval
/// (5 ms) has passed, then waits until another thread has actually taken it ("forced
/// switching"), so it cannot grab the GIL straight back. [`GilGuard::switch`] does the same; the
/// lab counts micro-steps instead of milliseconds so that *where* the switch lands is under the
/// learner's control.
///
/// The GIL makes each micro-step atomic, not each line of Python: `counter += 1` is a load step
/// and a store step, and a switch between them lets another thread's increments be overwritten.
///
/// # Fairness
///
/// A released GIL goes to whichever waiter locks the state first; the releasing thread never
/// gets it straight back while another thread is waiting.
#[derive(Debug, Default)]
pub struct Gil {
    state: Mutex<GilState>,
    /// Threads waiting for the GIL.
    free: Condvar,
    /// A thread that dropped the GIL waits here until another has taken it.
    taken: Condvar,
}

#[derive(Debug, Default)]
struct GilState {
    held: bool,
    arrivals: u32,
    waiting: u32,
    takes: u64,
    switches: u64,
}

/// How long one wait lasts before the waiter checks for a cancel or the run's deadline.
const SLICE: Duration = Duration::from_millis(5);

/// Holds the [`Gil`] while `held`; releases it on drop.
#[derive(Debug)]
pub struct GilGuard<'a> {
    gil: &'a Gil,
    held: bool,
}

impl Gil {
    /// A free GIL.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, GilState> {
        // A panicking worker cannot leave the state inconsistent: every update is one assignment.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for the GIL; `None` if the run was cancelled or reached its deadline first.
    pub fn acquire(&self, env: &Env) -> Option<GilGuard<'_>> {
        let mut state = self.state();
        state.arrivals += 1;
        self.take(state, env).then(|| GilGuard {
            gil: self,
            held: true,
        })
    }

    fn take(&self, mut state: MutexGuard<'_, GilState>, env: &Env) -> bool {
        state.waiting += 1;
        while state.held {
            if env.cancelled() {
                state.waiting -= 1;
                return false;
            }
            state = self
                .free
                .wait_timeout(state, SLICE)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.waiting -= 1;
        state.held = true;
        state.takes += 1;
        self.taken.notify_all();
        true
    }

    /// How many [`Gil::acquire`] calls have been made. A thread counted here is holding or
    /// waiting for the GIL (or has finished): the counter experiment's first holder waits until
    /// every worker has arrived, so that the switches are forced rather than lucky.
    pub fn arrivals(&self) -> u32 {
        self.state().arrivals
    }

    /// How many times the GIL changed hands through [`GilGuard::switch`].
    pub fn switches(&self) -> u64 {
        self.state().switches
    }
}

impl GilGuard<'_> {
    /// The switch interval fired: if another thread is waiting, hand it the GIL, wait until it
    /// has taken it, then queue for the GIL again. With nobody waiting, keeps running (as
    /// CPython does). `false` if the run was cancelled or reached its deadline while waiting;
    /// the GIL is not held then.
    pub fn switch(&mut self, env: &Env) -> bool {
        let gil = self.gil;
        let mut state = gil.state();
        if state.waiting == 0 {
            return true;
        }
        let before = state.takes;
        state.held = false;
        state.switches += 1;
        self.held = false;
        gil.free.notify_one();
        while state.takes == before {
            if env.cancelled() {
                return false;
            }
            state = gil
                .taken
                .wait_timeout(state, SLICE)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        self.held = gil.take(state, env);
        self.held
    }
}

impl Drop for GilGuard<'_> {
    fn drop(&mut self) {
        if self.held {
            self.gil.state().held = false;
            self.gil.free.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::testing::with_env;

    #[test]
    fn switch_without_waiters_keeps_the_gil() {
        with_env(None, |env| {
            let gil = Gil::new();
            let mut guard = gil.acquire(env).unwrap();
            assert!(guard.switch(env));
            assert_eq!(gil.switches(), 0);
        });
    }

    #[test]
    fn a_waiter_gets_the_gil_on_switch() {
        with_env(None, |env| {
            let gil = Gil::new();
            std::thread::scope(|s| {
                let mut guard = gil.acquire(env).unwrap();
                s.spawn(|| drop(gil.acquire(env).unwrap()));
                while gil.state().waiting == 0 {
                    std::thread::yield_now();
                }
                assert!(guard.switch(env));
            });
            assert_eq!(gil.switches(), 1);
        });
    }

    #[test]
    fn a_gil_that_is_never_released_is_given_up_at_the_deadline() {
        with_env(Some(30.0), |env| {
            let gil = Gil::new();
            let _held = gil.acquire(env).unwrap();
            assert!(gil.acquire(env).is_none());
            assert!(env.timed_out());
        });
    }
}
