//! [`Run`]: a session the UI steps through, with its schedule, its events and O(1) undo.
//!
//! A run keeps one machine snapshot per step. Machines are a few hundred bytes, so a
//! 10 000-step run costs a few megabytes, and `undo_to(k)` is a truncation: no replay.

use crate::event::{Event, EventKind};
use crate::machine::Machine;
use crate::outcome::Outcome;
use crate::scenario::{Scenario, ScenarioError};
use crate::schedule::Schedule;
use crate::step::StepError;
use crate::value::ThreadId;
use std::fmt;
use std::sync::Arc;

/// A run in progress: the initial machine, every state since, the schedule and the events.
#[derive(Clone, Debug)]
pub struct Run {
    /// `states[i]` is the machine after `i` steps; never empty.
    states: Vec<Machine>,
    schedule: Schedule,
    events: Vec<Event>,
}

/// Why a schedule could not be replayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// The scenario is invalid.
    Scenario(ScenarioError),
    /// Step `step` (0-based) of the schedule could not be taken.
    Step {
        /// Index of the offending pick in the schedule.
        step: usize,
        /// The thread it picked.
        thread: ThreadId,
        /// Why the machine refused.
        error: StepError,
    },
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::Scenario(e) => write!(f, "invalid scenario: {e}"),
            ReplayError::Step {
                step,
                thread,
                error,
            } => write!(
                f,
                "step {} of the schedule ({thread}) cannot be taken: {error}",
                step + 1
            ),
        }
    }
}

impl std::error::Error for ReplayError {}

impl From<ScenarioError> for ReplayError {
    fn from(e: ScenarioError) -> Self {
        ReplayError::Scenario(e)
    }
}

impl Run {
    /// A fresh run of a scenario.
    pub fn new(scenario: Arc<Scenario>) -> Result<Run, ScenarioError> {
        Machine::new(scenario).map(Run::from_machine)
    }

    /// A run starting from `machine` (its step 0).
    pub fn from_machine(machine: Machine) -> Run {
        Run {
            states: vec![machine],
            schedule: Schedule::new(),
            events: Vec::new(),
        }
    }

    /// Replay `schedule` from the scenario's initial state; the error names the first pick that
    /// could not be taken and why.
    pub fn replay(scenario: Arc<Scenario>, schedule: &Schedule) -> Result<Run, ReplayError> {
        let mut run = Run::new(scenario)?;
        for (step, &thread) in schedule.steps().iter().enumerate() {
            run.step(thread).map_err(|error| ReplayError::Step {
                step,
                thread,
                error,
            })?;
        }
        Ok(run)
    }

    /// The current state.
    pub fn machine(&self) -> &Machine {
        // `states` is never empty: built with one, and undo never removes the first.
        &self.states[self.states.len() - 1]
    }

    /// The initial state.
    pub fn initial(&self) -> &Machine {
        &self.states[0]
    }

    /// The state after `step` steps, if the run got that far.
    pub fn state_at(&self, step: usize) -> Option<&Machine> {
        self.states.get(step)
    }

    /// Steps taken.
    pub fn len(&self) -> usize {
        self.schedule.len()
    }

    /// Whether no step has been taken.
    pub fn is_empty(&self) -> bool {
        self.schedule.is_empty()
    }

    /// The picks so far.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// What each step did.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// How the run ended, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.machine().outcome()
    }

    /// What the run printed, in the order this schedule printed it: each line with the thread
    /// that printed it and the (1-based) step that did.
    pub fn output(&self) -> Vec<(ThreadId, String, usize)> {
        self.events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match &e.kind {
                EventKind::Printed { text } => Some((e.thread, text.clone(), i + 1)),
                _ => None,
            })
            .collect()
    }

    /// Step a thread; on error nothing changes.
    pub fn step(&mut self, t: ThreadId) -> Result<Event, StepError> {
        let mut next = self.machine().clone();
        let event = next.step(t)?;
        self.states.push(next);
        self.schedule.push(t);
        self.events.push(event.clone());
        Ok(event)
    }

    /// Take back the last step; false if there was none.
    pub fn undo(&mut self) -> bool {
        let n = self.len();
        n > 0 && self.undo_to(n - 1)
    }

    /// Go back to the state after `step` steps; false (and no change) if the run is shorter.
    pub fn undo_to(&mut self, step: usize) -> bool {
        if step > self.len() {
            return false;
        }
        self.states.truncate(step + 1);
        self.schedule.0.truncate(step);
        self.events.truncate(step);
        true
    }

    /// Back to the initial state.
    pub fn reset(&mut self) {
        self.undo_to(0);
    }
}

/// Replay `schedule` on a fresh machine of `scenario` (see [`Run::replay`]).
pub fn replay(scenario: Arc<Scenario>, schedule: &Schedule) -> Result<Run, ReplayError> {
    Run::replay(scenario, schedule)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples;

    const T1: ThreadId = ThreadId(0);
    const T2: ThreadId = ThreadId(1);

    #[test]
    fn undo_and_reset_restore_earlier_states() {
        let mut run = Run::new(samples::race(2, 1, false)).unwrap();
        run.step(T1).unwrap();
        let after_one = run.machine().clone();
        run.step(T2).unwrap();
        run.step(T2).unwrap();
        assert_eq!(run.len(), 3);
        assert!(run.undo_to(1));
        assert_eq!(run.machine(), &after_one);
        assert_eq!(run.schedule().steps(), &[T1]);
        assert_eq!(run.events().len(), 1);
        assert!(run.undo());
        assert!(!run.undo());
        assert!(!run.undo_to(5));
        run.step(T2).unwrap();
        run.reset();
        assert_eq!(run.machine(), run.initial());
        assert!(run.is_empty());
    }

    #[test]
    fn a_failed_step_is_not_recorded() {
        let mut run = Run::new(samples::race(2, 1, true)).unwrap();
        run.step(T1).unwrap();
        assert!(run.step(T2).is_err());
        assert_eq!(run.len(), 1);
    }

    #[test]
    fn replay_says_which_step_is_invalid_and_why() {
        let s = Schedule::decode("1.ab").unwrap();
        let err = replay(samples::race(2, 1, true), &s).unwrap_err();
        assert_eq!(
            err.to_string(),
            "step 2 of the schedule (T2) cannot be taken: T2 is blocked, waiting for lock `lock` held by T1"
        );
        let s = Schedule::decode("1.c").unwrap();
        let err = replay(samples::race(2, 1, true), &s).unwrap_err();
        assert_eq!(
            err.to_string(),
            "step 1 of the schedule (T3) cannot be taken: there is no thread T3"
        );
    }
}
