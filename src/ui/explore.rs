//! "Which interleavings break it?": the exhaustive explorer for the current variant, run on
//! the worker pool's explorer thread (or, without the pool, in time-boxed slices on the page)
//! so the page stays responsive, judged by the variant's own rule (what counts as its bug). A
//! new variant, Cancel or leaving the page abandons a run in progress (a generation counter).

use std::cell::RefCell;
use std::rc::Rc;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use gloo::timers::callback::{Interval, Timeout};
use sim::{ExploreLimits, ExploreReport, ExploreStatus, Explorer, Schedule};
use yew::prelude::*;

use super::pool::use_pool;
use super::predict::Prediction;
use super::progress::{use_progress, Change};
use crate::lessons::{self, Expect, Exploration, Lesson, Variant, Verdict};
use crate::lessons::predict::{EXPLORE_CHOICES, EXPLORE_QUESTION};
use crate::progress::Ask;
use crate::web::dom;

/// Milliseconds of exploring per slice before yielding to the browser.
const SLICE_MS: f64 = 8.0;
/// How long a pool exploration may take before the page gives up on the worker.
const EXPLORE_DEADLINE_MS: u32 = 120_000;
/// States expanded between clock checks.
const CHUNK: usize = 200;

#[derive(Clone, PartialEq)]
enum Status {
    Idle,
    Running { states: usize },
    Done(Explored),
    Failed(String),
}

#[derive(Properties, PartialEq)]
pub struct ExplorePanelProps {
    pub lesson: &'static str,
    pub variant: usize,
    /// Bumped by the page to start an exploration (e.g. "show an interleaving that does this").
    pub nonce: u32,
    /// Replays a schedule in the lanes; `.1`: it ends in the variant's bug.
    pub on_replay: Callback<(Schedule, bool)>,
    /// Reports `(variant, shortest bad schedule)` when an exploration finishes.
    pub on_explored: Callback<(usize, Option<Schedule>)>,
}

fn lesson_variant(slug: &str, v: usize) -> Option<(&'static Lesson, &'static Variant)> {
    let l = lessons::by_slug(slug)?;
    let var = l.variants.get(v)?;
    Some((l, var))
}

#[function_component(ExplorePanel)]
pub fn explore_panel(props: &ExplorePanelProps) -> Html {
    let status = use_state(|| Status::Idle);
    let generation = use_mut_ref(|| 0u32);
    let pool_ready = use_pool().is_ready();

    let start = {
        let (status, generation) = (status.clone(), generation.clone());
        let (slug, vi, on_explored) = (props.lesson, props.variant, props.on_explored.clone());
        Rc::new(move || {
            let Some((_, variant)) = lesson_variant(slug, vi) else { return };
            let gen = {
                let mut g = generation.borrow_mut();
                *g += 1;
                *g
            };
            status.set(Status::Running { states: 0 });
            let alive = {
                let generation = generation.clone();
                Rc::new(move || *generation.borrow() == gen)
            };
            let (st1, st2, on_explored) = (status.clone(), status.clone(), on_explored.clone());
            explore_variant(
                variant,
                pool_ready,
                alive,
                Callback::from(move |states| st1.set(Status::Running { states })),
                Callback::from(move |r: Result<Explored, String>| match r {
                    Ok(e) => {
                        on_explored.emit((vi, e.verdict.shortest_bad.clone()));
                        st2.set(Status::Done(e));
                    }
                    Err(e) => st2.set(Status::Failed(e)),
                }),
            );
        })
    };

    // A new variant is a new scenario: forget the old result, stop a run in progress.
    {
        let (status, generation) = (status.clone(), generation.clone());
        use_effect_with(props.variant, move |_| {
            *generation.borrow_mut() += 1;
            status.set(Status::Idle);
            move || *generation.borrow_mut() += 1
        });
    }
    // The page asked for an exploration.
    {
        let start = start.clone();
        use_effect_with(props.nonce, move |n| {
            if *n > 0 {
                start();
            }
        });
    }

    let on_explore = {
        let start = start.clone();
        Callback::from(move |_| start())
    };
    let variant = lesson_variant(props.lesson, props.variant).map(|(_, v)| v);
    let progress = use_progress();
    // Predict first, for a variant that either goes wrong or cannot.
    let prediction = lesson_variant(props.lesson, props.variant).filter(|(_, v)| v.expect != Expect::None).map(|(l, v)| {
        let progress = progress.clone();
        let measured = match &*status {
            Status::Done(e) if !e.report.truncated || e.verdict.bad > 0 => Some(usize::from(e.verdict.bad > 0)),
            _ => None,
        };
        html! {
            <Prediction ask="explore" question={EXPLORE_QUESTION} choices={EXPLORE_CHOICES}
                chosen={progress.0.prediction(l, v.slug, Ask::Explore)} measured={measured} by="the explorer"
                on_choose={Callback::from(move |c| progress.dispatch(Change::Predict(l, v.slug, Ask::Explore, c)))} />
        }
    });
    let sampled = variant.is_some_and(|v| matches!(v.exploration, Exploration::Sampled(_)));
    let body = match &*status {
        Status::Idle => html! {
            <p class="muted">{"How many orders of steps are there, and how many of them end in this version's bug? The explorer checks every one."}</p>
        },
        Status::Running { states } => html! {
            <p role="status">{format!("Exploring… {} states so far", super::widgets::group(*states as u64))}</p>
        },
        Status::Failed(e) => html! { <p class="error-text" role="alert">{format!("The explorer could not start: {e}")}</p> },
        Status::Done(e) => {
            report_view(e, props.variant, variant, props.on_replay.clone())
        }
    };
    let running = matches!(*status, Status::Running { .. });
    html! {
        <section class="card" aria-labelledby="explore-heading">
            <h2 id="explore-heading" class="card-title">{"Which interleavings break it?"}</h2>
            <p class="muted">{"The explorer runs every possible order of the threads' steps (merging states it has already seen, and orders of identical threads that differ only by which one went first), counts the schedules that reach each outcome and keeps the shortest one, which it can replay for you step by step."}</p>
            if sampled {
                <p class="muted">{"This version has too many states to explore them all in the page; the counts are a lower bound."}</p>
            }
            {prediction.unwrap_or_default()}
            <div class="row">
                <button type="button" class="primary" onclick={on_explore} disabled={running}>
                    { if matches!(*status, Status::Done(_)) { "Explore again" } else { "Explore every interleaving" } }
                </button>
                if running {
                    <button type="button" onclick={{
                        let (status, generation) = (status.clone(), generation.clone());
                        Callback::from(move |_| {
                            *generation.borrow_mut() += 1;
                            status.set(Status::Idle);
                        })
                    }}>{"Cancel"}</button>
                }
            </div>
            <div aria-live="polite">{body}</div>
        </section>
    }
}

/// A finished exploration of one variant.
#[derive(Clone, PartialEq)]
pub struct Explored {
    /// The explorer's report.
    pub report: Rc<ExploreReport>,
    /// The report judged by the variant's rule.
    pub verdict: Verdict,
    /// Wall time from start to finish, slices and pauses included.
    pub ms: f64,
    /// Each outcome class's kind (`report.outcomes` order), computed once when it finished.
    pub kinds: Rc<[String]>,
    /// It ran on the worker pool (else in slices on the page).
    pub on_pool: bool,
}

/// Explores `variant` on the worker pool's explorer thread when `pool` says the pool is ready
/// (and no other exploration holds that thread), else on the page in time-boxed slices (a
/// zero-delay timeout between them, so the page stays responsive). Reports progress, then the
/// result. Stops as soon as `alive` says the caller no longer wants it (a pool exploration is
/// told to stop within a tenth of a second).
pub fn explore_variant(
    variant: &'static Variant,
    pool: bool,
    alive: Rc<dyn Fn() -> bool>,
    on_progress: Callback<usize>,
    on_done: Callback<Result<Explored, String>>,
) {
    let scn = match variant.build() {
        Ok(scn) => scn,
        Err(e) => return on_done.emit(Err(e.to_string())),
    };
    let started = dom::now_ms();
    if pool {
        let cancel = Arc::new(AtomicBool::new(false));
        let progress = {
            let (alive, on_progress) = (alive.clone(), on_progress.clone());
            move |k| {
                if alive() {
                    on_progress.emit(k);
                }
            }
        };
        if let Some(fut) = crate::web::pool::explore_on_pool(scn.clone(), cancel.clone(), progress) {
            let watch = {
                let alive = alive.clone();
                Interval::new(100, move || {
                    if !alive() {
                        cancel.store(true, Ordering::Relaxed);
                    }
                })
            };
            wasm_bindgen_futures::spawn_local(async move {
                // Far beyond any lesson's exploration (under a second on a pool thread): a
                // worker that never answers is given up on.
                let r = crate::web::pool::within(fut, EXPLORE_DEADLINE_MS).await.unwrap_or_else(|| {
                    Some(Err("the worker thread did not answer within two minutes; reload the page to start fresh worker threads".to_string()))
                });
                drop(watch);
                if !alive() {
                    return;
                }
                match r {
                    Some(Ok(report)) => on_done.emit(Ok(finish(variant, &scn, report, started, true))),
                    Some(Err(e)) => on_done.emit(Err(e)),
                    None => on_done.emit(Err("the exploration stopped before it finished".to_string())),
                }
            });
            return;
        }
    }
    match Explorer::new(scn.clone(), ExploreLimits::default()) {
        Err(e) => on_done.emit(Err(e.to_string())),
        Ok(ex) => slice(Job { explorer: Rc::new(RefCell::new(ex)), alive, started, variant, scn, on_progress, on_done }),
    }
}

/// A finished report, judged and timed.
fn finish(variant: &'static Variant, scn: &sim::Scenario, report: ExploreReport, started: f64, on_pool: bool) -> Explored {
    let verdict = lessons::verdict(variant, scn, &report);
    let kinds = report.outcomes.iter().map(|o| sim::class_kind(scn, &o.class)).collect();
    Explored { report: Rc::new(report), verdict, ms: dom::now_ms() - started, kinds, on_pool }
}

struct Job {
    explorer: Rc<RefCell<Explorer>>,
    alive: Rc<dyn Fn() -> bool>,
    started: f64,
    variant: &'static Variant,
    scn: std::sync::Arc<sim::Scenario>,
    on_progress: Callback<usize>,
    on_done: Callback<Result<Explored, String>>,
}

fn slice(job: Job) {
    Timeout::new(0, move || {
        if !(job.alive)() {
            return;
        }
        let t0 = dom::now_ms();
        let mut last = job.explorer.borrow_mut().run(CHUNK);
        while matches!(last, ExploreStatus::Running { .. }) && dom::now_ms() - t0 < SLICE_MS {
            last = job.explorer.borrow_mut().run(CHUNK);
        }
        match last {
            ExploreStatus::Running { states, .. } => {
                job.on_progress.emit(states);
                slice(job);
            }
            ExploreStatus::Done(report) => {
                job.on_done.emit(Ok(finish(job.variant, &job.scn, report, job.started, false)));
            }
        }
    })
    .forget();
}

/// A count for people: exact below a trillion, else in powers of ten.
pub fn count(n: u128) -> String {
    if n == u128::MAX {
        return "more than 3.4 × 10³⁸".to_string();
    }
    if n < 1_000_000_000_000 {
        return super::widgets::group(n as u64);
    }
    let f = n as f64;
    let e = f.log10().floor() as i32;
    let sup: String = e.to_string().chars().map(|c| match c {
        '0' => '⁰', '1' => '¹', '2' => '²', '3' => '³', '4' => '⁴',
        '5' => '⁵', '6' => '⁶', '7' => '⁷', '8' => '⁸', _ => '⁹',
    }).collect();
    format!("{:.1} × 10{sup}", f / 10f64.powi(e))
}

fn report_view(e: &Explored, vi: usize, variant: Option<&'static Variant>, on_replay: Callback<(Schedule, bool)>) -> Html {
    let (r, v, ms) = (&*e.report, &e.verdict, e.ms);
    let headline = if v.bad == 0 {
        format!("0 of {} interleavings end in the bug.", count(v.total))
    } else {
        format!("{} interleavings, {} of them end in the bug.", count(v.total), count(v.bad))
    };
    html! {
        <div data-testid="explore-result" data-variant={variant.map(|x| x.slug).unwrap_or_default()} data-variant-index={vi.to_string()}
            data-total={v.total.to_string()} data-bad={v.bad.to_string()}
            data-states={r.states.to_string()} data-truncated={r.truncated.to_string()} data-on-pool={e.on_pool.to_string()} data-ms={format!("{ms:.1}")}>
            <div class={classes!("outcome", if v.bad == 0 { "good" } else { "bad" })}>
                <p class="outcome-title">{headline}</p>
                <p>{format!("{} distinct states, explored in {ms:.0} ms {}{}.", super::widgets::group(r.states as u64),
                    if e.on_pool { "on a worker thread" } else { "in slices on the page" }, if r.truncated { " (stopped at the explorer's limits: the counts are a lower bound)" } else { "" })}</p>
            </div>
            if let Some(s) = v.shortest_bad.clone() {
                <button type="button" class="primary" onclick={{ let on_replay = on_replay.clone(); let s = s.clone(); Callback::from(move |_| on_replay.emit((s.clone(), true))) }}>
                    {format!("Show me the shortest ({} steps)", s.len())}
                </button>
            }
            <table class="outcomes">
                <caption class="sr-only">{"Outcomes"}</caption>
                <thead><tr><th scope="col">{"outcome"}</th><th scope="col">{"schedules"}</th><th scope="col">{"shortest"}</th><th scope="col"><span class="sr-only">{"replay"}</span></th></tr></thead>
                <tbody>
                { for r.outcomes.iter().zip(e.kinds.iter()).map(|(o, kind)| {
                    let kind = kind.clone();
                    let bug = variant.is_some_and(|x| x.is_bug(&kind));
                    let label = format!("{kind}: {}", o.class);
                    let s = o.shortest.clone();
                    let on_replay = on_replay.clone();
                    html! {
                        <tr class={classes!(bug.then_some("bug"))}>
                            <td><span class={classes!("tag", bug.then_some("bad"))}>{kind.clone()}</span>{" "}{o.class.to_string()}
                                { match &o.class {
                                    sim::OutcomeClass::Starvation { starved } => html! { <p class="muted">{format!(
                                        "A loop of states the other threads can go round forever while {} stays blocked. Its replay stops after one full turn of the loop, with {} still waiting.",
                                        starved.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" and "),
                                        starved.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" and "))}</p> },
                                    sim::OutcomeClass::Livelock => html! { <p class="muted">{"A loop of states the threads can go round forever. Its replay stops where the loop closes."}</p> },
                                    _ => html! {},
                                } }
                            </td>
                            <td>{count(o.schedules)}</td>
                            <td>{format!("{} steps", o.shortest.len())}</td>
                            <td><button type="button" onclick={Callback::from(move |_| on_replay.emit((s.clone(), bug)))}
                                aria-label={format!("Replay a shortest schedule ending: {label}")}>{"Replay"}</button></td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
        </div>
    }
}
