//! The [`Explorer`]: every interleaving of a scenario, bounded, in resumable slices.
//!
//! It walks the graph of machine states depth-first, one edge per runnable thread,
//! deduplicating states (machines hash by behaviour, see [`Machine`]). When a state's successors
//! are all done it summarises, per outcome class, how many complete schedules lead from it to
//! that outcome and the shortest one, so counts are exact path counts over the deduplicated
//! graph (dynamic programming; no schedule is enumerated twice).
//!
//! There is no partial-order reduction on purpose: lessons count *schedules*, and a reduction
//! would count classes of them instead. Deduplication alone keeps lesson-sized scenarios to a
//! few thousand states.
//!
//! # Cycles
//!
//! A step that returns to a state on the current path (a spin loop, say) is reported as the
//! [`OutcomeClass::Livelock`] class: that schedule is counted once, ending where the cycle closes.
//! With cycles, which edge closes a cycle depends on the search order, so counts are then exact
//! for the graph with those edges cut; without cycles they are exact.

use crate::machine::Machine;
use crate::outcome::{Outcome, OutcomeClass};
use crate::scenario::{Scenario, ScenarioError};
use crate::schedule::Schedule;
use crate::value::ThreadId;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// FxHash (rustc's): machine states are small and hashed a lot; SipHash's DoS resistance buys
/// nothing here.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Which registers each op of each thread may still read before writing them: a register that
/// is dead cannot influence the future, so the explorer clears it, and states that differ only
/// in leftovers (the `tmp` of a finished increment) become one. Classic backward liveness.
struct Liveness {
    /// `[thread][pc]`: live registers on entry to op `pc` (a bit set; `pc == len` is empty).
    live: Vec<Vec<[u64; 4]>>,
    /// Where each thread's registers start in `Machine::regs`.
    base: Vec<usize>,
}

fn bit(set: &mut [u64; 4], r: crate::RegId) {
    set[r.index() / 64] |= 1 << (r.index() % 64);
}

impl Liveness {
    fn new(scn: &Scenario) -> Liveness {
        let mut base = Vec::with_capacity(scn.threads.len());
        let mut next = 0;
        for t in &scn.threads {
            base.push(next);
            next += t.regs.len();
        }
        let live = scn
            .threads
            .iter()
            .map(|t| Liveness::thread(&t.program))
            .collect();
        Liveness { live, base }
    }

    fn thread(program: &[crate::Op]) -> Vec<[u64; 4]> {
        use crate::{OpKind, Operand};
        let n = program.len();
        let mut uses = vec![[0u64; 4]; n];
        let mut defs = vec![[0u64; 4]; n];
        let mut succs: Vec<(usize, Option<usize>)> = Vec::with_capacity(n);
        for (pc, op) in program.iter().enumerate() {
            let (u, d) = (&mut uses[pc], &mut defs[pc]);
            let operand = |o: &Operand, u: &mut [u64; 4]| {
                if let Operand::Reg(r) = o {
                    bit(u, *r);
                }
            };
            let mut succ = (pc + 1, None);
            match &op.kind {
                OpKind::Load { dst, .. }
                | OpKind::Const { dst, .. }
                | OpKind::TryAcquire { dst, .. }
                | OpKind::SemTryAcquire { dst, .. }
                | OpKind::QueueGet { dst, .. }
                | OpKind::LocalGet { dst, .. } => bit(d, *dst),
                OpKind::Store { src, .. } => bit(u, *src),
                OpKind::BinOp { dst, a, b, .. } => {
                    operand(a, u);
                    operand(b, u);
                    bit(d, *dst);
                }
                OpKind::Jump { target } => succ = (usize::from(*target), None),
                OpKind::JumpIf { cond, target, .. } => {
                    bit(u, *cond);
                    succ = (pc + 1, Some(usize::from(*target)));
                }
                OpKind::QueuePut { src, .. } | OpKind::LocalSet { src, .. } => operand(src, u),
                OpKind::Assert { cond, .. } => bit(u, *cond),
                _ => {}
            }
            succs.push(succ);
        }
        let mut live = vec![[0u64; 4]; n + 1];
        let mut changed = true;
        while changed {
            changed = false;
            for pc in (0..n).rev() {
                let (a, b) = succs[pc];
                let mut out = live.get(a).copied().unwrap_or_default();
                if let Some(b) = b.and_then(|b| live.get(b)) {
                    for w in 0..4 {
                        out[w] |= b[w];
                    }
                }
                let mut inn = [0u64; 4];
                for w in 0..4 {
                    inn[w] = uses[pc][w] | (out[w] & !defs[pc][w]);
                }
                if inn != live[pc] {
                    live[pc] = inn;
                    changed = true;
                }
            }
        }
        live
    }

    /// Set the dead registers of thread `t` to `None`.
    fn clear_dead(&self, m: &mut Machine, t: usize) {
        let Some(pc) = m.pc(ThreadId(u8::try_from(t).unwrap_or(u8::MAX))) else {
            return;
        };
        let (Some(live), Some(&base)) =
            (self.live.get(t).and_then(|l| l.get(pc)), self.base.get(t))
        else {
            return;
        };
        let count = m.scn.threads.get(t).map_or(0, |d| d.regs.len());
        for r in 0..count {
            if live[r / 64] & (1 << (r % 64)) == 0 {
                if let Some(v) = m.regs.get_mut(base + r) {
                    *v = crate::Value::None;
                }
            }
        }
    }
}

/// Bounds on an exploration. Hitting one marks the report `truncated`, and the schedules cut
/// short are counted in the [`OutcomeClass::Unexplored`] class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExploreLimits {
    /// The most distinct states to store.
    pub max_states: usize,
    /// The longest schedule to follow.
    pub max_depth: usize,
}

impl Default for ExploreLimits {
    fn default() -> Self {
        ExploreLimits {
            max_states: 200_000,
            max_depth: 2_000,
        }
    }
}

/// One outcome class in a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeStats {
    /// The class.
    pub class: OutcomeClass,
    /// How many distinct complete schedules end in it.
    pub schedules: u128,
    /// A shortest schedule reaching it (replay it with [`Run::replay`](crate::Run::replay)).
    pub shortest: Schedule,
    /// The full outcome of one run in the class (e.g. a deadlock's wait-for cycle), when the
    /// class comes from a run's end (not for `Livelock`/`Unexplored`).
    pub example: Option<Outcome>,
}

/// What an exploration found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExploreReport {
    /// Distinct states visited.
    pub states: usize,
    /// Steps executed (edges of the state graph examined).
    pub transitions: usize,
    /// Distinct complete schedules (saturating at `u128::MAX`).
    pub schedules: u128,
    /// Outcome classes, sorted, with their counts and shortest schedules.
    pub outcomes: Vec<OutcomeStats>,
    /// Schedules ending in a bad class ([`OutcomeClass::is_bad`]).
    pub bad_schedules: u128,
    /// Whether a limit cut the exploration short.
    pub truncated: bool,
    /// The deepest state reached.
    pub max_depth: usize,
}

impl ExploreReport {
    /// The stats of a class, if any schedule reaches it.
    pub fn outcome(&self, class: &OutcomeClass) -> Option<&OutcomeStats> {
        self.outcomes.iter().find(|o| o.class == *class)
    }

    /// The final values of `var` over all finished schedules, sorted and deduplicated.
    pub fn final_values(&self, var: &str) -> Vec<crate::Value> {
        let mut v: Vec<crate::Value> = self
            .outcomes
            .iter()
            .filter_map(|o| o.class.final_var(var))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Whether some schedule ends badly.
    pub fn has_bad(&self) -> bool {
        self.bad_schedules > 0
    }

    /// The stats of the bad classes.
    pub fn bad(&self) -> impl Iterator<Item = &OutcomeStats> {
        self.outcomes.iter().filter(|o| o.class.is_bad())
    }
}

/// Progress of an exploration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExploreStatus {
    /// Not finished; call [`Explorer::run`] again.
    Running {
        /// Distinct states so far.
        states: usize,
        /// Steps executed so far.
        transitions: usize,
    },
    /// Finished.
    Done(ExploreReport),
}

const NONE: u32 = u32::MAX;

/// Per node and outcome class: schedules from here, and the first step of a shortest one.
#[derive(Clone, Copy, Debug)]
struct Entry {
    class: u32,
    count: u128,
    shortest: u32,
    /// The first pick of a shortest schedule (`None` at a leaf).
    via: Option<ThreadId>,
    /// The node that pick leads to (`NONE` if the schedule ends with it).
    next: u32,
}

struct Frame {
    node: u32,
    machine: Machine,
    depth: usize,
    /// Next thread index to try.
    next_thread: usize,
    /// The thread whose successor frame is on top of this one.
    pending: Option<ThreadId>,
    acc: Vec<Entry>,
}

/// Exhaustive, deduplicated exploration of a scenario, resumable in slices.
pub struct Explorer {
    limits: ExploreLimits,
    liveness: Liveness,
    index: FxMap<Machine, u32>,
    /// Per node: its summary once done, `None` while on the DFS stack.
    summaries: Vec<Option<Box<[Entry]>>>,
    stack: Vec<Frame>,
    classes: Vec<OutcomeClass>,
    examples: Vec<Option<Outcome>>,
    class_index: FxMap<OutcomeClass, u32>,
    transitions: usize,
    truncated: bool,
    max_depth: usize,
    threads: usize,
    report: Option<ExploreReport>,
}

fn merge(acc: &mut Vec<Entry>, e: Entry) {
    if let Some(a) = acc.iter_mut().find(|a| a.class == e.class) {
        a.count = a.count.saturating_add(e.count);
        if e.shortest < a.shortest {
            a.shortest = e.shortest;
            a.via = e.via;
            a.next = e.next;
        }
    } else {
        acc.push(e);
    }
}

impl Explorer {
    /// An explorer of all schedules of `scenario` from its initial state.
    pub fn new(scenario: Arc<Scenario>, limits: ExploreLimits) -> Result<Explorer, ScenarioError> {
        Ok(Explorer::from_machine(Machine::new(scenario)?, limits))
    }

    /// An explorer of all continuations of `machine` (e.g. "what can still happen from here?").
    /// Schedules in the report start at `machine`.
    pub fn from_machine(machine: Machine, limits: ExploreLimits) -> Explorer {
        let mut root = machine.for_exploring();
        let liveness = Liveness::new(root.scenario());
        for t in 0..root.thread_count() {
            liveness.clear_dead(&mut root, t);
        }
        let mut ex = Explorer {
            limits,
            liveness,
            index: FxMap::default(),
            summaries: Vec::new(),
            stack: Vec::new(),
            classes: Vec::new(),
            examples: Vec::new(),
            class_index: FxMap::default(),
            transitions: 0,
            truncated: false,
            max_depth: 0,
            threads: root.thread_count(),
            report: None,
        };
        ex.index.insert(root.clone(), 0);
        if let Some(o) = root.outcome().cloned() {
            let class = ex.intern(&o.class(), Some(o));
            ex.summaries.push(Some(Box::new([Entry {
                class,
                count: 1,
                shortest: 0,
                via: None,
                next: NONE,
            }])));
        } else {
            ex.summaries.push(None);
            ex.stack.push(Frame {
                node: 0,
                machine: root,
                depth: 0,
                next_thread: 0,
                pending: None,
                acc: Vec::new(),
            });
        }
        ex
    }

    fn intern(&mut self, class: &OutcomeClass, example: Option<Outcome>) -> u32 {
        if let Some(&i) = self.class_index.get(class) {
            return i;
        }
        let i = u32::try_from(self.classes.len()).unwrap_or(NONE - 1);
        self.classes.push(class.clone());
        self.examples.push(example);
        self.class_index.insert(class.clone(), i);
        i
    }

    /// Explore up to `budget` more steps, then report progress (or the final report). Call it
    /// from a timer with a budget of a few thousand to keep a page responsive.
    pub fn run(&mut self, budget: usize) -> ExploreStatus {
        let mut left = budget;
        while self.report.is_none() {
            if left == 0 {
                return ExploreStatus::Running {
                    states: self.summaries.len(),
                    transitions: self.transitions,
                };
            }
            if self.advance() {
                left -= 1;
            }
        }
        match &self.report {
            Some(r) => ExploreStatus::Done(r.clone()),
            None => ExploreStatus::Running {
                states: self.summaries.len(),
                transitions: self.transitions,
            },
        }
    }

    /// Run to the end (no slicing).
    pub fn run_to_completion(&mut self) -> ExploreReport {
        loop {
            if let ExploreStatus::Done(r) = self.run(usize::MAX) {
                return r;
            }
        }
    }

    /// One unit of work: try one successor of the top frame, or finish it. Returns whether a
    /// step was executed.
    fn advance(&mut self) -> bool {
        let Some(top) = self.stack.last_mut() else {
            self.finish();
            return false;
        };
        // Find the next thread that can step.
        while top.next_thread < self.threads {
            let t = ThreadId(u8::try_from(top.next_thread).unwrap_or(u8::MAX));
            if top.machine.can_step(t) {
                break;
            }
            top.next_thread += 1;
        }
        if top.next_thread >= self.threads {
            self.pop();
            return false;
        }
        let t = ThreadId(u8::try_from(top.next_thread).unwrap_or(u8::MAX));
        top.next_thread += 1;
        let depth = top.depth + 1;
        let mut child = top.machine.clone();
        self.transitions += 1;
        if child.step_kind(t).is_err() {
            return true;
        }
        self.liveness.clear_dead(&mut child, t.index());
        self.max_depth = self.max_depth.max(depth);
        if let Some(&id) = self.index.get(&child) {
            let entry = match &self.summaries[id as usize] {
                Some(summary) => {
                    let summary: Vec<Entry> = summary.to_vec();
                    let top = self.top();
                    for e in summary {
                        merge(
                            &mut top.acc,
                            Entry {
                                shortest: e.shortest.saturating_add(1),
                                via: Some(t),
                                next: id,
                                ..e
                            },
                        );
                    }
                    return true;
                }
                // On the current path: a cycle.
                None => {
                    let class = self.intern(&OutcomeClass::Livelock, None);
                    Entry {
                        class,
                        count: 1,
                        shortest: 1,
                        via: Some(t),
                        next: NONE,
                    }
                }
            };
            merge(&mut self.top().acc, entry);
            return true;
        }
        if let Some(o) = child.outcome().cloned() {
            let class = self.intern(&o.class(), Some(o));
            // A final state is worth storing (deduplicated leaves), but past the state limit its
            // outcome is still known, so it is counted rather than marked unexplored.
            let leaf: Box<[Entry]> = Box::new([Entry {
                class,
                count: 1,
                shortest: 0,
                via: None,
                next: NONE,
            }]);
            let next = self.new_node(child, Some(leaf)).unwrap_or(NONE);
            merge(
                &mut self.top().acc,
                Entry {
                    class,
                    count: 1,
                    shortest: 1,
                    via: Some(t),
                    next,
                },
            );
            return true;
        }
        if depth >= self.limits.max_depth {
            self.unexplored(t);
            return true;
        }
        let Some(id) = self.new_node(child.clone(), None) else {
            self.unexplored(t);
            return true;
        };
        self.top().pending = Some(t);
        self.stack.push(Frame {
            node: id,
            machine: child,
            depth,
            next_thread: 0,
            pending: None,
            acc: Vec::new(),
        });
        true
    }

    fn top(&mut self) -> &mut Frame {
        // Only called while a frame is on the stack.
        let n = self.stack.len();
        &mut self.stack[n - 1]
    }

    fn new_node(&mut self, m: Machine, summary: Option<Box<[Entry]>>) -> Option<u32> {
        if self.summaries.len() >= self.limits.max_states {
            return None;
        }
        let id = u32::try_from(self.summaries.len())
            .ok()
            .filter(|&i| i != NONE)?;
        self.summaries.push(summary);
        self.index.insert(m, id);
        Some(id)
    }

    fn unexplored(&mut self, t: ThreadId) {
        self.truncated = true;
        let class = self.intern(&OutcomeClass::Unexplored, None);
        merge(
            &mut self.top().acc,
            Entry {
                class,
                count: 1,
                shortest: 1,
                via: Some(t),
                next: NONE,
            },
        );
    }

    fn pop(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let summary: Box<[Entry]> = frame.acc.into_boxed_slice();
        if let Some(parent) = self.stack.last_mut() {
            if let Some(t) = parent.pending.take() {
                for e in summary.iter() {
                    merge(
                        &mut parent.acc,
                        Entry {
                            shortest: e.shortest.saturating_add(1),
                            via: Some(t),
                            next: frame.node,
                            ..*e
                        },
                    );
                }
            }
        }
        self.summaries[frame.node as usize] = Some(summary);
    }

    fn finish(&mut self) {
        let root: Vec<Entry> = self
            .summaries
            .first()
            .and_then(|s| s.as_deref())
            .unwrap_or(&[])
            .to_vec();
        let mut outcomes: Vec<OutcomeStats> = root
            .iter()
            .map(|e| OutcomeStats {
                class: self.classes[e.class as usize].clone(),
                schedules: e.count,
                shortest: self.shortest(e.class),
                example: self.examples[e.class as usize].clone(),
            })
            .collect();
        outcomes.sort_by(|a, b| a.class.cmp(&b.class));
        let schedules = outcomes
            .iter()
            .fold(0u128, |s, o| s.saturating_add(o.schedules));
        let bad_schedules = outcomes
            .iter()
            .filter(|o| o.class.is_bad())
            .fold(0u128, |s, o| s.saturating_add(o.schedules));
        self.report = Some(ExploreReport {
            states: self.summaries.len(),
            transitions: self.transitions,
            schedules,
            outcomes,
            bad_schedules,
            truncated: self.truncated,
            max_depth: self.max_depth,
        });
    }

    /// Follow first steps of shortest schedules from the root to a leaf of `class`.
    fn shortest(&self, class: u32) -> Schedule {
        let mut out = Schedule::new();
        let mut node = 0u32;
        // Each hop shortens the remaining length by one, so this ends; the bound is a backstop.
        for _ in 0..=self.max_depth + 1 {
            let Some(e) = self
                .summaries
                .get(node as usize)
                .and_then(|s| s.as_deref())
                .and_then(|s| s.iter().find(|e| e.class == class))
            else {
                break;
            };
            if let Some(t) = e.via {
                out.push(t);
            }
            if e.next == NONE {
                break;
            }
            node = e.next;
        }
        out
    }
}

/// Explore a scenario to completion: [`Explorer::new`] then [`Explorer::run_to_completion`].
pub fn explore(
    scenario: Arc<Scenario>,
    limits: ExploreLimits,
) -> Result<ExploreReport, ScenarioError> {
    Ok(Explorer::new(scenario, limits)?.run_to_completion())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;
    use crate::samples;
    use std::collections::BTreeMap;

    /// Every complete schedule, enumerated without deduplication: the independent reference.
    fn brute_force(m: &Machine, counts: &mut BTreeMap<OutcomeClass, u128>, depth: usize) {
        assert!(depth < 200, "brute force went too deep");
        if let Some(o) = m.outcome() {
            *counts.entry(o.class()).or_default() += 1;
            return;
        }
        for t in m.runnable() {
            let mut c = m.clone();
            c.step(t).unwrap();
            brute_force(&c, counts, depth + 1);
        }
    }

    fn agrees_with_brute_force(scn: Arc<Scenario>) -> ExploreReport {
        let mut expected = BTreeMap::new();
        brute_force(&Machine::new(scn.clone()).unwrap(), &mut expected, 0);
        let report = explore(scn.clone(), ExploreLimits::default()).unwrap();
        let got: BTreeMap<OutcomeClass, u128> = report
            .outcomes
            .iter()
            .map(|o| (o.class.clone(), o.schedules))
            .collect();
        assert_eq!(got, expected, "{}", scn.name);
        assert_eq!(report.schedules, expected.values().sum::<u128>());
        assert!(!report.truncated);
        // Each shortest schedule replays to its class, and nothing shorter does.
        for o in &report.outcomes {
            let run = crate::Run::replay(scn.clone(), &o.shortest).unwrap();
            assert_eq!(run.outcome().map(Outcome::class), Some(o.class.clone()));
        }
        report
    }

    #[test]
    fn unlocked_increments_have_70_schedules_and_68_lose_an_update() {
        let report = agrees_with_brute_force(samples::race(2, 1, false));
        assert_eq!(report.schedules, 70);
        let lost = OutcomeClass::Finished {
            vars: vec![("counter".into(), Value::Int(1))],
        };
        let kept = OutcomeClass::Finished {
            vars: vec![("counter".into(), Value::Int(2))],
        };
        assert_eq!(report.outcome(&lost).map(|o| o.schedules), Some(68));
        assert_eq!(report.outcome(&kept).map(|o| o.schedules), Some(2));
        // The shortest way to lose an update: both load before either stores.
        assert_eq!(report.outcome(&lost).unwrap().shortest.len(), 8);
    }

    #[test]
    fn explorer_counts_match_brute_force_on_small_scenarios() {
        agrees_with_brute_force(samples::race(2, 1, true));
        agrees_with_brute_force(samples::race(3, 1, false));
        agrees_with_brute_force(samples::two_locks(true));
        agrees_with_brute_force(samples::two_locks(false));
        agrees_with_brute_force(samples::transfers(false));
        agrees_with_brute_force(samples::singleton(false));
        agrees_with_brute_force(samples::singleton(true));
        agrees_with_brute_force(samples::gil_race(2, 1, true));
        agrees_with_brute_force(samples::semaphore_pool(3, 2));
    }

    #[test]
    fn slices_give_the_same_report_as_one_go() {
        let scn = samples::race(2, 2, false);
        let whole = explore(scn.clone(), ExploreLimits::default()).unwrap();
        let mut ex = Explorer::new(scn, ExploreLimits::default()).unwrap();
        let mut slices = 0;
        let sliced = loop {
            match ex.run(7) {
                ExploreStatus::Running { .. } => slices += 1,
                ExploreStatus::Done(r) => break r,
            }
        };
        assert!(slices > 10);
        assert_eq!(sliced, whole);
    }

    #[test]
    fn spin_loops_are_reported_as_livelock_without_hanging() {
        let scn = ScenarioBuilder::new("spin")
            .var("flag", false)
            .thread("waiter", |t| {
                t.label("spin")
                    .op("while not flag:", load("flag", "f"))
                    .op("POP_JUMP_IF_FALSE", jump_if_false("f", "spin"));
            })
            .thread("setter", |t| {
                t.op("flag = True", load_const("v", true))
                    .op("STORE", store("flag", "v"));
            })
            .build_arc()
            .unwrap();
        let report = explore(scn, ExploreLimits::default()).unwrap();
        assert!(report.outcome(&OutcomeClass::Livelock).is_some());
        assert!(report
            .outcomes
            .iter()
            .any(|o| matches!(o.class, OutcomeClass::Finished { .. })));
        assert!(!report.truncated);
    }

    #[test]
    fn limits_truncate_and_say_so() {
        let report = explore(
            samples::race(3, 2, false),
            ExploreLimits {
                max_states: 50,
                max_depth: 100,
            },
        )
        .unwrap();
        assert!(report.truncated);
        assert!(report.states <= 50);
        assert!(report.outcome(&OutcomeClass::Unexplored).is_some());
        let report = explore(
            samples::race(2, 1, false),
            ExploreLimits {
                max_states: 1000,
                max_depth: 3,
            },
        )
        .unwrap();
        assert!(report.truncated);
    }

    #[test]
    fn exploring_from_a_midway_state_counts_its_continuations() {
        let mut m = Machine::new(samples::race(2, 1, false)).unwrap();
        for _ in 0..4 {
            m.step(ThreadId(0)).unwrap();
        }
        let report = Explorer::from_machine(m, ExploreLimits::default()).run_to_completion();
        assert_eq!(report.schedules, 1);
        assert_eq!(report.final_values("counter"), vec![Value::Int(2)]);
    }
}
