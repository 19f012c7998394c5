//! [`Event`]: what one step did, for the UI to animate and log, with a human `Display`
//! ("T1 read counter = 0").

use crate::machine::ThreadStatus;
use crate::outcome::{Outcome, PyError};
use crate::scenario::Scenario;
use crate::value::{
    CondId, LocalId, LockId, QueueId, RegId, SectionId, SemId, ThreadId, Value, VarId,
};
use std::fmt;
use std::sync::Arc;

/// What a step did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// Read a shared variable into a register.
    Read {
        /// The variable.
        var: VarId,
        /// The value read.
        value: Value,
    },
    /// Wrote a shared variable.
    Wrote {
        /// The variable.
        var: VarId,
        /// Its value before.
        old: Value,
        /// Its value now.
        new: Value,
    },
    /// Put a value in a register (a constant or a computation).
    Computed {
        /// The register.
        dst: RegId,
        /// Its new value.
        value: Value,
    },
    /// A jump or conditional jump.
    Branched {
        /// Whether control went to `target` (false: fell through).
        taken: bool,
        /// The jump target.
        target: u16,
    },
    /// Acquired a lock (or re-entered an `RLock`).
    Acquired {
        /// The lock.
        lock: LockId,
        /// Its count now (1, or an `RLock`'s depth).
        count: u32,
    },
    /// Released a lock.
    Released {
        /// The lock.
        lock: LockId,
        /// Its count now (0 when free).
        count: u32,
    },
    /// `acquire(timeout=…)` gave up: the lock could not be taken and the timeout expired, so
    /// `acquire` returned `False`. (A timed acquire that gets the lock is [`EventKind::Acquired`].)
    TimedOut {
        /// The lock.
        lock: LockId,
    },
    /// `acquire(blocking=False)`.
    TriedAcquire {
        /// The lock.
        lock: LockId,
        /// Whether it was acquired.
        ok: bool,
    },
    /// Took a semaphore permit.
    SemAcquired {
        /// The semaphore.
        sem: SemId,
        /// Permits left.
        permits_left: u32,
    },
    /// `sem.acquire(blocking=False)`.
    SemTried {
        /// The semaphore.
        sem: SemId,
        /// Whether a permit was taken.
        ok: bool,
    },
    /// `sem.acquire(timeout=…)` gave up: no permit was left and the timeout expired, so
    /// `acquire` returned `False`. (One that gets a permit is [`EventKind::SemAcquired`].)
    SemTimedOut {
        /// The semaphore.
        sem: SemId,
    },
    /// Returned a semaphore permit.
    SemReleased {
        /// The semaphore.
        sem: SemId,
        /// Permits now.
        permits: u32,
    },
    /// First phase of `cond.wait()`: released the lock and began waiting for a notify.
    CondWaiting {
        /// The condition.
        cond: CondId,
        /// Its lock, now released.
        lock: LockId,
    },
    /// Second phase of `cond.wait()`: re-acquired the lock and returned.
    CondReturned {
        /// The condition.
        cond: CondId,
        /// Its lock, now held again.
        lock: LockId,
    },
    /// `notify(n)` / `notify_all()`.
    Notified {
        /// The condition.
        cond: CondId,
        /// The threads woken (empty: the notify was lost).
        woken: Vec<ThreadId>,
    },
    /// `queue.put(value)`.
    Put {
        /// The queue.
        queue: QueueId,
        /// The item.
        value: Value,
        /// Items in the queue now.
        len: usize,
    },
    /// `queue.get()`.
    Got {
        /// The queue.
        queue: QueueId,
        /// The item.
        value: Value,
        /// Items left.
        len: usize,
    },
    /// `queue.task_done()`.
    TaskDone {
        /// The queue.
        queue: QueueId,
        /// Unfinished tasks left.
        unfinished: u32,
    },
    /// `queue.join()` returned.
    Joined {
        /// The queue.
        queue: QueueId,
    },
    /// `thread.join()` returned.
    JoinedThread {
        /// The thread that finished.
        thread: ThreadId,
    },
    /// Set a thread-local attribute.
    LocalSet {
        /// The attribute.
        slot: LocalId,
        /// The value.
        value: Value,
    },
    /// Read a thread-local attribute.
    LocalGot {
        /// The attribute.
        slot: LocalId,
        /// The value.
        value: Value,
    },
    /// `time.sleep`.
    Slept {
        /// Duration.
        ms: u32,
    },
    /// CPU work.
    Worked {
        /// Duration.
        ms: u32,
    },
    /// Entered a critical section.
    Entered {
        /// The section.
        section: SectionId,
    },
    /// Left a critical section.
    Exited {
        /// The section.
        section: SectionId,
    },
    /// An atomic bookkeeping add.
    Tallied {
        /// The variable.
        var: VarId,
        /// Its new value.
        value: Value,
    },
    /// An `assert` op ran.
    Asserted {
        /// Whether it held.
        ok: bool,
    },
    /// `print(text)`.
    Printed {
        /// The line printed.
        text: String,
    },
    /// An op with no effect.
    Nothing,
    /// The op raised a Python exception (a misuse, a bad operand, or `raise`). Where it went
    /// (a `finally:` block, or the end of the thread) is [`Event::exception`].
    Raised(PyError),
}

/// What an exception did on a step: raised by the step's op, or raised again at the end of a
/// `finally:` block the step finished, and where it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unwind {
    /// The exception.
    pub error: PyError,
    /// The first op of the `finally:` block the thread runs now (its program counter), or
    /// `None`: no `finally:` block was left around it, so it ended the thread.
    pub handler: Option<usize>,
}

/// One step of one thread, ready to animate. `Display` gives a log line
/// ("T1 read counter = 0").
///
/// A step that leaves its thread waiting (arriving at a taken lock, the first phase of
/// `cond.wait()`) or finished shows it in [`Event::status`]; a step that ends the run carries
/// the [`Outcome`].
#[derive(Clone)]
pub struct Event {
    /// Who stepped.
    pub thread: ThreadId,
    /// The index of the op executed.
    pub pc: usize,
    /// Its 1-based source line.
    pub line: u16,
    /// What happened.
    pub kind: EventKind,
    /// The thread's status after the step (e.g. now blocked, or finished).
    pub status: ThreadStatus,
    /// Virtual time the op started (after any wait), ms.
    pub start_ms: u64,
    /// Virtual time it ended, ms.
    pub end_ms: u64,
    /// How the run ended, if it ended on this step.
    pub outcome: Option<Outcome>,
    /// An exception the step raised, or raised again at the end of a `finally:` block, and
    /// where it went; `None` on most steps.
    pub exception: Option<Unwind>,
    pub(crate) scn: Arc<Scenario>,
}

impl PartialEq for Event {
    fn eq(&self, o: &Self) -> bool {
        self.thread == o.thread
            && self.pc == o.pc
            && self.line == o.line
            && self.kind == o.kind
            && self.status == o.status
            && self.start_ms == o.start_ms
            && self.end_ms == o.end_ms
            && self.outcome == o.outcome
            && self.exception == o.exception
    }
}

impl Eq for Event {}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("thread", &self.thread)
            .field("pc", &self.pc)
            .field("line", &self.line)
            .field("kind", &self.kind)
            .field("status", &self.status)
            .field("start_ms", &self.start_ms)
            .field("end_ms", &self.end_ms)
            .field("outcome", &self.outcome)
            .field("exception", &self.exception)
            .finish()
    }
}

impl Event {
    /// The op's text, as the scenario gives it (e.g. `"LOAD_GLOBAL 0 (counter)"`).
    pub fn op_text(&self) -> &str {
        self.scn
            .threads
            .get(self.thread.index())
            .and_then(|t| t.program.get(self.pc))
            .map_or("", |op| op.text.as_str())
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &*self.scn;
        let t = self.thread;
        match &self.kind {
            EventKind::Read { var, value } => write!(f, "{t} read {} = {value}", s.var_name(*var)),
            EventKind::Wrote { var, old, new } => {
                write!(f, "{t} wrote {} = {new} (was {old})", s.var_name(*var))
            }
            EventKind::Computed { dst, value } => {
                write!(f, "{t} set {} = {value}", s.reg_name(t, *dst))
            }
            EventKind::Branched {
                taken: true,
                target,
            } => write!(f, "{t} jumped to op {target}"),
            EventKind::Branched { taken: false, .. } => write!(f, "{t} did not jump"),
            EventKind::Acquired { lock, count } => {
                write!(f, "{t} acquired `{}`", s.lock_name(*lock))?;
                if *count > 1 {
                    write!(f, " again (count {count})")?;
                }
                Ok(())
            }
            EventKind::Released { lock, count } => {
                write!(f, "{t} released `{}`", s.lock_name(*lock))?;
                if *count > 0 {
                    write!(f, " once (count {count}, still held)")?;
                }
                Ok(())
            }
            EventKind::TimedOut { lock } => write!(
                f,
                "{t} gave up waiting for `{}` (timeout): acquire returned False",
                s.lock_name(*lock)
            ),
            EventKind::TriedAcquire { lock, ok: true } => {
                write!(f, "{t} tried `{}` and got it", s.lock_name(*lock))
            }
            EventKind::TriedAcquire { lock, ok: false } => {
                write!(f, "{t} tried `{}`: it is taken", s.lock_name(*lock))
            }
            EventKind::SemAcquired { sem, permits_left } => write!(
                f,
                "{t} acquired semaphore `{}` ({permits_left} permit{} left)",
                s.sem_name(*sem),
                plural(u64::from(*permits_left))
            ),
            EventKind::SemTried { sem, ok: true } => {
                write!(
                    f,
                    "{t} tried semaphore `{}` and got a permit",
                    s.sem_name(*sem)
                )
            }
            EventKind::SemTried { sem, ok: false } => {
                write!(
                    f,
                    "{t} tried semaphore `{}`: no permit left",
                    s.sem_name(*sem)
                )
            }
            EventKind::SemTimedOut { sem } => write!(
                f,
                "{t} gave up waiting for semaphore `{}` (timeout): acquire returned False",
                s.sem_name(*sem)
            ),
            EventKind::SemReleased { sem, permits } => write!(
                f,
                "{t} released semaphore `{}` ({permits} permit{} now)",
                s.sem_name(*sem),
                plural(u64::from(*permits))
            ),
            EventKind::CondWaiting { cond, lock } => write!(
                f,
                "{t} released `{}` and waits on `{}`",
                s.lock_name(*lock),
                s.cond_name(*cond)
            ),
            EventKind::CondReturned { cond, lock } => write!(
                f,
                "{t} re-acquired `{}` and returned from `{}`.wait()",
                s.lock_name(*lock),
                s.cond_name(*cond)
            ),
            EventKind::Notified { cond, woken } => {
                write!(f, "{t} notified `{}`: ", s.cond_name(*cond))?;
                if woken.is_empty() {
                    return f.write_str("nobody was waiting, so the notify is lost");
                }
                f.write_str("woke ")?;
                for (i, w) in woken.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{w}")?;
                }
                Ok(())
            }
            EventKind::Put { queue, value, len } => write!(
                f,
                "{t} put {value} into `{}` ({len} item{})",
                s.queue_name(*queue),
                plural(*len as u64)
            ),
            EventKind::Got { queue, value, len } => write!(
                f,
                "{t} got {value} from `{}` ({len} item{} left)",
                s.queue_name(*queue),
                plural(*len as u64)
            ),
            EventKind::TaskDone { queue, unfinished } => write!(
                f,
                "{t} marked a task of `{}` done ({unfinished} unfinished)",
                s.queue_name(*queue)
            ),
            EventKind::Joined { queue } => {
                write!(
                    f,
                    "{t} joined `{}`: all its tasks are done",
                    s.queue_name(*queue)
                )
            }
            EventKind::JoinedThread { thread } => write!(f, "{t} joined {thread}"),
            EventKind::LocalSet { slot, value } => {
                write!(f, "{t} set its own local.{} = {value}", s.local_name(*slot))
            }
            EventKind::LocalGot { slot, value } => {
                write!(
                    f,
                    "{t} read its own local.{} = {value}",
                    s.local_name(*slot)
                )
            }
            EventKind::Slept { ms } => write!(f, "{t} slept {ms} ms"),
            EventKind::Worked { ms } => write!(f, "{t} worked {ms} ms"),
            EventKind::Entered { section } => {
                write!(f, "{t} entered section `{}`", s.section_name(*section))
            }
            EventKind::Exited { section } => {
                write!(f, "{t} left section `{}`", s.section_name(*section))
            }
            EventKind::Tallied { var, value } => {
                write!(f, "{t} counted {} = {value}", s.var_name(*var))
            }
            EventKind::Asserted { ok: true } => write!(f, "{t} checked an assertion: it holds"),
            EventKind::Asserted { ok: false } => write!(f, "{t} checked an assertion: it fails"),
            EventKind::Printed { text } => write!(f, "{t} printed {text:?}"),
            EventKind::Nothing => write!(f, "{t} ran `{}`", self.op_text()),
            EventKind::Raised(e) => write!(f, "{t} raised {e}"),
        }?;
        match &self.exception {
            Some(u) => {
                if !matches!(self.kind, EventKind::Raised(_)) {
                    write!(f, "; the finally: block is over, so {} goes on", u.error)?;
                }
                match u.handler {
                    Some(pc) => {
                        let line = s
                            .threads
                            .get(t.index())
                            .and_then(|d| d.program.get(pc))
                            .map_or(0, |op| op.line);
                        if matches!(self.kind, EventKind::Raised(_)) {
                            write!(f, "; it runs the finally: block at line {line} first")
                        } else {
                            write!(f, " to the finally: block at line {line}")
                        }
                    }
                    None if matches!(self.kind, EventKind::Raised(_)) => {
                        write!(f, "; it ends {t}")
                    }
                    None => write!(f, " and ends {t}"),
                }
            }
            None if self.status == ThreadStatus::Finished => write!(f, "; {t} finished"),
            None => Ok(()),
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
