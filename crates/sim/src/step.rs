//! Step semantics: what each op does to a [`Machine`], with Python's rules for each primitive,
//! and how a run ends. `step` never panics: every id was checked by [`Scenario::validate`]
//! when the machine was built, and every learner-reachable failure is a [`StepError`] or a
//! Python exception ending the run as [`Outcome::Misuse`].
//!
//! [`Scenario::validate`]: crate::Scenario::validate

use crate::event::{Event, EventKind};
use crate::machine::{BlockReason, Machine, Phase, ThreadStatus};
use crate::op::{BinOpKind, Check, Op, OpKind, Operand};
use crate::outcome::{CheckRef, Outcome, PyError, PyExc};
use crate::scenario::LockKind;
use crate::value::{LockId, ThreadId, Value};
use std::fmt;
use std::sync::Arc;

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

/// Python equality on model values (`1 == True`, `None == None`).
fn py_eq(a: Value, b: Value) -> bool {
    match (a.as_int(), b.as_int()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// `a <op> b` with Python's semantics and CPython's `TypeError` messages.
pub(crate) fn binop(op: BinOpKind, a: Value, b: Value) -> Result<Value, PyError> {
    match op {
        BinOpKind::Eq => return Ok(Value::Bool(py_eq(a, b))),
        BinOpKind::Ne => return Ok(Value::Bool(!py_eq(a, b))),
        BinOpKind::And => return Ok(if a.truthy() { b } else { a }),
        BinOpKind::Or => return Ok(if a.truthy() { a } else { b }),
        _ => {}
    }
    let (Some(x), Some(y)) = (a.as_int(), b.as_int()) else {
        let msg = match op {
            BinOpKind::Add | BinOpKind::Sub | BinOpKind::Mul => format!(
                "unsupported operand type(s) for {}: '{}' and '{}'",
                op.symbol(),
                a.type_name(),
                b.type_name()
            ),
            _ => format!(
                "'{}' not supported between instances of '{}' and '{}'",
                op.symbol(),
                a.type_name(),
                b.type_name()
            ),
        };
        return Err(PyError::new(PyExc::TypeError, msg));
    };
    let int = |r: Option<i64>| r.map(Value::Int).ok_or_else(overflow);
    match op {
        BinOpKind::Add => int(x.checked_add(y)),
        BinOpKind::Sub => int(x.checked_sub(y)),
        BinOpKind::Mul => int(x.checked_mul(y)),
        BinOpKind::Lt => Ok(Value::Bool(x < y)),
        BinOpKind::Le => Ok(Value::Bool(x <= y)),
        BinOpKind::Gt => Ok(Value::Bool(x > y)),
        BinOpKind::Ge => Ok(Value::Bool(x >= y)),
        BinOpKind::Eq | BinOpKind::Ne | BinOpKind::And | BinOpKind::Or => Ok(Value::None),
    }
}

impl Machine {
    /// Execute the thread's next op and say what happened.
    ///
    /// On an error nothing changes. An op that raises a Python exception *is* a step: it ends
    /// the run with [`Outcome::Misuse`] and its event is [`EventKind::Raised`].
    pub fn step(&mut self, t: ThreadId) -> Result<Event, StepError> {
        let pc = self.pc(t).unwrap_or(0);
        let kind = self.step_kind(t)?;
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
            scn: Arc::clone(&self.scn),
        })
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
        let scn = Arc::clone(&self.scn);
        let pc = usize::from(self.threads[ti].pc);
        let Some(op) = scn.threads[ti].program.get(pc) else {
            return Err(StepError::Finished(t));
        };
        self.steps = self.steps.saturating_add(1);
        let kind = match self.exec(t, pc, op) {
            Ok(kind) => kind,
            Err(error) => {
                self.start(ti, 0);
                self.outcome = Some(Outcome::Misuse {
                    thread: t,
                    error: error.clone(),
                });
                return Ok(EventKind::Raised(error));
            }
        };
        if scn.gil {
            // The GIL goes with the thread that ran, unless it let go: `time.sleep` and blocking
            // calls release it, and so does finishing.
            let lets_go = matches!(op.kind, OpKind::Sleep { .. }) || !self.is_live(ti);
            self.gil = if lets_go { None } else { Some(t) };
        }
        self.settle();
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

    /// Python's `Condition._is_owned()`: for an `RLock`, owned by the caller; for a `Lock`,
    /// merely locked, by anyone (CPython can only ask a `Lock` whether it is locked, so a
    /// thread may `wait()` on a condition whose `Lock` another thread holds; checked on 3.11).
    fn owns(&self, lock: LockId, t: ThreadId) -> bool {
        let st = self.locks[lock.index()];
        match self.scn.locks[lock.index()].kind {
            LockKind::Lock => st.count > 0,
            LockKind::RLock => st.owner == Some(t) && st.count > 0,
        }
    }

    fn lock_is_free_for(&self, lock: LockId, t: ThreadId) -> bool {
        let st = self.locks[lock.index()];
        st.count == 0
            || (self.scn.locks[lock.index()].kind == LockKind::RLock && st.owner == Some(t))
    }

    fn take_lock(&mut self, lock: LockId, t: ThreadId) -> Result<u32, PyError> {
        let st = &mut self.locks[lock.index()];
        st.count = st
            .count
            .checked_add(1)
            .ok_or_else(|| PyError::new(PyExc::OverflowError, "Internal lock count overflowed"))?;
        st.owner = Some(t);
        Ok(st.count)
    }

    fn exec(&mut self, t: ThreadId, pc: usize, op: &Op) -> Result<EventKind, PyError> {
        let ti = t.index();
        let base = self.reg_base(ti);
        let next = u16::try_from(pc + 1).unwrap_or(u16::MAX);
        let operand = |m: &Machine, o: &Operand| match o {
            Operand::Reg(r) => m.regs[base + r.index()],
            Operand::Imm(v) => *v,
        };
        let kind = match &op.kind {
            OpKind::Load { var, dst } => {
                self.start(ti, 0);
                let value = self.vars[var.index()];
                self.regs[base + dst.index()] = value;
                EventKind::Read { var: *var, value }
            }
            OpKind::Store { var, src } => {
                self.start(ti, 0);
                let new = self.regs[base + src.index()];
                let old = std::mem::replace(&mut self.vars[var.index()], new);
                EventKind::Wrote {
                    var: *var,
                    old,
                    new,
                }
            }
            OpKind::Const { dst, value } => {
                self.start(ti, 0);
                self.regs[base + dst.index()] = *value;
                EventKind::Computed {
                    dst: *dst,
                    value: *value,
                }
            }
            OpKind::BinOp { dst, op: bop, a, b } => {
                let value = binop(*bop, operand(self, a), operand(self, b))?;
                self.start(ti, 0);
                self.regs[base + dst.index()] = value;
                EventKind::Computed { dst: *dst, value }
            }
            OpKind::Jump { target } => {
                self.start(ti, 0);
                self.threads[ti].pc = *target;
                return Ok(EventKind::Branched {
                    taken: true,
                    target: *target,
                });
            }
            OpKind::JumpIf { cond, when, target } => {
                self.start(ti, 0);
                let taken = self.regs[base + cond.index()].truthy() == *when;
                self.threads[ti].pc = if taken { *target } else { next };
                return Ok(EventKind::Branched {
                    taken,
                    target: *target,
                });
            }
            OpKind::Acquire { lock } => {
                let count = self.take_lock(*lock, t)?;
                let ready = self.aux_get(|a| a.lock_free_at[lock.index()]);
                self.start(ti, ready);
                EventKind::Acquired { lock: *lock, count }
            }
            OpKind::TryAcquire { lock, dst } => {
                let ok = self.lock_is_free_for(*lock, t);
                if ok {
                    self.take_lock(*lock, t)?;
                    let ready = self.aux_get(|a| a.lock_free_at[lock.index()]);
                    self.start(ti, ready);
                } else {
                    self.start(ti, 0);
                }
                self.regs[base + dst.index()] = Value::Bool(ok);
                EventKind::TriedAcquire { lock: *lock, ok }
            }
            OpKind::Release { lock } => {
                let st = self.locks[lock.index()];
                let count = match self.scn.locks[lock.index()].kind {
                    LockKind::Lock if st.count == 0 => {
                        return Err(runtime("release unlocked lock"))
                    }
                    LockKind::Lock => 0,
                    LockKind::RLock if st.owner != Some(t) || st.count == 0 => {
                        return Err(runtime("cannot release un-acquired lock"))
                    }
                    LockKind::RLock => st.count - 1,
                };
                let now = self.start(ti, 0);
                let st = &mut self.locks[lock.index()];
                st.count = count;
                if count == 0 {
                    st.owner = None;
                    self.aux_mut(|a| a.lock_free_at[lock.index()] = now);
                }
                EventKind::Released { lock: *lock, count }
            }
            OpKind::SemAcquire { sem } => {
                let permits_left = self.take_permit(ti, sem.index());
                EventKind::SemAcquired {
                    sem: *sem,
                    permits_left,
                }
            }
            OpKind::SemTryAcquire { sem, dst } => {
                let ok = self.sems[sem.index()] > 0;
                if ok {
                    self.take_permit(ti, sem.index());
                } else {
                    self.start(ti, 0);
                }
                self.regs[base + dst.index()] = Value::Bool(ok);
                EventKind::SemTried { sem: *sem, ok }
            }
            OpKind::SemRelease { sem } => {
                let s = sem.index();
                let decl = &self.scn.sems[s];
                if decl.bounded && self.sems[s] >= decl.initial {
                    return Err(PyError::new(
                        PyExc::ValueError,
                        "Semaphore released too many times",
                    ));
                }
                let permits = self.sems[s].checked_add(1).ok_or_else(overflow)?;
                let now = self.start(ti, 0);
                self.sems[s] = permits;
                let nsems = self.scn.sems.len();
                self.aux_mut(|a| {
                    a.sem_free_at[s].give(now);
                    let held = &mut a.sem_held[ti * nsems + s];
                    *held = held.saturating_sub(1);
                });
                EventKind::SemReleased { sem: *sem, permits }
            }
            OpKind::CondWait { cond } => {
                let lock = self.scn.conds[cond.index()].lock;
                match self.threads[ti].phase {
                    Phase::Run => {
                        if !self.owns(lock, t) {
                            return Err(runtime("cannot wait on un-acquired lock"));
                        }
                        let now = self.start(ti, 0);
                        // `_release_save`: an RLock gives up all its levels at once, and the
                        // count comes back in `_acquire_restore`.
                        let count = std::mem::replace(&mut self.locks[lock.index()].count, 0);
                        self.locks[lock.index()].owner = None;
                        self.aux_mut(|a| a.lock_free_at[lock.index()] = now);
                        self.conds[cond.index()].push(t);
                        self.threads[ti].phase = Phase::WaitNotify { count };
                        return Ok(EventKind::CondWaiting { cond: *cond, lock });
                    }
                    Phase::WaitNotify { count } | Phase::Reacquire { count } => {
                        let ready =
                            self.aux_get(|a| a.woken_at[ti].max(a.lock_free_at[lock.index()]));
                        self.start(ti, ready);
                        self.locks[lock.index()].count = count.max(1);
                        self.locks[lock.index()].owner = Some(t);
                        self.threads[ti].phase = Phase::Run;
                        EventKind::CondReturned { cond: *cond, lock }
                    }
                }
            }
            OpKind::CondNotify { cond, n } => self.notify(t, *cond, usize::from(*n))?,
            OpKind::CondNotifyAll { cond } => self.notify(t, *cond, usize::MAX)?,
            OpKind::QueuePut { queue, src } => {
                let q = queue.index();
                let value = operand(self, src);
                let unfinished = self.queues[q]
                    .unfinished
                    .checked_add(1)
                    .ok_or_else(overflow)?;
                let bounded = self.scn.queues[q].maxsize.is_some();
                let ready = if bounded {
                    self.aux
                        .as_deref_mut()
                        .map_or(0, |a| a.slot_free_at[q].take())
                } else {
                    0
                };
                let now = self.start(ti, ready);
                let st = &mut self.queues[q];
                st.items.push(value);
                st.unfinished = unfinished;
                let len = st.items.len();
                self.aux_mut(|a| a.item_at[q].push(now));
                EventKind::Put {
                    queue: *queue,
                    value,
                    len,
                }
            }
            OpKind::QueueGet { queue, dst } => {
                let q = queue.index();
                if self.queues[q].items.is_empty() {
                    // Unreachable (the thread would be blocked), but never worth a panic.
                    return Ok(EventKind::Nothing);
                }
                let value = self.queues[q].items.remove(0);
                let ready = self.aux.as_deref_mut().map_or(0, |a| {
                    if a.item_at[q].is_empty() {
                        0
                    } else {
                        a.item_at[q].remove(0)
                    }
                });
                let now = self.start(ti, ready);
                if self.scn.queues[q].maxsize.is_some() {
                    self.aux_mut(|a| a.slot_free_at[q].give(now));
                }
                self.regs[base + dst.index()] = value;
                EventKind::Got {
                    queue: *queue,
                    value,
                    len: self.queues[q].items.len(),
                }
            }
            OpKind::TaskDone { queue } => {
                let q = queue.index();
                let Some(unfinished) = self.queues[q].unfinished.checked_sub(1) else {
                    return Err(PyError::new(
                        PyExc::ValueError,
                        "task_done() called too many times",
                    ));
                };
                let now = self.start(ti, 0);
                self.queues[q].unfinished = unfinished;
                if unfinished == 0 {
                    self.aux_mut(|a| a.done_at[q] = now);
                }
                EventKind::TaskDone {
                    queue: *queue,
                    unfinished,
                }
            }
            OpKind::QueueJoin { queue } => {
                let ready = self.aux_get(|a| a.done_at[queue.index()]);
                self.start(ti, ready);
                EventKind::Joined { queue: *queue }
            }
            OpKind::JoinThread { thread } => {
                if *thread == t {
                    return Err(runtime("cannot join current thread"));
                }
                let ready = self.aux_get(|a| a.clock[thread.index()]);
                self.start(ti, ready);
                EventKind::JoinedThread { thread: *thread }
            }
            OpKind::LocalSet { slot, src } => {
                self.start(ti, 0);
                let value = operand(self, src);
                let n = self.threads.len();
                self.locals[slot.index() * n + ti] = Some(value);
                EventKind::LocalSet { slot: *slot, value }
            }
            OpKind::LocalGet { slot, dst } => {
                let n = self.threads.len();
                let Some(value) = self.locals[slot.index() * n + ti] else {
                    return Err(PyError::new(
                        PyExc::AttributeError,
                        format!(
                            "'_thread._local' object has no attribute '{}'",
                            self.scn.local_name(*slot)
                        ),
                    ));
                };
                self.start(ti, 0);
                self.regs[base + dst.index()] = value;
                EventKind::LocalGot { slot: *slot, value }
            }
            OpKind::Sleep { ms } => {
                self.start(ti, 0);
                self.last_for(ti, *ms, false);
                EventKind::Slept { ms: *ms }
            }
            OpKind::Work { ms } => {
                self.start(ti, 0);
                self.last_for(ti, *ms, true);
                EventKind::Worked { ms: *ms }
            }
            OpKind::Enter { section } => {
                self.start(ti, 0);
                self.threads[ti].sections |= 1u64.checked_shl(u32::from(section.0)).unwrap_or(0);
                EventKind::Entered { section: *section }
            }
            OpKind::Exit { section } => {
                self.start(ti, 0);
                self.threads[ti].sections &= !1u64.checked_shl(u32::from(section.0)).unwrap_or(0);
                EventKind::Exited { section: *section }
            }
            OpKind::AtomicAdd { var, imm } => {
                let v = var.index();
                let value = binop(BinOpKind::Add, self.vars[v], Value::Int(*imm))?;
                self.start(ti, 0);
                self.vars[v] = value;
                EventKind::Tallied { var: *var, value }
            }
            OpKind::Assert { cond, message } => {
                self.start(ti, 0);
                let ok = self.regs[base + cond.index()].truthy();
                if !ok {
                    let pc = u16::try_from(pc).unwrap_or(u16::MAX);
                    self.outcome = Some(Outcome::Violated {
                        check: CheckRef::Assert { thread: t, pc },
                        message: message.clone(),
                        vars: self.vars(),
                    });
                    return Ok(EventKind::Asserted { ok });
                }
                EventKind::Asserted { ok }
            }
            OpKind::Nop => {
                self.start(ti, 0);
                EventKind::Nothing
            }
        };
        self.threads[ti].pc = next;
        Ok(kind)
    }

    /// Take a permit (the caller checked there is one); permits left.
    fn take_permit(&mut self, ti: usize, s: usize) -> u32 {
        let left = self.sems[s].saturating_sub(1);
        self.sems[s] = left;
        let nsems = self.scn.sems.len();
        let ready = self.aux.as_deref_mut().map_or(0, |a| {
            let held = &mut a.sem_held[ti * nsems + s];
            *held = held.saturating_add(1);
            a.sem_free_at[s].take()
        });
        self.start(ti, ready);
        left
    }

    fn notify(&mut self, t: ThreadId, cond: crate::CondId, n: usize) -> Result<EventKind, PyError> {
        let lock = self.scn.conds[cond.index()].lock;
        if !self.owns(lock, t) {
            return Err(runtime("cannot notify on un-acquired lock"));
        }
        let now = self.start(t.index(), 0);
        let waiters = &mut self.conds[cond.index()];
        let woken: Vec<ThreadId> = waiters.drain(..n.min(waiters.len())).collect();
        for w in &woken {
            let st = &mut self.threads[w.index()];
            if let Phase::WaitNotify { count } = st.phase {
                st.phase = Phase::Reacquire { count };
            }
        }
        self.aux_mut(|a| {
            for w in &woken {
                a.woken_at[w.index()] = now;
            }
        });
        Ok(EventKind::Notified { cond, woken })
    }

    /// Decide whether the run has ended: a broken check, everyone finished, deadlock, or the
    /// step limit. Called after every step and on the initial state.
    pub(crate) fn settle(&mut self) {
        if self.outcome.is_some() {
            return;
        }
        let scn = Arc::clone(&self.scn);
        for (i, check) in scn.checks.iter().enumerate() {
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
                self.violate(i, check.message());
                return;
            }
        }
        let all_done = (0..self.threads.len()).all(|t| self.is_finished(t));
        if all_done {
            for (i, check) in scn.checks.iter().enumerate() {
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
                    self.violate(i, check.message());
                    return;
                }
            }
            self.outcome = Some(Outcome::Finished { vars: self.vars() });
            return;
        }
        if !(0..self.threads.len()).any(|t| self.is_live(t)) {
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

    fn violate(&mut self, check: usize, message: &str) {
        self.outcome = Some(Outcome::Violated {
            check: CheckRef::Check(check),
            message: message.to_string(),
            vars: self.vars(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::binop;
    use super::*;
    use crate::prelude::*;
    use crate::samples;
    use crate::{CondId, SemId, WaitKind};

    const T1: ThreadId = ThreadId(0);
    const T2: ThreadId = ThreadId(1);

    fn machine(b: ScenarioBuilder) -> Machine {
        Machine::new(b.build_arc().unwrap()).unwrap()
    }

    fn misuse(m: &Machine) -> String {
        match m.outcome() {
            Some(Outcome::Misuse { error, .. }) => error.to_string(),
            other => panic!("expected a misuse, got {other:?}"),
        }
    }

    #[test]
    fn binop_raises_cpython_type_errors() {
        let e = binop(BinOpKind::Add, Value::None, Value::Int(1)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "TypeError: unsupported operand type(s) for +: 'NoneType' and 'int'"
        );
        let e = binop(BinOpKind::Lt, Value::Int(1), Value::None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "TypeError: '<' not supported between instances of 'int' and 'NoneType'"
        );
    }

    #[test]
    fn binop_follows_python_semantics() {
        assert_eq!(
            binop(BinOpKind::Add, Value::Bool(true), Value::Bool(true)),
            Ok(Value::Int(2))
        );
        assert_eq!(
            binop(BinOpKind::Eq, Value::Int(1), Value::Bool(true)),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            binop(BinOpKind::And, Value::Int(0), Value::Int(5)),
            Ok(Value::Int(0))
        );
        assert_eq!(
            binop(BinOpKind::Or, Value::None, Value::Int(5)),
            Ok(Value::Int(5))
        );
        assert_eq!(
            binop(BinOpKind::Ge, Value::Int(3), Value::Int(3)),
            Ok(Value::Bool(true))
        );
    }

    #[test]
    fn binop_overflow_is_an_overflow_error_not_a_wrap() {
        let e = binop(BinOpKind::Add, Value::Int(i64::MAX), Value::Int(1)).unwrap_err();
        assert_eq!(e.kind, PyExc::OverflowError);
        let e = binop(BinOpKind::Mul, Value::Int(i64::MIN), Value::Int(-1)).unwrap_err();
        assert_eq!(e.kind, PyExc::OverflowError);
    }

    #[test]
    fn interleaved_increments_lose_an_update() {
        let mut m = Machine::new(samples::race(2, 1, false)).unwrap();
        for t in [T1, T1, T2, T2, T2, T2, T1, T1] {
            m.step(t).unwrap();
        }
        assert_eq!(m.var_by_name("counter"), Some(Value::Int(1)));
        assert!(matches!(m.outcome(), Some(Outcome::Finished { .. })));
    }

    #[test]
    fn events_read_like_a_log() {
        let mut m = Machine::new(samples::race(2, 1, false)).unwrap();
        assert_eq!(m.step(T1).unwrap().to_string(), "T1 read counter = 0");
        assert_eq!(m.step(T1).unwrap().to_string(), "T1 set one = 1");
        assert_eq!(m.step(T1).unwrap().to_string(), "T1 set tmp = 1");
        let e = m.step(T1).unwrap();
        assert_eq!(e.to_string(), "T1 wrote counter = 1 (was 0); T1 finished");
        assert_eq!(e.line, 8);
        assert_eq!(e.op_text(), "STORE_GLOBAL 0 (counter)");
    }

    #[test]
    fn a_blocked_thread_says_who_holds_the_lock() {
        let mut m = Machine::new(samples::race(2, 1, true)).unwrap();
        m.step(T1).unwrap();
        let err = m.step(T2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "T2 is blocked, waiting for lock `lock` held by T1"
        );
        assert_eq!(m.runnable(), vec![T1]);
        let lock = m.scenario().lock_id("lock").unwrap();
        assert_eq!(m.lock_view(lock).unwrap().waiters, vec![T2]);
    }

    #[test]
    fn lock_reacquired_by_its_holder_deadlocks_with_a_self_cycle() {
        let mut m = machine(
            ScenarioBuilder::new("x")
                .lock("lock", LockKind::Lock)
                .thread("T1", |t| {
                    t.op("acquire", acquire("lock"))
                        .op("acquire", acquire("lock"));
                }),
        );
        let e = m.step(T1).unwrap();
        assert!(e.outcome.is_some());
        match m.outcome().unwrap() {
            Outcome::Deadlock { blocked, cycle } => {
                assert_eq!(blocked, &vec![T1]);
                assert_eq!(cycle.len(), 1);
                assert_eq!(cycle[0].holder, Some(T1));
            }
            o => panic!("{o:?}"),
        }
        assert_eq!(
            m.outcome().unwrap().to_string(),
            "deadlock: T1 waits for lock `lock` held by T1 itself"
        );
    }

    #[test]
    fn rlock_reentry_counts_and_releases() {
        let mut m = machine(ScenarioBuilder::new("x").lock("r", LockKind::RLock).thread(
            "T1",
            |t| {
                t.op("a", acquire("r"))
                    .op("a", acquire("r"))
                    .op("r", release("r"))
                    .op("r", release("r"));
            },
        ));
        assert_eq!(
            m.step(T1).unwrap().kind,
            EventKind::Acquired {
                lock: LockId(0),
                count: 1
            }
        );
        assert_eq!(
            m.step(T1).unwrap().kind,
            EventKind::Acquired {
                lock: LockId(0),
                count: 2
            }
        );
        assert_eq!(
            m.step(T1).unwrap().kind,
            EventKind::Released {
                lock: LockId(0),
                count: 1
            }
        );
        assert_eq!(m.lock_view(LockId(0)).unwrap().owner, Some(T1));
        m.step(T1).unwrap();
        assert!(matches!(m.outcome(), Some(Outcome::Finished { .. })));
    }

    #[test]
    fn releasing_an_unlocked_lock_is_a_runtime_error() {
        let mut m = machine(
            ScenarioBuilder::new("x")
                .lock("lock", LockKind::Lock)
                .thread("T1", |t| {
                    t.op("lock.release()", release("lock"));
                }),
        );
        let e = m.step(T1).unwrap();
        assert!(matches!(e.kind, EventKind::Raised(_)));
        assert_eq!(misuse(&m), "RuntimeError: release unlocked lock");
        assert_eq!(m.pc(T1), Some(0));
    }

    #[test]
    fn a_lock_may_be_released_by_another_thread_but_an_rlock_may_not() {
        for (kind, ok) in [(LockKind::Lock, true), (LockKind::RLock, false)] {
            let mut m = machine(
                ScenarioBuilder::new("x")
                    .lock("l", kind)
                    .thread("T1", |t| {
                        t.op("acquire", acquire("l"));
                    })
                    .thread("T2", |t| {
                        t.op("release", release("l"));
                    }),
            );
            m.step(T1).unwrap();
            m.step(T2).unwrap();
            if ok {
                assert!(matches!(m.outcome(), Some(Outcome::Finished { .. })));
            } else {
                assert_eq!(misuse(&m), "RuntimeError: cannot release un-acquired lock");
            }
        }
    }

    #[test]
    fn semaphore_over_release_raises_the_count_but_bounded_raises_value_error() {
        for bounded in [false, true] {
            let b = ScenarioBuilder::new("x");
            let b = if bounded {
                b.bounded_semaphore("s", 1)
            } else {
                b.semaphore("s", 1)
            };
            let mut m = machine(b.thread("T1", |t| {
                t.op("s.release()", sem_release("s"));
            }));
            m.step(T1).unwrap();
            if bounded {
                assert_eq!(misuse(&m), "ValueError: Semaphore released too many times");
            } else {
                assert_eq!(m.sem_view(SemId(0)).unwrap().permits, 2);
            }
        }
    }

    #[test]
    fn condition_wait_is_two_phases_and_restores_rlock_count() {
        let mut m = machine(
            ScenarioBuilder::new("x")
                .lock("l", LockKind::RLock)
                .condition("cv", "l")
                .thread("T1", |t| {
                    t.op("a", acquire("l"))
                        .op("a", acquire("l"))
                        .op("wait", wait("cv"))
                        .op("r", release("l"));
                })
                .thread("T2", |t| {
                    t.op("a", acquire("l"))
                        .op("notify", notify("cv", 1))
                        .op("r", release("l"));
                }),
        );
        m.step(T1).unwrap();
        m.step(T1).unwrap();
        let e = m.step(T1).unwrap();
        assert_eq!(e.to_string(), "T1 released `l` and waits on `cv`");
        assert_eq!(m.lock_view(LockId(0)).unwrap().count, 0);
        assert!(matches!(
            m.status(T1),
            Some(ThreadStatus::Blocked(BlockReason {
                waits_for: WaitKind::Notify(_),
                ..
            }))
        ));
        m.step(T2).unwrap();
        m.step(T2).unwrap();
        assert!(matches!(
            m.status(T1),
            Some(ThreadStatus::Blocked(BlockReason {
                waits_for: WaitKind::CondLock(..),
                holder: Some(T2),
                ..
            }))
        ));
        m.step(T2).unwrap();
        let e = m.step(T1).unwrap();
        assert_eq!(
            e.kind,
            EventKind::CondReturned {
                cond: CondId(0),
                lock: LockId(0)
            }
        );
        assert_eq!(m.lock_view(LockId(0)).unwrap().count, 2);
    }

    #[test]
    fn condition_misuse_uses_cpython_messages() {
        let mut m = machine(
            ScenarioBuilder::new("x")
                .lock("l", LockKind::Lock)
                .condition("cv", "l")
                .thread("T1", |t| {
                    t.op("wait", wait("cv"));
                }),
        );
        m.step(T1).unwrap();
        assert_eq!(misuse(&m), "RuntimeError: cannot wait on un-acquired lock");
        let mut m = machine(
            ScenarioBuilder::new("x")
                .lock("l", LockKind::RLock)
                .condition("cv", "l")
                .thread("T1", |t| {
                    t.op("notify_all", notify_all("cv"));
                }),
        );
        m.step(T1).unwrap();
        assert_eq!(
            misuse(&m),
            "RuntimeError: cannot notify on un-acquired lock"
        );
    }

    #[test]
    fn queue_task_done_too_often_and_unset_local_raise() {
        let mut m = machine(ScenarioBuilder::new("x").queue("q", 0).thread("T1", |t| {
            t.op("q.task_done()", task_done("q"));
        }));
        m.step(T1).unwrap();
        assert_eq!(misuse(&m), "ValueError: task_done() called too many times");
        let mut m = machine(ScenarioBuilder::new("x").local("x").thread("T1", |t| {
            t.op("local.x", local_get("x", "v"));
        }));
        m.step(T1).unwrap();
        assert_eq!(
            misuse(&m),
            "AttributeError: '_thread._local' object has no attribute 'x'"
        );
    }

    #[test]
    fn joining_the_current_thread_is_a_runtime_error() {
        let mut m = machine(ScenarioBuilder::new("x").thread("T1", |t| {
            t.op("t.join()", join_thread("T1"));
        }));
        m.step(T1).unwrap();
        assert_eq!(misuse(&m), "RuntimeError: cannot join current thread");
    }

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

    #[test]
    fn sleep_and_work_advance_virtual_time() {
        let mut m = machine(
            ScenarioBuilder::new("x")
                .gil(true)
                .thread("T1", |t| {
                    t.op("work", work(30)).op("sleep", sleep(100));
                })
                .thread("T2", |t| {
                    t.op("work", work(50));
                }),
        );
        m.step(T1).unwrap();
        let e = m.step(T1).unwrap();
        assert_eq!((e.start_ms, e.end_ms), (30, 130));
        let e = m.step(T2).unwrap();
        // The GIL was busy with T1's work until 30.
        assert_eq!((e.start_ms, e.end_ms), (30, 80));
        assert_eq!(m.elapsed_ms(), 130);
    }

    #[test]
    fn semaphore_pool_timeline_runs_in_waves() {
        let mut m = Machine::new(samples::semaphore_pool(5, 2)).unwrap();
        let (_, outcome) = crate::run_in_place(&mut m, &mut crate::RoundRobin::new(), 1000);
        assert!(matches!(outcome, Some(Outcome::Finished { .. })));
        assert_eq!(m.elapsed_ms(), 300);
    }
}
