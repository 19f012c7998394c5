//! Step semantics: what each op does to a [`Machine`], with Python's rules for each primitive,
//! and how a run ends. `step` never panics: every id was checked by [`Scenario::validate`]
//! when the machine was built, and every learner-reachable failure is a [`StepError`] or a
//! Python exception, which ends the thread that raised it (see [`Outcome`] for how the run
//! then ends).
//!
//! This module dispatches each op to the module of its primitive (in the manner of loom's
//! `rt/`), keeps the virtual clocks, and decides when a run is over. The semantics live in:
//!
//! | module | ops |
//! |---|---|
//! | `values` | `Load`, `Store`, `Const`, `BinOp`, `AtomicAdd` (and Python's operators) |
//! | `flow` | `Jump`, `JumpIf`, `Assert`, `Enter`, `Exit`, `Print`, `Nop` |
//! | `exceptions` | `Raise`, the `Try` markers, and where an exception goes |
//! | `locks` | `Acquire`, `TryAcquire`, `TimedAcquire`, `Release` |
//! | `sems` | `SemAcquire`, `SemTryAcquire`, `SemTimedAcquire`, `SemRelease` |
//! | `conds` | `CondWait`, `CondNotify`, `CondNotifyAll` |
//! | `queues` | `QueuePut`, `QueueGet`, `TaskDone`, `QueueJoin` |
//! | `threads` | `JoinThread` |
//! | `locals` | `LocalSet`, `LocalGet` |
//! | `time` | `Sleep`, `Work` |
//!
//! [`Scenario::validate`]: crate::Scenario::validate

use crate::event::{Event, EventKind, Unwind};
use crate::machine::{BlockReason, Exc, Machine, ThreadStatus};
use crate::op::{Check, Op, OpKind, Operand};
use crate::outcome::{CheckRef, Outcome, PyError, PyExc};
use crate::scenario::Scenario;
use crate::value::{ThreadId, Value};
use std::fmt;
use std::sync::Arc;

mod conds;
mod exceptions;
mod flow;
mod locals;
mod locks;
mod queues;
mod sems;
mod threads;
mod time;
mod values;

/// Why `step(thread)` did nothing. The machine is unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepError {
    /// The scenario has no such thread.
    NoSuchThread(ThreadId),
    /// The thread has already run to its end.
    Finished(ThreadId),
    /// The thread is blocked; the reason says on what and who holds it.
    Blocked(BlockReason),
    /// With the GIL on: another thread holds it and is not at a switch point.
    GilHeldBy {
        /// The thread asked to step.
        thread: ThreadId,
        /// The GIL's holder.
        holder: ThreadId,
    },
    /// The run has already ended.
    RunIsOver(Outcome),
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepError::NoSuchThread(t) => write!(f, "there is no thread {t}"),
            StepError::Finished(t) => write!(f, "{t} has finished"),
            StepError::Blocked(r) => write!(f, "{} is blocked, {r}", r.thread),
            StepError::GilHeldBy { thread, holder } => {
                write!(f, "{thread} cannot run: {holder} holds the GIL")
            }
            StepError::RunIsOver(o) => write!(f, "the run is over ({o})"),
        }
    }
}

impl std::error::Error for StepError {}

fn runtime(msg: &str) -> PyError {
    PyError::new(PyExc::RuntimeError, msg)
}

fn overflow() -> PyError {
    PyError::new(
        PyExc::OverflowError,
        "integer too large for the model (its ints are 64-bit; Python's would keep growing)",
    )
}

/// The op being executed: by whom, at which index, and where its registers start.
#[derive(Clone, Copy)]
struct Ctx {
    t: ThreadId,
    ti: usize,
    pc: usize,
    base: usize,
}

impl Ctx {
    /// The value of an operand for the executing thread.
    fn operand(&self, m: &Machine, o: &Operand) -> Value {
        match o {
            Operand::Reg(r) => m.regs[self.base + r.index()],
            Operand::Imm(v) => *v,
        }
    }

    /// Write a register of the executing thread.
    fn set(&self, m: &mut Machine, r: crate::RegId, v: Value) {
        m.regs[self.base + r.index()] = v;
    }
}

/// Where the executing thread goes after its op.
enum Flow {
    /// To the next op.
    Next,
    /// Nowhere: it stays on the op (the first phase of `cond.wait()`, a failed `assert`).
    Stay,
    /// To op `target`.
    To(u16),
}

impl Machine {
    /// Execute the thread's next op and say what happened.
    ///
    /// On an error nothing changes. An op that raises a Python exception *is* a step: its event
    /// is [`EventKind::Raised`], and the thread goes to the `finally:` block around the op, or
    /// ends (see [`OpKind`]'s "Exceptions"); [`Event::exception`] says which.
    pub fn step(&mut self, t: ThreadId) -> Result<Event, StepError> {
        let pc = self.pc(t).unwrap_or(0);
        let exc_before = self.threads.get(t.index()).and_then(|s| s.exc.clone());
        let kind = self.step_kind(t)?;
        let exception = self.unwind_of(t, &kind, exc_before.as_deref());
        let line = self
            .scn
            .threads
            .get(t.index())
            .and_then(|d| d.program.get(pc))
            .map_or(0, |o| o.line);
        let (start_ms, end_ms) = self.aux.as_ref().map_or((0, 0), |a| a.last);
        Ok(Event {
            thread: t,
            pc,
            line,
            kind,
            status: self.status(t).unwrap_or(ThreadStatus::Finished),
            start_ms,
            end_ms,
            outcome: self.outcome.clone(),
            exception,
            scn: Arc::clone(&self.scn),
        })
    }

    /// What an exception did on the step `t` just took (`kind`), given what `t` carried before.
    fn unwind_of(&self, t: ThreadId, kind: &EventKind, before: Option<&Exc>) -> Option<Unwind> {
        let st = self.threads.get(t.index())?;
        let after = st.exc.as_deref();
        let moved = matches!(kind, EventKind::Raised(_)) || after != before;
        match after? {
            Exc::Pending { error, .. } if moved => Some(Unwind {
                error: error.clone(),
                handler: Some(usize::from(st.pc)),
            }),
            Exc::Ended { error, .. } if moved => Some(Unwind {
                error: error.clone(),
                handler: None,
            }),
            _ => None,
        }
    }

    /// [`Machine::step`] without building the event (the explorer's hot path).
    pub(crate) fn step_kind(&mut self, t: ThreadId) -> Result<EventKind, StepError> {
        if let Some(o) = &self.outcome {
            return Err(StepError::RunIsOver(o.clone()));
        }
        let ti = t.index();
        if ti >= self.threads.len() {
            return Err(StepError::NoSuchThread(t));
        }
        if self.is_finished(ti) {
            return Err(StepError::Finished(t));
        }
        if let Some(w) = self.wait_of(ti) {
            return Err(StepError::Blocked(self.block_reason(t, w)));
        }
        if let Some(holder) = self.gil_blocker(ti) {
            return Err(StepError::GilHeldBy { thread: t, holder });
        }
        self.step_runnable(t)
    }

    /// [`Machine::step_kind`] for a thread the caller knows [can step](Machine::can_step) (the
    /// explorer has just asked, of an identical state): the checks are not repeated. A thread
    /// that cannot step would run its op anyway, so callers must ask first.
    pub(crate) fn step_runnable(&mut self, t: ThreadId) -> Result<EventKind, StepError> {
        let scn = Arc::clone(&self.scn);
        let base = self.reg_base(t.index());
        self.step_runnable_in(&scn, base, t)
    }

    /// [`Machine::step_runnable`] with the machine's own scenario lent by the caller (the
    /// explorer holds it apart from the machines it steps), so that reading the op while the
    /// machine changes costs no clone of the `Arc`: two atomic operations on every edge. `base`
    /// is [`Machine::reg_base`] of `t`, which the caller knows (it is a sum over the threads
    /// before `t`).
    pub(crate) fn step_runnable_in(
        &mut self,
        scn: &Scenario,
        base: usize,
        t: ThreadId,
    ) -> Result<EventKind, StepError> {
        debug_assert!(std::ptr::eq(scn, &*self.scn));
        debug_assert_eq!(base, self.reg_base(t.index()));
        let ti = t.index();
        let Some(st) = self.threads.get(ti) else {
            return Err(StepError::NoSuchThread(t));
        };
        let pc = usize::from(st.pc);
        let Some(op) = scn.threads[ti].program.get(pc) else {
            return Err(StepError::Finished(t));
        };
        self.steps = self.steps.saturating_add(1);
        let kind = match self.exec(t, pc, base, op) {
            Ok(kind) => kind,
            Err(error) => {
                // An op that raises has changed nothing; the exception moves the thread.
                self.start(ti, 0);
                self.raise(ti, pc, error.clone());
                EventKind::Raised(error)
            }
        };
        self.settle_pc(ti);
        if scn.gil {
            // The GIL goes with the thread that ran, unless it let go: `time.sleep` and blocking
            // calls release it, and so does ending (normally or by an exception).
            let lets_go = matches!(op.kind, OpKind::Sleep { .. }) || !self.is_live(ti);
            self.gil = if lets_go { None } else { Some(t) };
        }
        self.settle_after(ti);
        Ok(kind)
    }

    /// Execute `op`, the op at `pc` of thread `t` (whose registers start at `base`), in the
    /// module of its primitive, and move the thread's program counter on.
    fn exec(&mut self, t: ThreadId, pc: usize, base: usize, op: &Op) -> Result<EventKind, PyError> {
        let ti = t.index();
        let c = Ctx { t, ti, pc, base };
        let (kind, flow) = match &op.kind {
            OpKind::Load { var, dst } => (self.load(c, *var, *dst), Flow::Next),
            OpKind::Store { var, src } => (self.store(c, *var, *src), Flow::Next),
            OpKind::Const { dst, value } => (self.constant(c, *dst, *value), Flow::Next),
            OpKind::BinOp { dst, op: bop, a, b } => (self.bin_op(c, *dst, *bop, a, b)?, Flow::Next),
            OpKind::AtomicAdd { var, imm } => (self.atomic_add(c, *var, *imm)?, Flow::Next),
            OpKind::Jump { target } => self.jump(c, *target),
            OpKind::JumpIf { cond, when, target } => self.jump_if(c, *cond, *when, *target),
            OpKind::Assert { cond, message } => self.assert(c, *cond, message),
            OpKind::Enter { section } => (self.enter(c, *section), Flow::Next),
            OpKind::Exit { section } => (self.exit(c, *section), Flow::Next),
            OpKind::Print { text } => (self.print(c, text), Flow::Next),
            OpKind::Nop => (self.nop(c), Flow::Next),
            OpKind::Raise { error } => return Err(error.clone()),
            // Unreachable: a thread never rests on a marker (see `settle_pc`).
            OpKind::Try { .. } => (self.nop(c), Flow::Next),
            OpKind::Acquire { lock } => (self.acquire(c, *lock)?, Flow::Next),
            OpKind::TryAcquire { lock, dst } => (self.try_acquire(c, *lock, *dst)?, Flow::Next),
            OpKind::TimedAcquire { lock, dst } => (self.timed_acquire(c, *lock, *dst)?, Flow::Next),
            OpKind::Release { lock } => (self.release(c, *lock)?, Flow::Next),
            OpKind::SemAcquire { sem } => (self.sem_acquire(c, *sem), Flow::Next),
            OpKind::SemTryAcquire { sem, dst } => (self.sem_try_acquire(c, *sem, *dst), Flow::Next),
            OpKind::SemTimedAcquire { sem, dst } => {
                (self.sem_timed_acquire(c, *sem, *dst), Flow::Next)
            }
            OpKind::SemRelease { sem } => (self.sem_release(c, *sem)?, Flow::Next),
            OpKind::CondWait { cond } => self.cond_wait(c, *cond)?,
            OpKind::CondNotify { cond, n } => (self.notify(c, *cond, usize::from(*n))?, Flow::Next),
            OpKind::CondNotifyAll { cond } => (self.notify(c, *cond, usize::MAX)?, Flow::Next),
            OpKind::QueuePut { queue, src } => (self.queue_put(c, *queue, src)?, Flow::Next),
            OpKind::QueueGet { queue, dst } => (self.queue_get(c, *queue, *dst), Flow::Next),
            OpKind::TaskDone { queue } => (self.task_done(c, *queue)?, Flow::Next),
            OpKind::QueueJoin { queue } => (self.queue_join(c, *queue), Flow::Next),
            OpKind::JoinThread { thread } => (self.join_thread(c, *thread)?, Flow::Next),
            OpKind::LocalSet { slot, src } => (self.local_set(c, *slot, src), Flow::Next),
            OpKind::LocalGet { slot, dst } => (self.local_get(c, *slot, *dst)?, Flow::Next),
            OpKind::Sleep { ms } => (self.sleep(c, *ms), Flow::Next),
            OpKind::Work { ms } => (self.work(c, *ms), Flow::Next),
        };
        match flow {
            Flow::Next => self.threads[ti].pc = u16::try_from(pc + 1).unwrap_or(u16::MAX),
            Flow::Stay => {}
            Flow::To(target) => self.threads[ti].pc = target,
        }
        Ok(kind)
    }

    /// Move the thread's clock to when the op can start; that time.
    fn start(&mut self, ti: usize, ready: u64) -> u64 {
        let gil = self.scn.gil;
        let Some(a) = self.aux.as_deref_mut() else {
            return 0;
        };
        let mut s = a.clock[ti].max(ready);
        if gil {
            s = s.max(a.gil_busy_until);
        }
        a.clock[ti] = s;
        a.last = (s, s);
        s
    }

    /// Let the op take `ms` after it started; `cpu` work also keeps the GIL busy.
    fn last_for(&mut self, ti: usize, ms: u32, cpu: bool) {
        let gil = self.scn.gil;
        if let Some(a) = self.aux.as_deref_mut() {
            let end = a.clock[ti].saturating_add(u64::from(ms));
            a.last = (a.clock[ti], end);
            a.clock[ti] = end;
            if cpu && gil {
                a.gil_busy_until = end;
            }
        }
    }

    fn aux_get(&self, f: impl FnOnce(&crate::machine::Aux) -> u64) -> u64 {
        self.aux.as_deref().map_or(0, f)
    }

    fn aux_mut(&mut self, f: impl FnOnce(&mut crate::machine::Aux)) {
        if let Some(a) = self.aux.as_deref_mut() {
            f(a);
        }
    }

    /// Decide whether the run has ended, in the order documented on [`Outcome`]: a broken
    /// `Always`/`MaxInSection` check; once no thread can move, a deadlock, a broken final check,
    /// an exception that ended a thread, or a clean finish; the step limit. Called after every
    /// step and on the initial state.
    pub(crate) fn settle(&mut self) {
        self.settle_after(0);
    }

    /// [`Machine::settle`] after a step of thread `ti`, which is asked first whether it can
    /// still move (usually it can, and then no other thread need be asked).
    fn settle_after(&mut self, ti: usize) {
        if self.outcome.is_some() {
            return;
        }
        // Checks are read in place (no `Arc` clone: this runs on every step the explorer
        // takes); a failing one is recorded once the borrow ends.
        let mut failed = None;
        for (i, check) in self.scn.checks.iter().enumerate() {
            let ok = match check {
                Check::Always {
                    var, cmp, value, ..
                } => cmp.holds(self.vars[var.index()], *value),
                Check::MaxInSection { section, max, .. } => {
                    let bit = 1u64.checked_shl(u32::from(section.0)).unwrap_or(0);
                    let inside = self
                        .threads
                        .iter()
                        .filter(|s| s.sections & bit != 0)
                        .count();
                    inside <= usize::from(*max)
                }
                Check::Final { .. } | Check::FinalSum { .. } => true,
            };
            if !ok {
                failed = Some(i);
                break;
            }
        }
        if let Some(i) = failed {
            self.violate(i);
            return;
        }
        // The thread that stepped is the likeliest to be still running.
        let all_done = self.is_finished(ti) && (0..self.threads.len()).all(|t| self.is_finished(t));
        if all_done {
            for (i, check) in self.scn.checks.iter().enumerate() {
                let ok = match check {
                    Check::Final {
                        var, cmp, value, ..
                    } => cmp.holds(self.vars[var.index()], *value),
                    Check::FinalSum {
                        vars, cmp, value, ..
                    } => {
                        let sum = vars.iter().try_fold(0i64, |acc, v| {
                            self.vars[v.index()]
                                .as_int()
                                .and_then(|x| acc.checked_add(x))
                        });
                        sum.is_some_and(|s| cmp.holds(Value::Int(s), *value))
                    }
                    Check::Always { .. } | Check::MaxInSection { .. } => true,
                };
                if !ok {
                    failed = Some(i);
                    break;
                }
            }
            if let Some(i) = failed {
                self.violate(i);
                return;
            }
            self.outcome = Some(match self.first_raiser() {
                Some((thread, error)) => Outcome::Misuse {
                    thread,
                    error: error.clone(),
                },
                None => Outcome::Finished { vars: self.vars() },
            });
            return;
        }
        if !self.is_live(ti) && !(0..self.threads.len()).any(|t| self.is_live(t)) {
            let blocked = self
                .thread_ids()
                .filter(|t| !self.is_finished(t.index()))
                .collect();
            self.outcome = Some(Outcome::Deadlock {
                blocked,
                cycle: self.deadlock_cycle(),
            });
            return;
        }
        if self.steps >= self.step_limit {
            self.outcome = Some(Outcome::StepLimit { steps: self.steps });
        }
    }

    fn violate(&mut self, check: usize) {
        let message = self
            .scn
            .checks
            .get(check)
            .map_or_else(String::new, |c| c.message().to_string());
        self.outcome = Some(Outcome::Violated {
            check: CheckRef::Check(check),
            message,
            vars: self.vars(),
        });
    }
}

/// Helpers for the unit tests of the primitive modules.
#[cfg(test)]
mod testing {
    use crate::prelude::*;

    pub(super) const T1: ThreadId = ThreadId(0);
    pub(super) const T2: ThreadId = ThreadId(1);

    pub(super) fn machine(b: ScenarioBuilder) -> Machine {
        Machine::new(b.build_arc().unwrap()).unwrap()
    }

    /// The exception that ended the run, as `"Kind: message"`.
    pub(super) fn misuse(m: &Machine) -> String {
        match m.outcome() {
            Some(Outcome::Misuse { error, .. }) => error.to_string(),
            other => panic!("expected a misuse, got {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::samples;
    use crate::WaitKind;

    #[test]
    fn stepping_errors_change_nothing() {
        let mut m = Machine::new(samples::race(2, 1, true)).unwrap();
        m.step(T1).unwrap();
        let before = m.clone();
        assert_eq!(
            m.step(ThreadId(7)).unwrap_err(),
            StepError::NoSuchThread(ThreadId(7))
        );
        assert!(matches!(m.step(T2), Err(StepError::Blocked(_))));
        assert_eq!(m, before);
        assert_eq!(m.steps(), 1);
    }

    #[test]
    fn gil_holder_keeps_the_gil_until_a_switch_point() {
        let mut m = Machine::new(samples::gil_race(2, 1, false)).unwrap();
        assert_eq!(m.runnable(), vec![T1, T2]);
        m.step(T1).unwrap();
        assert_eq!(m.gil_holder(), Some(T1));
        assert_eq!(m.runnable(), vec![T1]);
        assert_eq!(
            m.step(T2).unwrap_err(),
            StepError::GilHeldBy {
                thread: T2,
                holder: T1
            }
        );
        assert!(matches!(
            m.status(T2),
            Some(ThreadStatus::Blocked(BlockReason {
                waits_for: WaitKind::Gil,
                holder: Some(T1),
                ..
            }))
        ));
        // i = 0, i < n, jump, 4 increment ops, i += 1: now at JUMP_BACKWARD, a switch point.
        for _ in 0..7 {
            m.step(T1).unwrap();
        }
        assert_eq!(m.runnable(), vec![T1, T2]);
    }
}
