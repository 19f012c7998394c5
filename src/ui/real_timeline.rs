//! Timelines measured on real threads — the tutorial's "Time →" diagrams from the learner's own
//! run: a row per thread, a solid bar while it held something, a hatched box while it waited,
//! against a ruler in milliseconds of `performance.now()` read in each worker. Drawn from a
//! `lab::Trace`; the spans are also offered as a table, for reading them out.

use std::rc::Rc;

use lab::{LabReport, Phase, Span, Trace};
use yew::prelude::*;

use super::widgets::tclass;

const WIDTH: f64 = 560.0;
const LABEL: f64 = 74.0;
const ROW: f64 = 24.0;
const RULER: f64 = 16.0;
/// Bars narrower than this (in SVG units) are drawn this wide, so a short hold still shows.
const MIN_BAR: f64 = 1.5;

#[derive(Properties)]
pub struct RealTimelineProps {
    /// The run's report, shared with the card (never copied).
    pub report: Rc<LabReport>,
    /// Which of its traces ([`LabReport::traces`]).
    pub index: usize,
    /// Unique on the page: names the hatch pattern and the table.
    pub id: AttrValue,
}

/// The same run and trace: a pointer comparison, not a walk over every span on each render.
impl PartialEq for RealTimelineProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.report, &other.report) && self.index == other.index && self.id == other.id
    }
}

/// One measured timeline, with its table of spans behind a toggle.
#[function_component(RealTimeline)]
pub fn real_timeline(props: &RealTimelineProps) -> Html {
    let table_open = use_state(|| false);
    let traces = props.report.traces();
    let Some(tr) = traces.get(props.index).copied() else {
        return html! {};
    };
    let hatch = format!("{}-hatch", props.id);
    let total = tr.ms.max(f64::MIN_POSITIVE);
    let plot = WIDTH - LABEL - 10.0;
    let x = |ms: f64| LABEL + plot * (ms / total).clamp(0.0, 1.0);
    let height = RULER + tr.threads.len() as f64 * ROW + 4.0;
    let ticks = lab::trace::ruler(tr.ms);
    let toggle = {
        let table_open = table_open.clone();
        Callback::from(move |_| table_open.set(!*table_open))
    };
    let table_id = format!("{}-table", props.id);
    let max_holds = (0..tr.resources.len())
        .map(|r| tr.max_overlap(Phase::Holds, r as u16))
        .max()
        .unwrap_or(0);
    html! {
        <figure class="timeline real-timeline" data-testid="real-timeline" data-threads={tr.threads.len().to_string()}
            data-spans={tr.spans.len().to_string()} data-dropped={tr.dropped.to_string()}
            data-waits={tr.count(Phase::Waits).to_string()} data-holds={tr.count(Phase::Holds).to_string()}
            data-max-holds={max_holds.to_string()} data-ms={format!("{:.1}", tr.ms)} data-cut={tr.cut.to_string()}>
            <figcaption>
                <strong>{format!("Measured timeline: {}", tr.title)}</strong>
                <span class="muted">{format!(" — {}", summary(tr))}</span>
            </figcaption>
            // Focusable: on a phone the drawing scrolls sideways, by keyboard too.
            <div class="timeline-scroll" tabindex="0" role="region" aria-label={format!("Measured timeline: {}", tr.title)}>
                <svg viewBox={format!("0 0 {WIDTH:.0} {height:.0}")} role="img" aria-label={format!("Measured timeline. {}", summary(tr))}>
                    <defs>
                        <pattern id={hatch.clone()} width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                            <line x1="0" y1="0" x2="0" y2="5" class="hatch" />
                        </pattern>
                    </defs>
                    <text class="ruler" x="2" y="10">{"Time →"}</text>
                    { for ticks.into_iter().map(|(ms, label)| html! {
                        <>
                            <line class="tick" x1={fmt(x(ms))} x2={fmt(x(ms))} y1="12" y2={fmt(height - 2.0)} />
                            <text class="ruler" x={fmt(x(ms))} y="10" text-anchor="middle">{label}</text>
                        </>
                    }) }
                    { for tr.threads.iter().enumerate().map(|(row, name)| {
                        let y = RULER + row as f64 * ROW;
                        let spans = tr.spans.iter().filter(|s| usize::from(s.thread) == row);
                        html! {
                            <g class={classes!("tl-row", tclass(sim::ThreadId((row % 256) as u8)))} data-thread={name.clone()}>
                                <text class="tl-label" x="2" y={fmt(y + 15.0)}>{name.clone()}</text>
                                { for spans.map(|s| bar(tr, s, y, &x, &hatch)) }
                            </g>
                        }
                    }) }
                </svg>
            </div>
            <p class="legend muted">
                <svg class="swatch" viewBox="0 0 24 12" aria-hidden="true"><rect class="tl-hold-swatch" x="0" y="2" width="24" height="8" rx="2" /></svg>
                {" holds (the thread's colour) "}
                <svg class="swatch" viewBox="0 0 24 12" aria-hidden="true"><rect class="tl-wait" x="0" y="1" width="24" height="10" style={format!("fill: url(#{hatch})")} /></svg>
                {" waits. "}
                {format!("Read with performance.now() in each worker. Each thread keeps its first {} spans", lab::trace::MAX_SPANS_PER_THREAD)}
                { if tr.cut {
                    format!("; the run went on, but the timeline stops at {:.2} ms, where the first thread stopped recording ({} later records skipped)", tr.ms, tr.dropped)
                } else if tr.dropped > 0 {
                    format!(" ({} later records skipped)", tr.dropped)
                } else {
                    String::new()
                } }
                {format!(". Waits under {:.0} µs (acquires that did not block) are left out.", lab::trace::MIN_WAIT_MS * 1000.0)}
            </p>
            <button type="button" class="span-toggle" aria-expanded={table_open.to_string()} aria-controls={table_id.clone()} onclick={toggle}>
                { if *table_open { "Hide the spans" } else { "Show the spans as a table" } }
            </button>
            if *table_open {
                <div class="span-table-wrap" id={table_id} tabindex="0" role="region" aria-label={format!("Spans of {}", tr.title)}>
                    <table class="span-table" data-testid="real-timeline-table">
                        <caption class="sr-only">{format!("Spans of {}", tr.title)}</caption>
                        <thead><tr><th scope="col">{"Thread"}</th><th scope="col">{"Did"}</th><th scope="col">{"From (ms)"}</th><th scope="col">{"To (ms)"}</th><th scope="col">{"For (ms)"}</th></tr></thead>
                        <tbody>
                            { for sorted(tr).into_iter().map(|s| html! {
                                <tr>
                                    <td>{tr.threads[usize::from(s.thread)].clone()}</td>
                                    <td>{did(tr, s)}</td>
                                    <td class="num">{format!("{:.2}", s.from_ms)}</td>
                                    <td class="num">{format!("{:.2}", s.to_ms)}</td>
                                    <td class="num">{format!("{:.2}", s.ms())}</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            }
        </figure>
    }
}

/// Every timeline a report recorded (none for experiments without holders and waiters).
pub fn real_timelines(slug: &'static str, run: u64, report: &Rc<LabReport>) -> Html {
    html! {
        { for (0..report.traces().len()).map(|i| html! {
            <RealTimeline key={format!("{slug}-{run}-{i}")} report={Rc::clone(report)} index={i} id={format!("rt-{slug}-{i}")} />
        }) }
    }
}

fn bar(tr: &Trace, s: &Span, y: f64, x: &dyn Fn(f64) -> f64, hatch: &str) -> Html {
    let x0 = x(s.from_ms);
    let w = (x(s.to_ms) - x0).max(MIN_BAR);
    let what = &tr.resources[usize::from(s.resource)];
    let title = format!("{} {} ({:.2}–{:.2} ms, {:.2} ms)", tr.threads[usize::from(s.thread)], did(tr, s), s.from_ms, s.to_ms, s.ms());
    match s.phase {
        Phase::Holds => html! {
            <>
                <rect class="tl-hold" x={fmt(x0)} y={fmt(y + 3.0)} width={fmt(w)} height="9" rx="2"><title>{title}</title></rect>
                if w > 8.0 * what.len() as f64 {
                    <text class="tl-what" x={fmt(x0 + 3.0)} y={fmt(y + 10.5)}>{what.clone()}</text>
                }
            </>
        },
        Phase::Waits => html! {
            <rect class="tl-wait" x={fmt(x0)} y={fmt(y + 13.0)} width={fmt(w)} height="8" style={format!("fill: url(#{hatch})")}><title>{title}</title></rect>
        },
    }
}

/// "held a permit" / "waited for lock_b".
fn did(tr: &Trace, s: &Span) -> String {
    let what = &tr.resources[usize::from(s.resource)];
    match s.phase {
        Phase::Holds => format!("held {what}"),
        Phase::Waits => format!("waited for {what}"),
    }
}

/// The trace in one sentence: threads, length, holds, waits, the longest wait.
fn summary(tr: &Trace) -> String {
    let (holds, waits) = (tr.count(Phase::Holds), tr.count(Phase::Waits));
    let mut s = format!(
        "{} threads over {:.1} ms: {holds} hold{}, {waits} wait{}",
        tr.threads.len(),
        tr.ms,
        if holds == 1 { "" } else { "s" },
        if waits == 1 { "" } else { "s" }
    );
    if let Some(w) = tr.longest(Phase::Waits) {
        s.push_str(&format!(
            "; the longest wait: {} for {}, {:.1} ms",
            tr.threads[usize::from(w.thread)],
            tr.resources[usize::from(w.resource)],
            w.ms()
        ));
    }
    s.push('.');
    s
}

/// Spans in order of time, for the table.
fn sorted(tr: &Trace) -> Vec<&Span> {
    let mut v: Vec<&Span> = tr.spans.iter().collect();
    v.sort_by(|a, b| a.from_ms.total_cmp(&b.from_ms).then(a.thread.cmp(&b.thread)));
    v
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}
