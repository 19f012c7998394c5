//! A [`Scenario`]: the pure-data description of one experiment (shared objects, threads and
//! their programs, checks), and its validation into a typed [`ScenarioError`].
//!
//! Scenarios are normally written with the [`ScenarioBuilder`](crate::ScenarioBuilder), by name;
//! this module holds the resolved, id-based form the [`Machine`](crate::Machine) runs.

use crate::op::{Check, Op, OpKind, Operand};
use crate::value::{LockId, RegId, ThreadId, Value};
use std::fmt;

/// The most threads a scenario may have (16: thread letters in schedule strings are `a`..=`p`,
/// and the explorer packs a permutation of threads into 64 bits, four bits a thread).
pub const MAX_THREADS: usize = 16;
/// The most named critical sections a scenario may have (the machine keeps them as a bit set).
pub const MAX_SECTIONS: usize = 64;
/// The most registers one thread may have.
pub const MAX_REGS: usize = 255;
/// The longest program one thread may have.
pub const MAX_PROGRAM_LEN: usize = 4096;
/// The most objects of one kind (variables, locks, …) a scenario may have.
pub const MAX_OBJECTS: usize = 1024;
/// The step limit used when a scenario does not set one.
pub const DEFAULT_STEP_LIMIT: usize = 10_000;

/// `threading.Lock` or `threading.RLock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockKind {
    /// Not reentrant and owner-less: re-acquiring by the holder blocks forever, and *any* thread
    /// may release it (CPython allows that; only releasing an unlocked lock is an error).
    Lock,
    /// Reentrant: an owner and a count; only the owner may release it.
    RLock,
}

/// A shared variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarDecl {
    /// Its Python name.
    pub name: String,
    /// Its value before any thread runs.
    pub init: Value,
}

/// A lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockDecl {
    /// Its Python name.
    pub name: String,
    /// `Lock` or `RLock`.
    pub kind: LockKind,
}

/// A semaphore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SemDecl {
    /// Its Python name.
    pub name: String,
    /// The initial number of permits (`Semaphore(initial)`).
    pub initial: u32,
    /// `BoundedSemaphore`: releasing above `initial` raises `ValueError`.
    pub bounded: bool,
}

/// A condition variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CondDecl {
    /// Its Python name.
    pub name: String,
    /// The lock it was built with (`threading.Condition(lock)`).
    pub lock: LockId,
}

/// A `queue.Queue`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueDecl {
    /// Its Python name.
    pub name: String,
    /// `Some(n)` for `Queue(maxsize=n)` with `n > 0`; `None` for an unbounded queue.
    pub maxsize: Option<u32>,
}

/// A thread: its name, its registers and its program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadDecl {
    /// The name the lesson gives it (the UI may also call it `T1`, `T2`, …).
    pub name: String,
    /// Register names (Python locals and value-stack slots), indexed by [`RegId`].
    pub regs: Vec<String>,
    /// The ops it runs, in order; running off the end finishes the thread.
    pub program: Vec<Op>,
}

/// One experiment: shared objects, threads, checks. Pure data; cheap to share behind an `Arc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// A short name, for logs and reports.
    pub name: String,
    /// Shared variables.
    pub vars: Vec<VarDecl>,
    /// Locks and RLocks.
    pub locks: Vec<LockDecl>,
    /// Semaphores and BoundedSemaphores.
    pub sems: Vec<SemDecl>,
    /// Condition variables.
    pub conds: Vec<CondDecl>,
    /// Queues.
    pub queues: Vec<QueueDecl>,
    /// Attribute names of the scenario's `threading.local()` object.
    pub locals: Vec<String>,
    /// Names of the critical sections used by `Enter`/`Exit` and section checks.
    pub sections: Vec<String>,
    /// The threads, `T1` first. At least one, at most [`MAX_THREADS`].
    pub threads: Vec<ThreadDecl>,
    /// Invariants checked during or at the end of a run.
    pub checks: Vec<Check>,
    /// Model CPython's GIL: one thread at a time holds it, and it changes hands only when the
    /// holder blocks, sleeps, finishes, or reaches an op marked [`Op::gil_switch`].
    ///
    /// That is a model of CPython's *eval breaker*: a request to drop the GIL (made by another
    /// thread after `sys.getswitchinterval()`, 5 ms) is only honoured at certain instructions. In
    /// 3.10+ these are backward jumps, function entry (`RESUME`) and calls, which is why
    /// `counter += 1` in a simple loop rarely loses updates on 3.10+ even though its four
    /// bytecodes are still not atomic: a switch between them needs a call in between, e.g. a
    /// `__add__` written in Python, a `print`, or an older interpreter.
    pub gil: bool,
    /// A run stops with [`Outcome::StepLimit`](crate::Outcome::StepLimit) after this many steps.
    pub step_limit: usize,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: String::new(),
            vars: Vec::new(),
            locks: Vec::new(),
            sems: Vec::new(),
            conds: Vec::new(),
            queues: Vec::new(),
            locals: Vec::new(),
            sections: Vec::new(),
            threads: Vec::new(),
            checks: Vec::new(),
            gil: false,
            step_limit: DEFAULT_STEP_LIMIT,
        }
    }
}

/// Where in a scenario an error was found: a thread, an op index, the op's source line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpAt {
    /// The thread's name.
    pub thread: String,
    /// The op's index in the thread's program.
    pub op: usize,
    /// The op's 1-based source line.
    pub line: u16,
}

impl fmt::Display for OpAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "thread `{}`, op {} (line {})",
            self.thread, self.op, self.line
        )
    }
}

/// Why a scenario is not valid. Every message names what is wrong and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScenarioError {
    /// A scenario needs at least one thread.
    NoThreads,
    /// More than [`MAX_THREADS`] threads.
    TooManyThreads {
        /// How many were declared.
        count: usize,
    },
    /// Too many objects of one kind, registers, sections or ops.
    TooMany {
        /// What there are too many of, e.g. `"registers in thread `T1`"`.
        what: String,
        /// How many there are.
        count: usize,
        /// The maximum.
        max: usize,
    },
    /// Two objects of the same kind (or two threads) share a name.
    DuplicateName {
        /// The kind of object, e.g. `"lock"`.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// A name that was never declared.
    UnknownName {
        /// The kind of object looked for, e.g. `"variable"`.
        what: &'static str,
        /// The name.
        name: String,
        /// The op that used it, if it was an op (not a check or a condition's lock).
        at: Option<OpAt>,
    },
    /// A jump to a label the thread never defines.
    UnknownLabel {
        /// The label.
        label: String,
        /// The jump.
        at: OpAt,
    },
    /// A label defined twice in one thread.
    DuplicateLabel {
        /// The thread's name.
        thread: String,
        /// The label.
        label: String,
    },
    /// A jump past the end of the program (jumping to exactly its length is allowed: it returns).
    JumpOutOfRange {
        /// The jump.
        at: OpAt,
        /// The target.
        target: u16,
        /// The program's length.
        len: usize,
    },
    /// An id that does not index its table (only possible in scenarios built without the builder).
    IdOutOfRange {
        /// The kind of id, e.g. `"lock"`.
        what: &'static str,
        /// The bad index.
        index: usize,
        /// The op that used it, if any.
        at: Option<OpAt>,
    },
    /// A register that some op reads but no op ever writes: almost certainly a typo.
    RegisterNeverWritten {
        /// The thread's name.
        thread: String,
        /// The register's name.
        reg: String,
    },
    /// A step limit of zero.
    ZeroStepLimit,
    /// A [`OpKind::Try`] marker whose blocks are out of order, past the end of the program, or
    /// overlap another try block without nesting in it.
    BadTryBlock {
        /// The marker.
        at: OpAt,
        /// What is wrong, e.g. "its finally: block ends past the end of the program".
        problem: &'static str,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::NoThreads => f.write_str("the scenario has no threads"),
            ScenarioError::TooManyThreads { count } => {
                write!(
                    f,
                    "the scenario has {count} threads; at most {MAX_THREADS} are allowed"
                )
            }
            ScenarioError::TooMany { what, count, max } => {
                write!(f, "too many {what}: {count} (at most {max})")
            }
            ScenarioError::DuplicateName { what, name } => {
                write!(f, "two {what}s are named `{name}`")
            }
            ScenarioError::UnknownName { what, name, at } => {
                write!(f, "unknown {what} `{name}`")?;
                if let Some(at) = at {
                    write!(f, " in {at}")?;
                }
                Ok(())
            }
            ScenarioError::UnknownLabel { label, at } => {
                write!(f, "jump to unknown label `{label}` in {at}")
            }
            ScenarioError::DuplicateLabel { thread, label } => {
                write!(f, "label `{label}` is defined twice in thread `{thread}`")
            }
            ScenarioError::JumpOutOfRange { at, target, len } => write!(
                f,
                "jump target {target} is out of range in {at} (the program has {len} ops)"
            ),
            ScenarioError::IdOutOfRange { what, index, at } => {
                write!(f, "{what} id {index} is out of range")?;
                if let Some(at) = at {
                    write!(f, " in {at}")?;
                }
                Ok(())
            }
            ScenarioError::RegisterNeverWritten { thread, reg } => write!(
                f,
                "register `{reg}` of thread `{thread}` is read but never written (a typo?)"
            ),
            ScenarioError::ZeroStepLimit => f.write_str("the step limit must be at least 1"),
            ScenarioError::BadTryBlock { at, problem } => {
                write!(f, "bad try block in {at}: {problem}")
            }
        }
    }
}

impl std::error::Error for ScenarioError {}

impl Scenario {
    /// Number of threads.
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    /// All thread ids, `T1` first.
    pub fn thread_ids(&self) -> impl Iterator<Item = ThreadId> + '_ {
        (0..self.threads.len()).filter_map(|i| u8::try_from(i).ok().map(ThreadId))
    }

    /// The thread's declaration, if the id is valid.
    pub fn thread(&self, t: ThreadId) -> Option<&ThreadDecl> {
        self.threads.get(t.index())
    }

    /// Look a shared variable up by name.
    pub fn var_id(&self, name: &str) -> Option<crate::VarId> {
        find(self.vars.iter().map(|v| v.name.as_str()), name).map(crate::VarId)
    }

    /// Look a lock up by name.
    pub fn lock_id(&self, name: &str) -> Option<LockId> {
        find(self.locks.iter().map(|v| v.name.as_str()), name).map(LockId)
    }

    /// Look a semaphore up by name.
    pub fn sem_id(&self, name: &str) -> Option<crate::SemId> {
        find(self.sems.iter().map(|v| v.name.as_str()), name).map(crate::SemId)
    }

    /// Look a condition up by name.
    pub fn cond_id(&self, name: &str) -> Option<crate::CondId> {
        find(self.conds.iter().map(|v| v.name.as_str()), name).map(crate::CondId)
    }

    /// Look a queue up by name.
    pub fn queue_id(&self, name: &str) -> Option<crate::QueueId> {
        find(self.queues.iter().map(|v| v.name.as_str()), name).map(crate::QueueId)
    }

    /// Look a thread-local attribute up by name.
    pub fn local_id(&self, name: &str) -> Option<crate::LocalId> {
        find(self.locals.iter().map(String::as_str), name).map(crate::LocalId)
    }

    /// Look a critical section up by name.
    pub fn section_id(&self, name: &str) -> Option<crate::SectionId> {
        find(self.sections.iter().map(String::as_str), name)
            .and_then(|i| u8::try_from(i).ok())
            .map(crate::SectionId)
    }

    /// Look a thread up by name.
    pub fn thread_id(&self, name: &str) -> Option<ThreadId> {
        find(self.threads.iter().map(|t| t.name.as_str()), name)
            .and_then(|i| u8::try_from(i).ok())
            .map(ThreadId)
    }

    /// Check every id, jump target and limit, so that a [`Machine`](crate::Machine) can index
    /// without checking. [`Machine::new`](crate::Machine::new) calls this.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.threads.is_empty() {
            return Err(ScenarioError::NoThreads);
        }
        if self.threads.len() > MAX_THREADS {
            return Err(ScenarioError::TooManyThreads {
                count: self.threads.len(),
            });
        }
        if self.step_limit == 0 {
            return Err(ScenarioError::ZeroStepLimit);
        }
        let tables: [(&str, usize, usize); 8] = [
            ("variables", self.vars.len(), MAX_OBJECTS),
            ("locks", self.locks.len(), MAX_OBJECTS),
            ("semaphores", self.sems.len(), MAX_OBJECTS),
            ("conditions", self.conds.len(), MAX_OBJECTS),
            ("queues", self.queues.len(), MAX_OBJECTS),
            ("thread-local attributes", self.locals.len(), MAX_OBJECTS),
            ("critical sections", self.sections.len(), MAX_SECTIONS),
            ("checks", self.checks.len(), MAX_OBJECTS),
        ];
        for (what, count, max) in tables {
            if count > max {
                return Err(ScenarioError::TooMany {
                    what: what.to_string(),
                    count,
                    max,
                });
            }
        }
        dup("variable", self.vars.iter().map(|v| v.name.as_str()))?;
        dup("lock", self.locks.iter().map(|v| v.name.as_str()))?;
        dup("semaphore", self.sems.iter().map(|v| v.name.as_str()))?;
        dup("condition", self.conds.iter().map(|v| v.name.as_str()))?;
        dup("queue", self.queues.iter().map(|v| v.name.as_str()))?;
        dup(
            "thread-local attribute",
            self.locals.iter().map(String::as_str),
        )?;
        dup("critical section", self.sections.iter().map(String::as_str))?;
        dup("thread", self.threads.iter().map(|t| t.name.as_str()))?;
        for c in &self.conds {
            self.idx("lock", c.lock.index(), self.locks.len(), None)?;
        }
        for check in &self.checks {
            match check {
                Check::Final { var, .. } | Check::Always { var, .. } => {
                    self.idx("variable", var.index(), self.vars.len(), None)?;
                }
                Check::FinalSum { vars, .. } => {
                    for v in vars {
                        self.idx("variable", v.index(), self.vars.len(), None)?;
                    }
                }
                Check::MaxInSection { section, .. } => {
                    self.idx(
                        "critical section",
                        section.index(),
                        self.sections.len(),
                        None,
                    )?;
                }
            }
        }
        for t in &self.threads {
            if t.regs.len() > MAX_REGS {
                return Err(ScenarioError::TooMany {
                    what: format!("registers in thread `{}`", t.name),
                    count: t.regs.len(),
                    max: MAX_REGS,
                });
            }
            if t.program.len() > MAX_PROGRAM_LEN {
                return Err(ScenarioError::TooMany {
                    what: format!("ops in thread `{}`", t.name),
                    count: t.program.len(),
                    max: MAX_PROGRAM_LEN,
                });
            }
            for (i, op) in t.program.iter().enumerate() {
                self.validate_op(t, i, op)?;
            }
            validate_try_blocks(t)?;
        }
        Ok(())
    }

    fn validate_op(&self, t: &ThreadDecl, i: usize, op: &Op) -> Result<(), ScenarioError> {
        let at = || OpAt {
            thread: t.name.clone(),
            op: i,
            line: op.line,
        };
        let reg = |r: RegId| self.idx("register", r.index(), t.regs.len(), Some(at()));
        let operand = |o: &Operand| match o {
            Operand::Reg(r) => reg(*r),
            Operand::Imm(_) => Ok(()),
        };
        let target = |target: u16| {
            if usize::from(target) > t.program.len() {
                Err(ScenarioError::JumpOutOfRange {
                    at: at(),
                    target,
                    len: t.program.len(),
                })
            } else {
                Ok(())
            }
        };
        let var = |v: crate::VarId| self.idx("variable", v.index(), self.vars.len(), Some(at()));
        let lock = |l: LockId| self.idx("lock", l.index(), self.locks.len(), Some(at()));
        let sem = |s: crate::SemId| self.idx("semaphore", s.index(), self.sems.len(), Some(at()));
        let cond =
            |c: crate::CondId| self.idx("condition", c.index(), self.conds.len(), Some(at()));
        let queue = |q: crate::QueueId| self.idx("queue", q.index(), self.queues.len(), Some(at()));
        let local = |s: crate::LocalId| {
            self.idx(
                "thread-local attribute",
                s.index(),
                self.locals.len(),
                Some(at()),
            )
        };
        let section = |s: crate::SectionId| {
            self.idx(
                "critical section",
                s.index(),
                self.sections.len(),
                Some(at()),
            )
        };
        match &op.kind {
            OpKind::Load { var: v, dst } => {
                var(*v)?;
                reg(*dst)
            }
            OpKind::Store { var: v, src } => {
                var(*v)?;
                reg(*src)
            }
            OpKind::Const { dst, .. } => reg(*dst),
            OpKind::BinOp { dst, a, b, .. } => {
                reg(*dst)?;
                operand(a)?;
                operand(b)
            }
            OpKind::Jump { target: tg } => target(*tg),
            OpKind::JumpIf {
                cond: c,
                target: tg,
                ..
            } => {
                reg(*c)?;
                target(*tg)
            }
            OpKind::Acquire { lock: l } | OpKind::Release { lock: l } => lock(*l),
            OpKind::TryAcquire { lock: l, dst } | OpKind::TimedAcquire { lock: l, dst } => {
                lock(*l)?;
                reg(*dst)
            }
            OpKind::SemAcquire { sem: s } | OpKind::SemRelease { sem: s } => sem(*s),
            OpKind::SemTryAcquire { sem: s, dst } | OpKind::SemTimedAcquire { sem: s, dst } => {
                sem(*s)?;
                reg(*dst)
            }
            OpKind::CondWait { cond: c }
            | OpKind::CondNotify { cond: c, .. }
            | OpKind::CondNotifyAll { cond: c } => cond(*c),
            OpKind::QueuePut { queue: q, src } => {
                queue(*q)?;
                operand(src)
            }
            OpKind::QueueGet { queue: q, dst } => {
                queue(*q)?;
                reg(*dst)
            }
            OpKind::TaskDone { queue: q } | OpKind::QueueJoin { queue: q } => queue(*q),
            OpKind::JoinThread { thread } => {
                self.idx("thread", thread.index(), self.threads.len(), Some(at()))
            }
            OpKind::LocalSet { slot, src } => {
                local(*slot)?;
                operand(src)
            }
            OpKind::LocalGet { slot, dst } => {
                local(*slot)?;
                reg(*dst)
            }
            OpKind::Enter { section: s } | OpKind::Exit { section: s } => section(*s),
            OpKind::AtomicAdd { var: v, .. } => var(*v),
            OpKind::Assert { cond: c, .. } => reg(*c),
            // Try blocks are checked together, by `validate_try_blocks`.
            OpKind::Sleep { .. }
            | OpKind::Work { .. }
            | OpKind::Print { .. }
            | OpKind::Raise { .. }
            | OpKind::Try { .. }
            | OpKind::Nop => Ok(()),
        }
    }

    fn idx(
        &self,
        what: &'static str,
        index: usize,
        len: usize,
        at: Option<OpAt>,
    ) -> Result<(), ScenarioError> {
        if index < len {
            Ok(())
        } else {
            Err(ScenarioError::IdOutOfRange { what, index, at })
        }
    }

    /// Name of a variable (`"?"` for an invalid id, so display code never fails).
    pub fn var_name(&self, v: crate::VarId) -> &str {
        self.vars.get(v.index()).map_or("?", |d| d.name.as_str())
    }

    /// Name of a lock.
    pub fn lock_name(&self, l: LockId) -> &str {
        self.locks.get(l.index()).map_or("?", |d| d.name.as_str())
    }

    /// Name of a semaphore.
    pub fn sem_name(&self, s: crate::SemId) -> &str {
        self.sems.get(s.index()).map_or("?", |d| d.name.as_str())
    }

    /// Name of a condition.
    pub fn cond_name(&self, c: crate::CondId) -> &str {
        self.conds.get(c.index()).map_or("?", |d| d.name.as_str())
    }

    /// Name of a queue.
    pub fn queue_name(&self, q: crate::QueueId) -> &str {
        self.queues.get(q.index()).map_or("?", |d| d.name.as_str())
    }

    /// Name of a thread-local attribute.
    pub fn local_name(&self, s: crate::LocalId) -> &str {
        self.locals.get(s.index()).map_or("?", String::as_str)
    }

    /// Name of a critical section.
    pub fn section_name(&self, s: crate::SectionId) -> &str {
        self.sections.get(s.index()).map_or("?", String::as_str)
    }

    /// Name of a register of a thread.
    pub fn reg_name(&self, t: ThreadId, r: RegId) -> &str {
        self.threads
            .get(t.index())
            .and_then(|d| d.regs.get(r.index()))
            .map_or("?", String::as_str)
    }
}

/// Every [`OpKind::Try`] marker of `t` comes before its `finally:` block, which ends inside the
/// program; and any two try blocks are apart, or one lies inside the other's protected ops or
/// inside its `finally:` block.
fn validate_try_blocks(t: &ThreadDecl) -> Result<(), ScenarioError> {
    let blocks: Vec<(usize, usize, usize)> = t
        .program
        .iter()
        .enumerate()
        .filter_map(|(m, op)| match op.kind {
            OpKind::Try { finally, end } => Some((m, usize::from(finally), usize::from(end))),
            _ => None,
        })
        .collect();
    let bad = |m: usize, problem: &'static str| ScenarioError::BadTryBlock {
        at: OpAt {
            thread: t.name.clone(),
            op: m,
            line: t.program.get(m).map_or(0, |op| op.line),
        },
        problem,
    };
    for &(m, finally, end) in &blocks {
        if finally <= m {
            return Err(bad(m, "its finally: block starts before the marker"));
        }
        if end < finally {
            return Err(bad(m, "its finally: block ends before it starts"));
        }
        if end > t.program.len() {
            return Err(bad(
                m,
                "its finally: block ends past the end of the program",
            ));
        }
    }
    for (i, &(m1, f1, e1)) in blocks.iter().enumerate() {
        for &(m2, _, e2) in &blocks[i + 1..] {
            // Markers come in program order, so m1 < m2.
            let apart = e1 <= m2;
            let in_body = e2 <= f1;
            let in_finally = m2 >= f1 && e2 <= e1;
            if !(apart || in_body || in_finally) {
                return Err(bad(
                    m1,
                    "it overlaps a later try block without containing it",
                ));
            }
        }
    }
    Ok(())
}

fn find<'a>(mut names: impl Iterator<Item = &'a str>, name: &str) -> Option<u16> {
    names
        .position(|n| n == name)
        .and_then(|i| u16::try_from(i).ok())
}

fn dup<'a>(what: &'static str, names: impl Iterator<Item = &'a str>) -> Result<(), ScenarioError> {
    let mut seen = std::collections::HashSet::new();
    for n in names {
        if !seen.insert(n) {
            return Err(ScenarioError::DuplicateName {
                what,
                name: n.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::VarId;

    fn one_thread(program: Vec<Op>) -> Scenario {
        Scenario {
            vars: vec![VarDecl {
                name: "x".into(),
                init: Value::Int(0),
            }],
            threads: vec![ThreadDecl {
                name: "T1".into(),
                regs: vec!["r".into()],
                program,
            }],
            ..Scenario::default()
        }
    }

    fn op(kind: OpKind) -> Op {
        Op {
            kind,
            line: 1,
            text: String::new(),
            gil_switch: false,
        }
    }

    #[test]
    fn validate_accepts_a_jump_to_the_end() {
        let s = one_thread(vec![op(OpKind::Jump { target: 1 })]);
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn validate_rejects_a_jump_past_the_end() {
        let s = one_thread(vec![op(OpKind::Jump { target: 2 })]);
        assert!(matches!(
            s.validate(),
            Err(ScenarioError::JumpOutOfRange { target: 2, .. })
        ));
    }

    #[test]
    fn validate_rejects_ids_out_of_range() {
        let s = one_thread(vec![op(OpKind::Load {
            var: VarId(3),
            dst: RegId(0),
        })]);
        let err = s.validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "variable id 3 is out of range in thread `T1`, op 0 (line 1)"
        );
        let s = one_thread(vec![op(OpKind::Release { lock: LockId(0) })]);
        assert!(matches!(
            s.validate(),
            Err(ScenarioError::IdOutOfRange { what: "lock", .. })
        ));
    }

    #[test]
    fn validate_rejects_try_blocks_out_of_order_or_overlapping() {
        let tried = |blocks: &[(u16, u16)], len: usize| {
            let mut program: Vec<Op> = blocks
                .iter()
                .map(|&(finally, end)| op(OpKind::Try { finally, end }))
                .collect();
            program.resize(len, op(OpKind::Nop));
            one_thread(program).validate()
        };
        assert_eq!(tried(&[(2, 3)], 3), Ok(()));
        assert_eq!(tried(&[(3, 4), (2, 3)], 4), Ok(()), "nested in the body");
        let err = tried(&[(0, 1)], 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad try block in thread `T1`, op 0 (line 1): its finally: block starts before the marker"
        );
        assert!(matches!(
            tried(&[(2, 5)], 3),
            Err(ScenarioError::BadTryBlock { .. })
        ));
        assert!(matches!(
            tried(&[(2, 1)], 3),
            Err(ScenarioError::BadTryBlock { .. })
        ));
        // Block 0 protects op 1 (the second marker) and its finally is op 2; the second block's
        // finally runs on to op 3, out of the first's body.
        assert!(matches!(
            tried(&[(2, 3), (2, 4)], 4),
            Err(ScenarioError::BadTryBlock { .. })
        ));
    }

    #[test]
    fn validate_rejects_no_threads_and_too_many() {
        assert_eq!(
            Scenario::default().validate(),
            Err(ScenarioError::NoThreads)
        );
        let many = |n: usize| {
            let mut s = one_thread(vec![]);
            s.threads = vec![s.threads[0].clone(); n];
            for (i, t) in s.threads.iter_mut().enumerate() {
                t.name = format!("T{}", i + 1);
            }
            s
        };
        assert_eq!(many(16).validate(), Ok(()));
        let err = many(17).validate().unwrap_err();
        assert_eq!(err, ScenarioError::TooManyThreads { count: 17 });
        assert_eq!(
            err.to_string(),
            "the scenario has 17 threads; at most 16 are allowed"
        );
    }

    #[test]
    fn names_resolve_to_ids() {
        let s = one_thread(vec![]);
        assert_eq!(s.var_id("x"), Some(VarId(0)));
        assert_eq!(s.var_id("y"), None);
        assert_eq!(s.var_name(VarId(7)), "?");
        assert_eq!(s.thread_id("T1"), Some(ThreadId(0)));
    }
}
