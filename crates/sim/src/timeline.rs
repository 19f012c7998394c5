//! [`Timeline`]: a window of a [`Run`] as rows of cells, one row per thread and one cell per
//! step, with bars for what each thread held and waited for. Pure view data, computed from the
//! run's own states; nothing here names a lesson.

use crate::graph::{wait_node, Node};
use crate::machine::Machine;
use crate::run::Run;
use crate::value::ThreadId;

/// Steps `first..` of a run, one row per thread (`T1` first).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    /// The 1-based step of every row's first cell.
    pub first: usize,
    /// One row per thread.
    pub rows: Vec<TimelineRow>,
}

/// One thread's line of a [`Timeline`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineRow {
    /// The thread.
    pub thread: ThreadId,
    /// One cell per step of the window, in order.
    pub cells: Vec<Cell>,
    /// Bars: maximal runs of steps (inside the window) where the thread held, or waited for,
    /// one resource. Ordered by first step; holds and waits may overlap.
    pub spans: Vec<Span>,
}

/// One thread at one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The 1-based step.
    pub step: usize,
    /// The step was this thread's.
    pub ran: bool,
    /// The thread holds a lock or a semaphore permit after the step, or it ran the step while
    /// holding one before it: so both the acquiring and the releasing step are inside the bar.
    pub holds: bool,
    /// After the step the thread is blocked on something other than the GIL.
    pub waiting: bool,
    /// After the step the thread has finished.
    pub finished: bool,
}

/// Whether a [`Span`] is a hold or a wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpanKind {
    /// The thread held the resource (a lock, or permits of a semaphore).
    Holds,
    /// The thread waited for the resource (a lock, a semaphore, a condition, a queue, or the
    /// thread it joins).
    Waits,
}

/// A bar of a [`TimelineRow`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// Hold or wait.
    pub kind: SpanKind,
    /// Its first step (1-based, inclusive).
    pub first: usize,
    /// Its last step (inclusive).
    pub last: usize,
    /// The resource by its Python name (`lock1`, `pool`…), or `T2` for a thread joined.
    pub resource: String,
}

/// A span while it is being built: the node, so that equal names of different kinds of objects
/// stay apart.
struct Open {
    kind: SpanKind,
    node: Node,
    first: usize,
    last: usize,
}

impl Run {
    /// Steps `first..=last` (1-based) of the run, clamped to the steps taken; an empty window
    /// gives rows without cells. Costs O(steps × threads × objects) on states the run already
    /// keeps, cheap enough for every render of a window of a few hundred steps.
    pub fn timeline(&self, first: usize, last: usize) -> Timeline {
        let first = first.max(1);
        let last = last.min(self.len());
        let threads: Vec<ThreadId> = self.initial().thread_ids().collect();
        let mut rows: Vec<TimelineRow> = threads
            .iter()
            .map(|&thread| TimelineRow {
                thread,
                cells: Vec::new(),
                spans: Vec::new(),
            })
            .collect();
        let mut open: Vec<Vec<Open>> = threads.iter().map(|_| Vec::new()).collect();
        let events = self.events();
        for step in first..=last {
            let (Some(before), Some(after), Some(event)) = (
                self.state_at(step - 1),
                self.state_at(step),
                events.get(step - 1),
            ) else {
                break;
            };
            for ((row, spans), &t) in rows.iter_mut().zip(open.iter_mut()).zip(&threads) {
                let ran = event.thread == t;
                let held = holds_at(before, after, t, ran);
                let wait = after.wait_of(t.index()).and_then(wait_node);
                row.cells.push(Cell {
                    step,
                    ran,
                    holds: !held.is_empty(),
                    waiting: wait.is_some(),
                    finished: after.is_finished(t.index()),
                });
                for node in held {
                    extend(spans, SpanKind::Holds, node, step);
                }
                if let Some(node) = wait {
                    extend(spans, SpanKind::Waits, node, step);
                }
            }
        }
        let m = self.machine();
        for (row, spans) in rows.iter_mut().zip(open) {
            row.spans = spans
                .into_iter()
                .map(|o| Span {
                    kind: o.kind,
                    first: o.first,
                    last: o.last,
                    resource: m.node_label(o.node),
                })
                .collect();
        }
        Timeline { first, rows }
    }
}

/// What `t` counts as holding at a step: what it holds after it, plus, if it ran the step, what
/// it held before (the releasing step stays inside the bar).
fn holds_at(before: &Machine, after: &Machine, t: ThreadId, ran: bool) -> Vec<Node> {
    let mut held = after.held_by(t);
    if ran {
        for n in before.held_by(t) {
            if !held.contains(&n) {
                held.push(n);
            }
        }
    }
    held
}

/// Continue the span of `node` that ended at the previous step, or open a new one.
fn extend(spans: &mut Vec<Open>, kind: SpanKind, node: Node, step: usize) {
    let prev = spans
        .iter_mut()
        .rev()
        .find(|o| o.kind == kind && o.node == node && o.last + 1 == step);
    match prev {
        Some(o) => o.last = step,
        None => spans.push(Open {
            kind,
            node,
            first: step,
            last: step,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn run(b: ScenarioBuilder, picks: &[u8]) -> Run {
        let mut run = Run::new(b.build_arc().unwrap()).unwrap();
        for &p in picks {
            run.step(ThreadId(p)).unwrap();
        }
        run
    }

    fn locked() -> ScenarioBuilder {
        ScenarioBuilder::new("locked")
            .var("x", 0)
            .lock("lock", LockKind::Lock)
            .thread("T1", |t| {
                t.op("acquire", acquire("lock"))
                    .op("x = 1", tally("x", 1))
                    .op("release", release("lock"));
            })
            .thread("T2", |t| {
                t.op("acquire", acquire("lock"))
                    .op("x = 2", tally("x", 1))
                    .op("release", release("lock"));
            })
    }

    #[test]
    fn hold_bars_include_the_acquiring_and_releasing_steps() {
        // T1 acquires (1), T1 works (2), T1 releases (3), T2 acquires (4), works (5), releases (6).
        let r = run(locked(), &[0, 0, 0, 1, 1, 1]);
        let tl = r.timeline(1, 6);
        assert_eq!(tl.first, 1);
        let t1 = &tl.rows[0];
        let holds: Vec<bool> = t1.cells.iter().map(|c| c.holds).collect();
        assert_eq!(holds, [true, true, true, false, false, false]);
        assert_eq!(
            t1.spans,
            vec![Span {
                kind: SpanKind::Holds,
                first: 1,
                last: 3,
                resource: "lock".into()
            }]
        );
        let ran: Vec<bool> = t1.cells.iter().map(|c| c.ran).collect();
        assert_eq!(ran, [true, true, true, false, false, false]);
        assert!(t1.cells[2].finished);
        assert!(!t1.cells[1].finished);
        let t2 = &tl.rows[1];
        assert_eq!(
            t2.spans,
            vec![
                Span {
                    kind: SpanKind::Waits,
                    first: 1,
                    last: 2,
                    resource: "lock".into()
                },
                Span {
                    kind: SpanKind::Holds,
                    first: 4,
                    last: 6,
                    resource: "lock".into()
                }
            ]
        );
        let waiting: Vec<bool> = t2.cells.iter().map(|c| c.waiting).collect();
        assert_eq!(waiting, [true, true, false, false, false, false]);
    }

    #[test]
    fn windows_are_clamped_and_spans_cut_at_their_edges() {
        let r = run(locked(), &[0, 0, 0, 1, 1, 1]);
        let tl = r.timeline(2, 100);
        assert_eq!(tl.first, 2);
        assert_eq!(tl.rows[0].cells.len(), 5);
        assert_eq!(tl.rows[0].cells[0].step, 2);
        assert_eq!(tl.rows[0].spans[0].first, 2);
        let tl = r.timeline(0, 0);
        assert_eq!(tl.rows.len(), 2);
        assert!(tl
            .rows
            .iter()
            .all(|r| r.cells.is_empty() && r.spans.is_empty()));
        let tl = r.timeline(50, 40);
        assert!(tl.rows.iter().all(|r| r.cells.is_empty()));
        let tl = r.timeline(usize::MAX, usize::MAX);
        assert!(tl.rows.iter().all(|r| r.cells.is_empty()));
    }

    #[test]
    fn semaphore_permits_are_held_by_the_threads_that_took_them() {
        let b = ScenarioBuilder::new("pool")
            .semaphore("pool", 1)
            .thread("T1", |t| {
                t.op("acquire", sem_acquire("pool"))
                    .op("work", nop())
                    .op("release", sem_release("pool"));
            })
            .thread("T2", |t| {
                t.op("acquire", sem_acquire("pool"))
                    .op("release", sem_release("pool"));
            });
        let r = run(b, &[0, 0, 0, 1, 1]);
        let tl = r.timeline(1, 5);
        assert_eq!(
            tl.rows[0].spans,
            vec![Span {
                kind: SpanKind::Holds,
                first: 1,
                last: 3,
                resource: "pool".into()
            }]
        );
        assert_eq!(
            tl.rows[1].spans,
            vec![
                Span {
                    kind: SpanKind::Waits,
                    first: 1,
                    last: 2,
                    resource: "pool".into()
                },
                Span {
                    kind: SpanKind::Holds,
                    first: 4,
                    last: 5,
                    resource: "pool".into()
                }
            ]
        );
    }

    #[test]
    fn gil_waits_are_not_waiting() {
        let b = ScenarioBuilder::new("gil")
            .gil(true)
            .thread("T1", |t| {
                t.op("a", nop()).op("b", nop());
            })
            .thread("T2", |t| {
                t.op("a", nop());
            });
        let r = run(b, &[0, 0, 1]);
        let tl = r.timeline(1, 3);
        assert!(tl.rows[1].cells.iter().all(|c| !c.waiting));
        assert!(tl.rows[1].spans.is_empty());
    }
}
