//! [`ScenarioBuilder`]: write scenarios by *name*, readably, and get every mistake back as a
//! [`ScenarioError`] (unknown names, undefined labels, registers read but never written, too
//! many threads…) instead of a machine that misbehaves.
//!
//! ```
//! use sim::prelude::*;
//!
//! let scenario = ScenarioBuilder::new("race")
//!     .var("counter", 0)
//!     .thread("T1", |t| {
//!         t.line(5)
//!             .op("LOAD_GLOBAL 0 (counter)", load("counter", "tmp"))
//!             .op("LOAD_CONST 1 (1)", load_const("one", 1))
//!             .op("BINARY_OP 13 (+=)", add("tmp", "tmp", "one"))
//!             .op("STORE_GLOBAL 0 (counter)", store("counter", "tmp"));
//!     })
//!     .check_final("counter", Cmp::Eq, 1, "lost update")
//!     .build()
//!     .expect("valid scenario");
//! assert_eq!(scenario.threads[0].program.len(), 4);
//! ```
//!
//! Registers are declared by using them. Jumps name labels (`t.label("loop")`), which may come
//! before or after the jump; a label after the last op means "return". The op helpers live in
//! [`ops`]; `use sim::prelude::*` brings them in with the builder.

use crate::op::{Check, Cmp, Op, OpKind, Operand};
use crate::scenario::{
    CondDecl, LockDecl, LockKind, OpAt, QueueDecl, Scenario, ScenarioError, SemDecl, ThreadDecl,
    VarDecl, MAX_REGS,
};
use crate::value::{
    CondId, LocalId, LockId, QueueId, RegId, SectionId, SemId, ThreadId, Value, VarId,
};
use std::sync::Arc;

/// A register name or a constant, as the input of an op helper: `"tmp"` is a register, `1`,
/// `true` and `Value::None` are constants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OperandSpec {
    /// A register, by name.
    Reg(String),
    /// A constant.
    Imm(Value),
}

impl From<&str> for OperandSpec {
    fn from(s: &str) -> Self {
        OperandSpec::Reg(s.to_string())
    }
}

impl From<String> for OperandSpec {
    fn from(s: String) -> Self {
        OperandSpec::Reg(s)
    }
}

impl From<Value> for OperandSpec {
    fn from(v: Value) -> Self {
        OperandSpec::Imm(v)
    }
}

impl From<i64> for OperandSpec {
    fn from(v: i64) -> Self {
        OperandSpec::Imm(Value::Int(v))
    }
}

impl From<i32> for OperandSpec {
    fn from(v: i32) -> Self {
        OperandSpec::Imm(Value::from(v))
    }
}

impl From<bool> for OperandSpec {
    fn from(v: bool) -> Self {
        OperandSpec::Imm(Value::Bool(v))
    }
}

type Resolve = Box<dyn FnOnce(&mut Resolver<'_>) -> Result<OpKind, ScenarioError>>;
type ResolveCheck = Box<dyn FnOnce(&Scenario) -> Result<Check, ScenarioError>>;

/// An op written with names, resolved to ids when the scenario is built. Made by the helpers in
/// [`ops`].
pub struct OpSpec {
    resolve: Resolve,
    switch: bool,
}

impl OpSpec {
    fn new(f: impl FnOnce(&mut Resolver<'_>) -> Result<OpKind, ScenarioError> + 'static) -> Self {
        OpSpec {
            resolve: Box::new(f),
            switch: false,
        }
    }

    /// Mark the op as a GIL switch point (see [`Op::gil_switch`]): with the GIL on, another
    /// thread may take over before it runs. In CPython 3.10+ put it on backward jumps
    /// (`JUMP_BACKWARD`), function entry (`RESUME`) and calls.
    pub fn switch_point(mut self) -> Self {
        self.switch = true;
        self
    }
}

impl std::fmt::Debug for OpSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpSpec")
            .field("switch", &self.switch)
            .finish_non_exhaustive()
    }
}

/// Name lookup for one op of one thread, with the error location at hand.
struct Resolver<'a> {
    scn: &'a Scenario,
    regs: &'a mut Vec<String>,
    written: &'a mut Vec<bool>,
    read: &'a mut Vec<bool>,
    labels: &'a [(String, usize)],
    thread_names: &'a [String],
    at: OpAt,
}

impl Resolver<'_> {
    fn unknown(&self, what: &'static str, name: &str) -> ScenarioError {
        ScenarioError::UnknownName {
            what,
            name: name.to_string(),
            at: Some(self.at.clone()),
        }
    }

    fn var(&self, name: &str) -> Result<VarId, ScenarioError> {
        self.scn
            .var_id(name)
            .ok_or_else(|| self.unknown("variable", name))
    }

    fn lock(&self, name: &str) -> Result<LockId, ScenarioError> {
        self.scn
            .lock_id(name)
            .ok_or_else(|| self.unknown("lock", name))
    }

    fn sem(&self, name: &str) -> Result<SemId, ScenarioError> {
        self.scn
            .sem_id(name)
            .ok_or_else(|| self.unknown("semaphore", name))
    }

    fn cond(&self, name: &str) -> Result<CondId, ScenarioError> {
        self.scn
            .cond_id(name)
            .ok_or_else(|| self.unknown("condition", name))
    }

    fn queue(&self, name: &str) -> Result<QueueId, ScenarioError> {
        self.scn
            .queue_id(name)
            .ok_or_else(|| self.unknown("queue", name))
    }

    fn local(&self, name: &str) -> Result<LocalId, ScenarioError> {
        self.scn
            .local_id(name)
            .ok_or_else(|| self.unknown("thread-local attribute", name))
    }

    fn section(&self, name: &str) -> Result<SectionId, ScenarioError> {
        self.scn
            .section_id(name)
            .ok_or_else(|| self.unknown("critical section", name))
    }

    fn thread(&self, name: &str) -> Result<ThreadId, ScenarioError> {
        self.thread_names
            .iter()
            .position(|t| t == name)
            .and_then(|i| u8::try_from(i).ok())
            .map(ThreadId)
            .ok_or_else(|| self.unknown("thread", name))
    }

    fn reg(&mut self, name: &str) -> Result<RegId, ScenarioError> {
        let i = match self.regs.iter().position(|r| r == name) {
            Some(i) => i,
            None => {
                if self.regs.len() >= MAX_REGS {
                    return Err(ScenarioError::TooMany {
                        what: format!("registers in thread `{}`", self.at.thread),
                        count: self.regs.len() + 1,
                        max: MAX_REGS,
                    });
                }
                self.regs.push(name.to_string());
                self.written.push(false);
                self.read.push(false);
                self.regs.len() - 1
            }
        };
        // `i < MAX_REGS <= u8::MAX`, so this always fits.
        Ok(RegId(u8::try_from(i).unwrap_or(u8::MAX)))
    }

    fn reg_w(&mut self, name: &str) -> Result<RegId, ScenarioError> {
        let r = self.reg(name)?;
        self.written[r.index()] = true;
        Ok(r)
    }

    fn reg_r(&mut self, name: &str) -> Result<RegId, ScenarioError> {
        let r = self.reg(name)?;
        self.read[r.index()] = true;
        Ok(r)
    }

    fn operand(&mut self, o: OperandSpec) -> Result<Operand, ScenarioError> {
        match o {
            OperandSpec::Reg(name) => self.reg_r(&name).map(Operand::Reg),
            OperandSpec::Imm(v) => Ok(Operand::Imm(v)),
        }
    }

    fn label(&self, name: &str) -> Result<u16, ScenarioError> {
        let at = self.labels.iter().find(|(l, _)| l == name).map(|(_, i)| *i);
        let Some(i) = at else {
            return Err(ScenarioError::UnknownLabel {
                label: name.to_string(),
                at: self.at.clone(),
            });
        };
        u16::try_from(i).map_err(|_| ScenarioError::JumpOutOfRange {
            at: self.at.clone(),
            target: u16::MAX,
            len: i,
        })
    }
}

/// Op helpers: each returns an [`OpSpec`] naming variables, registers, locks… by name.
///
/// Inputs written `impl Into<OperandSpec>` take a register name (`"tmp"`) or a constant
/// (`1`, `true`, `Value::None`).
pub mod ops {
    use super::{OpSpec, OperandSpec};
    use crate::op::{BinOpKind, OpKind};
    use crate::outcome::{PyError, PyExc};
    use crate::value::Value;

    /// `dst = var` (`LOAD_GLOBAL`).
    pub fn load(var: impl Into<String>, dst: impl Into<String>) -> OpSpec {
        let (var, dst) = (var.into(), dst.into());
        OpSpec::new(move |r| {
            Ok(OpKind::Load {
                var: r.var(&var)?,
                dst: r.reg_w(&dst)?,
            })
        })
    }

    /// `var = src` (`STORE_GLOBAL`).
    pub fn store(var: impl Into<String>, src: impl Into<String>) -> OpSpec {
        let (var, src) = (var.into(), src.into());
        OpSpec::new(move |r| {
            Ok(OpKind::Store {
                var: r.var(&var)?,
                src: r.reg_r(&src)?,
            })
        })
    }

    /// `dst = value` (`LOAD_CONST`).
    pub fn load_const(dst: impl Into<String>, value: impl Into<Value>) -> OpSpec {
        let (dst, value) = (dst.into(), value.into());
        OpSpec::new(move |r| {
            Ok(OpKind::Const {
                dst: r.reg_w(&dst)?,
                value,
            })
        })
    }

    /// `dst = a <op> b`.
    pub fn binop(
        op: BinOpKind,
        dst: impl Into<String>,
        a: impl Into<OperandSpec>,
        b: impl Into<OperandSpec>,
    ) -> OpSpec {
        let (dst, a, b) = (dst.into(), a.into(), b.into());
        OpSpec::new(move |r| {
            let a = r.operand(a)?;
            let b = r.operand(b)?;
            Ok(OpKind::BinOp {
                dst: r.reg_w(&dst)?,
                op,
                a,
                b,
            })
        })
    }

    macro_rules! binops {
        ($($(#[$doc:meta])* $name:ident => $kind:ident),* $(,)?) => {$(
            $(#[$doc])*
            pub fn $name(
                dst: impl Into<String>,
                a: impl Into<OperandSpec>,
                b: impl Into<OperandSpec>,
            ) -> OpSpec {
                binop(BinOpKind::$kind, dst, a, b)
            }
        )*};
    }

    binops! {
        /// `dst = a + b`.
        add => Add,
        /// `dst = a - b`.
        sub => Sub,
        /// `dst = a * b`.
        mul => Mul,
        /// `dst = a < b`.
        lt => Lt,
        /// `dst = a <= b`.
        le => Le,
        /// `dst = a == b`.
        eq => Eq,
        /// `dst = a != b`.
        ne => Ne,
        /// `dst = a > b`.
        gt => Gt,
        /// `dst = a >= b`.
        ge => Ge,
        /// `dst = a and b`.
        and => And,
        /// `dst = a or b`.
        or => Or,
    }

    /// Continue at `label`.
    pub fn jump(label: impl Into<String>) -> OpSpec {
        let label = label.into();
        OpSpec::new(move |r| {
            Ok(OpKind::Jump {
                target: r.label(&label)?,
            })
        })
    }

    /// Continue at `label` if `cond`'s truthiness is `when`.
    pub fn jump_if(cond: impl Into<String>, when: bool, label: impl Into<String>) -> OpSpec {
        let (cond, label) = (cond.into(), label.into());
        OpSpec::new(move |r| {
            Ok(OpKind::JumpIf {
                cond: r.reg_r(&cond)?,
                when,
                target: r.label(&label)?,
            })
        })
    }

    /// Continue at `label` if `cond` is truthy (`POP_JUMP_IF_TRUE`).
    pub fn jump_if_true(cond: impl Into<String>, label: impl Into<String>) -> OpSpec {
        jump_if(cond, true, label)
    }

    /// Continue at `label` if `cond` is falsy (`POP_JUMP_IF_FALSE`).
    pub fn jump_if_false(cond: impl Into<String>, label: impl Into<String>) -> OpSpec {
        jump_if(cond, false, label)
    }

    /// `lock.acquire()`.
    pub fn acquire(lock: impl Into<String>) -> OpSpec {
        let lock = lock.into();
        OpSpec::new(move |r| {
            Ok(OpKind::Acquire {
                lock: r.lock(&lock)?,
            })
        })
    }

    /// `dst = lock.acquire(blocking=False)`.
    pub fn try_acquire(lock: impl Into<String>, dst: impl Into<String>) -> OpSpec {
        let (lock, dst) = (lock.into(), dst.into());
        OpSpec::new(move |r| {
            Ok(OpKind::TryAcquire {
                lock: r.lock(&lock)?,
                dst: r.reg_w(&dst)?,
            })
        })
    }

    /// `dst = lock.acquire(timeout=…)`: the lock now (`dst = True`) or, if it is taken, a
    /// timeout the scheduler may let expire (`dst = False`); see [`OpKind::TimedAcquire`].
    pub fn acquire_timeout(lock: impl Into<String>, dst: impl Into<String>) -> OpSpec {
        let (lock, dst) = (lock.into(), dst.into());
        OpSpec::new(move |r| {
            Ok(OpKind::TimedAcquire {
                lock: r.lock(&lock)?,
                dst: r.reg_w(&dst)?,
            })
        })
    }

    /// `lock.release()`.
    pub fn release(lock: impl Into<String>) -> OpSpec {
        let lock = lock.into();
        OpSpec::new(move |r| {
            Ok(OpKind::Release {
                lock: r.lock(&lock)?,
            })
        })
    }

    /// `sem.acquire()`.
    pub fn sem_acquire(sem: impl Into<String>) -> OpSpec {
        let sem = sem.into();
        OpSpec::new(move |r| Ok(OpKind::SemAcquire { sem: r.sem(&sem)? }))
    }

    /// `dst = sem.acquire(blocking=False)`.
    pub fn sem_try_acquire(sem: impl Into<String>, dst: impl Into<String>) -> OpSpec {
        let (sem, dst) = (sem.into(), dst.into());
        OpSpec::new(move |r| {
            Ok(OpKind::SemTryAcquire {
                sem: r.sem(&sem)?,
                dst: r.reg_w(&dst)?,
            })
        })
    }

    /// `dst = sem.acquire(timeout=…)`: a permit now (`dst = True`) or, if none is left, a
    /// timeout the scheduler may let expire (`dst = False`); see [`OpKind::SemTimedAcquire`].
    pub fn sem_acquire_timeout(sem: impl Into<String>, dst: impl Into<String>) -> OpSpec {
        let (sem, dst) = (sem.into(), dst.into());
        OpSpec::new(move |r| {
            Ok(OpKind::SemTimedAcquire {
                sem: r.sem(&sem)?,
                dst: r.reg_w(&dst)?,
            })
        })
    }

    /// `sem.release()`.
    pub fn sem_release(sem: impl Into<String>) -> OpSpec {
        let sem = sem.into();
        OpSpec::new(move |r| Ok(OpKind::SemRelease { sem: r.sem(&sem)? }))
    }

    /// `cond.wait()`.
    pub fn wait(cond: impl Into<String>) -> OpSpec {
        let cond = cond.into();
        OpSpec::new(move |r| {
            Ok(OpKind::CondWait {
                cond: r.cond(&cond)?,
            })
        })
    }

    /// `cond.notify(n)`.
    pub fn notify(cond: impl Into<String>, n: u8) -> OpSpec {
        let cond = cond.into();
        OpSpec::new(move |r| {
            Ok(OpKind::CondNotify {
                cond: r.cond(&cond)?,
                n,
            })
        })
    }

    /// `cond.notify_all()`.
    pub fn notify_all(cond: impl Into<String>) -> OpSpec {
        let cond = cond.into();
        OpSpec::new(move |r| {
            Ok(OpKind::CondNotifyAll {
                cond: r.cond(&cond)?,
            })
        })
    }

    /// `queue.put(src)`.
    pub fn put(queue: impl Into<String>, src: impl Into<OperandSpec>) -> OpSpec {
        let (queue, src) = (queue.into(), src.into());
        OpSpec::new(move |r| {
            Ok(OpKind::QueuePut {
                queue: r.queue(&queue)?,
                src: r.operand(src)?,
            })
        })
    }

    /// `dst = queue.get()`.
    pub fn get(queue: impl Into<String>, dst: impl Into<String>) -> OpSpec {
        let (queue, dst) = (queue.into(), dst.into());
        OpSpec::new(move |r| {
            Ok(OpKind::QueueGet {
                queue: r.queue(&queue)?,
                dst: r.reg_w(&dst)?,
            })
        })
    }

    /// `queue.task_done()`.
    pub fn task_done(queue: impl Into<String>) -> OpSpec {
        let queue = queue.into();
        OpSpec::new(move |r| {
            Ok(OpKind::TaskDone {
                queue: r.queue(&queue)?,
            })
        })
    }

    /// `queue.join()`.
    pub fn join_queue(queue: impl Into<String>) -> OpSpec {
        let queue = queue.into();
        OpSpec::new(move |r| {
            Ok(OpKind::QueueJoin {
                queue: r.queue(&queue)?,
            })
        })
    }

    /// `thread.join()`, naming the thread as declared with
    /// [`ScenarioBuilder::thread`](super::ScenarioBuilder::thread).
    pub fn join_thread(thread: impl Into<String>) -> OpSpec {
        let thread = thread.into();
        OpSpec::new(move |r| {
            Ok(OpKind::JoinThread {
                thread: r.thread(&thread)?,
            })
        })
    }

    /// `local.slot = src`.
    pub fn local_set(slot: impl Into<String>, src: impl Into<OperandSpec>) -> OpSpec {
        let (slot, src) = (slot.into(), src.into());
        OpSpec::new(move |r| {
            Ok(OpKind::LocalSet {
                slot: r.local(&slot)?,
                src: r.operand(src)?,
            })
        })
    }

    /// `dst = local.slot`.
    pub fn local_get(slot: impl Into<String>, dst: impl Into<String>) -> OpSpec {
        let (slot, dst) = (slot.into(), dst.into());
        OpSpec::new(move |r| {
            Ok(OpKind::LocalGet {
                slot: r.local(&slot)?,
                dst: r.reg_w(&dst)?,
            })
        })
    }

    /// `time.sleep(ms / 1000)`.
    pub fn sleep(ms: u32) -> OpSpec {
        OpSpec::new(move |_| Ok(OpKind::Sleep { ms }))
    }

    /// CPU work holding the GIL for `ms`.
    pub fn work(ms: u32) -> OpSpec {
        OpSpec::new(move |_| Ok(OpKind::Work { ms }))
    }

    /// Enter a critical section (a marker for section checks).
    pub fn enter(section: impl Into<String>) -> OpSpec {
        let section = section.into();
        OpSpec::new(move |r| {
            Ok(OpKind::Enter {
                section: r.section(&section)?,
            })
        })
    }

    /// Leave a critical section.
    pub fn exit(section: impl Into<String>) -> OpSpec {
        let section = section.into();
        OpSpec::new(move |r| {
            Ok(OpKind::Exit {
                section: r.section(&section)?,
            })
        })
    }

    /// `var += imm` as one atomic step (bookkeeping, e.g. "tasks processed").
    pub fn tally(var: impl Into<String>, imm: i64) -> OpSpec {
        let var = var.into();
        OpSpec::new(move |r| {
            Ok(OpKind::AtomicAdd {
                var: r.var(&var)?,
                imm,
            })
        })
    }

    /// `assert cond, message`.
    pub fn assert_true(cond: impl Into<String>, message: impl Into<String>) -> OpSpec {
        let (cond, message) = (cond.into(), message.into());
        OpSpec::new(move |r| {
            Ok(OpKind::Assert {
                cond: r.reg_r(&cond)?,
                message,
            })
        })
    }

    /// `print(text)`: a line of output (see [`Run::output`](crate::Run::output)); no effect on
    /// the state.
    pub fn print(text: impl Into<String>) -> OpSpec {
        let text = text.into();
        OpSpec::new(move |_| Ok(OpKind::Print { text }))
    }

    /// `raise kind(message)`, e.g. `raise(PyExc::ValueError, "boom")`. It ends the thread,
    /// after the `finally:` blocks around it (see
    /// [`ThreadBuilder::try_finally`](super::ThreadBuilder::try_finally)).
    pub fn raise(kind: PyExc, message: impl Into<String>) -> OpSpec {
        let error = PyError::new(kind, message);
        OpSpec::new(move |_| Ok(OpKind::Raise { error }))
    }

    /// A step with no effect (a statement the lesson does not model).
    pub fn nop() -> OpSpec {
        OpSpec::new(|_| Ok(OpKind::Nop))
    }
}

struct PendingOp {
    line: u16,
    text: String,
    spec: OpSpec,
}

/// Builds one thread's program; handed to the closure of [`ScenarioBuilder::thread`].
pub struct ThreadBuilder {
    name: String,
    line: u16,
    ops: Vec<PendingOp>,
    labels: Vec<(String, usize)>,
    regs: Vec<String>,
    error: Option<ScenarioError>,
}

impl ThreadBuilder {
    /// Set the source line of the ops added next (1-based).
    pub fn line(&mut self, line: u16) -> &mut Self {
        self.line = line;
        self
    }

    /// Add an op shown as `text`.
    pub fn op(&mut self, text: impl Into<String>, spec: OpSpec) -> &mut Self {
        self.ops.push(PendingOp {
            line: self.line,
            text: text.into(),
            spec,
        });
        self
    }

    /// Name the position of the next op, as a jump target.
    pub fn label(&mut self, name: impl Into<String>) -> &mut Self {
        let name = name.into();
        if self.labels.iter().any(|(l, _)| *l == name) {
            self.error.get_or_insert(ScenarioError::DuplicateLabel {
                thread: self.name.clone(),
                label: name.clone(),
            });
        }
        self.labels.push((name, self.ops.len()));
        self
    }

    /// Declare a register up front, to fix the order the UI lists registers in.
    pub fn reg(&mut self, name: impl Into<String>) -> &mut Self {
        let name = name.into();
        if !self.regs.contains(&name) {
            self.regs.push(name);
        }
        self
    }

    /// `try:` `body` `finally:` `finally`: the ops `body` adds are protected, and those
    /// `finally` adds run after them, whether the body ran to its end or raised. An exception
    /// raised in the body sends the thread to the `finally:` ops; they run as ordinary steps,
    /// and at their end the exception goes on outward (to an enclosing `finally:`, or it ends
    /// the thread). Blocks nest. Labels and registers are the thread's, as everywhere.
    ///
    /// It adds an [`OpKind::Try`] marker (shown as `try:` on the current line; never a step)
    /// before the body.
    ///
    /// ```
    /// use sim::prelude::*;
    ///
    /// let scn = ScenarioBuilder::new("cleanup")
    ///     .var("cleaned", 0)
    ///     .thread("T1", |t| {
    ///         t.line(1).try_finally(
    ///             |body| {
    ///                 body.line(2).op("raise ValueError('boom')", raise(PyExc::ValueError, "boom"));
    ///             },
    ///             |finally| {
    ///                 finally.line(4).op("cleaned += 1", tally("cleaned", 1));
    ///             },
    ///         );
    ///     })
    ///     .build_arc()
    ///     .expect("valid");
    /// let mut m = Machine::new(scn).expect("valid");
    /// m.step(ThreadId(0)).expect("raises");
    /// m.step(ThreadId(0)).expect("runs the finally: block");
    /// assert_eq!(m.var_by_name("cleaned"), Some(Value::Int(1)));
    /// assert_eq!(m.raised(ThreadId(0)).map(ToString::to_string).as_deref(), Some("ValueError: boom"));
    /// ```
    pub fn try_finally(
        &mut self,
        body: impl FnOnce(&mut ThreadBuilder),
        finally: impl FnOnce(&mut ThreadBuilder),
    ) -> &mut Self {
        self.protect("try:", body, finally)
    }

    /// `with lock:` `body`: `lock.acquire()`, then `body` protected by a `finally:` that
    /// releases the lock, so an exception in the body still releases it (and then ends the
    /// thread). The acquire and the release are on the current line, shown as
    /// `with <lock>:` and `(end of with) → <lock>.release()`.
    pub fn with_lock(&mut self, lock: &str, body: impl FnOnce(&mut ThreadBuilder)) -> &mut Self {
        let line = self.line;
        self.op(format!("with {lock}:"), ops::acquire(lock));
        self.protect(format!("(with {lock}: body)"), body, |f| {
            f.line(line).op(
                format!("(end of with) → {lock}.release()"),
                ops::release(lock),
            );
        })
    }

    /// `with sem:` `body`: [`ThreadBuilder::with_lock`] for a semaphore (one permit).
    pub fn with_semaphore(
        &mut self,
        sem: &str,
        body: impl FnOnce(&mut ThreadBuilder),
    ) -> &mut Self {
        let line = self.line;
        self.op(format!("with {sem}:"), ops::sem_acquire(sem));
        self.protect(format!("(with {sem}: body)"), body, |f| {
            f.line(line).op(
                format!("(end of with) → {sem}.release()"),
                ops::sem_release(sem),
            );
        })
    }

    /// A [`OpKind::Try`] marker shown as `text`, the ops of `body`, then those of `finally`.
    fn protect(
        &mut self,
        text: impl Into<String>,
        body: impl FnOnce(&mut ThreadBuilder),
        finally: impl FnOnce(&mut ThreadBuilder),
    ) -> &mut Self {
        let marker = self.ops.len();
        self.op(text, ops::nop());
        body(self);
        let start = self.ops.len();
        finally(self);
        let end = self.ops.len();
        // Past `u16::MAX` the program is far too long anyway: validation says so.
        let finally = u16::try_from(start).unwrap_or(u16::MAX);
        let end = u16::try_from(end).unwrap_or(u16::MAX);
        if let Some(p) = self.ops.get_mut(marker) {
            p.spec = OpSpec::new(move |_| Ok(OpKind::Try { finally, end }));
        }
        self
    }

    /// `var += n` as CPython 3.11 compiles it: four non-atomic steps on the current line
    /// (`LOAD_GLOBAL`, `LOAD_CONST`, `BINARY_OP +=`, `STORE_GLOBAL`), using registers `tmp` and
    /// `n`. None of them is a GIL switch point, as in 3.10+.
    pub fn increment(&mut self, var: &str, n: i64) -> &mut Self {
        self.op(format!("LOAD_GLOBAL ({var})"), ops::load(var, "tmp"))
            .op(format!("LOAD_CONST ({n})"), ops::load_const("n", n))
            .op("BINARY_OP 13 (+=)", ops::add("tmp", "tmp", "n"))
            .op(format!("STORE_GLOBAL ({var})"), ops::store(var, "tmp"))
    }
}

/// Builds a [`Scenario`] by name, validating everything into a [`ScenarioError`].
///
/// Registers are declared by using them; jumps name labels set with [`ThreadBuilder::label`]
/// (before or after the jump; a label after the last op means "return"); op helpers are in
/// [`ops`] (`use sim::prelude::*` brings them in).
///
/// ```
/// use sim::prelude::*;
///
/// let scenario = ScenarioBuilder::new("locked increment")
///     .var("counter", 0)
///     .lock("lock", LockKind::Lock)
///     .thread("worker", |t| {
///         t.line(4).op("with lock:", acquire("lock"));
///         t.line(5).increment("counter", 1);
///         t.line(4).op("(end of with)", release("lock"));
///     })
///     .check_final("counter", Cmp::Eq, 1, "lost update")
///     .build()
///     .expect("valid");
/// assert_eq!(scenario.threads[0].program.len(), 6);
/// ```
pub struct ScenarioBuilder {
    scn: Scenario,
    cond_locks: Vec<String>,
    threads: Vec<ThreadBuilder>,
    checks: Vec<ResolveCheck>,
    /// The kind set with [`ScenarioBuilder::kind`] for each entry of `checks` (empty: default).
    check_kinds: Vec<String>,
    /// A `.kind()` that came before any check.
    kind_error: Option<ScenarioError>,
    switch_every_op: bool,
}

impl ScenarioBuilder {
    /// An empty scenario named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        ScenarioBuilder {
            scn: Scenario {
                name: name.into(),
                ..Scenario::default()
            },
            cond_locks: Vec::new(),
            threads: Vec::new(),
            checks: Vec::new(),
            check_kinds: Vec::new(),
            kind_error: None,
            switch_every_op: false,
        }
    }

    /// A shared variable with its initial value (`counter = 0`).
    pub fn var(mut self, name: impl Into<String>, init: impl Into<Value>) -> Self {
        self.scn.vars.push(VarDecl {
            name: name.into(),
            init: init.into(),
        });
        self
    }

    /// A `threading.Lock()` or `threading.RLock()`.
    pub fn lock(mut self, name: impl Into<String>, kind: LockKind) -> Self {
        self.scn.locks.push(LockDecl {
            name: name.into(),
            kind,
        });
        self
    }

    /// A `threading.Semaphore(initial)`.
    pub fn semaphore(mut self, name: impl Into<String>, initial: u32) -> Self {
        self.scn.sems.push(SemDecl {
            name: name.into(),
            initial,
            bounded: false,
        });
        self
    }

    /// A `threading.BoundedSemaphore(initial)`.
    pub fn bounded_semaphore(mut self, name: impl Into<String>, initial: u32) -> Self {
        self.scn.sems.push(SemDecl {
            name: name.into(),
            initial,
            bounded: true,
        });
        self
    }

    /// A `threading.Condition(lock)` on a lock declared with [`ScenarioBuilder::lock`].
    pub fn condition(mut self, name: impl Into<String>, lock: impl Into<String>) -> Self {
        self.scn.conds.push(CondDecl {
            name: name.into(),
            lock: LockId(0),
        });
        self.cond_locks.push(lock.into());
        self
    }

    /// A `queue.Queue(maxsize)`; as in Python, `0` means unbounded.
    pub fn queue(mut self, name: impl Into<String>, maxsize: u32) -> Self {
        let maxsize = (maxsize > 0).then_some(maxsize);
        self.scn.queues.push(QueueDecl {
            name: name.into(),
            maxsize,
        });
        self
    }

    /// An attribute of the scenario's `threading.local()` object.
    pub fn local(mut self, name: impl Into<String>) -> Self {
        self.scn.locals.push(name.into());
        self
    }

    /// A critical section for `enter`/`exit` markers (checks declare theirs automatically).
    pub fn section(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        if !self.scn.sections.contains(&name) {
            self.scn.sections.push(name);
        }
        self
    }

    /// A thread; `f` writes its program.
    pub fn thread(mut self, name: impl Into<String>, f: impl FnOnce(&mut ThreadBuilder)) -> Self {
        let mut t = ThreadBuilder {
            name: name.into(),
            line: 1,
            ops: Vec::new(),
            labels: Vec::new(),
            regs: Vec::new(),
            error: None,
        };
        f(&mut t);
        self.threads.push(t);
        self
    }

    /// Model the GIL (see [`Scenario::gil`]).
    pub fn gil(mut self, on: bool) -> Self {
        self.scn.gil = on;
        self
    }

    /// Make every op a GIL switch point: an interpreter that may switch between any two
    /// bytecodes (as CPython before 3.10 could, at most instructions).
    pub fn gil_switch_every_op(mut self, on: bool) -> Self {
        self.switch_every_op = on;
        self
    }

    /// Stop runs after `n` steps.
    pub fn step_limit(mut self, n: usize) -> Self {
        self.scn.step_limit = n;
        self
    }

    /// When all threads finish, `var <cmp> value` must hold.
    pub fn check_final(
        mut self,
        var: impl Into<String>,
        cmp: Cmp,
        value: impl Into<Value>,
        message: impl Into<String>,
    ) -> Self {
        let (var, value, message) = (var.into(), value.into(), message.into());
        self.check_kinds.push(String::new());
        self.checks.push(Box::new(move |s| {
            Ok(Check::Final {
                var: check_var(s, &var)?,
                cmp,
                value,
                message,
                kind: String::new(),
            })
        }));
        self
    }

    /// When all threads finish, the sum of `vars` `<cmp> value` must hold.
    pub fn check_final_sum(
        mut self,
        vars: &[&str],
        cmp: Cmp,
        value: impl Into<Value>,
        message: impl Into<String>,
    ) -> Self {
        let names: Vec<String> = vars.iter().map(|v| v.to_string()).collect();
        let (value, message) = (value.into(), message.into());
        self.check_kinds.push(String::new());
        self.checks.push(Box::new(move |s| {
            let vars = names
                .iter()
                .map(|n| check_var(s, n))
                .collect::<Result<_, _>>()?;
            Ok(Check::FinalSum {
                vars,
                cmp,
                value,
                message,
                kind: String::new(),
            })
        }));
        self
    }

    /// After every step, `var <cmp> value` must hold.
    pub fn check_always(
        mut self,
        var: impl Into<String>,
        cmp: Cmp,
        value: impl Into<Value>,
        message: impl Into<String>,
    ) -> Self {
        let (var, value, message) = (var.into(), value.into(), message.into());
        self.check_kinds.push(String::new());
        self.checks.push(Box::new(move |s| {
            Ok(Check::Always {
                var: check_var(s, &var)?,
                cmp,
                value,
                message,
                kind: String::new(),
            })
        }));
        self
    }

    /// After every step, at most `max` threads may be inside `section` (declared if new).
    pub fn check_max_in_section(
        self,
        section: impl Into<String>,
        max: u8,
        message: impl Into<String>,
    ) -> Self {
        let section = section.into();
        let mut b = self.section(section.clone());
        let message = message.into();
        b.check_kinds.push(String::new());
        b.checks.push(Box::new(move |s| {
            let section = s
                .section_id(&section)
                .ok_or_else(|| ScenarioError::UnknownName {
                    what: "critical section",
                    name: section.clone(),
                    at: None,
                })?;
            Ok(Check::MaxInSection {
                section,
                max,
                message,
                kind: String::new(),
            })
        }));
        b
    }

    /// Name what a failure of the check added last means, as a slug the UI and the lesson's
    /// expectations use, e.g. `.check_final("counter", Cmp::Eq, 2, "…").kind("lost-update")`.
    /// Without it a check has its variant's default (see [`Check::default_kind`]). Called
    /// before any check, it makes [`ScenarioBuilder::build`] fail with
    /// [`ScenarioError::UnknownName`].
    pub fn kind(mut self, kind: &str) -> Self {
        match self.check_kinds.last_mut() {
            Some(k) => *k = kind.to_string(),
            None => {
                self.kind_error.get_or_insert(ScenarioError::UnknownName {
                    what: "check for kind",
                    name: kind.to_string(),
                    at: None,
                });
            }
        }
        self
    }

    /// Resolve every name and validate.
    pub fn build(self) -> Result<Scenario, ScenarioError> {
        if let Some(e) = self.kind_error {
            return Err(e);
        }
        let mut scn = self.scn;
        for (cond, lock) in scn.conds.iter_mut().zip(&self.cond_locks) {
            cond.lock = scn_lock(&scn.locks, lock)?;
        }
        let mut checks = Vec::with_capacity(self.checks.len());
        for (check, kind) in self.checks.into_iter().zip(self.check_kinds) {
            let mut check = check(&scn)?;
            check.set_kind(kind);
            checks.push(check);
        }
        scn.checks = checks;
        let thread_names: Vec<String> = self.threads.iter().map(|t| t.name.clone()).collect();
        let mut threads = Vec::with_capacity(self.threads.len());
        for t in self.threads {
            if let Some(e) = t.error {
                return Err(e);
            }
            let mut regs = t.regs;
            let mut written = vec![false; regs.len()];
            let mut read = vec![false; regs.len()];
            let mut program = Vec::with_capacity(t.ops.len());
            for (i, p) in t.ops.into_iter().enumerate() {
                let mut r = Resolver {
                    scn: &scn,
                    regs: &mut regs,
                    written: &mut written,
                    read: &mut read,
                    labels: &t.labels,
                    thread_names: &thread_names,
                    at: OpAt {
                        thread: t.name.clone(),
                        op: i,
                        line: p.line,
                    },
                };
                let kind = (p.spec.resolve)(&mut r)?;
                program.push(Op {
                    kind,
                    line: p.line,
                    text: p.text,
                    gil_switch: p.spec.switch || self.switch_every_op,
                });
            }
            if let Some(i) = (0..regs.len()).find(|&i| read[i] && !written[i]) {
                return Err(ScenarioError::RegisterNeverWritten {
                    thread: t.name,
                    reg: regs[i].clone(),
                });
            }
            threads.push(ThreadDecl {
                name: t.name,
                regs,
                program,
            });
        }
        scn.threads = threads;
        scn.validate()?;
        Ok(scn)
    }

    /// [`ScenarioBuilder::build`], shared: what [`Machine::new`](crate::Machine::new) takes.
    pub fn build_arc(self) -> Result<Arc<Scenario>, ScenarioError> {
        self.build().map(Arc::new)
    }
}

fn check_var(s: &Scenario, name: &str) -> Result<VarId, ScenarioError> {
    s.var_id(name).ok_or_else(|| ScenarioError::UnknownName {
        what: "variable",
        name: name.to_string(),
        at: None,
    })
}

fn scn_lock(locks: &[LockDecl], name: &str) -> Result<LockId, ScenarioError> {
    locks
        .iter()
        .position(|l| l.name == name)
        .and_then(|i| u16::try_from(i).ok())
        .map(LockId)
        .ok_or_else(|| ScenarioError::UnknownName {
            what: "lock",
            name: name.to_string(),
            at: None,
        })
}

#[cfg(test)]
mod tests {
    use super::ops::*;
    use super::*;

    #[test]
    fn builder_resolves_names_and_labels() {
        let s = ScenarioBuilder::new("loop")
            .var("x", 0)
            .thread("T1", |t| {
                t.label("top")
                    .op("x += 1", tally("x", 1))
                    .op("load", load("x", "r"))
                    .op("r < 3", lt("c", "r", 3))
                    .op("loop", jump_if_true("c", "top").switch_point())
                    .label("end");
            })
            .build()
            .unwrap();
        let p = &s.threads[0].program;
        assert_eq!(
            p[3].kind,
            OpKind::JumpIf {
                cond: RegId(1),
                when: true,
                target: 0
            }
        );
        assert!(p[3].gil_switch);
        assert_eq!(s.threads[0].regs, vec!["r".to_string(), "c".to_string()]);
    }

    #[test]
    fn builder_reports_unknown_names_with_their_place() {
        let err = ScenarioBuilder::new("typo")
            .var("counter", 0)
            .thread("T1", |t| {
                t.line(7).op("LOAD_GLOBAL", load("countr", "tmp"));
            })
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown variable `countr` in thread `T1`, op 0 (line 7)"
        );
    }

    #[test]
    fn builder_reports_unknown_labels_and_locks() {
        let err = ScenarioBuilder::new("x")
            .thread("T1", |t| {
                t.op("jump", jump("nowhere"));
            })
            .build()
            .unwrap_err();
        assert!(matches!(err, ScenarioError::UnknownLabel { .. }));
        let err = ScenarioBuilder::new("x")
            .condition("cv", "lock")
            .thread("T1", |_| {})
            .build()
            .unwrap_err();
        assert!(matches!(
            err,
            ScenarioError::UnknownName { what: "lock", .. }
        ));
    }

    #[test]
    fn builder_catches_registers_read_but_never_written() {
        let err = ScenarioBuilder::new("x")
            .var("x", 0)
            .thread("T1", |t| {
                t.op("load", load("x", "tmp"))
                    .op("store", store("x", "tpm"));
            })
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            ScenarioError::RegisterNeverWritten {
                thread: "T1".into(),
                reg: "tpm".into()
            }
        );
    }

    #[test]
    fn builder_rejects_duplicate_labels_and_names() {
        let err = ScenarioBuilder::new("x")
            .thread("T1", |t| {
                t.label("a").op("nop", nop()).label("a");
            })
            .build()
            .unwrap_err();
        assert!(matches!(err, ScenarioError::DuplicateLabel { .. }));
        let err = ScenarioBuilder::new("x")
            .var("a", 0)
            .var("a", 1)
            .thread("T1", |_| {})
            .build()
            .unwrap_err();
        assert_eq!(err.to_string(), "two variables are named `a`");
    }

    #[test]
    fn builder_rejects_too_many_threads() {
        let n = crate::MAX_THREADS + 1;
        let mut b = ScenarioBuilder::new("many");
        for i in 0..n {
            b = b.thread(format!("T{i}"), |_| {});
        }
        assert_eq!(
            b.build().unwrap_err(),
            ScenarioError::TooManyThreads { count: n }
        );
    }

    #[test]
    fn kind_names_the_check_added_last_and_defaults_per_variant() {
        let s = ScenarioBuilder::new("kinds")
            .var("counter", 0)
            .check_final("counter", Cmp::Eq, 2, "lost update")
            .kind("lost-update")
            .check_final_sum(&["counter"], Cmp::Eq, 2, "sum")
            .check_always("counter", Cmp::Le, 2, "too big")
            .check_max_in_section("cs", 1, "two inside")
            .kind("double-entry")
            .thread("T1", |t| {
                t.op("nop", nop());
            })
            .build()
            .unwrap();
        let kinds: Vec<&str> = s.checks.iter().map(Check::kind).collect();
        assert_eq!(
            kinds,
            ["lost-update", "wrong-result", "violated", "double-entry"]
        );
    }

    #[test]
    fn kind_before_any_check_is_an_error() {
        let err = ScenarioBuilder::new("x")
            .kind("lost-update")
            .thread("T1", |_| {})
            .build()
            .unwrap_err();
        assert_eq!(err.to_string(), "unknown check for kind `lost-update`");
    }

    #[test]
    fn with_lock_is_an_acquire_then_a_try_block_whose_finally_releases() {
        let s = ScenarioBuilder::new("with")
            .var("x", 0)
            .lock("lock", LockKind::Lock)
            .thread("T1", |t| {
                t.line(3).with_lock("lock", |b| {
                    b.line(4).op("x += 1", tally("x", 1));
                });
                t.line(5).op("print(x)", print("x"));
            })
            .build()
            .unwrap();
        let p = &s.threads[0].program;
        let kinds: Vec<&OpKind> = p.iter().map(|o| &o.kind).collect();
        assert_eq!(
            kinds,
            [
                &OpKind::Acquire { lock: LockId(0) },
                &OpKind::Try { finally: 3, end: 4 },
                &OpKind::AtomicAdd {
                    var: VarId(0),
                    imm: 1
                },
                &OpKind::Release { lock: LockId(0) },
                &OpKind::Print { text: "x".into() },
            ]
        );
        let lines: Vec<u16> = p.iter().map(|o| o.line).collect();
        assert_eq!(lines, [3, 3, 4, 3, 5]);
        assert_eq!(p[0].text, "with lock:");
        assert_eq!(p[3].text, "(end of with) → lock.release()");
        assert!(p[1].kind.is_marker());
    }

    #[test]
    fn try_blocks_nest_and_raise_names_its_exception() {
        let s = ScenarioBuilder::new("nest")
            .thread("T1", |t| {
                t.try_finally(
                    |b| {
                        b.try_finally(
                            |b| {
                                b.op("raise", raise(crate::PyExc::Exception, "deep"));
                            },
                            |_| {},
                        );
                    },
                    |f| {
                        f.op("nop", nop());
                    },
                );
            })
            .build()
            .unwrap();
        let kinds: Vec<&OpKind> = s.threads[0].program.iter().map(|o| &o.kind).collect();
        assert_eq!(
            kinds,
            [
                &OpKind::Try { finally: 3, end: 4 },
                &OpKind::Try { finally: 3, end: 3 },
                &OpKind::Raise {
                    error: crate::PyError::new(crate::PyExc::Exception, "deep")
                },
                &OpKind::Nop,
            ]
        );
    }

    #[test]
    fn increment_expands_to_four_bytecodes() {
        let s = ScenarioBuilder::new("inc")
            .var("counter", 0)
            .thread("T1", |t| {
                t.line(3).increment("counter", 1);
            })
            .build()
            .unwrap();
        let texts: Vec<&str> = s.threads[0]
            .program
            .iter()
            .map(|o| o.text.as_str())
            .collect();
        assert_eq!(
            texts,
            [
                "LOAD_GLOBAL (counter)",
                "LOAD_CONST (1)",
                "BINARY_OP 13 (+=)",
                "STORE_GLOBAL (counter)"
            ]
        );
        assert!(s.threads[0]
            .program
            .iter()
            .all(|o| o.line == 3 && !o.gil_switch));
    }
}
