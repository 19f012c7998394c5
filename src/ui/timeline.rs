//! The live timeline — the tutorial's "Time →" diagrams, drawn from this run: a row per thread,
//! a cell per step it ran (in its colour, labelled), a bar under the steps where it held a lock
//! or a permit, hatching where it was blocked. Clicking a cell rewinds to that step. Drawn as
//! SVG from `Run::timeline`; no animation, so `prefers-reduced-motion` has nothing to stop.

use sim::{Run, SpanKind, ThreadId};
use yew::prelude::*;

use super::widgets::tclass;

/// Steps shown at once (the latest ones).
const WINDOW: usize = 80;
const CELL: f64 = 14.0;
const ROW: f64 = 22.0;
const LABEL: f64 = 38.0;
const RULER: f64 = 14.0;

/// The timeline card.
pub fn timeline(run: &Run, on_rewind: &Callback<usize>) -> Html {
    let steps = run.len();
    let first = steps.saturating_sub(WINDOW - 1).max(1);
    let tl = run.timeline(first, steps.max(1));
    let shown = if steps == 0 { 0 } else { steps - first + 1 };
    let width = LABEL + (shown.max(20) as f64) * CELL + 4.0;
    let height = RULER + tl.rows.len() as f64 * ROW + 4.0;
    let x = |step: usize| LABEL + (step - first) as f64 * CELL;
    let events = run.events();
    html! {
        <section class="card timeline-card" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading" class="card-title">{"Timeline"}</h2>
            <figure class="timeline" data-testid="timeline" data-steps={steps.to_string()} data-first={first.to_string()}>
                if steps == 0 {
                    <p class="muted">{"Each step you take appears here, in the thread's row. Bars show who holds a lock or permit; hatching shows who is blocked."}</p>
                } else {
                    <div class="timeline-scroll">
                        <svg viewBox={format!("0 0 {width:.0} {height:.0}")}
                            style={format!("min-width: {:.0}px; max-width: {:.0}px", width * 0.9, width * 2.2)}
                            role="img" aria-label={describe(&tl)}>
                            <defs>
                                <pattern id="hatch" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                                    <line x1="0" y1="0" x2="0" y2="5" class="hatch" />
                                </pattern>
                            </defs>
                            { for (first..=steps).filter(|s| *s == first || s % 5 == 0).map(|s| html! {
                                <text class="ruler" x={format!("{:.1}", x(s) + CELL / 2.0)} y="10" text-anchor="middle">{s}</text>
                            }) }
                            { for tl.rows.iter().enumerate().map(|(r, row)| {
                                let y = RULER + r as f64 * ROW;
                                let t: ThreadId = row.thread;
                                html! {
                                    <g class={classes!("tl-row", tclass(t))} data-thread={t.to_string()}>
                                        <text class="tl-label" x="2" y={format!("{:.1}", y + 14.0)}>{t.to_string()}</text>
                                        { for row.spans.iter().map(|sp| {
                                            let x0 = x(sp.first);
                                            let w = (sp.last - sp.first + 1) as f64 * CELL;
                                            match sp.kind {
                                                SpanKind::Waits => html! {
                                                    <rect class="tl-wait" x={format!("{x0:.1}")} y={format!("{:.1}", y + 2.0)} width={format!("{w:.1}")} height="15">
                                                        <title>{format!("{t} waits for {} (steps {}–{})", sp.resource, sp.first, sp.last)}</title>
                                                    </rect>
                                                },
                                                SpanKind::Holds => html! {
                                                    <rect class="tl-hold" x={format!("{x0:.1}")} y={format!("{:.1}", y + 17.0)} width={format!("{w:.1}")} height="4" rx="2">
                                                        <title>{format!("{t} holds {} (steps {}–{})", sp.resource, sp.first, sp.last)}</title>
                                                    </rect>
                                                },
                                            }
                                        }) }
                                        { for row.cells.iter().filter(|c| c.ran).map(|c| {
                                            let step = c.step;
                                            let cb = on_rewind.clone();
                                            let what = events.get(step - 1).map(|e| e.to_string()).unwrap_or_default();
                                            html! {
                                                <rect class="tl-ran" x={format!("{:.1}", x(step) + 1.0)} y={format!("{:.1}", y + 2.0)} width={format!("{:.1}", CELL - 2.0)} height="14" rx="2"
                                                    onclick={Callback::from(move |_| cb.emit(step))}>
                                                    <title>{format!("step {step}: {what} — click to rewind here")}</title>
                                                </rect>
                                            }
                                        }) }
                                    </g>
                                }
                            }) }
                        </svg>
                    </div>
                    {time_view(run)}
                    <figcaption class="muted">{
                        if first > 1 { format!("Steps {first}–{steps} (the latest {WINDOW}). ") } else { String::new() }
                    }{"Filled cell: the thread ran that step (click to rewind there). Bar underneath: it holds a lock or permit. Hatched: it is blocked."}</figcaption>
                }
            </figure>
        </section>
    }
}

/// The timeline in words: who ran which steps, held what, waited for what.
fn describe(tl: &sim::Timeline) -> String {
    let mut parts = Vec::new();
    for row in &tl.rows {
        let ran: Vec<String> = row.cells.iter().filter(|c| c.ran).map(|c| c.step.to_string()).collect();
        let mut s = format!("{} ran steps {}", row.thread, if ran.is_empty() { "none".to_string() } else { ran.join(", ") });
        for sp in &row.spans {
            let verb = match sp.kind {
                SpanKind::Holds => "held",
                SpanKind::Waits => "waited for",
            };
            s.push_str(&format!("; {verb} {} in steps {}–{}", sp.resource, sp.first, sp.last));
        }
        parts.push(s);
    }
    format!("Timeline. {}.", parts.join(". "))
}

/// Where the scenario has sleeps or CPU work: the same run against virtual time — each op that
/// takes time is a bar from its start to its end (sleeps hatched, work solid), so waits that
/// overlap across threads show as overlapping bars. Empty when nothing takes time.
fn time_view(run: &Run) -> Html {
    let events = run.events();
    let timed: Vec<&sim::Event> = events.iter().filter(|e| e.end_ms > e.start_ms).collect();
    let total = events.iter().map(|e| e.end_ms).max().unwrap_or(0);
    if timed.is_empty() || total == 0 {
        return html! {};
    }
    let threads = run.machine().thread_count();
    let width = 640.0;
    let plot = width - LABEL - 8.0;
    let x = |ms: u64| LABEL + plot * ms as f64 / total as f64;
    let height = RULER + threads as f64 * ROW + 6.0;
    let ticks = 5u64;
    html! {
        <div class="timeline-time" data-testid="timeline-time" data-total-ms={total.to_string()}>
            <p class="muted">{format!("Virtual time → (0 to {:.1} s)", total as f64 / 1000.0)}</p>
            <svg viewBox={format!("0 0 {width:.0} {height:.0}")} role="img"
                aria-label={format!("Virtual time: the run takes {:.1} s. {}", total as f64 / 1000.0,
                    timed.iter().map(|e| format!("{} {} from {:.1} s to {:.1} s", e.thread, if matches!(e.kind, sim::EventKind::Slept { .. }) { "sleeps" } else { "works" }, e.start_ms as f64 / 1000.0, e.end_ms as f64 / 1000.0)).collect::<Vec<_>>().join("; "))}>
                { for (0..=ticks).map(|k| {
                    let ms = total * k / ticks;
                    html! { <text class="ruler" x={format!("{:.1}", x(ms))} y="10" text-anchor="middle">{format!("{:.1}s", ms as f64 / 1000.0)}</text> }
                }) }
                { for (0..threads).map(|r| {
                    let t = ThreadId(r as u8);
                    let y = RULER + r as f64 * ROW;
                    html! {
                        <g class={classes!("tl-row", tclass(t))}>
                            <text class="tl-label" x="2" y={format!("{:.1}", y + 14.0)}>{t.to_string()}</text>
                            { for timed.iter().filter(|e| e.thread == t).map(|e| {
                                let sleep = matches!(e.kind, sim::EventKind::Slept { .. });
                                html! {
                                    <rect class={if sleep { "tl-sleep" } else { "tl-hold" }} x={format!("{:.1}", x(e.start_ms))} y={format!("{:.1}", y + 3.0)}
                                        width={format!("{:.1}", (x(e.end_ms) - x(e.start_ms)).max(1.0))} height="13" rx="2">
                                        <title>{format!("{e} ({:.1}–{:.1} s)", e.start_ms as f64 / 1000.0, e.end_ms as f64 / 1000.0)}</title>
                                    </rect>
                                }
                            }) }
                        </g>
                    }
                }) }
            </svg>
        </div>
    }
}
