//! How a run ends ([`Outcome`]), Python's exceptions for misuse ([`PyError`]), and the hashable
//! summary the explorer groups runs by ([`OutcomeClass`]).

use crate::scenario::Scenario;
use crate::value::{ThreadId, Value};
use std::fmt;

/// The Python exception types the model can raise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PyExc {
    /// e.g. releasing an unlocked `Lock`.
    RuntimeError,
    /// e.g. over-releasing a `BoundedSemaphore`, or too many `task_done()` calls.
    ValueError,
    /// e.g. `None + 1`.
    TypeError,
    /// Reading a `threading.local()` attribute this thread never set.
    AttributeError,
    /// An integer result outside the model's 64 bits (Python's ints would just grow).
    OverflowError,
    /// The base class, for `raise Exception("…")`.
    Exception,
}

impl PyExc {
    /// The exception's Python name.
    pub fn name(self) -> &'static str {
        match self {
            PyExc::RuntimeError => "RuntimeError",
            PyExc::ValueError => "ValueError",
            PyExc::TypeError => "TypeError",
            PyExc::AttributeError => "AttributeError",
            PyExc::OverflowError => "OverflowError",
            PyExc::Exception => "Exception",
        }
    }
}

impl fmt::Display for PyExc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A Python exception: raised by a misused primitive, a bad operand, or on purpose by
/// [`OpKind::Raise`](crate::OpKind::Raise).
///
/// Messages are CPython's own, checked against CPython 3.11.7:
///
/// | situation | exception |
/// |---|---|
/// | `Lock().release()` while unlocked | `RuntimeError: release unlocked lock` |
/// | `RLock().release()` by a non-owner | `RuntimeError: cannot release un-acquired lock` |
/// | `BoundedSemaphore(1).release()` | `ValueError: Semaphore released too many times` |
/// | `Condition.wait()` without its lock | `RuntimeError: cannot wait on un-acquired lock` |
/// | `Condition.notify()` / `notify_all()` without it | `RuntimeError: cannot notify on un-acquired lock` |
/// | `Queue().task_done()` once too often | `ValueError: task_done() called too many times` |
/// | reading an unset `threading.local()` attribute | `AttributeError: '_thread._local' object has no attribute 'x'` |
/// | `None + 1` | `TypeError: unsupported operand type(s) for +: 'NoneType' and 'int'` |
/// | `1 < None` | `TypeError: '<' not supported between instances of 'int' and 'NoneType'` |
///
/// Not errors in CPython, so not errors here: releasing a `Lock` from a thread that did not
/// acquire it (a `Lock` has no owner), and releasing a plain `Semaphore` more often than it was
/// acquired (the count just grows).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PyError {
    /// The exception type.
    pub kind: PyExc,
    /// The exception's message.
    pub message: String,
}

impl PyError {
    /// An exception of `kind` with `message`.
    pub fn new(kind: PyExc, message: impl Into<String>) -> Self {
        PyError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for PyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for PyError {}

/// Which check a [`Outcome::Violated`] run broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckRef {
    /// `scenario.checks[i]`.
    Check(usize),
    /// An [`OpKind::Assert`](crate::OpKind::Assert) op: the thread and the op's index.
    Assert {
        /// The asserting thread.
        thread: ThreadId,
        /// The op's index in its program.
        pc: u16,
    },
}

/// One edge of a deadlock's wait-for graph: `thread` waits for `resource`, held by `holder`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WaitEdge {
    /// The waiting thread.
    pub thread: ThreadId,
    /// What it waits for, e.g. "lock `lock1`" or "a notify on condition `cv`".
    pub resource: String,
    /// Who holds it, if anybody does (locks do; an empty queue or a silent condition does not).
    pub holder: Option<ThreadId>,
}

impl fmt::Display for WaitEdge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} waits for {}", self.thread, self.resource)?;
        match self.holder {
            Some(h) if h == self.thread => write!(f, " held by {h} itself"),
            Some(h) => write!(f, " held by {h}"),
            None => Ok(()),
        }
    }
}

/// How a run ended.
///
/// # When a run ends, and as what
///
/// After every step, in this order:
///
/// 1. An `Always` or `MaxInSection` check that fails, or an `assert` op that fails, ends the run
///    at once: [`Outcome::Violated`].
/// 2. Otherwise, the run goes on while some thread can move. An exception ends only the thread
///    that raised it (after its `finally:` blocks), as in CPython; the others go on.
/// 3. When no thread can move:
///    - if some thread has not ended, it is blocked forever: [`Outcome::Deadlock`] (it may wait
///      for a lock held by a thread that raised and never released it);
///    - else, if a `Final` or `FinalSum` check fails: [`Outcome::Violated`];
///    - else, if some thread ended by an exception: [`Outcome::Misuse`], naming the first thread
///      that did;
///    - else [`Outcome::Finished`].
/// 4. Otherwise, at the scenario's step limit: [`Outcome::StepLimit`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Every thread ran to its end and every check held.
    Finished {
        /// Final values of the shared variables, in declaration order.
        vars: Vec<(String, Value)>,
    },
    /// No thread can move, yet some have not finished.
    Deadlock {
        /// The threads that are stuck (finished ones are not listed).
        blocked: Vec<ThreadId>,
        /// The wait-for cycle, if the waits form one (`T1` waits for a lock `T2` holds, `T2` for
        /// one `T1` holds; or a `Lock` re-acquired by its holder: a one-edge cycle). When there is
        /// no cycle (everyone waits for a notify or a queue nobody will touch) this lists every
        /// blocked thread's wait instead.
        cycle: Vec<WaitEdge>,
    },
    /// A lesson-defined check failed (or an `assert` op).
    Violated {
        /// Which check.
        check: CheckRef,
        /// The check's message, e.g. "lost update".
        message: String,
        /// Shared variables at the moment the check failed.
        vars: Vec<(String, Value)>,
    },
    /// Every thread ended, nothing deadlocked, every check held, but a thread ended by an
    /// exception (Python printed its traceback and ended only that thread). When several did,
    /// the first one to end that way.
    Misuse {
        /// The thread the exception ended.
        thread: ThreadId,
        /// The exception.
        error: PyError,
    },
    /// The run reached the scenario's step limit (e.g. a spin loop that never ends).
    StepLimit {
        /// Steps taken.
        steps: usize,
    },
}

impl Outcome {
    /// Whether this is a failure the lesson wants learners to find: deadlock, violated check or
    /// misuse. `Finished` is fine; `StepLimit` is inconclusive, so not bad.
    pub fn is_bad(&self) -> bool {
        matches!(
            self,
            Outcome::Deadlock { .. } | Outcome::Violated { .. } | Outcome::Misuse { .. }
        )
    }

    /// The summary the explorer groups runs by.
    pub fn class(&self) -> OutcomeClass {
        match self {
            Outcome::Finished { vars } => OutcomeClass::Finished { vars: vars.clone() },
            Outcome::Deadlock { blocked, .. } => OutcomeClass::Deadlock {
                blocked: blocked.clone(),
            },
            Outcome::Violated { check, message, .. } => OutcomeClass::Violated {
                check: *check,
                message: message.clone(),
            },
            Outcome::Misuse { error, .. } => OutcomeClass::Misuse {
                error: error.clone(),
            },
            Outcome::StepLimit { .. } => OutcomeClass::StepLimit,
        }
    }
}

fn write_vars(f: &mut fmt::Formatter<'_>, vars: &[(String, Value)]) -> fmt::Result {
    for (i, (name, value)) in vars.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{name} = {value}")?;
    }
    Ok(())
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Finished { vars } => {
                f.write_str("all threads finished")?;
                if !vars.is_empty() {
                    f.write_str(": ")?;
                    write_vars(f, vars)?;
                }
                Ok(())
            }
            Outcome::Deadlock { cycle, .. } => {
                f.write_str("deadlock: ")?;
                for (i, e) in cycle.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            Outcome::Violated { message, vars, .. } => {
                write!(f, "check failed: {message}")?;
                if !vars.is_empty() {
                    f.write_str(" (")?;
                    write_vars(f, vars)?;
                    f.write_str(")")?;
                }
                Ok(())
            }
            Outcome::Misuse { thread, error } => write!(f, "{thread} raised {error}"),
            Outcome::StepLimit { steps } => write!(f, "stopped at the step limit ({steps} steps)"),
        }
    }
}

/// A hashable summary of an [`Outcome`], used by the explorer to group schedules.
///
/// Finished runs are grouped by their final variables, violations by check, deadlocks by the set
/// of blocked threads, misuse by the exception. `Livelock`, `Starvation` and `Unexplored` only
/// come from the explorer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutcomeClass {
    /// Finished with these final variables.
    Finished {
        /// Final values of the shared variables.
        vars: Vec<(String, Value)>,
    },
    /// A deadlock with these threads stuck.
    Deadlock {
        /// The stuck threads.
        blocked: Vec<ThreadId>,
    },
    /// This check failed.
    Violated {
        /// Which check.
        check: CheckRef,
        /// Its message.
        message: String,
    },
    /// This exception was raised.
    Misuse {
        /// The exception.
        error: PyError,
    },
    /// The step limit was hit.
    StepLimit,
    /// The explorer found a schedule that returns to a state it already passed through: the
    /// threads can go round in circles forever (e.g. spinning on a flag nobody sets). Every
    /// unfinished thread could step somewhere on the cycle (otherwise it is
    /// [`OutcomeClass::Starvation`]), so a scheduler that gives each one its turn when it can
    /// move may leave the cycle.
    Livelock,
    /// A cycle of states, as for [`OutcomeClass::Livelock`], along which these threads are
    /// blocked at every state while the others keep stepping: no order of steps along the
    /// cycle lets them move, however fair the scheduler (e.g. a writer waiting while readers
    /// keep handing a reader-preferring lock to each other). Not a deadlock (others progress)
    /// and not a thread the scheduler merely never picked (that one could have stepped).
    Starvation {
        /// The threads blocked all along the cycle, sorted.
        starved: Vec<ThreadId>,
    },
    /// The explorer stopped here because of its limits; what happens next is unknown.
    Unexplored,
}

impl OutcomeClass {
    /// Whether schedules in this class are failures (see [`Outcome::is_bad`]); a livelock is.
    pub fn is_bad(&self) -> bool {
        matches!(
            self,
            OutcomeClass::Deadlock { .. }
                | OutcomeClass::Violated { .. }
                | OutcomeClass::Misuse { .. }
                | OutcomeClass::Livelock
                | OutcomeClass::Starvation { .. }
        )
    }

    /// The final value of variable `name`, for `Finished` classes.
    pub fn final_var(&self, name: &str) -> Option<Value> {
        match self {
            OutcomeClass::Finished { vars } => {
                vars.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
            }
            _ => None,
        }
    }
}

impl fmt::Display for OutcomeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutcomeClass::Finished { vars } => {
                f.write_str("finished")?;
                if !vars.is_empty() {
                    f.write_str(": ")?;
                    write_vars(f, vars)?;
                }
                Ok(())
            }
            OutcomeClass::Deadlock { blocked } => {
                f.write_str("deadlock of ")?;
                for (i, t) in blocked.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                Ok(())
            }
            OutcomeClass::Violated { message, .. } => write!(f, "check failed: {message}"),
            OutcomeClass::Misuse { error } => write!(f, "raised {error}"),
            OutcomeClass::StepLimit => f.write_str("step limit"),
            OutcomeClass::Livelock => f.write_str("livelock (a cycle of states)"),
            OutcomeClass::Starvation { starved } => {
                f.write_str("starvation of ")?;
                for (i, t) in starved.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str(" (blocked through a cycle of states while others step)")
            }
            OutcomeClass::Unexplored => f.write_str("unexplored (explorer limit)"),
        }
    }
}

/// The kind of a violation: the check's own (see [`Check::kind`](crate::Check::kind)), or
/// `"assertion"` for an `assert` op. A check index the scenario does not have gives
/// `"violated"`.
fn violation_kind(scn: &Scenario, check: CheckRef) -> String {
    match check {
        CheckRef::Check(i) => scn
            .checks
            .get(i)
            .map_or("violated", |c| c.kind())
            .to_string(),
        CheckRef::Assert { .. } => "assertion".to_string(),
    }
}

/// A slug naming how a run ended, for the UI and for lessons' expectations: `"ok"`,
/// `"deadlock"`, `"exception"` (misuse), `"step-limit"`, and for a violated check its kind
/// (set with [`ScenarioBuilder::kind`](crate::ScenarioBuilder::kind), e.g. `"lost-update"`, else
/// the variant's default) or `"assertion"` for a failed `assert` op.
pub fn outcome_kind(scn: &Scenario, o: &Outcome) -> String {
    match o {
        Outcome::Finished { .. } => "ok".to_string(),
        Outcome::Deadlock { .. } => "deadlock".to_string(),
        Outcome::Misuse { .. } => "exception".to_string(),
        Outcome::Violated { check, .. } => violation_kind(scn, *check),
        Outcome::StepLimit { .. } => "step-limit".to_string(),
    }
}

/// [`outcome_kind`] for an explorer's class, plus `"livelock"`, `"starvation"` and
/// `"unexplored"`.
pub fn class_kind(scn: &Scenario, c: &OutcomeClass) -> String {
    match c {
        OutcomeClass::Finished { .. } => "ok".to_string(),
        OutcomeClass::Deadlock { .. } => "deadlock".to_string(),
        OutcomeClass::Misuse { .. } => "exception".to_string(),
        OutcomeClass::Violated { check, .. } => violation_kind(scn, *check),
        OutcomeClass::StepLimit => "step-limit".to_string(),
        OutcomeClass::Livelock => "livelock".to_string(),
        OutcomeClass::Starvation { .. } => "starvation".to_string(),
        OutcomeClass::Unexplored => "unexplored".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_cycle_says_itself() {
        let e = WaitEdge {
            thread: ThreadId(0),
            resource: "lock `lock`".into(),
            holder: Some(ThreadId(0)),
        };
        assert_eq!(e.to_string(), "T1 waits for lock `lock` held by T1 itself");
    }

    #[test]
    fn bad_outcomes_are_the_failures() {
        assert!(!Outcome::Finished { vars: vec![] }.is_bad());
        assert!(!Outcome::StepLimit { steps: 3 }.is_bad());
        let m = Outcome::Misuse {
            thread: ThreadId(1),
            error: PyError::new(PyExc::RuntimeError, "release unlocked lock"),
        };
        assert!(m.is_bad());
        assert_eq!(
            m.to_string(),
            "T2 raised RuntimeError: release unlocked lock"
        );
        assert!(OutcomeClass::Livelock.is_bad());
        let starved = OutcomeClass::Starvation {
            starved: vec![ThreadId(2)],
        };
        assert!(starved.is_bad());
        assert_eq!(
            starved.to_string(),
            "starvation of T3 (blocked through a cycle of states while others step)"
        );
    }

    #[test]
    fn kinds_name_every_ending_and_use_the_checks_own() {
        use crate::prelude::*;
        let scn = ScenarioBuilder::new("k")
            .var("counter", 0)
            .check_final("counter", Cmp::Eq, 2, "lost update")
            .kind("lost-update")
            .check_always("counter", Cmp::Le, 5, "too big")
            .thread("T1", |t| {
                t.op("nop", nop());
            })
            .build()
            .unwrap();
        let violated = |check| Outcome::Violated {
            check,
            message: String::new(),
            vars: vec![],
        };
        let kind = |o: &Outcome| outcome_kind(&scn, o);
        assert_eq!(kind(&Outcome::Finished { vars: vec![] }), "ok");
        assert_eq!(
            kind(&Outcome::Deadlock {
                blocked: vec![],
                cycle: vec![]
            }),
            "deadlock"
        );
        assert_eq!(
            kind(&Outcome::Misuse {
                thread: ThreadId(0),
                error: PyError::new(PyExc::ValueError, "x"),
            }),
            "exception"
        );
        assert_eq!(kind(&violated(CheckRef::Check(0))), "lost-update");
        assert_eq!(kind(&violated(CheckRef::Check(1))), "violated");
        assert_eq!(kind(&violated(CheckRef::Check(9))), "violated");
        assert_eq!(
            kind(&violated(CheckRef::Assert {
                thread: ThreadId(0),
                pc: 0
            })),
            "assertion"
        );
        assert_eq!(kind(&Outcome::StepLimit { steps: 3 }), "step-limit");
        let o = violated(CheckRef::Check(0));
        assert_eq!(class_kind(&scn, &o.class()), "lost-update");
        assert_eq!(class_kind(&scn, &OutcomeClass::Livelock), "livelock");
        assert_eq!(
            class_kind(
                &scn,
                &OutcomeClass::Starvation {
                    starved: vec![ThreadId(0)]
                }
            ),
            "starvation"
        );
        assert_eq!(class_kind(&scn, &OutcomeClass::Unexplored), "unexplored");
        assert_eq!(class_kind(&scn, &OutcomeClass::StepLimit), "step-limit");
    }
}
