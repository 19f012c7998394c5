//! Interchangeable threads and the canonical form of a machine state under permutations of them:
//! the explorer's symmetry reduction. Nothing here changes how a machine steps; the explorer
//! (see its module docs for why the counts stay exact) is the only user.

use crate::machine::{Machine, Phase, ThreadState};
use crate::outcome::{CheckRef, Outcome, OutcomeClass};
use crate::scenario::{Scenario, MAX_THREADS};
use crate::value::ThreadId;
use crate::OpKind;
use std::cmp::Ordering;

// `Perm::key` packs a permutation into 64 bits, four bits a thread.
const _: () = assert!(MAX_THREADS <= 16);

/// A renaming of threads, as the canonical form of a state relates to the state it was made
/// from: canonical thread `j` is thread `map[j]` of the original. Indices past the scenario's
/// thread count map to themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Perm {
    map: [u8; MAX_THREADS],
}

impl Perm {
    pub(crate) fn identity() -> Perm {
        const IDENTITY: Perm = {
            let mut map = [0u8; MAX_THREADS];
            let mut i = 0;
            while i < MAX_THREADS {
                map[i] = i as u8;
                i += 1;
            }
            Perm { map }
        };
        IDENTITY
    }

    pub(crate) fn is_identity(&self) -> bool {
        *self == Perm::identity()
    }

    /// Where thread `t` goes (ids out of range are left alone).
    pub(crate) fn apply(&self, t: ThreadId) -> ThreadId {
        self.map.get(t.index()).map_or(t, |&m| ThreadId(m))
    }

    pub(crate) fn inverse(&self) -> Perm {
        let mut inv = Perm::identity();
        // A permutation of 0..MAX_THREADS: every entry is in range (the mask only spares the
        // bounds check), and `j` fits in a u8.
        for (j, &m) in self.map.iter().enumerate() {
            inv.map[usize::from(m) % MAX_THREADS] = j as u8;
        }
        inv
    }

    /// This permutation followed by swapping threads `a` and `b`: if `a` and `b` are
    /// interchangeable in a state, stepping `b` leads to the successor of stepping `a` with the
    /// two renamed, and this is its permutation.
    pub(crate) fn then_swap(&self, a: ThreadId, b: ThreadId) -> Perm {
        let mut p = *self;
        for m in &mut p.map {
            if *m == a.0 {
                *m = b.0;
            } else if *m == b.0 {
                *m = a.0;
            }
        }
        p
    }

    /// The permutation in 64 bits (a cache key).
    pub(crate) fn key(&self) -> u64 {
        self.map
            .iter()
            .fold(0u64, |k, &m| (k << 4) | u64::from(m & 0xf))
    }
}

/// Whether a class names threads (and so changes under a renaming of them).
pub(crate) fn names_threads(class: &OutcomeClass) -> bool {
    matches!(
        class,
        OutcomeClass::Deadlock { .. }
            | OutcomeClass::Starvation { .. }
            | OutcomeClass::Violated {
                check: CheckRef::Assert { .. },
                ..
            }
    )
}

/// The class with every thread id `t` replaced by `p.apply(t)`.
pub(crate) fn rename_class(class: &OutcomeClass, p: &Perm) -> OutcomeClass {
    match class {
        OutcomeClass::Deadlock { blocked } => {
            let mut blocked: Vec<ThreadId> = blocked.iter().map(|&t| p.apply(t)).collect();
            blocked.sort_unstable();
            OutcomeClass::Deadlock { blocked }
        }
        OutcomeClass::Starvation { starved } => {
            let mut starved: Vec<ThreadId> = starved.iter().map(|&t| p.apply(t)).collect();
            starved.sort_unstable();
            OutcomeClass::Starvation { starved }
        }
        OutcomeClass::Violated {
            check: CheckRef::Assert { thread, pc },
            message,
        } => OutcomeClass::Violated {
            check: CheckRef::Assert {
                thread: p.apply(*thread),
                pc: *pc,
            },
            message: message.clone(),
        },
        other => other.clone(),
    }
}

/// What a thread is referred to by in shared state, as sortable codes: which locks it owns,
/// where it waits in which condition's queue, whether it holds the GIL, whether the outcome
/// names it.
fn code(kind: u64, a: usize, b: usize) -> u64 {
    (kind << 56) | ((a as u64 & 0xff_ffff) << 24) | (b as u64 & 0xff_ffff)
}

/// The groups of interchangeable threads of a scenario, and the canonical form of its states.
#[derive(Clone, Debug)]
pub(crate) struct Symmetry {
    /// Each group's threads, ascending; only groups of two or more.
    groups: Vec<Vec<u8>>,
    /// Per thread: the member of its group just before it, if any.
    prev: Vec<Option<u8>>,
    /// Per thread: where its registers start in `Machine::regs`, and how many it has.
    regs: Vec<(usize, usize)>,
    /// Scratch: `(thread, code)` for every reference to a thread in shared state.
    tags: Vec<(u8, u64)>,
    /// Scratch: thread `t`'s tags are `tags[spans[t]..spans[t + 1]]`.
    spans: [usize; MAX_THREADS + 1],
    /// Whether `spans` holds anything but zeros (most scenarios never tag a thread).
    spanned: bool,
}

impl Symmetry {
    /// No reduction: every thread on its own.
    pub(crate) fn none() -> Symmetry {
        Symmetry {
            groups: Vec::new(),
            prev: Vec::new(),
            regs: Vec::new(),
            tags: Vec::new(),
            spans: [0; MAX_THREADS + 1],
            spanned: false,
        }
    }

    /// Threads are interchangeable when their programs do the same (op kinds and switch
    /// points; source lines and texts are for display), they have the same registers, and no op
    /// names one of them (only `JoinThread` can: a thread that is joined is on its own).
    pub(crate) fn of(scn: &Scenario) -> Symmetry {
        let n = scn.threads.len();
        if !(2..=MAX_THREADS).contains(&n) {
            return Symmetry::none();
        }
        let mut named = vec![false; n];
        for t in &scn.threads {
            for op in &t.program {
                if let OpKind::JoinThread { thread } = op.kind {
                    if let Some(x) = named.get_mut(thread.index()) {
                        *x = true;
                    }
                }
            }
        }
        let same = |a: usize, b: usize| {
            let (x, y) = (&scn.threads[a], &scn.threads[b]);
            x.regs == y.regs
                && x.program.len() == y.program.len()
                && x.program
                    .iter()
                    .zip(&y.program)
                    .all(|(p, q)| p.kind == q.kind && p.gil_switch == q.gil_switch)
        };
        let mut taken = named.clone();
        let mut groups: Vec<Vec<u8>> = Vec::new();
        for a in 0..n {
            if taken[a] {
                continue;
            }
            let mut group = vec![a];
            for (b, done) in taken.iter_mut().enumerate().skip(a + 1) {
                if !*done && same(a, b) {
                    *done = true;
                    group.push(b);
                }
            }
            if group.len() >= 2 {
                groups.push(
                    group
                        .into_iter()
                        .filter_map(|t| u8::try_from(t).ok())
                        .collect(),
                );
            }
        }
        if groups.is_empty() {
            return Symmetry::none();
        }
        let mut prev = vec![None; n];
        for g in &groups {
            for w in g.windows(2) {
                prev[usize::from(w[1])] = Some(w[0]);
            }
        }
        let mut regs = Vec::with_capacity(n);
        let mut base = 0;
        for t in &scn.threads {
            regs.push((base, t.regs.len()));
            base += t.regs.len();
        }
        Symmetry {
            groups,
            prev,
            regs,
            tags: Vec::new(),
            spans: [0; MAX_THREADS + 1],
            spanned: false,
        }
    }

    /// Whether there is nothing to reduce.
    pub(crate) fn is_trivial(&self) -> bool {
        self.groups.is_empty()
    }

    /// The groups, as thread ids.
    pub(crate) fn groups(&self) -> Vec<Vec<ThreadId>> {
        self.groups
            .iter()
            .map(|g| g.iter().map(|&t| ThreadId(t)).collect())
            .collect()
    }

    /// The member of `t`'s group just before it.
    pub(crate) fn prev(&self, t: ThreadId) -> Option<ThreadId> {
        self.prev.get(t.index()).copied().flatten().map(ThreadId)
    }

    /// Rename the threads of `m`, within their groups, into the canonical order: each group's
    /// threads sorted by everything that is theirs (pc, wait phase, sections, registers,
    /// thread-locals, and the locks, condition queue places, GIL and outcome that name them).
    /// Two states that differ only by such a renaming get the same canonical form.
    ///
    /// Returns the permutation (canonical thread `j` was thread `perm.apply(j)` of `m`) and a
    /// bit set of *twins*: bit `j` set when canonical thread `j` is indistinguishable from the
    /// member of its group before it, so that swapping the two leaves the state unchanged.
    pub(crate) fn canonicalize(&mut self, m: &mut Machine) -> (Perm, u32) {
        if self.groups.is_empty() || m.threads.len() != self.prev.len() {
            return (Perm::identity(), 0);
        }
        // Usually the state is in canonical order already (it was stepped from a canonical one,
        // and most steps keep the order): check that, walking each group once. What names
        // threads in shared state is collected only if two threads' keys tie.
        let mut tagged = false;
        let mut twins = 0u32;
        for gi in 0..self.groups.len() {
            let len = self.groups[gi].len();
            let mut prev = usize::from(self.groups[gi][0]);
            let mut prev_key = key(&m.threads[prev]);
            for i in 1..len {
                let t = usize::from(self.groups[gi][i]);
                let k = key(&m.threads[t]);
                match prev_key.cmp(&k) {
                    Ordering::Less => {}
                    Ordering::Equal => {
                        if !tagged {
                            tagged = true;
                            self.tag(m);
                        }
                        match self.compare_rest(m, prev, t) {
                            Ordering::Less => {}
                            Ordering::Equal => twins |= 1 << t,
                            Ordering::Greater => return self.sort(m, tagged),
                        }
                    }
                    Ordering::Greater => return self.sort(m, tagged),
                }
                prev = t;
                prev_key = k;
            }
        }
        (Perm::identity(), twins)
    }

    /// [`Symmetry::canonicalize`] of a state not in canonical order: sort each group and
    /// rename. `tagged`: whether `tags` already describes `m`.
    #[inline(never)]
    fn sort(&mut self, m: &mut Machine, tagged: bool) -> (Perm, u32) {
        if !tagged {
            self.tag(m);
        }
        let mut perm = Perm::identity();
        let me = &*self;
        let mut twins = 0u32;
        // Tracked as the map is written: reading the map back as a whole right after writing
        // it byte by byte stalls on store forwarding.
        let mut moved = false;
        for g in &me.groups {
            // Most threads differ in what `key` packs, so the full comparison runs only on ties.
            let mut keys = [0u128; MAX_THREADS];
            for (k, &t) in keys.iter_mut().zip(g) {
                *k = key(&m.threads[usize::from(t)]);
            }
            // Compares members `a` and `b` of the group, by position.
            let cmp = |a: u8, b: u8| {
                let (a, b) = (usize::from(a), usize::from(b));
                keys[a]
                    .cmp(&keys[b])
                    .then_with(|| me.compare_rest(m, usize::from(g[a]), usize::from(g[b])))
            };
            // Insertion sort (groups are small): stable, so equal threads keep their order and
            // an already canonical state maps to itself by the identity. `same[k]`: `order[k]`
            // ties with `order[k - 1]`. An element inserted later never lands between two that
            // tie (it would have to sort equal to both), so the flags stay true as it moves.
            let mut order = [0u8; MAX_THREADS];
            let mut same = [false; MAX_THREADS];
            for i in 0..g.len() {
                let x = u8::try_from(i).unwrap_or(u8::MAX);
                let mut j = i;
                let mut tie = false;
                while j > 0 {
                    match cmp(order[j - 1], x) {
                        Ordering::Greater => {
                            order[j] = order[j - 1];
                            same[j] = same[j - 1];
                            j -= 1;
                        }
                        o => {
                            tie = o == Ordering::Equal;
                            break;
                        }
                    }
                }
                order[j] = x;
                same[j] = tie;
                // The element now after `x` sorted strictly above it.
                if j < i {
                    same[j + 1] = false;
                }
            }
            for (k, &pos) in g.iter().enumerate() {
                let from = g[usize::from(order[k])];
                moved |= from != pos;
                perm.map[usize::from(pos)] = from;
                if same[k] {
                    twins |= 1 << pos;
                }
            }
        }
        if moved {
            self.apply(m, &perm);
        }
        (perm, twins)
    }

    /// Collect every reference to a thread in shared state into `tags`, sorted, with thread
    /// `t`'s in `tags[spans[t]..spans[t + 1]]`.
    fn tag(&mut self, m: &Machine) {
        self.tags.clear();
        if self.spanned {
            self.spans = [0; MAX_THREADS + 1];
            self.spanned = false;
        }
        for (l, st) in m.locks.iter().enumerate() {
            if let Some(o) = st.owner {
                self.tags.push((o.0, code(0, l, 0)));
            }
        }
        for (c, waiters) in m.conds.iter().enumerate() {
            for (k, w) in waiters.iter().enumerate() {
                self.tags.push((w.0, code(1, c, k)));
            }
        }
        if let Some(g) = m.gil {
            self.tags.push((g.0, code(2, 0, 0)));
        }
        match &m.outcome {
            Some(Outcome::Misuse { thread, .. })
            | Some(Outcome::Violated {
                check: CheckRef::Assert { thread, .. },
                ..
            }) => self.tags.push((thread.0, code(3, 0, 0))),
            _ => {}
        }
        if self.tags.is_empty() {
            return;
        }
        self.tags.sort_unstable();
        self.spanned = true;
        for &(t, _) in &self.tags {
            if let Some(s) = self.spans.get_mut(usize::from(t) + 1) {
                *s += 1;
            }
        }
        for i in 1..self.spans.len() {
            self.spans[i] += self.spans[i - 1];
        }
    }

    /// The order of threads `a` and `b` after their [`key`]s: the exception they carry, then
    /// registers, thread-locals and what names them in shared state.
    #[inline]
    fn compare_rest(&self, m: &Machine, a: usize, b: usize) -> Ordering {
        let (x, y) = (&m.threads[a], &m.threads[b]);
        if x.exc.is_some() || y.exc.is_some() {
            let o = x.exc.cmp(&y.exc);
            if o.is_ne() {
                return o;
            }
        }
        // Threads of a group have as many registers.
        let ((ra, len), (rb, _)) = (self.regs[a], self.regs[b]);
        let (xa, xb) = (&m.regs[ra..ra + len], &m.regs[rb..rb + len]);
        // Usually equal (the threads are twins): the equality test is the cheaper.
        if xa != xb {
            return xa.cmp(xb);
        }
        if !m.locals.is_empty() {
            for slot in m.locals.chunks_exact(m.threads.len()) {
                let o = slot[a].cmp(&slot[b]);
                if o.is_ne() {
                    return o;
                }
            }
        }
        let spans = &self.spans;
        let (ta, tb) = (spans[a]..spans[a + 1], spans[b]..spans[b + 1]);
        if ta.is_empty() && tb.is_empty() {
            return Ordering::Equal;
        }
        let codes =
            |r: std::ops::Range<usize>| self.tags.get(r).unwrap_or(&[]).iter().map(|&(_, c)| c);
        codes(ta).cmp(codes(tb))
    }

    /// Rename `m`'s threads: canonical thread `j` takes the state of thread `perm.apply(j)`.
    fn apply(&self, m: &mut Machine, perm: &Perm) {
        let n = m.threads.len();
        // In place, a cycle of the permutation at a time: swapping `cur` with `next` puts
        // `next`'s state where it belongs and carries the cycle's first state on, to the last
        // place of the cycle.
        let mut done = 0u32;
        for j in 0..n {
            if done & (1 << j) != 0 || usize::from(perm.map[j]) == j {
                continue;
            }
            let mut cur = j;
            loop {
                done |= 1 << cur;
                let next = usize::from(perm.map[cur]);
                if next == j {
                    break;
                }
                m.threads.swap(cur, next);
                // Threads of a group have the same registers, so the ranges have the same length.
                let ((a, len), (b, _)) = (self.regs[cur], self.regs[next]);
                for i in 0..len {
                    m.regs.swap(a + i, b + i);
                }
                if !m.locals.is_empty() {
                    for slot in (0..m.locals.len()).step_by(n.max(1)) {
                        m.locals.swap(slot + cur, slot + next);
                    }
                }
                cur = next;
            }
        }
        // What names threads in shared state (often nothing: no lock, condition or GIL).
        if m.locks.is_empty() && m.conds.is_empty() && m.gil.is_none() && m.outcome.is_none() {
            return;
        }
        let inv = perm.inverse();
        for st in &mut m.locks {
            st.owner = st.owner.map(|o| inv.apply(o));
        }
        for waiters in &mut m.conds {
            for w in waiters.iter_mut() {
                *w = inv.apply(*w);
            }
        }
        m.gil = m.gil.map(|g| inv.apply(g));
        match &mut m.outcome {
            Some(Outcome::Misuse { thread, .. })
            | Some(Outcome::Violated {
                check: CheckRef::Assert { thread, .. },
                ..
            }) => *thread = inv.apply(*thread),
            Some(Outcome::Deadlock { .. }) => {
                // Recomputed rather than renamed: the cycle's order depends on thread numbers,
                // and the canonical state must carry the outcome a run ending there would.
                let blocked = m
                    .thread_ids()
                    .filter(|t| !m.is_finished(t.index()))
                    .collect();
                let cycle = m.deadlock_cycle();
                m.outcome = Some(Outcome::Deadlock { blocked, cycle });
            }
            _ => {}
        }
    }
}

/// What [`Symmetry::canonicalize`] sorts threads by first, packed so that comparing keys
/// compares (pc, wait phase and its count, sections) in that order.
fn key(st: &ThreadState) -> u128 {
    let (phase, count) = match st.phase {
        Phase::Run => (0u128, 0u32),
        Phase::WaitNotify { count } => (1, count),
        Phase::Reacquire { count } => (2, count),
    };
    (u128::from(st.pc) << 98) | (phase << 96) | (u128::from(count) << 64) | u128::from(st.sections)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples;

    #[test]
    fn identical_threads_form_one_group_and_joined_threads_stay_alone() {
        let sym = Symmetry::of(&samples::semaphore_pool(4, 2));
        assert_eq!(sym.groups(), vec![(0..4).map(ThreadId).collect::<Vec<_>>()]);
        // Consumers C1..C3 are alike; P1 and P2 differ (their tasks), and in the fixed form
        // `main` joins both producers.
        let sym = Symmetry::of(&samples::producer_consumer(true, 2, 4));
        assert_eq!(
            sym.groups(),
            vec![vec![ThreadId(2), ThreadId(3), ThreadId(4)]]
        );
        assert!(Symmetry::of(&samples::two_locks(true)).is_trivial());
    }

    #[test]
    fn permuted_states_have_one_canonical_form() {
        let scn = samples::race(3, 1, false);
        let mut sym = Symmetry::of(&scn);
        let mut a = Machine::new(scn.clone()).unwrap();
        let mut b = a.clone();
        for t in [0, 0, 2] {
            a.step(ThreadId(t)).unwrap();
        }
        for t in [1, 1, 0] {
            b.step(ThreadId(t)).unwrap();
        }
        assert_ne!(a, b);
        let (pa, _) = sym.canonicalize(&mut a);
        let (pb, twins) = sym.canonicalize(&mut b);
        assert_eq!(a, b);
        // One thread did nothing: canonically first, as pc 0 sorts first.
        assert_eq!(a.pc(ThreadId(0)), Some(0));
        assert_eq!(pa.apply(ThreadId(0)), ThreadId(1));
        assert_eq!(pb.apply(ThreadId(0)), ThreadId(2));
        assert_eq!(twins, 0);
    }

    #[test]
    fn renaming_a_class_renames_and_sorts_its_threads() {
        let p = Perm::identity().then_swap(ThreadId(0), ThreadId(2));
        let c = OutcomeClass::Deadlock {
            blocked: vec![ThreadId(0), ThreadId(1)],
        };
        assert_eq!(
            rename_class(&c, &p),
            OutcomeClass::Deadlock {
                blocked: vec![ThreadId(1), ThreadId(2)]
            }
        );
        assert_eq!(rename_class(&c, &p.inverse()), rename_class(&c, &p));
        assert_eq!(p.inverse().inverse(), p);
        assert!(!names_threads(&OutcomeClass::Livelock));
        let s = OutcomeClass::Starvation {
            starved: vec![ThreadId(0)],
        };
        assert!(names_threads(&s));
        assert_eq!(
            rename_class(&s, &p),
            OutcomeClass::Starvation {
                starved: vec![ThreadId(2)]
            }
        );
    }
}
