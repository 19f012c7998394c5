//! The wait-for graph of a machine state ([`WaitForGraph`]): which thread holds which lock or
//! permit, which thread waits for what, and the cycle that makes a deadlock. Pure view data for
//! the UI to draw; nothing here names a lesson.

use crate::machine::{Machine, WaitKind};
use crate::value::{CondId, LockId, QueueId, SemId, ThreadId};

/// A node of the wait-for graph: a thread or a shared object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// A thread.
    Thread(ThreadId),
    /// A `Lock` or `RLock`.
    Lock(LockId),
    /// A `Semaphore` or `BoundedSemaphore`.
    Sem(SemId),
    /// A `Condition` (a node only while a thread waits for a notify on it).
    Cond(CondId),
    /// A `queue.Queue` (a node only while a thread waits on it).
    Queue(QueueId),
}

/// What an [`Edge`] means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// From a resource to the thread that holds it (a lock's owner, a permit's holder).
    Holds,
    /// From a thread to what it waits for: a resource, or a thread it joins.
    WaitsFor,
}

/// One edge of a [`WaitForGraph`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Edge {
    /// Where the arrow starts.
    pub from: Node,
    /// Where it points.
    pub to: Node,
    /// Holds (resource → thread) or waits for (thread → resource or thread).
    pub kind: EdgeKind,
}

/// Who holds what and who waits for what in one machine state, with the cycle if there is one.
///
/// # The cycle
///
/// `cycle` lists the nodes of a directed cycle, in order, starting at its lowest thread:
/// `[Thread(T1), Lock(lock2), Thread(T2), Lock(lock1)]` reads "T1 waits for `lock2`, held by
/// T2, which waits for `lock1`, held by T1". A `Lock` re-acquired by its holder is a one-thread
/// cycle, `[Thread(T1), Lock(lock)]`; two threads joining each other give
/// `[Thread(T1), Thread(T2)]`. It is empty when there is no cycle, and it appears as soon as the
/// waits close: a thread whose next op is an acquire it cannot take already counts as waiting.
///
/// A lock closes a cycle through its owner. A semaphore has no single owner, so it closes a
/// cycle only if **every** thread holding one of its permits is on the cycle: then nobody who
/// could give a permit back is free to do so. (A semaphore may appear more than once, between
/// different threads, e.g. two threads each holding one of two permits and each asking for
/// another: `[Thread(T1), Sem(pool), Thread(T2), Sem(pool)]`.) Permit holders are known only in
/// machines that keep display bookkeeping (those of a [`Run`](crate::Run)); in explorer states
/// semaphores hold nothing and close no cycle. Conditions and queues have no holder and close no
/// cycle either, and waits for the GIL are not drawn.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WaitForGraph {
    /// Every thread, lock and semaphore; conditions and queues while someone waits on them.
    pub nodes: Vec<Node>,
    /// Holds edges first (locks, then semaphores), then each thread's wait, `T1` first.
    pub edges: Vec<Edge>,
    /// A wait-for cycle (see above), or empty.
    pub cycle: Vec<Node>,
}

impl WaitForGraph {
    /// Whether `n` is on the cycle.
    pub fn is_on_cycle(&self, n: Node) -> bool {
        self.cycle.contains(&n)
    }

    /// Whether `e` joins two consecutive nodes of the cycle, in the cycle's direction (for a
    /// holds edge: resource → thread; for a wait: thread → what it waits for).
    pub fn is_cycle_edge(&self, e: &Edge) -> bool {
        let n = self.cycle.len();
        (0..n).any(|i| self.cycle[i] == e.from && self.cycle[(i + 1) % n] == e.to)
    }
}

/// How many visits the cycle search may make before it gives up (it never comes close with
/// lesson-sized scenarios; the bound keeps a pathological state from stalling a render).
const SEARCH_BUDGET: usize = 50_000;

/// The node a wait points to (`None` for the GIL, which the graph does not draw).
pub(crate) fn wait_node(w: WaitKind) -> Option<Node> {
    match w {
        WaitKind::Lock(l) | WaitKind::CondLock(_, l) => Some(Node::Lock(l)),
        WaitKind::Sem(s) => Some(Node::Sem(s)),
        WaitKind::Notify(c) => Some(Node::Cond(c)),
        WaitKind::QueueFull(q) | WaitKind::QueueEmpty(q) | WaitKind::QueueJoin(q) => {
            Some(Node::Queue(q))
        }
        WaitKind::ThreadJoin(t) => Some(Node::Thread(t)),
        WaitKind::Gil => None,
    }
}

impl Machine {
    /// The wait-for graph of this state: see [`WaitForGraph`] for what it contains and when a
    /// cycle counts.
    pub fn wait_for_graph(&self) -> WaitForGraph {
        let mut nodes: Vec<Node> = self.thread_ids().map(Node::Thread).collect();
        nodes.extend(self.lock_ids().map(Node::Lock));
        nodes.extend(self.sem_ids().map(Node::Sem));
        let mut edges = Vec::new();
        for l in self.lock_ids() {
            for t in self.holders(Node::Lock(l)) {
                edges.push(Edge {
                    from: Node::Lock(l),
                    to: Node::Thread(t),
                    kind: EdgeKind::Holds,
                });
            }
        }
        for s in self.sem_ids() {
            for t in self.holders(Node::Sem(s)) {
                edges.push(Edge {
                    from: Node::Sem(s),
                    to: Node::Thread(t),
                    kind: EdgeKind::Holds,
                });
            }
        }
        let mut waited = Vec::new();
        for t in self.thread_ids() {
            let Some(to) = self.wait_of(t.index()).and_then(wait_node) else {
                continue;
            };
            if matches!(to, Node::Cond(_) | Node::Queue(_)) && !waited.contains(&to) {
                waited.push(to);
            }
            edges.push(Edge {
                from: Node::Thread(t),
                to,
                kind: EdgeKind::WaitsFor,
            });
        }
        waited.sort();
        nodes.extend(waited);
        WaitForGraph {
            nodes,
            edges,
            cycle: self.find_cycle(),
        }
    }

    /// What the UI calls a node: `"T1"` for a thread, the Python name of an object (`lock1`,
    /// `pool`…); `"?"` for an id this scenario does not have.
    pub fn node_label(&self, n: Node) -> String {
        let s = &self.scn;
        match n {
            Node::Thread(t) if t.index() < self.threads.len() => t.to_string(),
            Node::Thread(_) => "?".to_string(),
            Node::Lock(l) => s.lock_name(l).to_string(),
            Node::Sem(x) => s.sem_name(x).to_string(),
            Node::Cond(c) => s.cond_name(c).to_string(),
            Node::Queue(q) => s.queue_name(q).to_string(),
        }
    }

    fn lock_ids(&self) -> impl Iterator<Item = LockId> {
        (0..self.locks.len()).filter_map(|i| u16::try_from(i).ok().map(LockId))
    }

    fn sem_ids(&self) -> impl Iterator<Item = SemId> {
        (0..self.sems.len()).filter_map(|i| u16::try_from(i).ok().map(SemId))
    }

    /// How much of `n` thread `t` holds: a lock's count if `t` owns it, a semaphore's permits
    /// (known only with display bookkeeping); 0 otherwise.
    pub(crate) fn hold_level(&self, t: ThreadId, n: Node) -> u32 {
        match n {
            Node::Lock(l) => self
                .locks
                .get(l.index())
                .filter(|st| st.owner == Some(t))
                .map_or(0, |st| st.count),
            Node::Sem(s) => {
                let Some(aux) = &self.aux else {
                    return 0;
                };
                aux.sem_held
                    .get(t.index() * self.sems.len() + s.index())
                    .copied()
                    .unwrap_or(0)
            }
            Node::Thread(_) | Node::Cond(_) | Node::Queue(_) => 0,
        }
    }

    /// The threads holding a lock or semaphore permits, lowest first.
    pub(crate) fn holders(&self, n: Node) -> Vec<ThreadId> {
        match n {
            Node::Lock(l) => self
                .locks
                .get(l.index())
                .filter(|st| st.count > 0)
                .and_then(|st| st.owner)
                .into_iter()
                .collect(),
            Node::Sem(s) => self.sem_holders(s).into_iter().map(|(t, _)| t).collect(),
            Node::Thread(_) | Node::Cond(_) | Node::Queue(_) => Vec::new(),
        }
    }

    /// The locks and semaphores `t` holds, locks first.
    pub(crate) fn held_by(&self, t: ThreadId) -> Vec<Node> {
        self.lock_ids()
            .map(Node::Lock)
            .chain(self.sem_ids().map(Node::Sem))
            .filter(|n| self.hold_level(t, *n) > 0)
            .collect()
    }

    /// The threads `t` waits on, each with the resource in between (`None` for a join).
    fn wait_successors(&self, t: ThreadId) -> Vec<(Option<Node>, ThreadId)> {
        match self.wait_of(t.index()).and_then(wait_node) {
            Some(r @ (Node::Lock(_) | Node::Sem(_))) => {
                self.holders(r).into_iter().map(|h| (Some(r), h)).collect()
            }
            Some(Node::Thread(u)) => vec![(None, u)],
            _ => Vec::new(),
        }
    }

    /// The cycle of [`WaitForGraph::cycle`]: a depth-first search from each thread in turn,
    /// through threads above it only, so the first cycle found starts at its lowest thread.
    fn find_cycle(&self) -> Vec<Node> {
        let succ: Vec<Vec<(Option<Node>, ThreadId)>> =
            self.thread_ids().map(|t| self.wait_successors(t)).collect();
        let mut budget = SEARCH_BUDGET;
        for start in self.thread_ids() {
            let mut path = Vec::new();
            if self.search(&succ, start, start, &mut path, &mut budget) {
                return path
                    .iter()
                    .flat_map(|(t, via): &(ThreadId, Option<Node>)| {
                        std::iter::once(Node::Thread(*t)).chain(*via)
                    })
                    .collect();
            }
            if budget == 0 {
                break;
            }
        }
        Vec::new()
    }

    /// Extend `path` (threads, each with the resource leading to the next) from `cur` back to
    /// `start`; true once it closes into a cycle that satisfies the semaphore rule.
    fn search(
        &self,
        succ: &[Vec<(Option<Node>, ThreadId)>],
        start: ThreadId,
        cur: ThreadId,
        path: &mut Vec<(ThreadId, Option<Node>)>,
        budget: &mut usize,
    ) -> bool {
        let Some(next) = succ.get(cur.index()) else {
            return false;
        };
        for &(via, to) in next {
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            path.push((cur, via));
            if to == start {
                if self.sems_closed(path) {
                    return true;
                }
            } else if to > start
                && !path.iter().any(|(t, _)| *t == to)
                && self.search(succ, start, to, path, budget)
            {
                return true;
            }
            path.pop();
        }
        false
    }

    /// Whether every holder of every semaphore on the path is one of the path's threads.
    fn sems_closed(&self, path: &[(ThreadId, Option<Node>)]) -> bool {
        path.iter().all(|(_, via)| match via {
            Some(s @ Node::Sem(_)) => self
                .holders(*s)
                .iter()
                .all(|h| path.iter().any(|(t, _)| t == h)),
            _ => true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;
    use crate::Run;

    const T1: ThreadId = ThreadId(0);
    const T2: ThreadId = ThreadId(1);
    const T3: ThreadId = ThreadId(2);

    fn run(b: ScenarioBuilder, picks: &[u8]) -> Run {
        let mut run = Run::new(b.build_arc().unwrap()).unwrap();
        for &p in picks {
            run.step(ThreadId(p)).unwrap();
        }
        run
    }

    fn two_locks() -> ScenarioBuilder {
        ScenarioBuilder::new("two locks")
            .lock("lock1", LockKind::Lock)
            .lock("lock2", LockKind::Lock)
            .thread("T1", |t| {
                t.op("lock1.acquire()", acquire("lock1"))
                    .op("lock2.acquire()", acquire("lock2"))
                    .op("lock2.release()", release("lock2"))
                    .op("lock1.release()", release("lock1"));
            })
            .thread("T2", |t| {
                t.op("lock2.acquire()", acquire("lock2"))
                    .op("lock1.acquire()", acquire("lock1"))
                    .op("lock1.release()", release("lock1"))
                    .op("lock2.release()", release("lock2"));
            })
    }

    #[test]
    fn opposite_lock_order_closes_a_cycle_as_soon_as_both_hold_one() {
        let r = run(two_locks(), &[0]);
        let g = r.machine().wait_for_graph();
        assert!(g.cycle.is_empty());
        assert_eq!(
            g.edges,
            vec![Edge {
                from: Node::Lock(LockId(0)),
                to: Node::Thread(T1),
                kind: EdgeKind::Holds
            }]
        );
        // T2 takes lock2: now T1's next op asks for lock2 and T2's for lock1.
        let r = run(two_locks(), &[0, 1]);
        let m = r.machine();
        assert!(m.is_over());
        let g = m.wait_for_graph();
        assert_eq!(
            g.cycle,
            vec![
                Node::Thread(T1),
                Node::Lock(LockId(1)),
                Node::Thread(T2),
                Node::Lock(LockId(0))
            ]
        );
        assert_eq!(
            g.nodes,
            vec![
                Node::Thread(T1),
                Node::Thread(T2),
                Node::Lock(LockId(0)),
                Node::Lock(LockId(1))
            ]
        );
        let waits: Vec<&Edge> = g
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::WaitsFor)
            .collect();
        assert_eq!(waits.len(), 2);
        assert!(g.edges.iter().all(|e| g.is_cycle_edge(e)));
        assert!(g.is_on_cycle(Node::Lock(LockId(1))));
        let labels: Vec<String> = g.cycle.iter().map(|n| m.node_label(*n)).collect();
        assert_eq!(labels, ["T1", "lock2", "T2", "lock1"]);
    }

    #[test]
    fn a_lock_reacquired_by_its_holder_is_a_self_loop() {
        let b = ScenarioBuilder::new("again")
            .lock("lock", LockKind::Lock)
            .thread("T1", |t| {
                t.op("acquire", acquire("lock"))
                    .op("acquire", acquire("lock"));
            });
        let g = run(b, &[0]).machine().wait_for_graph();
        assert_eq!(g.cycle, vec![Node::Thread(T1), Node::Lock(LockId(0))]);
        assert!(g.is_cycle_edge(&Edge {
            from: Node::Lock(LockId(0)),
            to: Node::Thread(T1),
            kind: EdgeKind::Holds
        }));
    }

    #[test]
    fn a_semaphore_closes_a_cycle_only_with_all_its_holders_on_it() {
        let greedy = |t: &mut ThreadBuilder| {
            t.op("pool.acquire()", sem_acquire("pool"))
                .op("pool.acquire()", sem_acquire("pool"));
        };
        let b = || {
            ScenarioBuilder::new("pool")
                .semaphore("pool", 2)
                .thread("T1", greedy)
                .thread("T2", greedy)
        };
        // Each holds one of the two permits and asks for another: both holders are on it.
        let r = run(b(), &[0, 1]);
        assert!(r.machine().is_over());
        let g = r.machine().wait_for_graph();
        let pool = Node::Sem(SemId(0));
        assert_eq!(
            g.cycle,
            vec![Node::Thread(T1), pool, Node::Thread(T2), pool]
        );
        // A third holder who is free to release keeps the same waits from being a cycle.
        let b3 = ScenarioBuilder::new("pool")
            .semaphore("pool", 3)
            .thread("T1", greedy)
            .thread("T2", greedy)
            .thread("T3", |t| {
                t.op("pool.acquire()", sem_acquire("pool"))
                    .op("work", nop())
                    .op("pool.release()", sem_release("pool"));
            });
        let r = run(b3, &[0, 1, 2]);
        let g = r.machine().wait_for_graph();
        assert!(g.cycle.is_empty(), "{:?}", g.cycle);
        assert_eq!(
            g.edges.iter().filter(|e| e.kind == EdgeKind::Holds).count(),
            3
        );
        // Explorer states know no permit holders: no holds edges, no cycle.
        let m = run(b(), &[0, 1]).machine().clone().for_exploring();
        let g = m.wait_for_graph();
        assert!(g.cycle.is_empty());
        assert!(g.edges.iter().all(|e| e.kind == EdgeKind::WaitsFor));
    }

    #[test]
    fn conditions_and_queues_are_nodes_only_while_waited_on_and_joins_link_threads() {
        let b = ScenarioBuilder::new("mixed")
            .lock("l", LockKind::Lock)
            .condition("cv", "l")
            .queue("q", 0)
            .thread("T1", |t| {
                t.op("l.acquire()", acquire("l"))
                    .op("cv.wait()", wait("cv"));
            })
            .thread("T2", |t| {
                t.op("q.get()", get("q", "item"));
            })
            .thread("T3", |t| {
                t.op("t1.join()", join_thread("T1"));
            });
        let r = run(b, &[0, 0]);
        let g = r.machine().wait_for_graph();
        assert!(g.nodes.contains(&Node::Cond(CondId(0))));
        assert!(g.nodes.contains(&Node::Queue(QueueId(0))));
        assert!(g.edges.contains(&Edge {
            from: Node::Thread(T3),
            to: Node::Thread(T1),
            kind: EdgeKind::WaitsFor
        }));
        assert!(g.cycle.is_empty());
        assert_eq!(r.machine().node_label(Node::Queue(QueueId(0))), "q");
        assert_eq!(r.machine().node_label(Node::Lock(LockId(9))), "?");
        assert_eq!(r.machine().node_label(Node::Thread(ThreadId(9))), "?");
        // Before anyone waits, neither is a node.
        let g = r.initial().wait_for_graph();
        assert!(!g.nodes.contains(&Node::Cond(CondId(0))));
        assert_eq!(
            g.nodes
                .iter()
                .filter(|n| matches!(n, Node::Queue(_)))
                .count(),
            1,
            "T2 waits on the empty queue from the start"
        );
    }

    #[test]
    fn threads_joining_each_other_form_a_cycle() {
        let b = ScenarioBuilder::new("joins")
            .thread("T1", |t| {
                t.op("t2.join()", join_thread("T2"));
            })
            .thread("T2", |t| {
                t.op("t1.join()", join_thread("T1"));
            });
        let r = run(b, &[]);
        assert_eq!(
            r.machine().wait_for_graph().cycle,
            vec![Node::Thread(T1), Node::Thread(T2)]
        );
    }
}
