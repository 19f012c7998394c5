//! The micro-op instruction set threads execute, and the checks a lesson attaches to a scenario.
//!
//! One [`Op`] is one atomic step: the unit a scheduler interleaves. A Python statement that is not
//! atomic (`counter += 1`) is written as several ops, usually CPython's bytecode for it, each
//! pointing back to the same source line. This module is pure data; semantics live in
//! [`crate::machine`].

use crate::outcome::PyError;
use crate::value::{
    CondId, LocalId, LockId, QueueId, RegId, SectionId, SemId, ThreadId, Value, VarId,
};
use std::fmt;

/// One atomic step of a thread's program.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Op {
    /// What the step does.
    pub kind: OpKind,
    /// 1-based line in the lesson's Python snippet that this step belongs to.
    pub line: u16,
    /// What the UI shows for the step, e.g. `"LOAD_GLOBAL 0 (counter)"` or `"lock.acquire()"`.
    pub text: String,
    /// A CPython eval-breaker point: with the GIL on, another thread may take the GIL *before*
    /// this op runs. Ignored when the scenario has no GIL. See [`Scenario::gil`](crate::Scenario::gil).
    pub gil_switch: bool,
}

/// A register or an immediate value, the inputs of [`OpKind::BinOp`] and friends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// The current value of a register of the executing thread.
    Reg(RegId),
    /// A constant.
    Imm(Value),
}

/// Binary operators, with Python's semantics on [`Value`]s.
///
/// Arithmetic and ordering treat `bool` as `0`/`1` and raise `TypeError` with CPython's message
/// when `None` is involved; `==`/`!=` never raise; `and`/`or` return one of their operands, as
/// Python's do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOpKind {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a < b`
    Lt,
    /// `a <= b`
    Le,
    /// `a == b`
    Eq,
    /// `a != b`
    Ne,
    /// `a > b`
    Gt,
    /// `a >= b`
    Ge,
    /// `a and b`
    And,
    /// `a or b`
    Or,
}

impl BinOpKind {
    /// The Python operator symbol, as it appears in CPython's error messages.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOpKind::Add => "+",
            BinOpKind::Sub => "-",
            BinOpKind::Mul => "*",
            BinOpKind::Lt => "<",
            BinOpKind::Le => "<=",
            BinOpKind::Eq => "==",
            BinOpKind::Ne => "!=",
            BinOpKind::Gt => ">",
            BinOpKind::Ge => ">=",
            BinOpKind::And => "and",
            BinOpKind::Or => "or",
        }
    }
}

/// What one micro-op does. Registers are the executing thread's; everything else is shared.
///
/// Blocking ops (`Acquire`, `SemAcquire`, `CondWait`, `QueuePut`, `QueueGet`, `QueueJoin`) are not
/// executed while they would block: the thread is reported as blocked and stays on the op.
///
/// # Exceptions
///
/// An op that raises a Python exception (misuse such as releasing an unlocked lock, a
/// `TypeError`, or [`OpKind::Raise`] on purpose) is still a step: its event is
/// [`EventKind::Raised`](crate::EventKind::Raised). As in CPython, the exception ends only the
/// thread that raised it, after running the `finally:` blocks around it: a [`OpKind::Try`]
/// marker protects a range of ops, and an exception raised there sends the thread to the
/// marker's `finally:` ops, which run as ordinary steps; at their end the exception goes on
/// outward, to the next enclosing `finally:` or out of the thread. A `with lock:` block is a
/// `try:`/`finally:` whose `finally:` releases the lock (see
/// [`ThreadBuilder::with_lock`](crate::ThreadBuilder::with_lock)). How a run with exceptions
/// ends is described on [`Outcome`](crate::Outcome).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// Read a shared variable into a register (`LOAD_GLOBAL`).
    Load {
        /// The variable read.
        var: VarId,
        /// The register written.
        dst: RegId,
    },
    /// Write a register to a shared variable (`STORE_GLOBAL`).
    Store {
        /// The variable written.
        var: VarId,
        /// The register read.
        src: RegId,
    },
    /// Put a constant in a register (`LOAD_CONST`).
    Const {
        /// The register written.
        dst: RegId,
        /// The constant.
        value: Value,
    },
    /// `dst = a <op> b` (`BINARY_OP`, `COMPARE_OP`).
    BinOp {
        /// The register written.
        dst: RegId,
        /// The operator.
        op: BinOpKind,
        /// Left operand.
        a: Operand,
        /// Right operand.
        b: Operand,
    },
    /// Continue at op `target` (an index into the program; the program's length means "return").
    Jump {
        /// The op index to continue at.
        target: u16,
    },
    /// Continue at `target` if the truthiness of `cond` equals `when`, else fall through.
    JumpIf {
        /// The register tested.
        cond: RegId,
        /// Jump when the register's truthiness is this.
        when: bool,
        /// The op index to continue at.
        target: u16,
    },
    /// `lock.acquire()`: blocks while another thread holds the lock (or, for a `Lock`, while
    /// anyone does, the caller included: a `Lock` is not reentrant).
    Acquire {
        /// The lock.
        lock: LockId,
    },
    /// `dst = lock.acquire(blocking=False)`: never blocks.
    TryAcquire {
        /// The lock.
        lock: LockId,
        /// Receives `True` or `False`.
        dst: RegId,
    },
    /// `dst = lock.acquire(timeout=…)`: never blocks. If the lock can be taken now (as
    /// `Acquire` could), it is, and `dst = True`. If it cannot, the thread can still step, and
    /// that step is the timeout expiring: `dst = False`, nothing acquired. So the scheduler
    /// decides whether the wait times out before the holder releases (step it now) or not (step
    /// other threads first, until the lock is free). The expiry takes no virtual time.
    TimedAcquire {
        /// The lock.
        lock: LockId,
        /// Receives `True` or `False`.
        dst: RegId,
    },
    /// `lock.release()`.
    Release {
        /// The lock.
        lock: LockId,
    },
    /// `sem.acquire()`: blocks while no permit is left.
    SemAcquire {
        /// The semaphore.
        sem: SemId,
    },
    /// `dst = sem.acquire(blocking=False)`: never blocks.
    SemTryAcquire {
        /// The semaphore.
        sem: SemId,
        /// Receives `True` or `False`.
        dst: RegId,
    },
    /// `dst = sem.acquire(timeout=…)`: as [`OpKind::TimedAcquire`], for a semaphore: takes a
    /// permit if one is left (`dst = True`), else the step is the timeout expiring
    /// (`dst = False`).
    SemTimedAcquire {
        /// The semaphore.
        sem: SemId,
        /// Receives `True` or `False`.
        dst: RegId,
    },
    /// `sem.release()`.
    SemRelease {
        /// The semaphore.
        sem: SemId,
    },
    /// `cond.wait()`: releases the condition's lock fully, waits for a notify, then re-acquires
    /// the lock (restoring an `RLock`'s count). Two phases, so the UI can show both waits.
    CondWait {
        /// The condition.
        cond: CondId,
    },
    /// `cond.notify(n)`: wakes the `n` longest-waiting threads (a notify with no waiter is lost).
    CondNotify {
        /// The condition.
        cond: CondId,
        /// How many waiters to wake.
        n: u8,
    },
    /// `cond.notify_all()`.
    CondNotifyAll {
        /// The condition.
        cond: CondId,
    },
    /// `queue.put(src)`: blocks while the queue is full.
    QueuePut {
        /// The queue.
        queue: QueueId,
        /// The value put.
        src: Operand,
    },
    /// `dst = queue.get()`: blocks while the queue is empty.
    QueueGet {
        /// The queue.
        queue: QueueId,
        /// Receives the item.
        dst: RegId,
    },
    /// `queue.task_done()`.
    TaskDone {
        /// The queue.
        queue: QueueId,
    },
    /// `queue.join()`: blocks until every item put has been marked done.
    QueueJoin {
        /// The queue.
        queue: QueueId,
    },
    /// `thread.join()`: blocks until the thread has finished. Joining itself raises
    /// `RuntimeError: cannot join current thread`, as in CPython.
    JoinThread {
        /// The thread waited for.
        thread: ThreadId,
    },
    /// `local.slot = src` on a `threading.local()`: only the executing thread sees it.
    LocalSet {
        /// The attribute.
        slot: LocalId,
        /// The value stored.
        src: Operand,
    },
    /// `dst = local.slot`; an attribute this thread never set raises `AttributeError`.
    LocalGet {
        /// The attribute.
        slot: LocalId,
        /// Receives the value.
        dst: RegId,
    },
    /// `time.sleep(ms / 1000)`: advances the thread's clock and releases the GIL.
    Sleep {
        /// Duration in milliseconds of virtual time.
        ms: u32,
    },
    /// CPU-bound work that holds the GIL (when there is one) for `ms` of virtual time.
    Work {
        /// Duration in milliseconds of virtual time.
        ms: u32,
    },
    /// Marker: the thread enters a critical section (for [`Check::MaxInSection`]).
    Enter {
        /// The section.
        section: SectionId,
    },
    /// Marker: the thread leaves a critical section.
    Exit {
        /// The section.
        section: SectionId,
    },
    /// `var += imm` as one atomic step: bookkeeping the lesson needs counted exactly (e.g.
    /// "tasks processed"), not a statement learners are meant to race on.
    AtomicAdd {
        /// The variable.
        var: VarId,
        /// The amount added.
        imm: i64,
    },
    /// `assert cond, message`: a falsy register ends the run with [`crate::Outcome::Violated`].
    Assert {
        /// The register tested.
        cond: RegId,
        /// Shown when the assertion fails.
        message: String,
    },
    /// `print(text)`: a line of output, with no effect on the model's state (so runs that print
    /// differently are still the same state to the explorer). [`Run::output`](crate::Run::output)
    /// lists what a run printed.
    Print {
        /// The line printed, without its newline.
        text: String,
    },
    /// `raise error`: raise an exception on purpose, e.g. `raise ValueError("boom")`. See
    /// "Exceptions" above for where it goes.
    Raise {
        /// The exception.
        error: PyError,
    },
    /// Marker, not a step: a `try:` whose protected ops are the ones after the marker, up to
    /// (not including) `finally`; ops `finally..end` are its `finally:` block.
    ///
    /// A thread never stops on a marker: it moves past it at once (in the step that reached it,
    /// or when the run starts). An exception raised by a protected op sends the thread to
    /// `finally`, with the exception pending; when the thread then reaches `end`, the exception
    /// is raised again from there. Without an exception the thread runs the same `finally:` ops
    /// on its normal way through, and goes on at `end`. (Jumping out of a `finally:` block
    /// while an exception is pending drops it, as `break` or `return` in a `finally:` do in
    /// Python.) Try blocks nest: each one lies before another, or inside its protected ops, or
    /// inside its `finally:` ops.
    Try {
        /// The first op of the `finally:` block, one past the last protected op.
        finally: u16,
        /// One past the last op of the `finally:` block.
        end: u16,
    },
    /// A step with no effect on the model (a statement the lesson does not model).
    Nop,
}

impl OpKind {
    /// Whether the op may block (and so may make its thread wait).
    pub fn may_block(&self) -> bool {
        matches!(
            self,
            OpKind::Acquire { .. }
                | OpKind::SemAcquire { .. }
                | OpKind::CondWait { .. }
                | OpKind::QueuePut { .. }
                | OpKind::QueueGet { .. }
                | OpKind::QueueJoin { .. }
                | OpKind::JoinThread { .. }
        )
    }

    /// Whether the op is a marker that is never a step of its own ([`OpKind::Try`]). A UI may
    /// show it as a line of the program, but a thread's program counter never rests on it.
    pub fn is_marker(&self) -> bool {
        matches!(self, OpKind::Try { .. })
    }
}

/// A comparison used by checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cmp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Cmp {
    /// Whether `a <cmp> b` holds. Equality is Python's (`1 == True`); an ordering that Python
    /// would refuse (`None < 1`) is false, so a check on a variable that is still `None` fails.
    pub fn holds(self, a: Value, b: Value) -> bool {
        if let (Some(x), Some(y)) = (a.as_int(), b.as_int()) {
            return match self {
                Cmp::Eq => x == y,
                Cmp::Ne => x != y,
                Cmp::Lt => x < y,
                Cmp::Le => x <= y,
                Cmp::Gt => x > y,
                Cmp::Ge => x >= y,
            };
        }
        match self {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            _ => false,
        }
    }

    /// The operator symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Eq => "==",
            Cmp::Ne => "!=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }
}

impl fmt::Display for Cmp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// A lesson-defined invariant. A violated check ends the run with
/// [`Outcome::Violated`](crate::Outcome::Violated) naming the check by its index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Check {
    /// Checked once, when every thread has finished: `var <cmp> value`, e.g. `counter == 2`
    /// ("lost update").
    Final {
        /// The variable.
        var: VarId,
        /// The comparison.
        cmp: Cmp,
        /// The expected value.
        value: Value,
        /// Shown when the check fails.
        message: String,
        /// What going wrong is called, as a slug (e.g. `"lost-update"`); empty means the
        /// default for the variant (see [`Check::kind`]).
        kind: String,
    },
    /// Checked once, when every thread has finished: the sum of `vars` compared with `value`,
    /// e.g. the total of two account balances.
    FinalSum {
        /// The variables summed (`None` counts as a failed check).
        vars: Vec<VarId>,
        /// The comparison.
        cmp: Cmp,
        /// The expected value.
        value: Value,
        /// Shown when the check fails.
        message: String,
        /// What going wrong is called, as a slug (e.g. `"lost-update"`); empty means the
        /// default for the variant (see [`Check::kind`]).
        kind: String,
    },
    /// Checked after every step: `var <cmp> value`, e.g. `instances <= 1`.
    Always {
        /// The variable.
        var: VarId,
        /// The comparison.
        cmp: Cmp,
        /// The bound.
        value: Value,
        /// Shown when the check fails.
        message: String,
        /// What going wrong is called, as a slug (e.g. `"lost-update"`); empty means the
        /// default for the variant (see [`Check::kind`]).
        kind: String,
    },
    /// Checked after every step: at most `max` threads are inside `section`.
    MaxInSection {
        /// The section.
        section: SectionId,
        /// The most threads allowed inside at once.
        max: u8,
        /// Shown when the check fails.
        message: String,
        /// What going wrong is called, as a slug (e.g. `"lost-update"`); empty means the
        /// default for the variant (see [`Check::kind`]).
        kind: String,
    },
}

impl Check {
    /// The message shown when the check fails.
    pub fn message(&self) -> &str {
        match self {
            Check::Final { message, .. }
            | Check::FinalSum { message, .. }
            | Check::Always { message, .. }
            | Check::MaxInSection { message, .. } => message,
        }
    }

    /// The slug naming what a failure of this check means, e.g. `"lost-update"`: the one the
    /// lesson set with [`ScenarioBuilder::kind`](crate::ScenarioBuilder::kind), else the
    /// variant's default ([`Check::default_kind`]).
    pub fn kind(&self) -> &str {
        match self {
            Check::Final { kind, .. }
            | Check::FinalSum { kind, .. }
            | Check::Always { kind, .. }
            | Check::MaxInSection { kind, .. }
                if !kind.is_empty() =>
            {
                kind
            }
            _ => self.default_kind(),
        }
    }

    /// The kind used when the lesson sets none: `"wrong-result"` for `Final` and `FinalSum`,
    /// `"violated"` for `Always`, `"over-capacity"` for `MaxInSection`.
    pub fn default_kind(&self) -> &'static str {
        match self {
            Check::Final { .. } | Check::FinalSum { .. } => "wrong-result",
            Check::Always { .. } => "violated",
            Check::MaxInSection { .. } => "over-capacity",
        }
    }

    pub(crate) fn set_kind(&mut self, new: String) {
        match self {
            Check::Final { kind, .. }
            | Check::FinalSum { kind, .. }
            | Check::Always { kind, .. }
            | Check::MaxInSection { kind, .. } => *kind = new,
        }
    }

    /// Whether the check is evaluated only once all threads have finished.
    pub fn is_final(&self) -> bool {
        matches!(self, Check::Final { .. } | Check::FinalSum { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmp_follows_python_equality() {
        assert!(Cmp::Eq.holds(Value::Int(1), Value::Bool(true)));
        assert!(Cmp::Eq.holds(Value::None, Value::None));
        assert!(!Cmp::Eq.holds(Value::None, Value::Int(0)));
        assert!(Cmp::Ne.holds(Value::None, Value::Int(0)));
        assert!(!Cmp::Lt.holds(Value::None, Value::Int(0)));
        assert!(Cmp::Le.holds(Value::Int(2), Value::Int(2)));
    }

    #[test]
    fn an_unnamed_check_has_its_variants_default_kind() {
        let mut c = Check::MaxInSection {
            section: SectionId(0),
            max: 1,
            message: "two inside".into(),
            kind: String::new(),
        };
        assert_eq!(c.kind(), "over-capacity");
        c.set_kind("double-booking".into());
        assert_eq!(c.kind(), "double-booking");
        assert_eq!(c.default_kind(), "over-capacity");
    }
}
