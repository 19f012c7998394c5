//! The [`Machine`]: one state of a scenario's execution, the views the UI draws from it, and
//! thread statuses. The step semantics are in [`crate::step`].
//!
//! A machine is small and cheap to clone (a handful of short vectors), and its `Eq`/`Hash` look
//! only at what decides future behaviour (program counters, registers, the exceptions threads
//! carry, shared objects, the GIL, the outcome), not at the step counter, the virtual clocks,
//! what was printed or the `Arc`ed scenario. That is
//! what lets the explorer deduplicate states and the undo history keep one snapshot per step.

use crate::op::OpKind;
use crate::outcome::{Outcome, PyError, WaitEdge};
use crate::scenario::{LockKind, Scenario, ScenarioError};
use crate::value::{CondId, LocalId, LockId, QueueId, SectionId, SemId, ThreadId, Value, VarId};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Where a thread is inside a two-phase `Condition.wait()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Phase {
    /// Not inside a wait.
    Run,
    /// Released the lock, waiting for a notify; `count` is the saved `RLock` count.
    WaitNotify { count: u32 },
    /// Notified, waiting to re-acquire the lock with `count`.
    Reacquire { count: u32 },
}

/// An exception a thread carries: one a `finally:` block runs for, or the one that ended it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Exc {
    /// The `finally:` block of the [`OpKind::Try`] marker at op `marker` runs because of
    /// `error`; at its end, `error` is raised again.
    Pending { marker: u16, error: PyError },
    /// The thread ended with `error`; `rank` threads had ended by an exception before it.
    Ended { error: PyError, rank: u8 },
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct ThreadState {
    pub(crate) pc: u16,
    pub(crate) phase: Phase,
    /// Bit `i` set: inside critical section `i`.
    pub(crate) sections: u64,
    /// The exception the thread carries, if any (boxed: it is rare, and states are cloned a lot).
    pub(crate) exc: Option<Box<Exc>>,
}

// By hand for `clone_from`: the explorer copies every thread on every edge, and the derived one
// clones into a temporary and drops the old value even when neither carries an exception.
impl Clone for ThreadState {
    fn clone(&self) -> Self {
        ThreadState {
            pc: self.pc,
            phase: self.phase,
            sections: self.sections,
            exc: self.exc.clone(),
        }
    }

    #[inline]
    fn clone_from(&mut self, src: &Self) {
        self.pc = src.pc;
        self.phase = src.phase;
        self.sections = src.sections;
        if self.exc.is_some() || src.exc.is_some() {
            self.exc.clone_from(&src.exc);
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct LockState {
    /// The thread that acquired it last, while it is held. A `Lock` has no real owner in Python
    /// (anyone may release it) but the UI wants to say who took it.
    pub(crate) owner: Option<ThreadId>,
    /// 0 when free; 1 for a held `Lock`; the recursion depth of an `RLock`.
    pub(crate) count: u32,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct QueueState {
    pub(crate) items: Vec<Value>,
    /// Items put and not yet marked done (`Queue.unfinished_tasks`).
    pub(crate) unfinished: u32,
}

// By hand for `clone_from`, which reuses `items`' allocation (the derived one allocates anew).
impl Clone for QueueState {
    fn clone(&self) -> Self {
        QueueState {
            items: self.items.clone(),
            unfinished: self.unfinished,
        }
    }

    #[inline]
    fn clone_from(&mut self, src: &Self) {
        self.items.clone_from(&src.items);
        self.unfinished = src.unfinished;
    }
}

/// A multiset of availability times (for semaphore permits and queue slots), kept as
/// `(time, how many)` pairs so `Semaphore(1_000_000)` costs one pair.
#[derive(Clone, Debug, Default)]
pub(crate) struct Pool(Vec<(u64, u32)>);

impl Pool {
    pub(crate) fn with(count: u32) -> Self {
        if count == 0 {
            Pool(Vec::new())
        } else {
            Pool(vec![(0, count)])
        }
    }

    /// Take the earliest available unit; its time.
    pub(crate) fn take(&mut self) -> u64 {
        let Some((i, _)) = self.0.iter().enumerate().min_by_key(|(_, (t, _))| *t) else {
            return 0;
        };
        let e = &mut self.0[i];
        let t = e.0;
        e.1 -= 1;
        if e.1 == 0 {
            self.0.swap_remove(i);
        }
        t
    }

    pub(crate) fn give(&mut self, at: u64) {
        if let Some(e) = self.0.iter_mut().find(|e| e.0 == at) {
            e.1 = e.1.saturating_add(1);
        } else {
            self.0.push((at, 1));
        }
    }
}

/// Virtual time and display-only bookkeeping. Not part of `Eq`/`Hash`; absent in explorer
/// machines, which do not need it.
///
/// # The timeline model
///
/// Every thread has a clock (ms). An op happens at the earliest time its thread can do it given
/// the order the schedule chose: not before the thread's clock, not before the resource it takes
/// was released (lock, permit, queue item or slot, notify, last `task_done`), and, with the GIL,
/// not before the GIL's last CPU work ended. `Work{ms}` then occupies the thread (and the GIL)
/// for `ms`; `Sleep{ms}` occupies only the thread. Other ops take no time. Without a GIL, CPU
/// work of different threads overlaps (as on free-threaded Python with enough cores).
#[derive(Clone, Debug)]
pub(crate) struct Aux {
    pub(crate) clock: Vec<u64>,
    pub(crate) lock_free_at: Vec<u64>,
    pub(crate) sem_free_at: Vec<Pool>,
    /// Permits each thread holds, `[thread * sems + sem]`, for "who holds it".
    pub(crate) sem_held: Vec<u32>,
    pub(crate) woken_at: Vec<u64>,
    pub(crate) item_at: Vec<Vec<u64>>,
    pub(crate) slot_free_at: Vec<Pool>,
    pub(crate) done_at: Vec<u64>,
    pub(crate) gil_busy_until: u64,
    /// Start and end of the last op, for its event.
    pub(crate) last: (u64, u64),
}

/// One state of a run. See the module docs for what `Eq`/`Hash` compare.
#[derive(Clone)]
pub struct Machine {
    pub(crate) scn: Arc<Scenario>,
    pub(crate) threads: Vec<ThreadState>,
    /// All threads' registers, thread after thread.
    pub(crate) regs: Vec<Value>,
    pub(crate) vars: Vec<Value>,
    pub(crate) locks: Vec<LockState>,
    pub(crate) sems: Vec<u32>,
    /// Each condition's waiters in the order they began waiting (notify wakes the oldest).
    pub(crate) conds: Vec<Vec<ThreadId>>,
    pub(crate) queues: Vec<QueueState>,
    /// `[slot * threads + thread]`.
    pub(crate) locals: Vec<Option<Value>>,
    pub(crate) gil: Option<ThreadId>,
    pub(crate) outcome: Option<Outcome>,
    pub(crate) steps: usize,
    pub(crate) step_limit: usize,
    pub(crate) aux: Option<Box<Aux>>,
}

impl PartialEq for Machine {
    fn eq(&self, o: &Self) -> bool {
        self.threads == o.threads
            && self.regs == o.regs
            && self.vars == o.vars
            && self.locks == o.locks
            && self.sems == o.sems
            && self.conds == o.conds
            && self.queues == o.queues
            && self.locals == o.locals
            && self.gil == o.gil
            && self.outcome == o.outcome
    }
}

impl Eq for Machine {}

impl Hash for Machine {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.threads.hash(h);
        self.regs.hash(h);
        self.vars.hash(h);
        self.locks.hash(h);
        self.sems.hash(h);
        self.conds.hash(h);
        self.queues.hash(h);
        self.locals.hash(h);
        self.gil.hash(h);
        self.outcome.hash(h);
    }
}

impl fmt::Debug for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Machine")
            .field("scenario", &self.scn.name)
            .field("threads", &self.threads)
            .field("regs", &self.regs)
            .field("vars", &self.vars)
            .field("locks", &self.locks)
            .field("sems", &self.sems)
            .field("conds", &self.conds)
            .field("queues", &self.queues)
            .field("locals", &self.locals)
            .field("gil", &self.gil)
            .field("outcome", &self.outcome)
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

/// What a blocked thread waits for (ids only; [`BlockReason`] adds names and the holder).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitKind {
    /// A lock held by another thread (or, for a `Lock`, by itself).
    Lock(LockId),
    /// A semaphore with no permit left.
    Sem(SemId),
    /// A notify on a condition (first phase of `wait()`).
    Notify(CondId),
    /// The condition's lock, to return from `wait()` (second phase).
    CondLock(CondId, LockId),
    /// Space in a full queue (`put`).
    QueueFull(QueueId),
    /// An item in an empty queue (`get`).
    QueueEmpty(QueueId),
    /// All of a queue's tasks to be done (`join`).
    QueueJoin(QueueId),
    /// Another thread to finish (`Thread.join()`).
    ThreadJoin(ThreadId),
    /// The GIL, held by another thread that is not at a switch point.
    Gil,
}

/// Why a thread cannot move: what it waits for and who holds it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BlockReason {
    /// The waiting thread.
    pub thread: ThreadId,
    /// What it waits for.
    pub waits_for: WaitKind,
    /// The resource in words, e.g. "lock `lock`", "an item in queue `q`".
    pub resource: String,
    /// Who holds it: a lock's owner, the GIL's holder, a semaphore's only permit holder.
    /// `None` for conditions and queues, which nobody holds.
    pub holder: Option<ThreadId>,
}

impl fmt::Display for BlockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "waiting for {}", self.resource)?;
        match self.holder {
            Some(h) if h == self.thread => write!(f, " held by {h} itself"),
            Some(h) => write!(f, " held by {h}"),
            None => Ok(()),
        }
    }
}

/// A thread's status, in the manner of loom's `Runnable` / `Blocked` / `Terminated`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ThreadStatus {
    /// It can take a step now.
    Runnable,
    /// It cannot move until another thread does something.
    Blocked(BlockReason),
    /// It ended: it ran off the end of its program, or an exception ended it
    /// ([`Machine::raised`] says which).
    Finished,
}

impl fmt::Display for ThreadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThreadStatus::Runnable => f.write_str("runnable"),
            ThreadStatus::Blocked(r) => write!(f, "blocked: {r}"),
            ThreadStatus::Finished => f.write_str("finished"),
        }
    }
}

/// A lock as the UI draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockView {
    /// `Lock` or `RLock`.
    pub kind: LockKind,
    /// Who holds it.
    pub owner: Option<ThreadId>,
    /// 0 when free; an `RLock`'s recursion depth.
    pub count: u32,
    /// Threads blocked acquiring it (including ones returning from a condition wait).
    pub waiters: Vec<ThreadId>,
}

/// A semaphore as the UI draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SemView {
    /// Permits left.
    pub permits: u32,
    /// The initial count.
    pub initial: u32,
    /// `BoundedSemaphore`?
    pub bounded: bool,
    /// Threads blocked acquiring it.
    pub waiters: Vec<ThreadId>,
    /// Threads holding permits and how many (acquired minus released; empty in explorer states).
    pub holders: Vec<(ThreadId, u32)>,
}

/// A condition variable as the UI draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CondView {
    /// Its lock.
    pub lock: LockId,
    /// Threads waiting for a notify, oldest first (the next `notify()` wakes the first).
    pub waiting: Vec<ThreadId>,
    /// Threads notified and now waiting to re-acquire the lock.
    pub reacquiring: Vec<ThreadId>,
}

/// A queue as the UI draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueView {
    /// Items, next-to-get first.
    pub items: Vec<Value>,
    /// `None` when unbounded.
    pub maxsize: Option<u32>,
    /// Items put and not yet marked done.
    pub unfinished: u32,
    /// Threads blocked in `put` (queue full).
    pub putters: Vec<ThreadId>,
    /// Threads blocked in `get` (queue empty).
    pub getters: Vec<ThreadId>,
    /// Threads blocked in `join`.
    pub joiners: Vec<ThreadId>,
}

/// A `threading.local()` attribute as the UI draws it: each thread's own value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalView {
    /// Per thread (`T1` first), its value, or `None` if that thread never set it.
    pub values: Vec<Option<Value>>,
}

impl Machine {
    /// The initial state of a scenario (after [`Scenario::validate`]).
    pub fn new(scn: Arc<Scenario>) -> Result<Machine, ScenarioError> {
        scn.validate()?;
        let nthreads = scn.threads.len();
        let regs: usize = scn.threads.iter().map(|t| t.regs.len()).sum();
        let aux = Aux {
            clock: vec![0; nthreads],
            lock_free_at: vec![0; scn.locks.len()],
            sem_free_at: scn.sems.iter().map(|s| Pool::with(s.initial)).collect(),
            sem_held: vec![0; nthreads * scn.sems.len()],
            woken_at: vec![0; nthreads],
            item_at: vec![Vec::new(); scn.queues.len()],
            slot_free_at: scn
                .queues
                .iter()
                .map(|q| Pool::with(q.maxsize.unwrap_or(0)))
                .collect(),
            done_at: vec![0; scn.queues.len()],
            gil_busy_until: 0,
            last: (0, 0),
        };
        let mut m = Machine {
            threads: vec![
                ThreadState {
                    pc: 0,
                    phase: Phase::Run,
                    sections: 0,
                    exc: None,
                };
                nthreads
            ],
            regs: vec![Value::None; regs],
            vars: scn.vars.iter().map(|v| v.init).collect(),
            locks: vec![
                LockState {
                    owner: None,
                    count: 0
                };
                scn.locks.len()
            ],
            sems: scn.sems.iter().map(|s| s.initial).collect(),
            conds: vec![Vec::new(); scn.conds.len()],
            queues: vec![
                QueueState {
                    items: Vec::new(),
                    unfinished: 0
                };
                scn.queues.len()
            ],
            locals: vec![None; scn.locals.len() * nthreads],
            gil: None,
            outcome: None,
            steps: 0,
            step_limit: scn.step_limit,
            aux: Some(Box::new(aux)),
            scn,
        };
        // Threads start past any leading markers; a scenario can be over before it starts: no
        // ops at all, or every thread stuck at once.
        for ti in 0..nthreads {
            m.settle_pc(ti);
        }
        m.settle();
        Ok(m)
    }

    /// Drop the timeline and display bookkeeping, and lift the step limit: what the explorer
    /// wants (its states are compared by behaviour and bounded by its own limits).
    pub(crate) fn for_exploring(mut self) -> Machine {
        self.aux = None;
        self.step_limit = usize::MAX;
        self
    }

    /// The scenario this machine runs.
    pub fn scenario(&self) -> &Arc<Scenario> {
        &self.scn
    }

    /// Number of threads.
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    /// All thread ids, `T1` first.
    pub fn thread_ids(&self) -> impl Iterator<Item = ThreadId> + '_ {
        self.scn.thread_ids()
    }

    /// Steps taken since the initial state.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// How the run ended, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// Whether the run has ended.
    pub fn is_over(&self) -> bool {
        self.outcome.is_some()
    }

    /// The index of the thread's next op (its program's length once finished).
    pub fn pc(&self, t: ThreadId) -> Option<usize> {
        self.threads.get(t.index()).map(|s| usize::from(s.pc))
    }

    /// The exception that ended thread `t`, if an exception did (its status is then
    /// [`ThreadStatus::Finished`]): for a lane's "raised ValueError: boom".
    pub fn raised(&self, t: ThreadId) -> Option<&PyError> {
        match self.threads.get(t.index())?.exc.as_deref()? {
            Exc::Ended { error, .. } => Some(error),
            Exc::Pending { .. } => None,
        }
    }

    /// The exception a `finally:` block of thread `t` is running for (raised again at the
    /// block's end), if any.
    pub fn pending_exception(&self, t: ThreadId) -> Option<&PyError> {
        match self.threads.get(t.index())?.exc.as_deref()? {
            Exc::Pending { error, .. } => Some(error),
            Exc::Ended { .. } => None,
        }
    }

    /// The first thread that ended by an exception, with the exception.
    pub(crate) fn first_raiser(&self) -> Option<(ThreadId, &PyError)> {
        self.thread_ids()
            .filter_map(|t| match self.threads[t.index()].exc.as_deref() {
                Some(Exc::Ended { error, rank }) => Some((*rank, t, error)),
                _ => None,
            })
            .min_by_key(|(rank, t, _)| (*rank, *t))
            .map(|(_, t, e)| (t, e))
    }

    /// The op the thread will execute next, if it has not finished.
    pub fn current_op(&self, t: ThreadId) -> Option<&crate::Op> {
        let pc = self.pc(t)?;
        self.scn.threads.get(t.index())?.program.get(pc)
    }

    /// The thread's registers, in the order of its declaration's `regs` (empty for a bad id).
    pub fn regs(&self, t: ThreadId) -> &[Value] {
        let Some(decl) = self.scn.threads.get(t.index()) else {
            return &[];
        };
        let base = self.reg_base(t.index());
        self.regs.get(base..base + decl.regs.len()).unwrap_or(&[])
    }

    /// A shared variable's value.
    pub fn var(&self, v: VarId) -> Option<&Value> {
        self.vars.get(v.index())
    }

    /// A shared variable's value, by name.
    pub fn var_by_name(&self, name: &str) -> Option<Value> {
        self.scn.var_id(name).and_then(|v| self.var(v)).copied()
    }

    /// All shared variables with their names, in declaration order.
    pub fn vars(&self) -> Vec<(String, Value)> {
        self.scn
            .vars
            .iter()
            .map(|d| d.name.clone())
            .zip(self.vars.iter().copied())
            .collect()
    }

    /// Who holds the GIL (always `None` without one).
    pub fn gil_holder(&self) -> Option<ThreadId> {
        self.gil
    }

    /// The threads inside a critical section.
    pub fn section_occupants(&self, s: SectionId) -> Vec<ThreadId> {
        let Some(bit) = 1u64.checked_shl(u32::from(s.0)) else {
            return Vec::new();
        };
        self.thread_ids()
            .filter(|t| self.threads[t.index()].sections & bit != 0)
            .collect()
    }

    /// Virtual time of a thread, in ms (see the timeline model on [`Machine::elapsed_ms`]).
    pub fn time_ms(&self, t: ThreadId) -> Option<u64> {
        self.aux
            .as_ref()
            .and_then(|a| a.clock.get(t.index()).copied())
    }

    /// Virtual time at which the last thread's last op ended: the run's wall-clock length.
    ///
    /// The model: each thread has a clock. An op happens at the earliest time allowed by the
    /// order the schedule chose: not before its thread's clock, not before the resource it takes
    /// was released (lock, permit, queue item or slot, notify, last `task_done`), and, with the
    /// GIL, not before the GIL's last CPU work ended. `Work{ms}` occupies the thread and the GIL
    /// for `ms`; `Sleep{ms}` only the thread; other ops take no time. Without a GIL, CPU work of
    /// different threads overlaps freely.
    pub fn elapsed_ms(&self) -> u64 {
        self.aux
            .as_ref()
            .and_then(|a| a.clock.iter().copied().max())
            .unwrap_or(0)
    }

    /// A lock's state.
    pub fn lock_view(&self, l: LockId) -> Option<LockView> {
        let st = self.locks.get(l.index())?;
        let decl = self.scn.locks.get(l.index())?;
        let waiters = self
            .thread_ids()
            .filter(|t| match self.wait_of(t.index()) {
                Some(WaitKind::Lock(x)) | Some(WaitKind::CondLock(_, x)) => x == l,
                _ => false,
            })
            .collect();
        Some(LockView {
            kind: decl.kind,
            owner: st.owner,
            count: st.count,
            waiters,
        })
    }

    /// A semaphore's state.
    pub fn sem_view(&self, s: SemId) -> Option<SemView> {
        let permits = *self.sems.get(s.index())?;
        let decl = self.scn.sems.get(s.index())?;
        let waiters = self
            .thread_ids()
            .filter(|t| self.wait_of(t.index()) == Some(WaitKind::Sem(s)))
            .collect();
        let holders = self.sem_holders(s);
        Some(SemView {
            permits,
            initial: decl.initial,
            bounded: decl.bounded,
            waiters,
            holders,
        })
    }

    pub(crate) fn sem_holders(&self, s: SemId) -> Vec<(ThreadId, u32)> {
        let Some(aux) = &self.aux else {
            return Vec::new();
        };
        let n = self.scn.sems.len();
        self.thread_ids()
            .filter_map(|t| {
                let held = aux
                    .sem_held
                    .get(t.index() * n + s.index())
                    .copied()
                    .unwrap_or(0);
                (held > 0).then_some((t, held))
            })
            .collect()
    }

    /// A condition's state.
    pub fn cond_view(&self, c: CondId) -> Option<CondView> {
        let waiting = self.conds.get(c.index())?.clone();
        let decl = self.scn.conds.get(c.index())?;
        let reacquiring = self
            .thread_ids()
            .filter(|t| {
                matches!(self.threads[t.index()].phase, Phase::Reacquire { .. })
                    && matches!(self.current_op(*t).map(|o| &o.kind), Some(OpKind::CondWait { cond }) if *cond == c)
            })
            .collect();
        Some(CondView {
            lock: decl.lock,
            waiting,
            reacquiring,
        })
    }

    /// A queue's state.
    pub fn queue_view(&self, q: QueueId) -> Option<QueueView> {
        let st = self.queues.get(q.index())?;
        let decl = self.scn.queues.get(q.index())?;
        let with = |w: WaitKind| -> Vec<ThreadId> {
            self.thread_ids()
                .filter(|t| self.wait_of(t.index()) == Some(w))
                .collect()
        };
        Some(QueueView {
            items: st.items.clone(),
            maxsize: decl.maxsize,
            unfinished: st.unfinished,
            putters: with(WaitKind::QueueFull(q)),
            getters: with(WaitKind::QueueEmpty(q)),
            joiners: with(WaitKind::QueueJoin(q)),
        })
    }

    /// A thread-local attribute's per-thread values.
    pub fn local_view(&self, s: LocalId) -> Option<LocalView> {
        if s.index() >= self.scn.locals.len() {
            return None;
        }
        let n = self.threads.len();
        let values = self
            .locals
            .get(s.index() * n..(s.index() + 1) * n)?
            .to_vec();
        Some(LocalView { values })
    }

    pub(crate) fn reg_base(&self, t: usize) -> usize {
        self.scn.threads.iter().take(t).map(|d| d.regs.len()).sum()
    }

    pub(crate) fn is_finished(&self, t: usize) -> bool {
        match (self.threads.get(t), self.scn.threads.get(t)) {
            (Some(s), Some(d)) => usize::from(s.pc) >= d.program.len(),
            _ => true,
        }
    }

    /// What the thread waits for, ignoring the GIL; `None` when it could run (or has finished).
    pub(crate) fn wait_of(&self, t: usize) -> Option<WaitKind> {
        let op = self.next_op(t)?;
        self.waits(t, op)
    }

    /// The op thread `t` executes next; `None` once it has finished (or for a bad index).
    #[inline]
    fn next_op(&self, t: usize) -> Option<&crate::Op> {
        let st = self.threads.get(t)?;
        self.scn.threads.get(t)?.program.get(usize::from(st.pc))
    }

    /// [`Machine::wait_of`] for thread `t` about to execute `op`.
    fn waits(&self, t: usize, op: &crate::Op) -> Option<WaitKind> {
        let st = &self.threads[t];
        let me = ThreadId(u8::try_from(t).ok()?);
        match &op.kind {
            OpKind::Acquire { lock } => {
                let l = self.locks[lock.index()];
                let reentrant = self.scn.locks[lock.index()].kind == LockKind::RLock;
                let free = l.count == 0 || (reentrant && l.owner == Some(me));
                (!free).then_some(WaitKind::Lock(*lock))
            }
            OpKind::SemAcquire { sem } => {
                (self.sems[sem.index()] == 0).then_some(WaitKind::Sem(*sem))
            }
            OpKind::CondWait { cond } => match st.phase {
                Phase::Run => None,
                Phase::WaitNotify { .. } => Some(WaitKind::Notify(*cond)),
                Phase::Reacquire { .. } => {
                    let lock = self.scn.conds[cond.index()].lock;
                    (self.locks[lock.index()].count > 0).then_some(WaitKind::CondLock(*cond, lock))
                }
            },
            OpKind::QueuePut { queue, .. } => {
                let full = self.scn.queues[queue.index()]
                    .maxsize
                    .is_some_and(|m| self.queues[queue.index()].items.len() >= m as usize);
                full.then_some(WaitKind::QueueFull(*queue))
            }
            OpKind::QueueGet { queue, .. } => self.queues[queue.index()]
                .items
                .is_empty()
                .then_some(WaitKind::QueueEmpty(*queue)),
            OpKind::QueueJoin { queue } => {
                (self.queues[queue.index()].unfinished > 0).then_some(WaitKind::QueueJoin(*queue))
            }
            // Joining itself is not a wait but an error, raised when the op runs.
            OpKind::JoinThread { thread } => (*thread != me && !self.is_finished(thread.index()))
                .then_some(WaitKind::ThreadJoin(*thread)),
            _ => None,
        }
    }

    /// Whether the thread could run if it had the GIL.
    pub(crate) fn is_live(&self, t: usize) -> bool {
        self.next_op(t)
            .is_some_and(|op| self.waits(t, op).is_none())
    }

    /// With a GIL: whether the holder's next op lets another thread take over.
    fn gil_yields(&self, holder: ThreadId) -> bool {
        !self.is_live(holder.index()) || self.current_op(holder).is_some_and(|o| o.gil_switch)
    }

    /// The thread holding the GIL and keeping it from `t`, if any.
    pub(crate) fn gil_blocker(&self, t: usize) -> Option<ThreadId> {
        if !self.scn.gil {
            return None;
        }
        match self.gil {
            Some(h) if h.index() != t && !self.gil_yields(h) => Some(h),
            _ => None,
        }
    }

    /// Whether `step(t)` would execute an op now.
    pub fn can_step(&self, t: ThreadId) -> bool {
        self.outcome.is_none() && self.is_live(t.index()) && self.gil_blocker(t.index()).is_none()
    }

    /// [`Machine::can_step`] of every thread at once: bit `t` set when thread `t` can step.
    pub(crate) fn runnable_mask(&self) -> u32 {
        if self.outcome.is_some() {
            return 0;
        }
        let mut mask = 0u32;
        for t in 0..self.threads.len().min(32) {
            if self.is_live(t) {
                mask |= 1 << t;
            }
        }
        // A holder that keeps the GIL leaves only itself to step (see `gil_blocker`).
        if let (true, Some(h)) = (self.scn.gil, self.gil) {
            if !self.gil_yields(h) {
                mask &= 1u32.checked_shl(u32::from(h.0)).unwrap_or(0);
            }
        }
        mask
    }

    /// The threads that can take a step now (with a GIL: only those allowed to take it).
    pub fn runnable(&self) -> Vec<ThreadId> {
        self.thread_ids().filter(|t| self.can_step(*t)).collect()
    }

    /// A thread's status (`None` for an id the scenario does not have). A finished run leaves
    /// threads with the status they had when it ended.
    pub fn status(&self, t: ThreadId) -> Option<ThreadStatus> {
        if t.index() >= self.threads.len() {
            return None;
        }
        if self.is_finished(t.index()) {
            return Some(ThreadStatus::Finished);
        }
        if let Some(w) = self.wait_of(t.index()) {
            return Some(ThreadStatus::Blocked(self.block_reason(t, w)));
        }
        if let Some(h) = self.gil_blocker(t.index()) {
            return Some(ThreadStatus::Blocked(BlockReason {
                thread: t,
                waits_for: WaitKind::Gil,
                resource: "the GIL".to_string(),
                holder: Some(h),
            }));
        }
        Some(ThreadStatus::Runnable)
    }

    pub(crate) fn block_reason(&self, t: ThreadId, w: WaitKind) -> BlockReason {
        let s = &self.scn;
        let (resource, holder) = match w {
            WaitKind::Lock(l) => (
                format!("lock `{}`", s.lock_name(l)),
                self.locks.get(l.index()).and_then(|x| x.owner),
            ),
            WaitKind::Sem(x) => {
                let holders = self.sem_holders(x);
                let holder = match holders.as_slice() {
                    [(only, _)] => Some(*only),
                    _ => None,
                };
                (format!("semaphore `{}`", s.sem_name(x)), holder)
            }
            WaitKind::Notify(c) => (format!("a notify on condition `{}`", s.cond_name(c)), None),
            WaitKind::CondLock(c, l) => (
                format!(
                    "lock `{}` to return from `{}`.wait()",
                    s.lock_name(l),
                    s.cond_name(c)
                ),
                self.locks.get(l.index()).and_then(|x| x.owner),
            ),
            WaitKind::QueueFull(q) => (format!("space in queue `{}`", s.queue_name(q)), None),
            WaitKind::QueueEmpty(q) => (format!("an item in queue `{}`", s.queue_name(q)), None),
            WaitKind::QueueJoin(q) => (
                format!("all tasks of queue `{}` to be done", s.queue_name(q)),
                None,
            ),
            WaitKind::ThreadJoin(other) => (format!("thread {other} to finish"), Some(other)),
            WaitKind::Gil => ("the GIL".to_string(), self.gil),
        };
        BlockReason {
            thread: t,
            waits_for: w,
            resource,
            holder,
        }
    }

    /// The wait-for edges of a deadlocked state: the cycle if there is one, else every wait.
    pub(crate) fn deadlock_cycle(&self) -> Vec<WaitEdge> {
        let edges: Vec<(ThreadId, WaitEdge)> = self
            .thread_ids()
            .filter_map(|t| {
                let w = self.wait_of(t.index())?;
                let r = self.block_reason(t, w);
                Some((
                    t,
                    WaitEdge {
                        thread: t,
                        resource: r.resource,
                        holder: r.holder,
                    },
                ))
            })
            .collect();
        let next = |t: ThreadId| {
            edges
                .iter()
                .find(|(x, _)| *x == t)
                .and_then(|(_, e)| e.holder)
        };
        for (start, _) in &edges {
            // Walk holder links: a path longer than the thread count has looped.
            let mut path = vec![*start];
            let mut cur = *start;
            while let Some(h) = next(cur) {
                if let Some(pos) = path.iter().position(|x| *x == h) {
                    let mut cycle: Vec<ThreadId> = path[pos..].to_vec();
                    let min = cycle
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, t)| **t)
                        .map_or(0, |(i, _)| i);
                    cycle.rotate_left(min);
                    return cycle
                        .iter()
                        .filter_map(|t| edges.iter().find(|(x, _)| x == t).map(|(_, e)| e.clone()))
                        .collect();
                }
                if path.len() > self.threads.len() {
                    break;
                }
                path.push(h);
                cur = h;
            }
        }
        edges.into_iter().map(|(_, e)| e).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_takes_earliest_first() {
        let mut p = Pool::with(1);
        p.give(50);
        p.give(10);
        assert_eq!(p.take(), 0);
        assert_eq!(p.take(), 10);
        assert_eq!(p.take(), 50);
        assert_eq!(p.take(), 0);
    }

    #[test]
    fn block_reason_names_the_holder() {
        let r = BlockReason {
            thread: ThreadId(1),
            waits_for: WaitKind::Lock(LockId(0)),
            resource: "lock `lock`".into(),
            holder: Some(ThreadId(0)),
        };
        assert_eq!(r.to_string(), "waiting for lock `lock` held by T1");
    }
}
