//! The live wait-for graph: threads on top, locks and semaphores below; an arrow from a lock
//! to the thread holding it, a dashed arrow from a thread to what it waits for. A cycle — a
//! deadlock — is drawn in the "bad" colour the moment it closes. Drawn as SVG from
//! `Machine::wait_for_graph`, with the same facts in words for screen readers.

use sim::{EdgeKind, Machine, Node};
use yew::prelude::*;

use super::widgets::tclass;

const W_NODE: f64 = 84.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 150.0;

/// The graph card.
pub fn wait_for_graph(m: &Machine) -> Html {
    let g = m.wait_for_graph();
    let threads: Vec<Node> = g.nodes.iter().copied().filter(|n| matches!(n, Node::Thread(_))).collect();
    let resources: Vec<Node> = g.nodes.iter().copied().filter(|n| !matches!(n, Node::Thread(_))).collect();
    let cols = threads.len().max(resources.len()).max(2) as f64;
    let width = cols * W_NODE;
    let x_of = |row: &[Node], n: Node| -> f64 {
        let i = row.iter().position(|x| *x == n).unwrap_or(0) as f64;
        let span = width / row.len().max(1) as f64;
        span * (i + 0.5)
    };
    let pos = |n: Node| -> (f64, f64) {
        match n {
            Node::Thread(_) => (x_of(&threads, n), TOP),
            _ => (x_of(&resources, n), BOTTOM),
        }
    };
    let cycle_text = g.cycle.iter().map(|n| m.node_label(*n)).collect::<Vec<_>>().join(",");
    let mut words: Vec<String> = g
        .edges
        .iter()
        .map(|e| match e.kind {
            EdgeKind::Holds => format!("{} is held by {}.", m.node_label(e.from), m.node_label(e.to)),
            EdgeKind::WaitsFor => format!("{} waits for {}.", m.node_label(e.from), m.node_label(e.to)),
        })
        .collect();
    if !g.cycle.is_empty() {
        let mut c: Vec<String> = g.cycle.iter().map(|n| m.node_label(*n)).collect();
        c.push(m.node_label(g.cycle[0]));
        words.push(format!("Cycle: {} — a deadlock.", c.join(" → ")));
    }
    let summary = if words.is_empty() { "Nobody holds or waits for anything.".to_string() } else { words.join(" ") };
    html! {
        <section class="card graph-card" aria-labelledby="graph-heading">
            <h2 id="graph-heading" class="card-title">{"Wait-for graph"}</h2>
            <figure class="wfg" data-testid="wait-for-graph" data-cycle={cycle_text.clone()}>
                <svg viewBox={format!("0 0 {width} 185")} role="img" aria-label={summary.clone()} preserveAspectRatio="xMidYMid meet">
                    <defs>
                        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                            <path d="M0,0 L10,5 L0,10 z" class="arrowhead" />
                        </marker>
                        <marker id="arrow-cycle" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                            <path d="M0,0 L10,5 L0,10 z" class="arrowhead cycle" />
                        </marker>
                    </defs>
                    { for g.edges.iter().map(|e| {
                        let (x1, y1) = pos(e.from);
                        let (x2, y2) = pos(e.to);
                        let on_cycle = g.is_cycle_edge(e);
                        // Holds bend one way and waits the other, so a thread that holds and
                        // waits for the same lock shows two arrows.
                        let bend = match e.kind { EdgeKind::Holds => -22.0, EdgeKind::WaitsFor => 22.0 };
                        let (mx, my) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
                        let (cx, cy) = if (y1 - y2).abs() < 1.0 { (mx, my - 60.0) } else { (mx + bend, my) };
                        // Stop short of the node so the arrowhead shows.
                        let (dx, dy) = (x2 - cx, y2 - cy);
                        let len = (dx * dx + dy * dy).sqrt().max(1.0);
                        let (ex, ey) = (x2 - dx / len * 20.0, y2 - dy / len * 20.0);
                        let (dx0, dy0) = (cx - x1, cy - y1);
                        let len0 = (dx0 * dx0 + dy0 * dy0).sqrt().max(1.0);
                        let (sx, sy) = (x1 + dx0 / len0 * 18.0, y1 + dy0 / len0 * 18.0);
                        html! {
                            <path d={format!("M{sx:.1},{sy:.1} Q{cx:.1},{cy:.1} {ex:.1},{ey:.1}")}
                                class={classes!("edge", if e.kind == EdgeKind::Holds { "holds" } else { "waits" }, on_cycle.then_some("cycle"))}
                                marker-end={if on_cycle { "url(#arrow-cycle)" } else { "url(#arrow)" }} />
                        }
                    }) }
                    { for g.nodes.iter().map(|n| {
                        let (x, y) = pos(*n);
                        let label = m.node_label(*n);
                        let on_cycle = g.is_on_cycle(*n);
                        match n {
                            Node::Thread(t) => {
                                let done = matches!(m.status(*t), Some(sim::ThreadStatus::Finished));
                                html! {
                                    <g class={classes!("node", "thread", tclass(*t), on_cycle.then_some("cycle"), done.then_some("done"))}>
                                        <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="17" />
                                        <text x={format!("{x:.1}")} y={format!("{:.1}", y + 4.0)} text-anchor="middle">{label}</text>
                                    </g>
                                }
                            }
                            _ => html! {
                                <g class={classes!("node", "resource", on_cycle.then_some("cycle"))}>
                                    <rect x={format!("{:.1}", x - 38.0)} y={format!("{:.1}", y - 15.0)} width="76" height="30" rx="7" />
                                    <text x={format!("{x:.1}")} y={format!("{:.1}", y + 4.0)} text-anchor="middle">{shorten(&label)}</text>
                                </g>
                            },
                        }
                    }) }
                </svg>
                <figcaption class={classes!("muted", (!g.cycle.is_empty()).then_some("bad-text"))}>
                    if g.cycle.is_empty() {
                        {"Solid arrow: a lock (or permit) → the thread holding it. Dashed: a thread → what it waits for. A loop of arrows would be a deadlock."}
                    } else {
                        {format!("A cycle: {} → {}. Every thread on it waits for another one on it: a deadlock.", g.cycle.iter().map(|n| m.node_label(*n)).collect::<Vec<_>>().join(" → "), m.node_label(g.cycle[0]))}
                    }
                </figcaption>
                <p class="sr-only">{summary}</p>
            </figure>
        </section>
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= 11 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(10).collect::<String>())
    }
}
