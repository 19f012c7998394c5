//! The [`Explorer`]: every interleaving of a scenario, bounded, in resumable slices.
//!
//! It walks the graph of machine states depth-first, one edge per runnable thread,
//! deduplicating states: each is stored as a 64-bit fingerprint of its behaviour (see
//! [`fingerprint`] for the collision odds; TLC and Stateright do the same), not as a machine.
//! The machines on the search path live in slots that are reused, so an edge costs a copy into
//! the next slot, a step, the canonical form and a fingerprint, and allocates no machine. When
//! a state's successors are all done it summarises, per outcome class, how many complete
//! schedules lead from it to that outcome and the shortest one, so counts are exact path counts
//! over the deduplicated graph (dynamic programming; no schedule is enumerated twice).
//!
//! There is no partial-order reduction on purpose: lessons count *schedules*, and a reduction
//! would count classes of them instead. Deduplication, and the symmetry reduction below, keep
//! lesson-sized scenarios to a few thousand states.
//!
//! # Symmetry
//!
//! Ten users sharing a `Semaphore(3)` run one program ten times. Their states differ only by
//! which user is where, and there are about a million of them, but only 301 up to a renaming
//! of the users. Threads are *interchangeable* when their programs do the same (op kinds and GIL
//! switch points; lines and texts are display), they have the same registers, and no op names
//! them (`JoinThread`'s target is left on its own). Stepping commutes with renaming such
//! threads: if `π` renames them, stepping `π(t)` in `π(s)` gives `π` of stepping `t` in `s`. So
//! the explorer stores each state in a *canonical form*: within each group, threads sorted by
//! everything that is theirs (pc, wait phase, sections, the exception they carry, registers,
//! thread-local slots, and the lock ownerships, condition-queue places, GIL and outcome that
//! name them), with every thread id in shared state renamed to match. Threads that tie on all of that are interchangeable in
//! that state, so the form is unique: two states get the same one exactly when a renaming
//! relates them.
//!
//! How the report stays the plain explorer's, count for count:
//!
//! - **Every edge is counted.** A canonical state is expanded for each of its runnable threads,
//!   as the plain explorer would. Threads that tie (*twins*) lead to the same canonical
//!   successor, renamed by their swap, so a twin's edge reuses its predecessor's successor
//!   instead of stepping, but it is still added once per thread.
//! - **Classes are renamed along edges.** A node's summary is kept in the node's own (canonical)
//!   thread naming. An edge to it remembers the permutation relating the real successor to the
//!   canonical one, and the classes that name threads ([`OutcomeClass::Deadlock`]'s blocked
//!   threads, an `assert`'s [`CheckRef::Assert`](crate::CheckRef::Assert)) are renamed through
//!   it before they are added to the parent's. Path counts from `π(s)` to `π(c)` equal those
//!   from `s` to `c`, so each class gets exactly the plain count, under the plain name.
//! - **Shortest schedules are real.** The report's schedules are rebuilt from the real starting
//!   state: at each node the canonical pick is translated back through the permutation relating
//!   the real state to the node, and replayed, so [`replay`](crate::replay) reaches the class.
//!   Shortest lengths are those of the plain search (renaming preserves lengths). An
//!   [`OutcomeStats::example`] is the outcome of running that schedule, in both modes.
//! - **Cycles turn it off.** With a cycle, which edge closes it depends on the search order
//!   (below), and the reduced graph is searched in a different order. So if the reduced search
//!   meets a cycle it starts again without the reduction (the progress [`Explorer::run`]
//!   reports starts over too). Without a cycle the state graph is a DAG (a cycle of states
//!   would show up as one in the reduced graph too), and both searches count every path
//!   exactly, so they agree.
//!
//! Only `states`, `transitions` and `max_depth` differ (they describe the search). The
//! reduction is on by default; [`Explorer::with_symmetry`] turns it off, which tests use as the
//! reference. It is an explorer option, not a field of [`ExploreLimits`], so that limits written
//! out as struct literals keep compiling. Past a limit, the `Unexplored` counts of the two
//! modes differ, as their searches do.
//!
//! # Cycles
//!
//! A step that returns to a state on the current path (a spin loop, say) closes a cycle: that
//! schedule is counted once, ending where the cycle closes, in one of two classes.
//!
//! - [`OutcomeClass::Starvation`] when some threads are blocked at every state of the cycle
//!   (the states on the path from the one returned to, up to the step that returns) while the
//!   others go round, and the cycle is *fair*: every thread that could step at some state of it
//!   does step on it. The starved threads cannot move at any point of the cycle, and no thread
//!   is being passed over, so a fair scheduler may follow it forever. Not a deadlock (others
//!   progress), and not a thread the scheduler merely never picked (that one could have moved).
//! - [`OutcomeClass::Livelock`] otherwise: nobody stays blocked (a spin loop, threads backing
//!   off forever), or some thread that could have stepped was never picked, so a scheduler that
//!   gives it its turn leaves the cycle.
//!
//! With cycles, which edge closes a cycle depends on the search order, so counts are then exact
//! for the graph with those edges cut (and a back edge is classed by the cycle it closes on the
//! search path, one of possibly several through it); without cycles they are exact.

use crate::machine::Machine;
use crate::outcome::{Outcome, OutcomeClass};
use crate::scenario::{Scenario, ScenarioError};
use crate::schedule::Schedule;
use crate::value::ThreadId;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use symmetry::{Perm, Symmetry};

mod cycles;
mod symmetry;

/// FxHash (rustc's), for the explorer's tables of outcome classes: SipHash's DoS resistance buys
/// nothing here. (States are looked up by [`fingerprint`].)
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

/// The 64-bit fingerprint a state is stored under: the canonical machine's behavioural state
/// (what [`Machine`]'s `Eq` compares) packed into 64-bit words and folded by [`FoldHasher`].
///
/// Storing fingerprints instead of machines keeps the visited set at 12 bytes a state and saves
/// comparing whole machines on every lookup, as TLC and Stateright do. The price is that two
/// different states with the same fingerprint would be merged, and their counts with them.
/// Taking the hash as a random function, for `n` stored states that happens with probability
/// about `n² / 2⁶⁵`: 1 in 10⁹ at the default limit of 200 000 states, 1 in 10⁷ at two million,
/// 2 in 10¹⁵ for the 301 states of the ten-user pool. The packing is injective for machines of
/// one scenario (every part has the scenario's fixed length, and the parts that vary, condition
/// queues, queue items and the outcome, are prefixed with their lengths), so only the hash can
/// collide. Tests check the fingerprinted search against one keyed by whole machines
/// (`tests/symmetry.rs`).
pub(crate) fn fingerprint(m: &Machine) -> u64 {
    use crate::machine::Phase;
    use std::hash::Hash;
    let mut h = FoldHasher::default();
    for st in &m.threads {
        let (phase, count) = match st.phase {
            Phase::Run => (0u64, 0u32),
            Phase::WaitNotify { count } => (1, count),
            Phase::Reacquire { count } => (2, count),
        };
        let exc = u64::from(st.exc.is_some());
        h.pair(
            u64::from(st.pc) | (phase << 16) | (exc << 18) | (u64::from(count) << 32),
            st.sections,
        );
        if let Some(e) = &st.exc {
            e.hash(&mut h);
        }
    }
    for &v in &m.regs {
        h.value(v);
    }
    for &v in &m.vars {
        h.value(v);
    }
    for l in &m.locks {
        h.pair(
            l.owner.map_or(0, |t| u64::from(t.0) + 1),
            u64::from(l.count),
        );
    }
    for pair in m.sems.chunks(2) {
        h.pair(
            u64::from(pair[0]),
            pair.get(1).map_or(u64::MAX, |&s| u64::from(s)),
        );
    }
    for waiters in &m.conds {
        h.pair(waiters.len() as u64, 0);
        for pair in waiters.chunks(2) {
            h.pair(
                u64::from(pair[0].0),
                pair.get(1).map_or(u64::MAX, |t| u64::from(t.0)),
            );
        }
    }
    for q in &m.queues {
        h.pair(q.items.len() as u64, u64::from(q.unfinished));
        for &v in &q.items {
            h.value(v);
        }
    }
    for &l in &m.locals {
        match l {
            None => h.pair(3, 0),
            Some(v) => h.value(v),
        }
    }
    h.pair(
        m.gil.map_or(0, |t| u64::from(t.0) + 1),
        u64::from(m.outcome.is_some()),
    );
    if let Some(o) = &m.outcome {
        o.hash(&mut h);
    }
    h.finish()
}

/// A fast hasher with full 64-bit mixing, for fingerprints: every two words are folded in with a
/// 64×64→128-bit multiply whose halves are xored (the mixing step of wyhash and foldhash), so
/// each output bit depends on every input bit. SipHash would do too but spends most of the
/// explorer's time on a state's many small fields; FxHash is fast but mixes too little to be a
/// fingerprint.
#[derive(Clone, Copy)]
struct FoldHasher(u64);

impl Default for FoldHasher {
    fn default() -> Self {
        FoldHasher(0x243f_6a88_85a3_08d3)
    }
}

impl FoldHasher {
    const K0: u64 = 0xa076_1d64_78bd_642f;
    const K1: u64 = 0xe703_7ed1_a0b4_28db;

    fn fold(a: u64, b: u64) -> u64 {
        let x = u128::from(a) * u128::from(b);
        (x as u64) ^ ((x >> 64) as u64)
    }

    /// Fold in two words.
    fn pair(&mut self, a: u64, b: u64) {
        self.0 = Self::fold(self.0 ^ a ^ Self::K0, b ^ Self::K1);
    }

    /// Fold in a value: its kind and its payload.
    fn value(&mut self, v: crate::Value) {
        let (kind, payload) = match v {
            crate::Value::None => (0, 0),
            crate::Value::Int(i) => (1, i as u64),
            crate::Value::Bool(b) => (2, u64::from(b)),
        };
        self.pair(kind, payload);
    }
}

impl Hasher for FoldHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(16) {
            let mut words = [0u8; 16];
            words[..chunk.len()].copy_from_slice(chunk);
            let (a, b) = words.split_at(8);
            self.pair(
                u64::from_le_bytes(a.try_into().unwrap_or_default()),
                u64::from_le_bytes(b.try_into().unwrap_or_default()),
            );
        }
        self.pair(bytes.len() as u64, 0);
    }

    fn write_u8(&mut self, i: u8) {
        self.pair(u64::from(i), 0);
    }

    fn write_u16(&mut self, i: u16) {
        self.pair(u64::from(i), 0);
    }

    fn write_u32(&mut self, i: u32) {
        self.pair(u64::from(i), 0);
    }

    fn write_u64(&mut self, i: u64) {
        self.pair(i, 0);
    }

    fn write_usize(&mut self, i: usize) {
        self.pair(i as u64, 0);
    }

    fn finish(&self) -> u64 {
        Self::fold(self.0 ^ Self::K1, Self::K0)
    }
}

/// Passes a fingerprint through as its own hash (it is already uniformly mixed).
#[derive(Default, Clone, Copy)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Visited states: fingerprint to node id.
type Visited = HashMap<u64, u32, BuildHasherDefault<Prehashed>>;

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
                | OpKind::TimedAcquire { dst, .. }
                | OpKind::SemTryAcquire { dst, .. }
                | OpKind::SemTimedAcquire { dst, .. }
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
        // An op inside a try block may raise and go to its `finally:` block instead: the
        // innermost one (markers come in program order and blocks nest, so inner blocks write
        // last). The ops of a `finally:` block get the enclosing block's, which is where the
        // exception goes on to from the block's end.
        let mut handler: Vec<Option<usize>> = vec![None; n];
        for (m, op) in program.iter().enumerate() {
            if let OpKind::Try { finally, .. } = op.kind {
                let finally = usize::from(finally);
                for h in handler.iter_mut().take(finally).skip(m + 1) {
                    *h = Some(finally);
                }
            }
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
                if let Some(h) = handler[pc].and_then(|h| live.get(h)) {
                    for w in 0..4 {
                        out[w] |= h[w];
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
    /// The most distinct states to store (counted as in [`ExploreReport::states`]).
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
    /// The full outcome of the run `shortest` gives (e.g. a deadlock's wait-for cycle), when the
    /// class comes from a run's end (not for `Livelock`/`Unexplored`).
    pub example: Option<Outcome>,
}

/// What an exploration found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExploreReport {
    /// Distinct states visited; with the symmetry reduction, distinct up to a renaming of
    /// interchangeable threads (see the module docs).
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
/// Classes and picks are in the node's own (canonical) thread naming.
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

/// A node on the DFS path. Its state, in canonical form, is `Explorer::machines[i]` for the
/// frame at `stack[i]`: machines stay in their slots, so pushing and popping frames moves none.
struct Frame {
    node: u32,
    /// The node's fingerprint.
    fp: u64,
    depth: usize,
    /// The threads that can step in the node's state and are still to be tried (bit set).
    left: u32,
    /// The thread whose successor frame is on top of this one, and that successor's
    /// permutation (see [`Perm`]).
    pending: Option<(ThreadId, Perm)>,
    acc: Vec<Entry>,
    /// Threads interchangeable with the member of their group before them (bit set).
    twins: u32,
    /// The last thread expanded into a stored node: the thread, the node, the permutation.
    last: Option<(ThreadId, u32, Perm)>,
}

/// Interned outcome classes, and their renamings under thread permutations.
#[derive(Default)]
struct Classes {
    list: Vec<OutcomeClass>,
    index: FxMap<OutcomeClass, u32>,
    /// Per class: whether it names threads (only those change under a renaming).
    names_threads: Vec<bool>,
    renamed: FxMap<(u32, u64), u32>,
}

impl Classes {
    fn intern(&mut self, class: &OutcomeClass) -> u32 {
        if let Some(&i) = self.index.get(class) {
            return i;
        }
        let i = u32::try_from(self.list.len()).unwrap_or(NONE - 1);
        self.list.push(class.clone());
        self.names_threads.push(symmetry::names_threads(class));
        self.index.insert(class.clone(), i);
        i
    }

    /// Class `id` with its threads renamed by `p`.
    #[inline]
    fn rename(&mut self, id: u32, p: &Perm) -> u32 {
        if !self
            .names_threads
            .get(id as usize)
            .copied()
            .unwrap_or(false)
            || p.is_identity()
        {
            return id;
        }
        self.rename_named(id, p)
    }

    /// [`Classes::rename`] of a class that names threads.
    #[inline(never)]
    fn rename_named(&mut self, id: u32, p: &Perm) -> u32 {
        let key = (id, p.key());
        if let Some(&r) = self.renamed.get(&key) {
            return r;
        }
        let renamed = symmetry::rename_class(&self.list[id as usize], p);
        let r = self.intern(&renamed);
        self.renamed.insert(key, r);
        r
    }
}

/// What the explorer knows about the scenario's cycles of states.
enum Cycles {
    /// No cycle met yet (the scenario may have none).
    Unknown,
    /// A cycle was met: the state graph is being built, to find where threads starve.
    Building(cycles::Builder),
    /// Where threads starve (see [`cycles`]).
    Known(cycles::Starving),
}

/// Exhaustive, deduplicated exploration of a scenario, resumable in slices.
pub struct Explorer {
    limits: ExploreLimits,
    liveness: Liveness,
    /// The state exploring starts from (dead registers cleared): schedules in the report start
    /// here, and a restart starts here again.
    root: Machine,
    /// The same state as given, timeline and all: shortest schedules are replayed on it too,
    /// so that examples are the outcomes a replay shows (a semaphore's holder included).
    origin: Machine,
    /// The symmetry reduction in use ([`Symmetry::none`] for the plain explorer).
    sym: Symmetry,
    /// Fingerprints (see [`fingerprint`]) of the canonical states seen, to their node ids.
    index: Visited,
    /// Per node: where its summary is in `entries` once done ([`Summary::OPEN`] while on the
    /// DFS stack).
    summaries: Vec<Summary>,
    /// Every finished node's summary, one after another.
    entries: Vec<Entry>,
    stack: Vec<Frame>,
    /// `machines[i]` is the state of `stack[i]`; the slot past the top frame is where a
    /// successor is built (see [`copy_machine`]). Slots are never freed, so after the first
    /// descent building a successor allocates nothing.
    machines: Vec<Machine>,
    /// Emptied accumulators of popped frames, for new frames to reuse.
    accs: Vec<Vec<Entry>>,
    classes: Classes,
    transitions: usize,
    truncated: bool,
    max_depth: usize,
    report: Option<ExploreReport>,
    cycles: Cycles,
}

/// `*dst = src.clone()`, reusing `dst`'s allocations: the explorer copies a machine for every
/// edge, and a fresh clone costs a dozen allocations. The pattern names every field, so a field
/// added to [`Machine`] is a compile error here rather than a stale copy.
fn copy_machine(src: &Machine, dst: &mut Machine) {
    let Machine {
        scn,
        threads,
        regs,
        vars,
        locks,
        sems,
        conds,
        queues,
        locals,
        gil,
        outcome,
        steps,
        step_limit,
        aux,
    } = src;
    if !Arc::ptr_eq(&dst.scn, scn) {
        dst.scn = Arc::clone(scn);
    }
    if dst.threads.len() == threads.len() {
        for (d, s) in dst.threads.iter_mut().zip(threads) {
            d.clone_from(s);
        }
    } else {
        dst.threads.clone_from(threads);
    }
    copy_vec(&mut dst.regs, regs);
    copy_vec(&mut dst.vars, vars);
    copy_vec(&mut dst.locks, locks);
    copy_vec(&mut dst.sems, sems);
    if !(conds.is_empty() && dst.conds.is_empty()) {
        dst.conds.clone_from(conds);
    }
    if dst.queues.len() == queues.len() {
        for (d, s) in dst.queues.iter_mut().zip(queues) {
            copy_vec(&mut d.items, &s.items);
            d.unfinished = s.unfinished;
        }
    } else {
        dst.queues.clone_from(queues);
    }
    copy_vec(&mut dst.locals, locals);
    dst.gil = *gil;
    dst.outcome.clone_from(outcome);
    dst.steps = *steps;
    dst.step_limit = *step_limit;
    dst.aux.clone_from(aux);
}

/// `dst.clone_from(src)` for the machine's vectors of plain values, which within one scenario
/// keep their lengths (but queues' items): an element-wise copy then, without the library's
/// general path.
fn copy_vec<T: Copy>(dst: &mut Vec<T>, src: &[T]) {
    if dst.len() == src.len() {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = s;
        }
    } else {
        // Short (a queue's items): pushing costs less than calling `memcpy`.
        dst.clear();
        for &s in src {
            dst.push(s);
        }
    }
}

/// Where a node's summary lies in [`Explorer::entries`].
#[derive(Clone, Copy, Debug)]
struct Summary {
    start: usize,
    len: u32,
}

impl Summary {
    /// The node is on the DFS stack: its summary is not known yet.
    const OPEN: Summary = Summary {
        start: 0,
        len: u32::MAX,
    };

    fn is_done(self) -> bool {
        self.len != u32::MAX
    }
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
        let origin = machine.clone();
        let mut root = machine.for_exploring();
        let liveness = Liveness::new(root.scenario());
        for t in 0..root.thread_count() {
            liveness.clear_dead(&mut root, t);
        }
        let sym = Symmetry::of(root.scenario());
        let mut ex = Explorer {
            limits,
            liveness,
            root,
            origin,
            sym: Symmetry::none(),
            index: Visited::default(),
            summaries: Vec::new(),
            entries: Vec::new(),
            stack: Vec::new(),
            machines: Vec::new(),
            accs: Vec::new(),
            classes: Classes::default(),
            transitions: 0,
            truncated: false,
            max_depth: 0,
            report: None,
            cycles: Cycles::Unknown,
        };
        ex.restart(sym);
        ex
    }

    /// Turn the symmetry reduction on (the default) or off, and start over.
    ///
    /// Off, every state is stored as it is: the plain explorer, whose state count is the
    /// number of distinct states of the scenario. On, states that differ only by a renaming of
    /// interchangeable threads are stored once; the report is the same either way (see the
    /// module docs) except for `states`, `transitions` and `max_depth`.
    pub fn with_symmetry(mut self, on: bool) -> Explorer {
        let sym = if on {
            Symmetry::of(self.root.scenario())
        } else {
            Symmetry::none()
        };
        self.restart(sym);
        self
    }

    /// The groups of interchangeable threads this exploration merges (each of two threads or
    /// more). Empty with the reduction off, when no two threads are alike, or after the
    /// explorer met a cycle and restarted without it.
    pub fn symmetric_groups(&self) -> Vec<Vec<ThreadId>> {
        self.sym.groups()
    }

    /// Forget everything and start again from the root with `sym`.
    fn restart(&mut self, sym: Symmetry) {
        self.sym = sym;
        self.index = Visited::default();
        self.summaries = Vec::new();
        self.entries = Vec::new();
        self.stack = Vec::new();
        self.classes = Classes::default();
        self.transitions = 0;
        self.truncated = false;
        self.max_depth = 0;
        self.report = None;
        if self.machines.is_empty() {
            self.machines.push(self.root.clone());
        } else {
            copy_machine(&self.root, &mut self.machines[0]);
        }
        let root = &mut self.machines[0];
        let (_, twins) = self.sym.canonicalize(root);
        let fp = fingerprint(root);
        self.index.insert(fp, 0);
        if let Some(o) = root.outcome() {
            let class = self.classes.intern(&o.class());
            self.summaries.push(Summary { start: 0, len: 1 });
            self.entries.push(Entry {
                class,
                count: 1,
                shortest: 0,
                via: None,
                next: NONE,
            });
        } else {
            self.summaries.push(Summary::OPEN);
            let left = root.runnable_mask();
            self.stack.push(Frame {
                node: 0,
                fp,
                depth: 0,
                left,
                pending: None,
                acc: Vec::new(),
                twins,
                last: None,
            });
        }
    }

    /// Explore up to `budget` more steps, then report progress (or the final report). Call it
    /// from a timer with a budget of a few thousand to keep a page responsive.
    pub fn run(&mut self, budget: usize) -> ExploreStatus {
        let mut left = budget;
        while self.report.is_none() {
            if left == 0 {
                let states = match &self.cycles {
                    Cycles::Building(b) => b.len(),
                    _ => self.summaries.len(),
                };
                return ExploreStatus::Running {
                    states,
                    transitions: self.transitions,
                };
            }
            if let Cycles::Building(b) = &mut self.cycles {
                if !b.advance(&self.liveness) {
                    let Cycles::Building(b) = std::mem::replace(&mut self.cycles, Cycles::Unknown)
                    else {
                        continue;
                    };
                    self.cycles = Cycles::Known(b.analyse());
                    self.restart(Symmetry::none());
                }
                left -= 1;
                continue;
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
        let d = self.stack.len();
        let Some(top) = self.stack.last_mut() else {
            self.finish();
            return false;
        };
        if self.machines.len() <= d {
            self.machines.push(self.machines[d - 1].clone());
        }
        let (parents, rest) = self.machines.split_at_mut(d);
        let (parent, child) = (&parents[d - 1], &mut rest[0]);
        // The next thread that can step (the lowest left: threads go in order).
        if top.left == 0 {
            self.pop();
            return false;
        }
        let t = ThreadId(top.left.trailing_zeros() as u8);
        top.left &= top.left - 1;
        let depth = top.depth + 1;
        self.transitions += 1;
        self.max_depth = self.max_depth.max(depth);
        // A twin of the thread expanded last leads to the same node, renamed by a swap.
        if top.twins & (1 << t.index()) != 0 {
            if let (Some(prev), Some((s, node, p))) = (self.sym.prev(t), top.last) {
                if s == prev {
                    let p = p.then_swap(s, t);
                    top.last = Some((t, node, p));
                    self.merge_child(node, t, &p);
                    return true;
                }
            }
        }
        // The successor is built in the slot past the top frame: copying into it reuses its
        // allocations.
        copy_machine(parent, child);
        // `parent.can_step(t)` held above, and the child is a copy of the parent. Every machine
        // here runs the root's scenario (`copy_machine` copies the `Arc`).
        let base = self.liveness.base[t.index()];
        if child.step_runnable_in(&self.root.scn, base, t).is_err() {
            return true;
        }
        self.liveness.clear_dead(child, t.index());
        let (perm, twins) = self.sym.canonicalize(child);
        let fp = fingerprint(child);
        self.place(t, depth, fp, perm, twins);
        true
    }

    /// Account for the successor (canonical, in the slot past the top frame, fingerprint `fp`,
    /// permutation `perm`) of stepping `t` in the top frame: merge what is known about it, or
    /// push a frame to explore it, which then owns the slot.
    fn place(&mut self, t: ThreadId, depth: usize, fp: u64, perm: Perm, twins: u32) {
        if let Some(&id) = self.index.get(&fp) {
            if self.summaries[id as usize].is_done() {
                self.top().last = Some((t, id, perm));
                self.merge_child(id, t, &perm);
                return;
            }
            // On the current path: a cycle. Which edge closes a cycle depends on the search
            // order, so the reduced search would count livelocks differently from the plain one:
            // start over without the reduction (see the module docs), once the state graph
            // says where threads starve.
            if let Cycles::Unknown = self.cycles {
                self.cycles =
                    Cycles::Building(cycles::Builder::new(&self.root, self.limits.max_states));
            }
            if !self.sym.is_trivial() || !matches!(self.cycles, Cycles::Known(_)) {
                self.restart(Symmetry::none());
                return;
            }
            let from = self.stack.last().map_or(0, |f| f.fp);
            let starved = match &self.cycles {
                Cycles::Known(s) => s.across(from, fp),
                _ => Vec::new(),
            };
            let class = self.classes.intern(&if starved.is_empty() {
                OutcomeClass::Livelock
            } else {
                OutcomeClass::Starvation { starved }
            });
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
            return;
        }
        let d = self.stack.len();
        if let Some(o) = self.machines[d].outcome() {
            let class = self.classes.intern(&o.class());
            // A final state is worth storing (deduplicated leaves), but past the state limit its
            // outcome is still known, so it is counted rather than marked unexplored.
            let leaf = Entry {
                class,
                count: 1,
                shortest: 0,
                via: None,
                next: NONE,
            };
            match self.new_node(fp, Some(leaf)) {
                Some(id) => {
                    self.top().last = Some((t, id, perm));
                    self.merge_child(id, t, &perm);
                }
                None => {
                    let class = self.classes.rename(class, &perm);
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
            }
            return;
        }
        if depth >= self.limits.max_depth {
            self.unexplored(t);
            return;
        }
        let Some(id) = self.new_node(fp, None) else {
            self.unexplored(t);
            return;
        };
        self.top().pending = Some((t, perm));
        let acc = self.accs.pop().unwrap_or_default();
        let left = self.machines[d].runnable_mask();
        self.stack.push(Frame {
            node: id,
            fp,
            depth,
            left,
            pending: None,
            acc,
            twins,
            last: None,
        });
    }

    fn top(&mut self) -> &mut Frame {
        // Only called while a frame is on the stack.
        let n = self.stack.len();
        &mut self.stack[n - 1]
    }

    /// Add the summary of finished node `id`, reached by stepping `t` with permutation `p`, to
    /// the top frame's.
    fn merge_child(&mut self, id: u32, t: ThreadId, p: &Perm) {
        let Some(&summary) = self.summaries.get(id as usize) else {
            return;
        };
        if !summary.is_done() {
            return;
        }
        let Some(top) = self.stack.last_mut() else {
            return;
        };
        let identity = p.is_identity();
        let end = summary.start + summary.len as usize;
        // The summary and the accumulator are different fields: no copy needed.
        for e in self.entries.get(summary.start..end).unwrap_or(&[]) {
            merge(
                &mut top.acc,
                Entry {
                    class: if identity {
                        e.class
                    } else {
                        self.classes.rename(e.class, p)
                    },
                    shortest: e.shortest.saturating_add(1),
                    via: Some(t),
                    next: id,
                    ..*e
                },
            );
        }
    }

    /// Store a new node: a leaf with its one entry, or an open node (`None`).
    fn new_node(&mut self, fp: u64, leaf: Option<Entry>) -> Option<u32> {
        if self.summaries.len() >= self.limits.max_states {
            return None;
        }
        let id = u32::try_from(self.summaries.len())
            .ok()
            .filter(|&i| i != NONE)?;
        match leaf {
            Some(e) => {
                self.summaries.push(Summary {
                    start: self.entries.len(),
                    len: 1,
                });
                self.entries.push(e);
            }
            None => self.summaries.push(Summary::OPEN),
        }
        self.index.insert(fp, id);
        Some(id)
    }

    fn unexplored(&mut self, t: ThreadId) {
        self.truncated = true;
        let class = self.classes.intern(&OutcomeClass::Unexplored);
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
        let Some(mut frame) = self.stack.pop() else {
            return;
        };
        self.summaries[frame.node as usize] = Summary {
            start: self.entries.len(),
            len: u32::try_from(frame.acc.len()).unwrap_or(u32::MAX - 1),
        };
        self.entries.append(&mut frame.acc);
        self.accs.push(frame.acc);
        let pending = self.stack.last_mut().and_then(|p| p.pending.take());
        if let Some((t, perm)) = pending {
            self.top().last = Some((t, frame.node, perm));
            self.merge_child(frame.node, t, &perm);
        }
    }

    /// Node `id`'s summary, once it is done.
    fn summary(&self, id: u32) -> Option<&[Entry]> {
        let s = self.summaries.get(id as usize).filter(|s| s.is_done())?;
        self.entries.get(s.start..s.start + s.len as usize)
    }

    fn finish(&mut self) {
        let mut root = self.root.clone();
        let (perm, _) = self.sym.canonicalize(&mut root);
        let entries: Vec<Entry> = self.summary(0).unwrap_or(&[]).to_vec();
        let mut outcomes: Vec<OutcomeStats> = entries
            .iter()
            .map(|e| {
                let id = self.classes.rename(e.class, &perm);
                let class = self.classes.list[id as usize].clone();
                let (shortest, example) = self.shortest(&class);
                OutcomeStats {
                    class,
                    schedules: e.count,
                    shortest,
                    example,
                }
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

    /// A shortest schedule from the root to `class` (named in the root's real thread ids), and
    /// the outcome it ends in: follow first steps of shortest schedules node by node, replaying
    /// them on the real state and translating each node's canonical picks back through the
    /// permutation that relates the real state to the node.
    fn shortest(&mut self, class: &OutcomeClass) -> (Schedule, Option<Outcome>) {
        let mut out = Schedule::new();
        let mut real = self.root.clone();
        let mut full = self.origin.clone();
        let mut node = 0u32;
        // Each hop shortens the remaining length by one, so this ends; the bound is a backstop.
        for _ in 0..=self.max_depth + 1 {
            let mut canonical = real.clone();
            let (perm, _) = self.sym.canonicalize(&mut canonical);
            let wanted = symmetry::rename_class(class, &perm.inverse());
            let Some(&wanted) = self.classes.index.get(&wanted) else {
                break;
            };
            let Some(e) = self
                .summary(node)
                .and_then(|s| s.iter().find(|e| e.class == wanted))
            else {
                break;
            };
            let Some(t) = e.via else {
                break;
            };
            let pick = perm.apply(t);
            if real.step_kind(pick).is_err() {
                break;
            }
            let _ = full.step_kind(pick);
            out.push(pick);
            self.liveness.clear_dead(&mut real, pick.index());
            if e.next == NONE {
                break;
            }
            node = e.next;
        }
        // A starving schedule ends where it returns to a state it could have reached before;
        // go once round a cycle the starved thread cannot leave, so a replay shows it.
        if let (OutcomeClass::Starvation { starved }, Cycles::Known(s)) = (class, &self.cycles) {
            if let Some(&x) = starved.first() {
                for pick in s.loop_from(fingerprint(&real), x) {
                    if real.step_kind(pick).is_err() {
                        break;
                    }
                    let _ = full.step_kind(pick);
                    out.push(pick);
                    self.liveness.clear_dead(&mut real, pick.index());
                }
            }
        }
        // The full machine has the scenario's step limit, which the explorer lifts; should it
        // end differently, the explorer's own ending is the example.
        let example = full
            .outcome()
            .filter(|o| o.class() == *class)
            .or(real.outcome())
            .cloned();
        (out, example)
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

    /// A writer waits on a condition until no reader is inside; two readers keep coming, each
    /// entering before the other leaves, until the writer has written.
    fn readers_and_a_waiting_writer() -> Arc<Scenario> {
        let reader = |t: &mut ThreadBuilder| {
            t.label("top")
                .op("while not written:", load("written", "w"))
                .op("POP_JUMP_IF_TRUE", jump_if_true("w", "end"))
                .op("with lock:", acquire("lock"))
                .op("readers += 1", tally("readers", 1))
                .op("(end of with)", release("lock"))
                .op("with lock:", acquire("lock"))
                .op("readers -= 1", tally("readers", -1))
                .op("if readers == 0:", load("readers", "r"))
                .op("COMPARE_OP ==", eq("zero", "r", 0))
                .op("POP_JUMP_IF_FALSE", jump_if_false("zero", "out"))
                .op("cv.notify_all()", notify_all("cv"))
                .label("out")
                .op("(end of with)", release("lock"))
                .op("JUMP_BACKWARD", jump("top"))
                .label("end");
        };
        ScenarioBuilder::new("readers and a writer")
            .var("readers", 0)
            .var("written", false)
            .lock("lock", LockKind::Lock)
            .condition("cv", "lock")
            .thread("R1", reader)
            .thread("R2", reader)
            .thread("W", |t| {
                t.op("with lock:", acquire("lock"))
                    .label("check")
                    .op("while readers > 0:", load("readers", "r"))
                    .op("COMPARE_OP >", gt("busy", "r", 0))
                    .op("POP_JUMP_IF_FALSE", jump_if_false("busy", "go"))
                    .op("cv.wait()", wait("cv"))
                    .op("JUMP_BACKWARD", jump("check"))
                    .label("go")
                    .op("written = True", load_const("v", true))
                    .op("STORE", store("written", "v"))
                    .op("(end of with)", release("lock"));
            })
            .build_arc()
            .unwrap()
    }

    #[test]
    fn readers_handing_over_starve_a_waiting_writer() {
        let report = explore(readers_and_a_waiting_writer(), ExploreLimits::default()).unwrap();
        assert!(!report.truncated);
        let starved = OutcomeClass::Starvation {
            starved: vec![ThreadId(2)],
        };
        let s = report.outcome(&starved).expect("the writer can starve");
        assert!(s.schedules > 0 && s.example.is_none());
        // The shortest starving schedule replays: the writer is waiting when the cycle closes,
        // and both readers are inside or on their way.
        let run = crate::Run::replay(readers_and_a_waiting_writer(), &s.shortest).unwrap();
        assert!(run.outcome().is_none());
        assert!(!run.machine().can_step(ThreadId(2)));
        assert!(report
            .outcomes
            .iter()
            .any(|o| matches!(o.class, OutcomeClass::Finished { .. })));
        assert!(!report
            .outcomes
            .iter()
            .any(|o| matches!(o.class, OutcomeClass::Deadlock { .. })));
        assert_eq!(
            crate::class_kind(&readers_and_a_waiting_writer(), &starved),
            "starvation"
        );
    }

    #[test]
    fn a_thread_blocked_only_because_another_is_never_picked_is_not_starved() {
        // T1 waits for a permit only T3 gives; T2 spins until T3 sets the flag. In the cycle of
        // T2 spinning, T1 is blocked all along, but T3 could run at every state: the cycle is
        // the scheduler passing T3 over, a livelock, not starvation.
        let scn = ScenarioBuilder::new("never picked")
            .var("flag", false)
            .semaphore("sem", 0)
            .thread("T1", |t| {
                t.op("sem.acquire()", sem_acquire("sem"));
            })
            .thread("T2", |t| {
                t.label("spin")
                    .op("while not flag:", load("flag", "f"))
                    .op("POP_JUMP_IF_FALSE", jump_if_false("f", "spin"));
            })
            .thread("T3", |t| {
                t.op("flag = True", load_const("v", true))
                    .op("STORE", store("flag", "v"))
                    .op("sem.release()", sem_release("sem"));
            })
            .build_arc()
            .unwrap();
        let report = explore(scn, ExploreLimits::default()).unwrap();
        assert!(report.outcome(&OutcomeClass::Livelock).is_some());
        assert!(!report
            .outcomes
            .iter()
            .any(|o| matches!(o.class, OutcomeClass::Starvation { .. })));
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

    /// The plain and the reduced report from `m`, after checking that they agree on everything
    /// but the search's own figures.
    fn plain_and_reduced(m: &Machine) -> (ExploreReport, ExploreReport) {
        let plain = Explorer::from_machine(m.clone(), ExploreLimits::default())
            .with_symmetry(false)
            .run_to_completion();
        let reduced =
            Explorer::from_machine(m.clone(), ExploreLimits::default()).run_to_completion();
        let key = |r: &ExploreReport| -> Vec<(OutcomeClass, u128, usize)> {
            r.outcomes
                .iter()
                .map(|o| (o.class.clone(), o.schedules, o.shortest.len()))
                .collect()
        };
        assert_eq!(key(&reduced), key(&plain));
        assert_eq!(reduced.schedules, plain.schedules);
        assert_eq!(reduced.bad_schedules, plain.bad_schedules);
        assert_eq!(reduced.truncated, plain.truncated);
        for o in &reduced.outcomes {
            let mut run = crate::Run::from_machine(m.clone());
            for &t in o.shortest.steps() {
                run.step(t).unwrap();
            }
            if !matches!(
                o.class,
                OutcomeClass::Livelock | OutcomeClass::Starvation { .. } | OutcomeClass::Unexplored
            ) {
                assert_eq!(run.outcome().map(Outcome::class), Some(o.class.clone()));
            }
        }
        (plain, reduced)
    }

    #[test]
    fn identical_threads_are_stored_once_per_arrangement() {
        let m = Machine::new(samples::race(3, 1, false)).unwrap();
        let (plain, reduced) = plain_and_reduced(&m);
        assert_eq!(plain.states, 265);
        assert!(reduced.states * 3 < plain.states, "{}", reduced.states);
        let ex = Explorer::from_machine(m, ExploreLimits::default());
        assert_eq!(
            ex.symmetric_groups(),
            vec![vec![ThreadId(0), ThreadId(1), ThreadId(2)]]
        );
    }

    #[test]
    fn classes_that_name_threads_keep_their_real_names() {
        // Each thread checks in. The first takes a Lock twice and so deadlocks (alone, once the
        // others are done); the others assert that they were second at most, so a third one
        // fails, under its own name.
        let scn = ScenarioBuilder::new("first")
            .var("arrived", 0)
            .lock("lock", LockKind::Lock);
        let scn = (0..3)
            .fold(scn, |b, i| {
                b.thread(format!("T{}", i + 1), |t| {
                    t.op("n = arrived", load("arrived", "n"))
                        .op("arrived += 1", tally("arrived", 1))
                        .op("n == 0", eq("first", "n", 0))
                        .op("if first:", jump_if_false("first", "check"))
                        .op("lock.acquire()", acquire("lock"))
                        .op("lock.acquire()", acquire("lock"))
                        .label("check")
                        .op("n < 2", lt("ok", "n", 2))
                        .op("assert n < 2", assert_true("ok", "third to arrive"));
                })
            })
            .build_arc()
            .unwrap();
        let (_, reduced) = plain_and_reduced(&Machine::new(scn).unwrap());
        let asserting: Vec<ThreadId> = reduced
            .outcomes
            .iter()
            .filter_map(|o| match o.class {
                OutcomeClass::Violated {
                    check: crate::CheckRef::Assert { thread, .. },
                    ..
                } => Some(thread),
                _ => None,
            })
            .collect();
        assert_eq!(asserting, vec![ThreadId(0), ThreadId(1), ThreadId(2)]);
        assert!(reduced
            .outcomes
            .iter()
            .any(|o| matches!(&o.class, OutcomeClass::Deadlock { blocked } if blocked.len() == 1)));
    }

    #[test]
    fn a_cycle_makes_the_explorer_start_over_without_symmetry() {
        let spin = |t: &mut ThreadBuilder| {
            t.label("spin")
                .op("while not flag:", load("flag", "f"))
                .op("POP_JUMP_IF_FALSE", jump_if_false("f", "spin"));
        };
        let scn = ScenarioBuilder::new("two spinners")
            .var("flag", false)
            .thread("W1", spin)
            .thread("W2", spin)
            .thread("setter", |t| {
                t.op("flag = True", load_const("v", true))
                    .op("STORE", store("flag", "v"));
            })
            .build_arc()
            .unwrap();
        let m = Machine::new(scn).unwrap();
        let (_, reduced) = plain_and_reduced(&m);
        assert!(reduced.outcome(&OutcomeClass::Livelock).is_some());
        let mut ex = Explorer::from_machine(m, ExploreLimits::default());
        assert_eq!(ex.symmetric_groups().len(), 1);
        ex.run_to_completion();
        assert!(ex.symmetric_groups().is_empty());
    }

    #[test]
    fn exploring_from_a_midway_state_renames_back_to_real_threads() {
        // T2 and T3 are alike but no longer at the same place.
        let mut m = Machine::new(samples::race(3, 1, false)).unwrap();
        for t in [1, 1, 0, 2] {
            m.step(ThreadId(t)).unwrap();
        }
        plain_and_reduced(&m);
        let mut m = Machine::new(samples::semaphore_pool(4, 2)).unwrap();
        for t in [3, 3, 1] {
            m.step(ThreadId(t)).unwrap();
        }
        let (plain, reduced) = plain_and_reduced(&m);
        assert!(reduced.states < plain.states);
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
