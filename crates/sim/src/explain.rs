//! [`explain`]: how a run ended, told from the run's own events and states, in short sentences
//! that point at steps. Generic rules only (stale writes, who was inside a section, the
//! wait-for cycle, the exception and its context, who waited for whom); nothing here names a
//! lesson, so the same code explains every scenario.

use crate::event::{Event, EventKind};
use crate::graph::{wait_node, Node};
use crate::machine::{Machine, WaitKind};
use crate::op::{Check, OpKind, Operand};
use crate::outcome::{outcome_kind, CheckRef, Outcome, PyError};
use crate::run::Run;
use crate::scenario::{LockKind, Scenario};
use crate::value::{RegId, SectionId, ThreadId, Value, VarId};
use std::fmt;

/// A piece of an explanation's sentence. The UI draws `Code` in a monospace font, turns
/// `Step(n)` into a button that rewinds the run to step `n`, and `Thread` into the thread's chip.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Seg {
    /// Plain words.
    Text(String),
    /// A value, a name or Python code, e.g. `counter = 1` or `lock1`.
    Code(String),
    /// A 1-based step number (the state after that step).
    Step(usize),
    /// A thread.
    Thread(ThreadId),
}

/// `Display` for logs and tests: `Code` in backticks, `Step(3)` as "step 3", threads as `T1`.
impl fmt::Display for Seg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seg::Text(s) => f.write_str(s),
            Seg::Code(s) => write!(f, "`{s}`"),
            Seg::Step(n) => write!(f, "step {n}"),
            Seg::Thread(t) => write!(f, "{t}"),
        }
    }
}

/// How a run ended, explained: a title and a few lines, each a sentence of [`Seg`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The outcome's kind slug (see [`outcome_kind`]), e.g. `"lost-update"`, `"deadlock"`.
    pub kind: String,
    /// Whether the outcome is a failure ([`Outcome::is_bad`]).
    pub bad: bool,
    /// One sentence: what happened.
    pub title: Vec<Seg>,
    /// Why, step by step; the last line is often the check's own message.
    pub lines: Vec<Vec<Seg>>,
}

/// `Display` for logs and tests: the title, then each line on its own line.
impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.title {
            write!(f, "{s}")?;
        }
        for line in &self.lines {
            f.write_str("\n")?;
            for s in line {
                write!(f, "{s}")?;
            }
        }
        Ok(())
    }
}

/// Explain how `run` ended; `None` while it is not over.
///
/// The rules, all generic:
///
/// - **Violated value check** (`Final`, `FinalSum`, `Always`): the checked value against what
///   the check wants, then every *stale write* to the checked variables: a thread wrote a value
///   computed from its own earlier read, after another thread had written the variable in
///   between (found by following the reads through the thread's registers). Without one, the
///   last write to each checked variable. Last, the check's own message.
/// - **Failed `assert`**: where, the variables the thread read that another thread changed
///   after the read, the assertion's message.
/// - **Too many inside a section** (`MaxInSection`): how many, who entered when, and any
///   semaphore release by a thread holding no permit that left more permits than the semaphore
///   started with.
/// - **Deadlock**: the wait-for cycle of [`Machine::wait_for_graph`] as one chain ("T1 holds
///   `lock1` (acquired at step 2) and waits for `lock2`, held by T2 (acquired at step 4), which
///   waits for `lock1`."), a `Lock` re-acquired by its holder, or, without a cycle, each blocked
///   thread and what it waits for.
/// - **Exception** (a thread an exception ended, and nothing worse): who raised what, at which
///   step and line, and the state that made it an error (who owns the `RLock`, that all permits
///   were already free…); where it went (straight out of the thread, or through the `finally:`
///   blocks around it, at which steps); what the thread still held when it ended; and that the
///   other threads went on (or raised too).
/// - **Deadlock on a dead holder**: besides each wait, "T1 raised `ValueError: boom` at step 2
///   while holding `lock`, and never released it", saying whether a `finally:` block ran.
/// - **Finished**: the final values and every wait for a lock or a semaphore, until whose
///   release (the first ten, then how many more); every `acquire(timeout=…)` that gave up, and
///   who held what it wanted.
/// - **Step limit**: where each unfinished thread is.
pub fn explain(run: &Run) -> Option<Explanation> {
    let outcome = run.outcome()?;
    let x = Ctx {
        run,
        scn: run.initial().scenario(),
        events: run.events(),
        end: run.machine(),
    };
    let (title, lines) = match outcome {
        Outcome::Finished { vars } => x.finished(vars),
        Outcome::Violated {
            check: CheckRef::Check(i),
            message,
            ..
        } => match x.scn.checks.get(*i) {
            Some(Check::MaxInSection { section, max, .. }) => {
                x.over_capacity(*section, *max, message)
            }
            Some(check) => x.wrong_value(check, message),
            None => (vec![text("A check failed.")], message_line(message)),
        },
        Outcome::Violated {
            check: CheckRef::Assert { thread, .. },
            message,
            ..
        } => x.assertion(*thread, message),
        Outcome::Deadlock { .. } => x.deadlock(),
        Outcome::Misuse { thread, error } => x.misuse(*thread, error),
        Outcome::StepLimit { steps } => x.step_limit(*steps),
    };
    Some(Explanation {
        kind: outcome_kind(x.scn, outcome),
        bad: outcome.is_bad(),
        title,
        lines,
    })
}

fn text(s: impl Into<String>) -> Seg {
    Seg::Text(s.into())
}

fn code(s: impl fmt::Display) -> Seg {
    Seg::Code(s.to_string())
}

fn message_line(message: &str) -> Vec<Vec<Seg>> {
    if message.is_empty() {
        Vec::new()
    } else {
        vec![vec![text(message)]]
    }
}

/// `" at step n"`, or `" from the start"` for the initial state.
fn at_step(prefix: &str, step: Option<usize>) -> Vec<Seg> {
    match step {
        Some(n) => vec![text(format!(" {prefix} ")), Seg::Step(n)],
        None => vec![text(" from the start")],
    }
}

/// Threads as `T1`, `T1 and T2`, `T1, T2 and T3`.
fn thread_list(ts: &[ThreadId]) -> Vec<Seg> {
    let mut out = Vec::new();
    for (i, t) in ts.iter().enumerate() {
        if i > 0 {
            out.push(text(if i + 1 == ts.len() { " and " } else { ", " }));
        }
        out.push(Seg::Thread(*t));
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A write to a shared variable: the step, the writer, the value written.
#[derive(Clone, Copy)]
struct Write {
    step: usize,
    thread: ThreadId,
    var: VarId,
    value: Value,
}

/// A write computed from a read that another thread's write had made stale.
struct StaleWrite {
    thread: ThreadId,
    var: VarId,
    read_step: usize,
    read_value: Value,
    others: Vec<Write>,
    write: Write,
}

/// What [`Ctx::dataflow`] finds: every write, and the stale ones among writes to the vars asked.
struct Dataflow {
    writes: Vec<Write>,
    stale: Vec<StaleWrite>,
}

/// A read a register's value came from: the variable, the step, the value read.
type Source = (VarId, usize, Value);

struct Ctx<'a> {
    run: &'a Run,
    scn: &'a Scenario,
    events: &'a [Event],
    end: &'a Machine,
}

impl Ctx<'_> {
    fn op_kind(&self, e: &Event) -> Option<&OpKind> {
        self.scn
            .threads
            .get(e.thread.index())
            .and_then(|t| t.program.get(e.pc))
            .map(|op| &op.kind)
    }

    fn label(&self, n: Node) -> String {
        self.end.node_label(n)
    }

    fn var_is(&self, v: VarId, value: Value) -> Seg {
        code(format!("{} = {value}", self.scn.var_name(v)))
    }

    /// The last step at which `t` started holding `n` (for a semaphore: took one more permit),
    /// if it holds it at the end.
    fn acquired_at(&self, t: ThreadId, n: Node) -> Option<usize> {
        if self.end.hold_level(t, n) == 0 {
            return None;
        }
        (1..=self.run.len()).rev().find(|&k| {
            let (Some(before), Some(after)) = (self.run.state_at(k - 1), self.run.state_at(k))
            else {
                return false;
            };
            let (b, a) = (before.hold_level(t, n), after.hold_level(t, n));
            match n {
                Node::Sem(_) => a > b,
                _ => b == 0 && a > 0,
            }
        })
    }

    /// The first step of the wait `t` is in at the end (`None`: since the initial state).
    fn waits_since(&self, t: ThreadId) -> Option<usize> {
        let w = self.end.wait_of(t.index())?;
        let mut start = self.run.len();
        while start > 0
            && self
                .run
                .state_at(start - 1)
                .is_some_and(|m| m.wait_of(t.index()) == Some(w))
        {
            start -= 1;
        }
        (start > 0).then_some(start)
    }

    /// What a wait is for, in words.
    fn wait_words(&self, w: WaitKind) -> Vec<Seg> {
        let s = self.scn;
        match w {
            WaitKind::Lock(l) => vec![code(s.lock_name(l))],
            WaitKind::CondLock(c, l) => vec![
                code(s.lock_name(l)),
                text(" to return from "),
                code(format!("{}.wait()", s.cond_name(c))),
            ],
            WaitKind::Sem(x) => vec![text("a permit of "), code(s.sem_name(x))],
            WaitKind::Notify(c) => vec![text("a notify on "), code(s.cond_name(c))],
            WaitKind::QueueFull(q) => vec![text("space in "), code(s.queue_name(q))],
            WaitKind::QueueEmpty(q) => vec![text("an item in "), code(s.queue_name(q))],
            WaitKind::QueueJoin(q) => vec![
                text("every task of "),
                code(s.queue_name(q)),
                text(" to be done"),
            ],
            WaitKind::ThreadJoin(u) => vec![Seg::Thread(u), text(" to finish")],
            WaitKind::Gil => vec![text("the GIL")],
        }
    }

    /// `" (acquired at step n)"` for what `t` holds, or nothing when unknown.
    fn acquired_note(&self, t: ThreadId, n: Node) -> Vec<Seg> {
        match self.acquired_at(t, n) {
            Some(k) => vec![text(" (acquired at "), Seg::Step(k), text(")")],
            None => Vec::new(),
        }
    }

    /// Follow every thread's reads through its registers to its writes; collect the writes and
    /// the stale ones among those to `vars`.
    fn dataflow(&self, vars: &[VarId]) -> Dataflow {
        let mut regs: Vec<Vec<Vec<Source>>> = self
            .scn
            .threads
            .iter()
            .map(|t| vec![Vec::new(); t.regs.len()])
            .collect();
        let mut writes: Vec<Write> = Vec::new();
        let mut stale = Vec::new();
        for (i, e) in self.events.iter().enumerate() {
            let step = i + 1;
            let t = e.thread;
            let Some(op) = self.op_kind(e) else {
                continue;
            };
            let Some(mine) = regs.get_mut(t.index()) else {
                continue;
            };
            let src = |mine: &Vec<Vec<Source>>, o: &Operand| match o {
                Operand::Reg(r) => mine.get(r.index()).cloned().unwrap_or_default(),
                Operand::Imm(_) => Vec::new(),
            };
            let set = |mine: &mut Vec<Vec<Source>>, r: RegId, v: Vec<Source>| {
                if let Some(slot) = mine.get_mut(r.index()) {
                    *slot = v;
                }
            };
            match (&e.kind, op) {
                (EventKind::Read { var, value }, OpKind::Load { dst, .. }) => {
                    set(mine, *dst, vec![(*var, step, *value)]);
                }
                (EventKind::Computed { .. }, OpKind::BinOp { dst, a, b, .. }) => {
                    let mut from = src(mine, a);
                    from.extend(src(mine, b));
                    set(mine, *dst, from);
                }
                (EventKind::Wrote { var, new, .. }, OpKind::Store { src: r, .. }) => {
                    let write = Write {
                        step,
                        thread: t,
                        var: *var,
                        value: *new,
                    };
                    let read = mine
                        .get(r.index())
                        .and_then(|s| s.iter().filter(|(v, ..)| v == var).max_by_key(|s| s.1))
                        .copied();
                    if let Some((_, read_step, read_value)) = read.filter(|_| vars.contains(var)) {
                        let others: Vec<Write> = writes
                            .iter()
                            .filter(|w| w.var == *var && w.thread != t && w.step > read_step)
                            .copied()
                            .collect();
                        if !others.is_empty() {
                            stale.push(StaleWrite {
                                thread: t,
                                var: *var,
                                read_step,
                                read_value,
                                others,
                                write,
                            });
                        }
                    }
                    writes.push(write);
                }
                (EventKind::Tallied { var, value }, _) => writes.push(Write {
                    step,
                    thread: t,
                    var: *var,
                    value: *value,
                }),
                (_, kind) => {
                    if let Some(dst) = written_reg(kind) {
                        set(mine, dst, Vec::new());
                    }
                }
            }
        }
        Dataflow { writes, stale }
    }

    fn stale_line(&self, s: &StaleWrite) -> Vec<Seg> {
        let mut l = vec![
            Seg::Thread(s.thread),
            text(" read "),
            self.var_is(s.var, s.read_value),
            text(" at "),
            Seg::Step(s.read_step),
            text(", before "),
        ];
        for (i, w) in s.others.iter().enumerate() {
            if i > 0 {
                l.push(text(" and "));
            }
            l.extend([
                Seg::Thread(w.thread),
                text(" wrote "),
                self.var_is(w.var, w.value),
                text(" at "),
                Seg::Step(w.step),
            ]);
        }
        l.extend([
            text(", so "),
            Seg::Thread(s.thread),
            text("'s write at "),
            Seg::Step(s.write.step),
            text(" ("),
            self.var_is(s.var, s.write.value),
            text(if s.others.len() == 1 {
                ") overwrote it."
            } else {
                ") overwrote them."
            }),
        ]);
        l
    }

    /// A violated `Final`, `FinalSum` or `Always` check.
    fn wrong_value(&self, check: &Check, message: &str) -> (Vec<Seg>, Vec<Vec<Seg>>) {
        let now = |v: &VarId| self.end.var(*v).copied().unwrap_or_default();
        let (vars, title) = match check {
            Check::Final {
                var, cmp, value, ..
            }
            | Check::Always {
                var, cmp, value, ..
            } => {
                let name = self.scn.var_name(*var);
                let mut t = vec![self.var_is(*var, now(var))];
                if matches!(check, Check::Always { .. }) {
                    t.extend([text(" after "), Seg::Step(self.run.len())]);
                }
                t.extend([
                    text(", but the check wants "),
                    code(format!("{name} {cmp} {value}")),
                ]);
                if matches!(check, Check::Always { .. }) {
                    t.push(text(" at every step"));
                }
                (vec![*var], t)
            }
            Check::FinalSum {
                vars, cmp, value, ..
            } => {
                let names: Vec<&str> = vars.iter().map(|v| self.scn.var_name(*v)).collect();
                let sum_name = names.join(" + ");
                let sum = vars.iter().try_fold(0i64, |acc, v| {
                    now(v).as_int().and_then(|x| acc.checked_add(x))
                });
                let is = match sum {
                    Some(s) => code(format!("{sum_name} = {s}")),
                    None => code(
                        vars.iter()
                            .map(|v| format!("{} = {}", self.scn.var_name(*v), now(v)))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                };
                let t = vec![
                    is,
                    text(", but the check wants "),
                    code(format!("{sum_name} {cmp} {value}")),
                ];
                (vars.clone(), t)
            }
            Check::MaxInSection { .. } => (Vec::new(), vec![text("A check failed.")]),
        };
        let flow = self.dataflow(&vars);
        let mut lines: Vec<Vec<Seg>> = flow.stale.iter().map(|s| self.stale_line(s)).collect();
        if lines.is_empty() {
            for v in &vars {
                let last = flow.writes.iter().rev().find(|w| w.var == *v);
                lines.push(match last {
                    Some(w) => vec![
                        Seg::Thread(w.thread),
                        text(" wrote "),
                        self.var_is(*v, w.value),
                        text(" at "),
                        Seg::Step(w.step),
                        text(", the last write to "),
                        code(self.scn.var_name(*v)),
                        text("."),
                    ],
                    None => vec![
                        code(self.scn.var_name(*v)),
                        text(" was never written: it kept its first value, "),
                        code(now(v)),
                        text("."),
                    ],
                });
            }
        }
        lines.extend(self.raised_lines(&[]));
        lines.extend(message_line(message));
        (title, lines)
    }

    /// A failed `assert` op.
    fn assertion(&self, thread: ThreadId, message: &str) -> (Vec<Seg>, Vec<Vec<Seg>>) {
        let n = self.run.len();
        let mut title = vec![
            Seg::Thread(thread),
            text("'s assertion failed at "),
            Seg::Step(n),
        ];
        if let Some(e) = self.events.last() {
            title.extend([
                text(format!(" (line {}: ", e.line)),
                code(e.op_text()),
                text(")"),
            ]);
        }
        let flow = self.dataflow(&[]);
        let mut lines = Vec::new();
        // For each variable the thread read, its latest read that another thread's write made
        // stale before the assertion.
        let mut seen: Vec<VarId> = Vec::new();
        for (i, e) in self.events.iter().enumerate().rev() {
            let EventKind::Read { var, value } = e.kind else {
                continue;
            };
            let step = i + 1;
            if e.thread != thread || seen.contains(&var) {
                continue;
            }
            let later = flow
                .writes
                .iter()
                .find(|w| w.var == var && w.thread != thread && w.step > step);
            if let Some(w) = later {
                seen.push(var);
                lines.push(vec![
                    Seg::Thread(thread),
                    text(" read "),
                    self.var_is(var, value),
                    text(" at "),
                    Seg::Step(step),
                    text(", but then "),
                    Seg::Thread(w.thread),
                    text(" wrote "),
                    self.var_is(var, w.value),
                    text(" at "),
                    Seg::Step(w.step),
                    text("."),
                ]);
            }
        }
        lines.reverse();
        lines.extend(self.raised_lines(&[]));
        lines.extend(message_line(message));
        (title, lines)
    }

    /// A violated `MaxInSection` check.
    fn over_capacity(
        &self,
        section: SectionId,
        max: u8,
        message: &str,
    ) -> (Vec<Seg>, Vec<Vec<Seg>>) {
        let name = self.scn.section_name(section);
        let inside = self.end.section_occupants(section);
        let title = vec![
            text(format!(
                "{} inside ",
                if inside.len() == 1 {
                    "1 thread was".to_string()
                } else {
                    format!("{} threads were", inside.len())
                }
            )),
            code(name),
            text(format!(" at once (at most {max} allowed)")),
        ];
        let mut lines = Vec::new();
        for t in &inside {
            let entered = self
                .events
                .iter()
                .enumerate()
                .rev()
                .find(|(_, e)| e.thread == *t && e.kind == EventKind::Entered { section });
            if let Some((i, _)) = entered {
                lines.push(vec![
                    Seg::Thread(*t),
                    text(" entered "),
                    code(name),
                    text(" at "),
                    Seg::Step(i + 1),
                    text("."),
                ]);
            }
        }
        lines.extend(self.sem_over_releases());
        lines.extend(self.raised_lines(&[]));
        lines.extend(message_line(message));
        (title, lines)
    }

    /// Every semaphore release by a thread holding no permit: it adds a permit that was never
    /// taken, so the semaphore now has more (free plus held) than it started with.
    fn sem_over_releases(&self) -> Vec<Vec<Seg>> {
        let nsems = self.scn.sems.len();
        // Permits each thread holds, `[thread * nsems + sem]`: acquired minus released.
        let mut net = vec![0i64; self.scn.threads.len() * nsems];
        let mut lines = Vec::new();
        for (i, e) in self.events.iter().enumerate() {
            let (sem, delta) = match e.kind {
                EventKind::SemAcquired { sem, .. } | EventKind::SemTried { sem, ok: true } => {
                    (sem, 1)
                }
                EventKind::SemReleased { sem, permits } => {
                    let held = |net: &[i64], t: usize| {
                        net.get(t * nsems + sem.index()).copied().unwrap_or(0)
                    };
                    let in_use: i64 = (0..self.scn.threads.len())
                        .map(|t| held(&net, t).max(0))
                        .sum();
                    let total = i64::from(permits) + in_use;
                    let initial = self.scn.sems.get(sem.index()).map_or(0, |d| d.initial);
                    if held(&net, e.thread.index()) <= 0 && total > i64::from(initial) {
                        lines.push(vec![
                            Seg::Thread(e.thread),
                            text(" released "),
                            code(self.scn.sem_name(sem)),
                            text(" at "),
                            Seg::Step(i + 1),
                            text(format!(
                                " without holding a permit: it now has {}, more than the {initial} it started with.",
                                plural(usize::try_from(total).unwrap_or(usize::MAX), "permit", "permits")
                            )),
                        ]);
                    }
                    (sem, -1)
                }
                _ => continue,
            };
            if let Some(x) = net.get_mut(e.thread.index() * nsems + sem.index()) {
                *x += delta;
            }
        }
        lines
    }

    /// A deadlock: the cycle as a chain, or every wait.
    fn deadlock(&self) -> (Vec<Seg>, Vec<Vec<Seg>>) {
        let graph = self.end.wait_for_graph();
        let links = cycle_links(&graph.cycle);
        let blocked: Vec<ThreadId> = self
            .end
            .thread_ids()
            .filter(|t| self.end.wait_of(t.index()).is_some())
            .collect();
        let mut lines = Vec::new();
        let title;
        if links.is_empty() {
            title = vec![text("Deadlock: no thread can move")];
            for t in &blocked {
                lines.push(self.wait_line(*t));
            }
            let holders = self.dead_holders(&blocked);
            let named = self.named_dead_holders(&blocked);
            lines.extend(holders);
            lines.extend(self.raised_lines(&named));
            lines.push(vec![text("No running thread is left to change that.")]);
            return (title, lines);
        }
        let on_cycle: Vec<ThreadId> = links.iter().map(|l| l.0).collect();
        if let [(t, Some(r), _)] = links.as_slice() {
            title = vec![
                text("Deadlock: "),
                Seg::Thread(*t),
                text(" waits for itself"),
            ];
            lines.push(self.self_loop(*t, *r));
        } else {
            title = [text("Deadlock: ")]
                .into_iter()
                .chain(thread_list(&on_cycle))
                .chain([text(" wait for each other")])
                .collect();
            lines.push(self.chain(&links));
        }
        let mut sems: Vec<Node> = links
            .iter()
            .filter_map(|l| l.1.filter(|n| matches!(n, Node::Sem(_))))
            .collect();
        sems.dedup();
        for s in sems {
            lines.push(vec![
                code(self.label(s)),
                text(" has no permit left, and every thread holding one is waiting here."),
            ]);
        }
        for t in blocked.iter().filter(|t| !on_cycle.contains(t)) {
            lines.push(self.wait_line(*t));
        }
        lines.extend(self.dead_holders(&blocked));
        lines.extend(self.raised_lines(&self.named_dead_holders(&blocked)));
        (title, lines)
    }

    /// A one-thread cycle: a `Lock` asked for again by its holder, or a semaphore whose every
    /// permit the waiting thread holds.
    fn self_loop(&self, t: ThreadId, r: Node) -> Vec<Seg> {
        let since = self.waits_since(t);
        let lock_kind = match r {
            Node::Lock(l) => self.scn.locks.get(l.index()).map(|d| d.kind),
            _ => None,
        };
        match (r, lock_kind) {
            (Node::Lock(_), Some(LockKind::Lock)) => {
                let mut l = vec![Seg::Thread(t), text(" acquired "), code(self.label(r))];
                if let Some(k) = self.acquired_at(t, r) {
                    l.extend([text(" at "), Seg::Step(k)]);
                }
                l.push(text(" and asks for it again"));
                l.extend(at_step("at", since));
                l.extend([
                    text(": a "),
                    code("Lock"),
                    text(" is not reentrant, so "),
                    Seg::Thread(t),
                    text(" waits for itself forever."),
                ]);
                l
            }
            (Node::Sem(_), _) => {
                let mut l = vec![
                    Seg::Thread(t),
                    text(" holds every permit of "),
                    code(self.label(r)),
                ];
                l.extend(self.acquired_note(t, r));
                l.push(text(" and asks for another"));
                l.extend(at_step("at", since));
                l.extend([
                    text(": only "),
                    Seg::Thread(t),
                    text(" could give one back, so it waits for itself forever."),
                ]);
                l
            }
            _ => self.chain(&[(t, Some(r), t)]),
        }
    }

    /// "T1 holds `a` (acquired at step 2) and waits for `b`, held by T2 (acquired at step 4),
    /// which waits for `a`."
    fn chain(&self, links: &[(ThreadId, Option<Node>, ThreadId)]) -> Vec<Seg> {
        let Some(&(t0, _, _)) = links.first() else {
            return Vec::new();
        };
        let mut l = vec![Seg::Thread(t0)];
        let closing = links.last().and_then(|x| x.1);
        if let Some(r) = closing {
            l.extend([text(" holds "), code(self.label(r))]);
            l.extend(self.acquired_note(t0, r));
            l.push(text(" and"));
        }
        let n = links.len();
        for (i, &(t, via, next)) in links.iter().enumerate() {
            if i == 0 {
                l.push(text(" waits for "));
            } else if links[i - 1].1.is_some() {
                l.push(text(", which waits for "));
            } else {
                l.extend([text(", and "), Seg::Thread(t), text(" waits for ")]);
            }
            match via {
                Some(r) => {
                    l.push(code(self.label(r)));
                    if i + 1 < n {
                        l.extend([text(", held by "), Seg::Thread(next)]);
                        l.extend(self.acquired_note(next, r));
                    }
                }
                None => l.extend([Seg::Thread(next), text(" to finish")]),
            }
        }
        l.push(text("."));
        l
    }

    /// "T2 waits for `lock`, held by T1 (since step 3)."
    fn wait_line(&self, t: ThreadId) -> Vec<Seg> {
        let Some(w) = self.end.wait_of(t.index()) else {
            return Vec::new();
        };
        let mut l = vec![Seg::Thread(t), text(" waits for ")];
        l.extend(self.wait_words(w));
        if let Some(r @ (Node::Lock(_) | Node::Sem(_))) = wait_node(w) {
            let holders = self.end.holders(r);
            if !holders.is_empty() {
                l.push(text(", held by "));
                l.extend(thread_list(&holders));
                let gone: Vec<ThreadId> = holders
                    .iter()
                    .copied()
                    .filter(|h| self.end.is_finished(h.index()))
                    .collect();
                if !gone.is_empty() {
                    let raised = gone.iter().all(|h| self.end.raised(*h).is_some());
                    l.push(text(match (raised, gone.len()) {
                        (true, 1) => ", which an exception ended before it released it",
                        (true, _) => ", which exceptions ended before they released it",
                        (false, 1) => ", which finished without releasing it",
                        (false, _) => ", which finished without releasing them",
                    }));
                }
            }
        }
        match self.waits_since(t) {
            Some(k) => l.extend([text(" (since "), Seg::Step(k), text(").")]),
            None => l.push(text(" (from the start).")),
        }
        l
    }

    /// A Python exception.
    fn misuse(&self, thread: ThreadId, error: &PyError) -> (Vec<Seg>, Vec<Vec<Seg>>) {
        // The step that raised the exception that ended `thread` (it may have gone through
        // `finally:` blocks since).
        let raised = self
            .events
            .iter()
            .rposition(|e| e.thread == thread && e.kind == EventKind::Raised(error.clone()))
            .or_else(|| {
                self.events
                    .iter()
                    .rposition(|e| matches!(e.kind, EventKind::Raised(_)))
            });
        let step = raised.map_or(self.run.len(), |i| i + 1);
        let mut title = vec![
            Seg::Thread(thread),
            text(" raised "),
            code(error),
            text(" at "),
            Seg::Step(step),
        ];
        let event = raised.and_then(|i| self.events.get(i));
        if let Some(e) = event {
            title.extend([
                text(format!(" (line {}: ", e.line)),
                code(e.op_text()),
                text(")"),
            ]);
        }
        let mut lines = Vec::new();
        let before = self
            .run
            .state_at(step.saturating_sub(1))
            .unwrap_or(self.end);
        let earlier = self.events.get(..step.saturating_sub(1)).unwrap_or(&[]);
        let op = event.and_then(|e| self.op_kind(e));
        match op {
            Some(OpKind::Release { lock }) => {
                let node = Node::Lock(*lock);
                let name = self.label(node);
                let st = before.locks.get(lock.index()).copied();
                // Only an `RLock` has an owner that must release it; a held `Lock` may be released
                // by anyone, so an error on a held lock is always this case.
                match st.and_then(|s| s.owner.filter(|_| s.count > 0)) {
                    Some(owner) if owner != thread => {
                        let mut l = vec![code(&name), text(" is held by "), Seg::Thread(owner)];
                        if let Some(k) = self.acquired_at(owner, node) {
                            l.extend([text(" since "), Seg::Step(k)]);
                        }
                        l.extend([
                            text(": only the thread that acquired an "),
                            code("RLock"),
                            text(" may release it."),
                        ]);
                        lines.push(l);
                    }
                    _ => {
                        let mut l = vec![code(&name), text(" was not held by anyone")];
                        let last = earlier
                            .iter()
                            .enumerate()
                            .rev()
                            .find(|(_, e)| releases(e, node));
                        if let Some((i, e)) = last {
                            l.extend([
                                text(": "),
                                Seg::Thread(e.thread),
                                text(" released it at "),
                                Seg::Step(i + 1),
                            ]);
                        }
                        l.push(text("."));
                        lines.push(l);
                    }
                }
            }
            Some(OpKind::SemRelease { sem }) => {
                let initial = self.scn.sems.get(sem.index()).map_or(0, |d| d.initial);
                let free = before.sems.get(sem.index()).copied().unwrap_or(0);
                let name = self.scn.sem_name(*sem);
                if free >= initial {
                    let all = if initial == 1 {
                        " already had its one permit free: a ".to_string()
                    } else {
                        format!(" already had all {initial} of its permits free: a ")
                    };
                    lines.push(vec![
                        code(name),
                        text(all),
                        code("BoundedSemaphore"),
                        text(" refuses a release that would give it more than it started with."),
                    ]);
                }
                let (acq, rel) = earlier
                    .iter()
                    .fold((0usize, 0usize), |(a, r), e| match e.kind {
                        EventKind::SemAcquired { sem: s, .. }
                        | EventKind::SemTried { sem: s, ok: true }
                            if e.thread == thread && s == *sem =>
                        {
                            (a + 1, r)
                        }
                        EventKind::SemReleased { sem: s, .. }
                            if e.thread == thread && s == *sem =>
                        {
                            (a, r + 1)
                        }
                        _ => (a, r),
                    });
                if acq <= rel {
                    lines.push(vec![
                        Seg::Thread(thread),
                        text(format!(
                            " held no permit: it had acquired {acq} and released {rel}."
                        )),
                    ]);
                }
            }
            Some(
                OpKind::CondWait { cond }
                | OpKind::CondNotify { cond, .. }
                | OpKind::CondNotifyAll { cond },
            ) => {
                let lock = self.scn.conds.get(cond.index()).map(|c| c.lock);
                if let Some(lock) = lock {
                    lines.push(vec![
                        Seg::Thread(thread),
                        text(" did not hold "),
                        code(self.scn.lock_name(lock)),
                        text(", the lock of "),
                        code(self.scn.cond_name(*cond)),
                        text("."),
                    ]);
                }
            }
            Some(OpKind::TaskDone { queue }) => lines.push(vec![
                code(self.scn.queue_name(*queue)),
                text(" had no unfinished task: every item put was already marked done."),
            ]),
            Some(OpKind::LocalGet { slot, .. }) => lines.push(vec![
                Seg::Thread(thread),
                text(" never set "),
                code(format!("local.{}", self.scn.local_name(*slot))),
                text(": each thread sees only the attributes it set itself."),
            ]),
            Some(OpKind::JoinThread { .. }) => lines.push(vec![
                Seg::Thread(thread),
                text(" asked to wait until it has finished itself."),
            ]),
            Some(OpKind::BinOp { a, b, .. }) => {
                let regs = before.regs(thread);
                let val = |o: &Operand| match o {
                    Operand::Reg(r) => regs.get(r.index()).copied().unwrap_or_default(),
                    Operand::Imm(v) => *v,
                };
                lines.push(vec![
                    text("Its operands were "),
                    code(val(a)),
                    text(" and "),
                    code(val(b)),
                    text("."),
                ]);
            }
            _ => {}
        }
        if let Some(i) = raised {
            lines.push(self.unwinding(thread, i));
        }
        for n in self.end.held_by(thread) {
            let mut l = vec![Seg::Thread(thread), text(" ended still holding ")];
            if matches!(n, Node::Sem(_)) {
                l.push(text("a permit of "));
            }
            l.push(code(self.label(n)));
            l.extend(self.acquired_note(thread, n));
            l.push(text(": nobody will ever release it."));
            lines.push(l);
        }
        lines.extend(self.other_threads(thread));
        (title, lines)
    }

    /// Where the exception raised at event `i` by `t` went: straight out of the thread, or
    /// through the `finally:` blocks around it (the steps they took), then out.
    fn unwinding(&self, t: ThreadId, i: usize) -> Vec<Seg> {
        let raised_at = i + 1;
        let went = self.events.get(i).and_then(|e| e.exception.as_ref());
        if went.is_some_and(|u| u.handler.is_none()) {
            return vec![
                text("No "),
                code("try:"),
                text("/"),
                code("finally:"),
                text(" or "),
                code("with"),
                text(" block was around it, so it ended "),
                Seg::Thread(t),
                text(" there."),
            ];
        }
        let mine: Vec<(usize, &Event)> = self
            .events
            .iter()
            .enumerate()
            .skip(i + 1)
            .filter(|(_, e)| e.thread == t)
            .collect();
        let ended = mine
            .iter()
            .find(|(_, e)| e.exception.as_ref().is_some_and(|u| u.handler.is_none()))
            .map(|(k, _)| k + 1);
        let mut l = vec![
            text("It went to the "),
            code("finally:"),
            text(" block around it"),
        ];
        if let Some((k, e)) = mine.first() {
            l.extend([
                text(", which ran from "),
                Seg::Step(k + 1),
                text(format!(" (line {}: ", e.line)),
                code(e.op_text()),
                text(")"),
            ]);
        }
        match ended {
            Some(k) => l.extend([
                text("; at its end the exception went on and ended "),
                Seg::Thread(t),
                text(" at "),
                Seg::Step(k),
                text("."),
            ]),
            None => l.extend([text(" (raised at "), Seg::Step(raised_at), text(").")]),
        }
        l
    }

    /// How the threads other than `t` ended: an exception ends only its own thread.
    fn other_threads(&self, t: ThreadId) -> Vec<Vec<Seg>> {
        let mut lines = Vec::new();
        let finished: Vec<ThreadId> = self
            .end
            .thread_ids()
            .filter(|u| *u != t && self.end.is_finished(u.index()) && self.end.raised(*u).is_none())
            .collect();
        if !finished.is_empty() {
            let mut l = vec![text("An exception ends only the thread that raised it: ")];
            l.extend(thread_list(&finished));
            l.push(text(" went on and finished."));
            lines.push(l);
        }
        for u in self.end.thread_ids().filter(|u| *u != t) {
            let Some(e) = self.end.raised(u) else {
                continue;
            };
            let mut l = vec![Seg::Thread(u), text(" also raised "), code(e)];
            let at = self
                .events
                .iter()
                .rposition(|x| x.thread == u && x.kind == EventKind::Raised(e.clone()));
            if let Some(k) = at {
                l.extend([text(" at "), Seg::Step(k + 1)]);
            }
            l.push(text("."));
            lines.push(l);
        }
        lines
    }

    /// For a deadlock: "T1 raised `ValueError: boom` at step 2 (line 3: …) while holding
    /// `lock`, and never released it", for each waited-for lock or semaphore whose holder an
    /// exception ended.
    fn dead_holders(&self, blocked: &[ThreadId]) -> Vec<Vec<Seg>> {
        let mut seen: Vec<(ThreadId, Node)> = Vec::new();
        for t in blocked {
            let Some(r @ (Node::Lock(_) | Node::Sem(_))) =
                self.end.wait_of(t.index()).and_then(wait_node)
            else {
                continue;
            };
            for h in self.end.holders(r) {
                if self.end.raised(h).is_some() && !seen.contains(&(h, r)) {
                    seen.push((h, r));
                }
            }
        }
        seen.into_iter()
            .filter_map(|(h, r)| {
                let error = self.end.raised(h)?;
                let i = self
                    .events
                    .iter()
                    .rposition(|e| e.thread == h && e.kind == EventKind::Raised(error.clone()));
                let mut l = vec![Seg::Thread(h), text(" raised "), code(error)];
                if let Some(i) = i {
                    l.extend([text(" at "), Seg::Step(i + 1)]);
                    if let Some(e) = self.events.get(i) {
                        l.extend([
                            text(format!(" (line {}: ", e.line)),
                            code(e.op_text()),
                            text(")"),
                        ]);
                    }
                }
                l.extend([text(" while holding "), code(self.label(r))]);
                l.extend(self.acquired_note(h, r));
                let handled = i
                    .and_then(|i| self.events.get(i))
                    .and_then(|e| e.exception.as_ref())
                    .is_some_and(|u| u.handler.is_some());
                if handled {
                    l.extend([
                        text(", and never released it: the "),
                        code("finally:"),
                        text(" block that ran did not release it."),
                    ]);
                } else {
                    l.extend([
                        text(", and never released it: no "),
                        code("finally:"),
                        text(" or "),
                        code("with"),
                        text(" block was there to release it."),
                    ]);
                }
                Some(l)
            })
            .collect()
    }

    /// The threads whose held locks or permits `blocked` threads wait for, and that an
    /// exception ended (those [`Ctx::dead_holders`] speaks of).
    fn named_dead_holders(&self, blocked: &[ThreadId]) -> Vec<ThreadId> {
        blocked
            .iter()
            .filter_map(|t| self.end.wait_of(t.index()).and_then(wait_node))
            .filter(|r| matches!(r, Node::Lock(_) | Node::Sem(_)))
            .flat_map(|r| self.end.holders(r))
            .filter(|h| self.end.raised(*h).is_some())
            .collect()
    }

    /// "T1 raised `ValueError: boom` at step 2, which ended it.", for each thread an exception
    /// ended, except those in `skip`.
    fn raised_lines(&self, skip: &[ThreadId]) -> Vec<Vec<Seg>> {
        self.end
            .thread_ids()
            .filter(|t| !skip.contains(t))
            .filter_map(|t| {
                let error = self.end.raised(t)?;
                let mut l = vec![Seg::Thread(t), text(" raised "), code(error)];
                let at = self
                    .events
                    .iter()
                    .rposition(|e| e.thread == t && e.kind == EventKind::Raised(error.clone()));
                if let Some(i) = at {
                    l.extend([text(" at "), Seg::Step(i + 1)]);
                }
                l.extend([text(", which ended "), Seg::Thread(t), text(".")]);
                Some(l)
            })
            .collect()
    }

    /// Every `acquire(timeout=…)` that gave up, and who held what it wanted then.
    fn timeouts(&self) -> Vec<Vec<Seg>> {
        const MAX_LINES: usize = 10;
        let all: Vec<(usize, &Event, Node)> = self
            .events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e.kind {
                EventKind::TimedOut { lock } => Some((i, e, Node::Lock(lock))),
                EventKind::SemTimedOut { sem } => Some((i, e, Node::Sem(sem))),
                _ => None,
            })
            .collect();
        let mut lines: Vec<Vec<Seg>> = all
            .iter()
            .take(MAX_LINES)
            .map(|&(i, e, n)| {
                let mut l = vec![
                    Seg::Thread(e.thread),
                    text(" gave up waiting for "),
                    code(self.label(n)),
                    text(" at "),
                    Seg::Step(i + 1),
                    text(" (timeout): "),
                    code("acquire"),
                    text(" returned "),
                    code("False"),
                ];
                let holders = self
                    .run
                    .state_at(i)
                    .map(|m| m.holders(n))
                    .unwrap_or_default();
                if !holders.is_empty() {
                    l.push(text(", while "));
                    l.extend(thread_list(&holders));
                    l.push(text(" held it"));
                }
                l.push(text("."));
                l
            })
            .collect();
        if all.len() > MAX_LINES {
            lines.push(vec![text(format!(
                "…and {} more.",
                plural(all.len() - MAX_LINES, "timeout", "timeouts")
            ))]);
        }
        lines
    }

    /// Every run.
    fn finished(&self, vars: &[(String, Value)]) -> (Vec<Seg>, Vec<Vec<Seg>>) {
        let mut title = vec![text("All threads finished")];
        for (i, (name, value)) in vars.iter().enumerate() {
            title.push(text(if i == 0 { ": " } else { ", " }));
            title.push(code(format!("{name} = {value}")));
        }
        title.push(text("."));
        let mut lines = self.lock_waits();
        lines.extend(self.timeouts());
        (title, lines)
    }

    /// Every wait for a lock or a semaphore, in the order they began, until whose release.
    fn lock_waits(&self) -> Vec<Vec<Seg>> {
        const MAX_LINES: usize = 10;
        let mut waits: Vec<(Option<usize>, ThreadId, Node, usize)> = Vec::new();
        for t in self.end.thread_ids() {
            let mut open: Option<(Node, usize)> = None;
            for k in 0..=self.run.len() {
                let Some(m) = self.run.state_at(k) else {
                    break;
                };
                let now = m
                    .wait_of(t.index())
                    .and_then(wait_node)
                    .filter(|n| matches!(n, Node::Lock(_) | Node::Sem(_)));
                if open.map(|o| o.0) != now {
                    if let Some((n, from)) = open.take() {
                        waits.push(((from > 0).then_some(from), t, n, k));
                    }
                    open = now.map(|n| (n, k));
                }
            }
        }
        waits.sort_by_key(|w| (w.0, w.3, w.1));
        let mut lines: Vec<Vec<Seg>> = waits
            .iter()
            .take(MAX_LINES)
            .map(|&(from, t, n, until)| {
                let mut l = vec![Seg::Thread(t), text(" waited for "), code(self.label(n))];
                l.extend(at_step("from", from));
                match self
                    .events
                    .get(until.wrapping_sub(1))
                    .filter(|e| releases(e, n))
                {
                    Some(e) => l.extend([
                        text(" until "),
                        Seg::Thread(e.thread),
                        text(" released it at "),
                        Seg::Step(until),
                        text("."),
                    ]),
                    None => l.extend([text(" until "), Seg::Step(until), text(".")]),
                }
                l
            })
            .collect();
        if waits.len() > MAX_LINES {
            lines.push(vec![text(format!(
                "…and {} more.",
                plural(waits.len() - MAX_LINES, "wait", "waits")
            ))]);
        }
        lines
    }

    /// The step limit.
    fn step_limit(&self, steps: usize) -> (Vec<Seg>, Vec<Vec<Seg>>) {
        let title = vec![text(format!(
            "The run stopped at the step limit ({}).",
            plural(steps, "step", "steps")
        ))];
        let mut lines = Vec::new();
        for t in self.end.thread_ids() {
            if self.end.is_finished(t.index()) {
                continue;
            }
            if self.end.wait_of(t.index()).is_some() {
                lines.push(self.wait_line(t));
            } else if let Some(op) = self.end.current_op(t) {
                lines.push(vec![
                    Seg::Thread(t),
                    text(format!(" is still running, at line {}: ", op.line)),
                    code(&op.text),
                    text("."),
                ]);
            }
        }
        lines.extend(self.raised_lines(&[]));
        lines.push(vec![text(
            "Nothing has gone wrong yet, but the threads did not finish within the limit.",
        )]);
        (title, lines)
    }
}

/// Whether the event gave `n` back: a lock's last release (or a `wait()` letting go of it), a
/// semaphore release.
fn releases(e: &Event, n: Node) -> bool {
    match (&e.kind, n) {
        (EventKind::Released { lock, count: 0 }, Node::Lock(l))
        | (EventKind::CondWaiting { lock, .. }, Node::Lock(l)) => *lock == l,
        (EventKind::SemReleased { sem, .. }, Node::Sem(s)) => *sem == s,
        _ => false,
    }
}

/// The register an op overwrites with something that is not a shared variable's value.
fn written_reg(op: &OpKind) -> Option<RegId> {
    match op {
        OpKind::Load { dst, .. }
        | OpKind::Const { dst, .. }
        | OpKind::BinOp { dst, .. }
        | OpKind::TryAcquire { dst, .. }
        | OpKind::TimedAcquire { dst, .. }
        | OpKind::SemTryAcquire { dst, .. }
        | OpKind::SemTimedAcquire { dst, .. }
        | OpKind::QueueGet { dst, .. }
        | OpKind::LocalGet { dst, .. } => Some(*dst),
        _ => None,
    }
}

/// A cycle's nodes as links: each thread, the resource it waits for (`None`: a join), and the
/// thread that resource leads to.
fn cycle_links(cycle: &[Node]) -> Vec<(ThreadId, Option<Node>, ThreadId)> {
    let mut links: Vec<(ThreadId, Option<Node>)> = Vec::new();
    for n in cycle {
        match n {
            Node::Thread(t) => links.push((*t, None)),
            r => {
                if let Some(last) = links.last_mut() {
                    last.1 = Some(*r);
                }
            }
        }
    }
    let k = links.len();
    (0..k)
        .map(|i| (links[i].0, links[i].1, links[(i + 1) % k].0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    const T1: ThreadId = ThreadId(0);
    const T2: ThreadId = ThreadId(1);

    fn run(b: ScenarioBuilder, picks: &[u8]) -> Run {
        let mut run = Run::new(b.build_arc().unwrap()).unwrap();
        for &p in picks {
            run.step(ThreadId(p)).unwrap();
        }
        run
    }

    fn t(s: &str) -> Seg {
        text(s)
    }

    fn c(s: &str) -> Seg {
        code(s)
    }

    fn race(want: i64) -> ScenarioBuilder {
        ScenarioBuilder::new("race")
            .var("counter", 0)
            .thread("T1", |t| {
                t.line(5).increment("counter", 1);
            })
            .thread("T2", |t| {
                t.line(5).increment("counter", 1);
            })
            .check_final("counter", Cmp::Eq, want, "An update was lost.")
            .kind("lost-update")
    }

    #[test]
    fn nothing_to_explain_while_the_run_goes_on() {
        assert_eq!(explain(&run(race(2), &[0, 1])), None);
    }

    #[test]
    fn a_lost_update_names_the_stale_read_and_the_write_it_overwrote() {
        // T1 reads 0 (1); T2 reads 0 (2), computes (3, 4), writes 1 (5); T1 computes, writes 1 (8).
        let r = run(race(2), &[0, 1, 1, 1, 1, 0, 0, 0]);
        let e = explain(&r).unwrap();
        assert_eq!(e.kind, "lost-update");
        assert!(e.bad);
        assert_eq!(
            e.title,
            vec![
                c("counter = 1"),
                t(", but the check wants "),
                c("counter == 2")
            ]
        );
        assert_eq!(
            e.lines[0],
            vec![
                Seg::Thread(T1),
                t(" read "),
                c("counter = 0"),
                t(" at "),
                Seg::Step(1),
                t(", before "),
                Seg::Thread(T2),
                t(" wrote "),
                c("counter = 1"),
                t(" at "),
                Seg::Step(5),
                t(", so "),
                Seg::Thread(T1),
                t("'s write at "),
                Seg::Step(8),
                t(" ("),
                c("counter = 1"),
                t(") overwrote it."),
            ]
        );
        assert_eq!(e.lines.len(), 2);
        assert_eq!(e.lines[1], vec![t("An update was lost.")]);
    }

    #[test]
    fn a_wrong_result_without_a_race_names_the_last_write() {
        let r = run(race(3), &[0, 0, 0, 0, 1, 1, 1, 1]);
        let e = explain(&r).unwrap();
        assert_eq!(e.kind, "lost-update");
        assert_eq!(
            e.lines[0],
            vec![
                Seg::Thread(T2),
                t(" wrote "),
                c("counter = 2"),
                t(" at "),
                Seg::Step(8),
                t(", the last write to "),
                c("counter"),
                t("."),
            ]
        );
    }

    #[test]
    fn an_always_check_says_after_which_step_and_a_sum_adds_up() {
        let b = ScenarioBuilder::new("sum")
            .var("a", 100)
            .var("b", 100)
            .thread("T1", |t| {
                t.op("a -= 30", tally("a", -30));
            })
            .check_final_sum(&["a", "b"], Cmp::Eq, 200, "Money vanished.")
            .check_always("a", Cmp::Ge, 80, "a went below 80.");
        let e = explain(&run(b, &[0])).unwrap();
        assert_eq!(e.kind, "violated");
        assert_eq!(
            e.title,
            vec![
                c("a = 70"),
                t(" after "),
                Seg::Step(1),
                t(", but the check wants "),
                c("a >= 80"),
                t(" at every step"),
            ]
        );
        assert_eq!(e.lines[0][0], Seg::Thread(T1));
        assert_eq!(e.lines[0][4], Seg::Step(1));
        let b = ScenarioBuilder::new("sum")
            .var("a", 100)
            .var("b", 100)
            .thread("T1", |t| {
                t.op("a -= 30", tally("a", -30));
            })
            .check_final_sum(&["a", "b"], Cmp::Eq, 200, "Money vanished.");
        let e = explain(&run(b, &[0])).unwrap();
        assert_eq!(e.kind, "wrong-result");
        assert_eq!(e.title[0], c("a + b = 170"));
        assert_eq!(e.title[2], c("a + b == 200"));
        assert_eq!(e.lines.len(), 3, "{e}");
        assert_eq!(e.lines[1][0], c("b"));
    }

    fn two_locks() -> ScenarioBuilder {
        ScenarioBuilder::new("two locks")
            .lock("lock1", LockKind::Lock)
            .lock("lock2", LockKind::Lock)
            .thread("T1", |t| {
                t.op("lock1.acquire()", acquire("lock1"))
                    .op("print()", nop())
                    .op("lock2.acquire()", acquire("lock2"))
                    .op("lock2.release()", release("lock2"))
                    .op("lock1.release()", release("lock1"));
            })
            .thread("T2", |t| {
                t.op("lock2.acquire()", acquire("lock2"))
                    .op("print()", nop())
                    .op("lock1.acquire()", acquire("lock1"))
                    .op("lock1.release()", release("lock1"))
                    .op("lock2.release()", release("lock2"));
            })
    }

    #[test]
    fn opposite_lock_order_is_explained_as_one_chain() {
        let r = run(two_locks(), &[0, 0, 1, 1]);
        let e = explain(&r).unwrap();
        assert_eq!(e.kind, "deadlock");
        assert!(e.bad);
        assert_eq!(
            e.title,
            vec![
                t("Deadlock: "),
                Seg::Thread(T1),
                t(" and "),
                Seg::Thread(T2),
                t(" wait for each other")
            ]
        );
        assert_eq!(
            e.lines,
            vec![vec![
                Seg::Thread(T1),
                t(" holds "),
                c("lock1"),
                t(" (acquired at "),
                Seg::Step(1),
                t(")"),
                t(" and"),
                t(" waits for "),
                c("lock2"),
                t(", held by "),
                Seg::Thread(T2),
                t(" (acquired at "),
                Seg::Step(3),
                t(")"),
                t(", which waits for "),
                c("lock1"),
                t("."),
            ]]
        );
        assert_eq!(
            e.to_string(),
            "Deadlock: T1 and T2 wait for each other\nT1 holds `lock1` (acquired at step 1) and \
             waits for `lock2`, held by T2 (acquired at step 3), which waits for `lock1`."
        );
    }

    #[test]
    fn a_lock_asked_for_again_by_its_holder_waits_for_itself() {
        let b = ScenarioBuilder::new("again")
            .lock("lock", LockKind::Lock)
            .thread("T1", |t| {
                t.op("lock.acquire()", acquire("lock"))
                    .op("helper()", nop())
                    .op("lock.acquire()", acquire("lock"));
            });
        let e = explain(&run(b, &[0, 0])).unwrap();
        assert_eq!(e.kind, "deadlock");
        assert_eq!(
            e.lines[0],
            vec![
                Seg::Thread(T1),
                t(" acquired "),
                c("lock"),
                t(" at "),
                Seg::Step(1),
                t(" and asks for it again"),
                t(" at "),
                Seg::Step(2),
                t(": a "),
                c("Lock"),
                t(" is not reentrant, so "),
                Seg::Thread(T1),
                t(" waits for itself forever."),
            ]
        );
    }

    #[test]
    fn a_deadlock_without_a_cycle_lists_every_wait() {
        let b = ScenarioBuilder::new("starved")
            .queue("q", 0)
            .lock("lock", LockKind::Lock)
            .thread("T1", |t| {
                t.op("q.get()", get("q", "item"));
            })
            .thread("T2", |t| {
                t.op("lock.acquire()", acquire("lock"));
            })
            .thread("T3", |t| {
                t.op("lock.acquire()", acquire("lock"));
            });
        let e = explain(&run(b, &[1])).unwrap();
        assert_eq!(e.kind, "deadlock");
        assert_eq!(e.title, vec![t("Deadlock: no thread can move")]);
        assert_eq!(
            e.lines[0],
            vec![
                Seg::Thread(T1),
                t(" waits for "),
                t("an item in "),
                c("q"),
                t(" (from the start).")
            ]
        );
        assert_eq!(
            e.lines[1],
            vec![
                Seg::Thread(ThreadId(2)),
                t(" waits for "),
                c("lock"),
                t(", held by "),
                Seg::Thread(T2),
                t(", which finished without releasing it"),
                t(" (since "),
                Seg::Step(1),
                t(")."),
            ]
        );
        assert_eq!(
            e.lines[2],
            vec![t("No running thread is left to change that.")]
        );
    }

    #[test]
    fn an_extra_semaphore_release_explains_too_many_in_the_section() {
        let b = ScenarioBuilder::new("pool")
            .semaphore("pool", 1)
            .thread("T1", |t| {
                t.op("pool.acquire()", sem_acquire("pool"))
                    .op("enter", enter("room"))
                    .op("use()", nop())
                    .op("exit", exit("room"))
                    .op("pool.release()", sem_release("pool"));
            })
            .thread("T2", |t| {
                t.op("pool.release()", sem_release("pool"))
                    .op("pool.acquire()", sem_acquire("pool"))
                    .op("enter", enter("room"))
                    .op("exit", exit("room"))
                    .op("pool.release()", sem_release("pool"));
            })
            .check_max_in_section("room", 1, "Only one at a time.")
            .kind("too-many-inside");
        let r = run(b, &[0, 0, 1, 1, 1]);
        let e = explain(&r).unwrap();
        assert_eq!(e.kind, "too-many-inside");
        assert!(e.bad);
        assert_eq!(
            e.title,
            vec![
                t("2 threads were inside "),
                c("room"),
                t(" at once (at most 1 allowed)")
            ]
        );
        assert_eq!(
            e.lines,
            vec![
                vec![Seg::Thread(T1), t(" entered "), c("room"), t(" at "), Seg::Step(2), t(".")],
                vec![Seg::Thread(T2), t(" entered "), c("room"), t(" at "), Seg::Step(5), t(".")],
                vec![
                    Seg::Thread(T2),
                    t(" released "),
                    c("pool"),
                    t(" at "),
                    Seg::Step(3),
                    t(" without holding a permit: it now has 2 permits, more than the 1 it started with."),
                ],
                vec![t("Only one at a time.")],
            ]
        );
    }

    #[test]
    fn a_bounded_semaphore_over_release_says_all_permits_were_free() {
        let b = ScenarioBuilder::new("bounded")
            .bounded_semaphore("pool", 1)
            .thread("T1", |t| {
                t.line(3)
                    .op("pool.acquire()", sem_acquire("pool"))
                    .line(4)
                    .op("pool.release()", sem_release("pool"))
                    .line(5)
                    .op("pool.release()", sem_release("pool"));
            });
        let e = explain(&run(b, &[0, 0, 0])).unwrap();
        assert_eq!(e.kind, "exception");
        assert!(e.bad);
        assert_eq!(
            e.title,
            vec![
                Seg::Thread(T1),
                t(" raised "),
                c("ValueError: Semaphore released too many times"),
                t(" at "),
                Seg::Step(3),
                t(" (line 5: "),
                c("pool.release()"),
                t(")"),
            ]
        );
        assert_eq!(e.lines[0][0], c("pool"));
        assert_eq!(e.lines[0][1], t(" already had its one permit free: a "));
        assert_eq!(e.lines[0][2], c("BoundedSemaphore"));
        assert_eq!(
            e.lines[1],
            vec![
                Seg::Thread(T1),
                t(" held no permit: it had acquired 1 and released 1.")
            ]
        );
    }

    #[test]
    fn an_rlock_released_by_another_thread_names_its_owner() {
        let b = || {
            ScenarioBuilder::new("rlock")
                .lock("r", LockKind::RLock)
                .thread("T1", |t| {
                    t.op("r.acquire()", acquire("r"))
                        .op("r.acquire()", acquire("r"))
                        .op("r.release()", release("r"));
                })
                .thread("T2", |t| {
                    t.line(9).op("r.release()", release("r"));
                })
        };
        // T2's exception ends T2 only: the run is over once T1 has finished too.
        assert_eq!(explain(&run(b(), &[0, 0, 1])), None);
        let e = explain(&run(b(), &[0, 0, 1, 0])).unwrap();
        assert_eq!(e.kind, "exception");
        assert_eq!(e.title[0], Seg::Thread(T2));
        assert_eq!(
            e.title[2],
            c("RuntimeError: cannot release un-acquired lock")
        );
        assert_eq!(e.title[4], Seg::Step(3));
        assert_eq!(
            e.lines,
            vec![
                vec![
                    c("r"),
                    t(" is held by "),
                    Seg::Thread(T1),
                    t(" since "),
                    Seg::Step(1),
                    t(": only the thread that acquired an "),
                    c("RLock"),
                    t(" may release it."),
                ],
                vec![
                    t("No "),
                    c("try:"),
                    t("/"),
                    c("finally:"),
                    t(" or "),
                    c("with"),
                    t(" block was around it, so it ended "),
                    Seg::Thread(T2),
                    t(" there."),
                ],
                vec![
                    t("An exception ends only the thread that raised it: "),
                    Seg::Thread(T1),
                    t(" went on and finished."),
                ],
            ]
        );
        // Released when nobody holds it: who released it last.
        let b = ScenarioBuilder::new("lock")
            .lock("l", LockKind::Lock)
            .thread("T1", |t| {
                t.op("l.acquire()", acquire("l"))
                    .op("l.release()", release("l"))
                    .op("l.release()", release("l"));
            });
        let e = explain(&run(b, &[0, 0, 0])).unwrap();
        assert_eq!(
            e.lines[0],
            vec![
                c("l"),
                t(" was not held by anyone"),
                t(": "),
                Seg::Thread(T1),
                t(" released it at "),
                Seg::Step(2),
                t("."),
            ]
        );
    }

    #[test]
    fn a_finished_run_lists_who_waited_for_whose_release() {
        let b = ScenarioBuilder::new("locked")
            .var("x", 0)
            .lock("lock", LockKind::Lock)
            .thread("T1", |t| {
                t.op("lock.acquire()", acquire("lock"))
                    .op("x += 1", tally("x", 1))
                    .op("lock.release()", release("lock"));
            })
            .thread("T2", |t| {
                t.op("print()", nop())
                    .op("lock.acquire()", acquire("lock"))
                    .op("x += 1", tally("x", 1))
                    .op("lock.release()", release("lock"));
            });
        let e = explain(&run(b, &[0, 1, 0, 0, 1, 1, 1])).unwrap();
        assert_eq!(e.kind, "ok");
        assert!(!e.bad);
        assert_eq!(
            e.title,
            vec![t("All threads finished"), t(": "), c("x = 2"), t(".")]
        );
        assert_eq!(
            e.lines,
            vec![vec![
                Seg::Thread(T2),
                t(" waited for "),
                c("lock"),
                t(" from "),
                Seg::Step(2),
                t(" until "),
                Seg::Thread(T1),
                t(" released it at "),
                Seg::Step(4),
                t("."),
            ]]
        );
    }

    #[test]
    fn the_step_limit_says_where_threads_still_are() {
        let b = ScenarioBuilder::new("spin")
            .var("flag", false)
            .step_limit(4)
            .thread("T1", |t| {
                t.line(2)
                    .label("top")
                    .op("while not flag:", load("flag", "f"))
                    .op("(loop)", jump_if_false("f", "top"));
            });
        let e = explain(&run(b, &[0, 0, 0, 0])).unwrap();
        assert_eq!(e.kind, "step-limit");
        assert!(!e.bad);
        assert_eq!(
            e.title,
            vec![t("The run stopped at the step limit (4 steps).")]
        );
        assert_eq!(
            e.lines[0],
            vec![
                Seg::Thread(T1),
                t(" is still running, at line 2: "),
                c("while not flag:"),
                t(".")
            ]
        );
    }

    #[test]
    fn a_failed_assertion_names_the_write_that_changed_what_was_read() {
        let b = ScenarioBuilder::new("assert")
            .var("x", 0)
            .thread("T1", |t| {
                t.line(3)
                    .op("a = x", load("x", "a"))
                    .op("b = x", load("x", "b"))
                    .op("a == b", eq("same", "a", "b"))
                    .line(4)
                    .op("assert a == b", assert_true("same", "x changed"));
            })
            .thread("T2", |t| {
                t.op("x += 1", tally("x", 1));
            });
        let e = explain(&run(b, &[0, 1, 0, 0, 0])).unwrap();
        assert_eq!(e.kind, "assertion");
        assert_eq!(
            e.title,
            vec![
                Seg::Thread(T1),
                t("'s assertion failed at "),
                Seg::Step(5),
                t(" (line 4: "),
                c("assert a == b"),
                t(")"),
            ]
        );
        assert_eq!(
            e.lines[0],
            vec![
                Seg::Thread(T1),
                t(" read "),
                c("x = 0"),
                t(" at "),
                Seg::Step(1),
                t(", but then "),
                Seg::Thread(T2),
                t(" wrote "),
                c("x = 1"),
                t(" at "),
                Seg::Step(2),
                t("."),
            ]
        );
        assert_eq!(e.lines[1], vec![t("x changed")]);
    }

    #[test]
    fn sample_runs_are_explained_with_their_outcomes_kind() {
        use crate::{run_to_end, samples, Machine, SeededRandom};
        for scn in [
            samples::race(3, 2, false),
            samples::two_locks(true),
            samples::transfers(false),
            samples::producer_consumer(false, 3, 1),
            samples::singleton(false),
            samples::semaphore_pool(4, 2),
        ] {
            for seed in 0..20 {
                let m = Machine::new(scn.clone()).unwrap();
                let (r, _) = run_to_end(m, &mut SeededRandom::new(seed), 2000);
                if let Some(e) = explain(&r) {
                    assert!(!e.title.is_empty());
                    assert_eq!(e.kind, outcome_kind(&scn, r.outcome().unwrap()));
                }
            }
        }
    }
}
