//! Starvation: which cycles of states keep a thread blocked while the others go round, found on
//! the explicit state graph. Only scenarios with a cycle need it; the explorer builds the graph
//! (in slices, like the rest of its work) the first time its search meets one.
//!
//! A thread `x` *starves* in a set of states `C` when `C` is strongly connected by steps that
//! stay in `C`, `x` is blocked in every state of `C`, and `C` is *fair*: every thread that can
//! step in some state of `C` takes some step inside `C`. Then the other threads can go round `C`
//! forever, each getting turns, and `x` never can move. A cycle through states where some thread
//! could step but never does is the scheduler passing that thread over instead: not starvation.
//!
//! Finding the fair sets is the Emerson–Lei refinement: take the strongly connected components
//! of the states where `x` is blocked; a component whose enabled threads all step inside it is
//! fair; otherwise drop the states where a thread that never steps inside it is enabled, and
//! split the rest into components again. Every fair cycle survives, because none of its states
//! is ever dropped.

use super::{fingerprint, Liveness, Visited};
use crate::machine::{Machine, ThreadStatus};
use crate::value::ThreadId;

const NONE: u32 = u32::MAX;

/// One state of the graph: who is blocked, who can step, and the steps out of it (to states
/// that have not ended; an ending state is never on a cycle).
struct Node {
    blocked: u32,
    enabled: u32,
    edges: Vec<(u32, u8)>,
}

/// The graph of a scenario's states, built a state at a time.
pub(super) struct Builder {
    index: Visited,
    nodes: Vec<Node>,
    /// States found and not yet expanded (a state is expanded once).
    todo: Vec<(u32, Machine)>,
    threads: usize,
    max_states: usize,
    /// Hit `max_states`: the analysis would be of part of the graph, so it is skipped.
    pub(super) truncated: bool,
}

impl Builder {
    /// A graph to build from `root` (the explorer's root: dead registers cleared, no symmetry).
    pub(super) fn new(root: &Machine, max_states: usize) -> Builder {
        let mut b = Builder {
            index: Visited::default(),
            nodes: Vec::new(),
            todo: Vec::new(),
            threads: root.thread_count(),
            max_states,
            truncated: false,
        };
        if root.outcome().is_none() {
            b.add(root.clone());
        }
        b
    }

    /// States found so far.
    pub(super) fn len(&self) -> usize {
        self.nodes.len()
    }

    fn add(&mut self, m: Machine) -> Option<u32> {
        let fp = fingerprint(&m);
        if let Some(&id) = self.index.get(&fp) {
            return Some(id);
        }
        if self.nodes.len() >= self.max_states {
            self.truncated = true;
            return None;
        }
        let id = u32::try_from(self.nodes.len())
            .ok()
            .filter(|&i| i != NONE)?;
        let (mut blocked, mut enabled) = (0u32, 0u32);
        for i in 0..self.threads {
            let t = ThreadId(u8::try_from(i).unwrap_or(u8::MAX));
            if m.can_step(t) {
                enabled |= 1 << i;
            } else if matches!(m.status(t), Some(ThreadStatus::Blocked(_))) {
                blocked |= 1 << i;
            }
        }
        self.nodes.push(Node {
            blocked,
            enabled,
            edges: Vec::new(),
        });
        self.index.insert(fp, id);
        self.todo.push((id, m));
        Some(id)
    }

    /// Expand one state. Returns `false` once the graph is complete (or cut at its limit).
    pub(super) fn advance(&mut self, liveness: &Liveness) -> bool {
        if self.truncated {
            return false;
        }
        let Some((id, m)) = self.todo.pop() else {
            return false;
        };
        for i in 0..self.threads {
            if self.nodes[id as usize].enabled & (1 << i) == 0 {
                continue;
            }
            let t = ThreadId(u8::try_from(i).unwrap_or(u8::MAX));
            let mut child = m.clone();
            if child.step_kind(t).is_err() {
                continue;
            }
            liveness.clear_dead(&mut child, i);
            if child.outcome().is_some() {
                continue;
            }
            if let Some(c) = self.add(child) {
                self.nodes[id as usize].edges.push((c, t.0));
            }
        }
        true
    }

    /// The fair sets in which each thread starves (see the module docs).
    pub(super) fn analyse(self) -> Starving {
        let mut comp: Vec<Vec<(u8, u32)>> = Vec::new();
        if !self.truncated {
            comp = vec![Vec::new(); self.nodes.len()];
            let mut next = 0u32;
            for x in 0..self.threads {
                for set in fair_sets(&self.nodes, 1 << x) {
                    for &n in &set {
                        comp[n as usize].push((u8::try_from(x).unwrap_or(u8::MAX), next));
                    }
                    next += 1;
                }
            }
        }
        Starving {
            index: self.index,
            nodes: self.nodes,
            comp,
        }
    }
}

/// Tarjan's strongly connected components of the nodes in `set` (edges leaving `set` ignored),
/// iteratively. `mark` is scratch space, one slot per node, left as `NONE`.
fn components(nodes: &[Node], set: &[u32], mark: &mut [u32]) -> Vec<Vec<u32>> {
    // mark[n]: NONE outside the set; else `UNSEEN`, or the node's index in the DFS while it is
    // open, or `DONE`.
    const UNSEEN: u32 = NONE - 1;
    const DONE: u32 = NONE - 2;
    for &n in set {
        mark[n as usize] = UNSEEN;
    }
    // Per DFS index: the lowest index reachable.
    let mut low: Vec<u32> = Vec::new();
    let mut stack: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    for &start in set {
        if mark[start as usize] != UNSEEN {
            continue;
        }
        // Nodes of earlier trees are all `DONE`, so indices can start again at 0.
        low.clear();
        mark[start as usize] = 0;
        low.push(0);
        stack.push(start);
        // (node, next edge to look at)
        let mut dfs: Vec<(u32, usize)> = vec![(start, 0)];
        while let Some(&(n, e)) = dfs.last() {
            let i = mark[n as usize] as usize;
            if let Some(&(m, _)) = nodes[n as usize].edges.get(e) {
                if let Some(top) = dfs.last_mut() {
                    top.1 += 1;
                }
                match mark[m as usize] {
                    NONE | DONE => {}
                    UNSEEN => {
                        let j = u32::try_from(low.len()).unwrap_or(DONE - 1);
                        mark[m as usize] = j;
                        low.push(j);
                        stack.push(m);
                        dfs.push((m, 0));
                    }
                    j => low[i] = low[i].min(j),
                }
                continue;
            }
            dfs.pop();
            if let Some(&(p, _)) = dfs.last() {
                let pi = mark[p as usize] as usize;
                low[pi] = low[pi].min(low[i]);
            }
            if low[i] as usize == i {
                let mut scc = Vec::new();
                while let Some(m) = stack.pop() {
                    mark[m as usize] = DONE;
                    scc.push(m);
                    if m == n {
                        break;
                    }
                }
                out.push(scc);
            }
        }
    }
    for &n in set {
        mark[n as usize] = NONE;
    }
    out
}

/// The fair sets in which the threads of `x` (a one-bit mask) are blocked throughout.
fn fair_sets(nodes: &[Node], x: u32) -> Vec<Vec<u32>> {
    let mut mark = vec![NONE; nodes.len()];
    let mut inside = vec![false; nodes.len()];
    let blocked: Vec<u32> = (0..nodes.len())
        .filter(|&n| nodes[n].blocked & x != 0)
        .filter_map(|n| u32::try_from(n).ok())
        .collect();
    let mut work = vec![blocked];
    let mut fair = Vec::new();
    while let Some(set) = work.pop() {
        for scc in components(nodes, &set, &mut mark) {
            for &n in &scc {
                inside[n as usize] = true;
            }
            let (mut enabled, mut taken, mut has_edge) = (0u32, 0u32, false);
            for &n in &scc {
                enabled |= nodes[n as usize].enabled;
                for &(m, t) in &nodes[n as usize].edges {
                    if inside[m as usize] {
                        has_edge = true;
                        taken |= 1 << t;
                    }
                }
            }
            for &n in &scc {
                inside[n as usize] = false;
            }
            if !has_edge {
                continue;
            }
            let unfair = enabled & !taken;
            if unfair == 0 {
                fair.push(scc);
            } else {
                let rest: Vec<u32> = scc
                    .into_iter()
                    .filter(|&n| nodes[n as usize].enabled & unfair == 0)
                    .collect();
                if !rest.is_empty() {
                    work.push(rest);
                }
            }
        }
    }
    fair
}

/// The result: for each state, the fair sets it belongs to, by starving thread.
pub(super) struct Starving {
    index: Visited,
    nodes: Vec<Node>,
    /// Per node: `(thread, set id)` for each fair set containing it (empty if the graph was
    /// cut at its limit: then nothing is classed as starvation).
    comp: Vec<Vec<(u8, u32)>>,
}

impl Starving {
    fn sets(&self, fp: u64) -> &[(u8, u32)] {
        self.index
            .get(&fp)
            .and_then(|&id| self.comp.get(id as usize))
            .map_or(&[], Vec::as_slice)
    }

    /// The threads starving across the step from state `from` to state `to` (fingerprints):
    /// those with a fair set containing both.
    pub(super) fn across(&self, from: u64, to: u64) -> Vec<ThreadId> {
        let b = self.sets(to);
        let mut out: Vec<ThreadId> = self
            .sets(from)
            .iter()
            .filter(|s| b.contains(s))
            .map(|&(t, _)| ThreadId(t))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// A shortest way round a fair set in which `x` starves, from state `fp` back to it, staying
    /// in the set, in which every thread that steps anywhere in the set steps at least once:
    /// repeated forever, it is a fair schedule (no thread that can move is passed over) that
    /// never lets `x` move. The steps, as threads; empty if `fp` is in no such set.
    pub(super) fn loop_from(&self, fp: u64, x: ThreadId) -> Vec<ThreadId> {
        let Some(&start) = self.index.get(&fp) else {
            return Vec::new();
        };
        let Some(&(_, set)) = self
            .comp
            .get(start as usize)
            .and_then(|c| c.iter().find(|(t, _)| *t == x.0))
        else {
            return Vec::new();
        };
        let in_set = |n: u32| {
            self.comp
                .get(n as usize)
                .is_some_and(|c| c.contains(&(x.0, set)))
        };
        // The threads that step inside the set: all of them must step on the way round.
        let mut all = 0u32;
        for (n, node) in self.nodes.iter().enumerate() {
            if in_set(u32::try_from(n).unwrap_or(NONE)) {
                for &(m, t) in &node.edges {
                    if in_set(m) {
                        all |= 1 << t;
                    }
                }
            }
        }
        // Breadth first over (state, threads stepped so far), inside the set.
        type Key = (u32, u32);
        let mut prev: std::collections::HashMap<Key, (Key, u8)> = std::collections::HashMap::new();
        let mut queue = std::collections::VecDeque::from([(start, 0u32)]);
        while let Some((n, mask)) = queue.pop_front() {
            for &(m, t) in &self.nodes[n as usize].edges {
                if !in_set(m) {
                    continue;
                }
                let next = (m, mask | (1 << t));
                if next == (start, all) {
                    let mut steps = vec![ThreadId(t)];
                    let mut cur = (n, mask);
                    while cur != (start, 0) {
                        let Some(&(p, pt)) = prev.get(&cur) else {
                            return Vec::new();
                        };
                        steps.push(ThreadId(pt));
                        cur = p;
                    }
                    steps.reverse();
                    return steps;
                }
                if next != (start, 0) && !prev.contains_key(&next) {
                    prev.insert(next, ((n, mask), t));
                    queue.push_back(next);
                }
            }
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(blocked: u32, enabled: u32, edges: &[(u32, u8)]) -> Node {
        Node {
            blocked,
            enabled,
            edges: edges.to_vec(),
        }
    }

    #[test]
    fn components_split_a_graph_into_its_cycles() {
        // 0 ⇄ 1 → 2 ⇄ 3, and 4 alone.
        let nodes = vec![
            node(0, 0, &[(1, 0)]),
            node(0, 0, &[(0, 0), (2, 0)]),
            node(0, 0, &[(3, 0)]),
            node(0, 0, &[(2, 0)]),
            node(0, 0, &[]),
        ];
        let mut mark = vec![NONE; nodes.len()];
        let mut sccs: Vec<Vec<u32>> = components(&nodes, &[0, 1, 2, 3, 4], &mut mark)
            .into_iter()
            .map(|mut s| {
                s.sort_unstable();
                s
            })
            .collect();
        sccs.sort();
        assert_eq!(sccs, vec![vec![0, 1], vec![2, 3], vec![4]]);
        assert!(mark.iter().all(|&m| m == NONE));
    }

    #[test]
    fn a_cycle_that_passes_an_enabled_thread_over_is_not_fair() {
        // Thread 2 blocked everywhere. 0 → 1 → 0 by thread 0; thread 1 is enabled in node 1 but
        // never steps inside: unfair, and dropping node 1 leaves no cycle.
        let nodes = vec![node(0b100, 0b001, &[(1, 0)]), node(0b100, 0b011, &[(0, 0)])];
        assert!(fair_sets(&nodes, 0b100).is_empty());
        // With thread 1 stepping too, the cycle is fair and thread 2 starves in it.
        let nodes = vec![node(0b100, 0b001, &[(1, 0)]), node(0b100, 0b011, &[(0, 1)])];
        assert_eq!(fair_sets(&nodes, 0b100).len(), 1);
    }
}
