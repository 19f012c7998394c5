//! One real-threads experiment card, shared by the lab page and every lesson: parameters from
//! `lab::schema`, Run, Repeat (an outcome histogram), Cancel, and the measured figures.
//!
//! The pool is shared, so one run at a time on the whole page: a run in any card disables Run
//! and Repeat in the others (the [`super::pool::use_lab_busy`] flag). Leaving the page cancels
//! a run in progress.

use std::rc::Rc;

use indexmap::IndexMap;
use lab::schema::{Kind, Param, Value};
use lab::{Cancel, LabReport, LabRequest, RepeatReport};
use yew::prelude::*;
use yew::virtual_dom::{AttrValue, VNode, VTag};

use super::real_timeline::real_timelines;
use super::pool::{use_cancel_on_unmount, use_lab_busy, use_pool, use_pool_lost, PoolNotice};
use super::predict::Prediction;
use super::progress::{use_progress, Change};
use crate::progress::Ask;
use super::widgets::{group, NumberField};
use crate::web::pool::{deadline_ms, repeat_on_pool, run_on_pool, within, MAX_EXPERIMENT_THREADS as MAX_THREADS};

/// Default and bounds of the Repeat control.
const DEFAULT_RUNS: u64 = 20;
const MAX_RUNS: u64 = 200;

#[derive(Clone)]
enum Busy {
    Run,
    Repeat { done: u32, total: u32 },
}

#[derive(Clone)]
struct CardState {
    req: LabRequest,
    // Shared, not copied: the reducer clones the state on every action, and reports carry
    // timelines (a repeat, every run's report).
    report: Option<Rc<LabReport>>,
    repeat: Option<Rc<RepeatReport>>,
    runs: u64,
    error: Option<String>,
    busy: Option<(Busy, Cancel)>,
    /// Completed runs, so each result element is new (`data-run`).
    done: u64,
}

enum Action {
    Reset(LabRequest),
    Set(&'static str, Value),
    SetRuns(u64),
    Started(Busy, Cancel),
    Progress(u32),
    Finished(Result<LabReport, String>),
    RepeatFinished(Result<RepeatReport, String>),
}

impl Reducible for CardState {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Reset(req) => {
                if s.busy.is_none() {
                    s.req = req;
                    s.error = None;
                }
            }
            Action::Set(key, v) => s.error = s.req.set(key, &v).err().map(|e| e.to_string()),
            Action::SetRuns(n) => s.runs = n,
            Action::Started(busy, cancel) => {
                s.busy = Some((busy, cancel));
                s.error = None;
            }
            Action::Progress(done) => {
                if let Some((Busy::Repeat { done: d, .. }, _)) = &mut s.busy {
                    *d = done;
                }
            }
            Action::Finished(r) => {
                s.busy = None;
                match r {
                    Ok(rep) => {
                        s.report = Some(Rc::new(rep));
                        s.done += 1;
                    }
                    Err(err) => s.error = Some(err),
                }
            }
            Action::RepeatFinished(r) => {
                s.busy = None;
                match r {
                    Ok(rep) => {
                        if let Some(last) = rep.reports.last() {
                            s.report = Some(Rc::new(last.clone()));
                            s.done += 1;
                        }
                        s.repeat = Some(Rc::new(rep));
                    }
                    Err(err) => s.error = Some(err),
                }
            }
        }
        Rc::new(s)
    }
}

#[derive(Properties, PartialEq)]
pub struct ExperimentCardProps {
    /// The experiment with its starting parameters; a new value resets the card's parameters.
    pub req: LabRequest,
    /// Heading level: 2 on the lab page, 3 inside a lesson.
    #[prop_or(2)]
    pub level: u8,
    /// Highlighted (the lab link named it).
    #[prop_or_default]
    pub focus: bool,
    /// Shown above the parameters instead of the experiment's own question.
    #[prop_or_default]
    pub intro: Option<Html>,
    /// Shown under a result that went wrong ([`LabReport::went_wrong`]): e.g. a lesson's
    /// "Show an interleaving that does this".
    #[prop_or_default]
    pub on_went_wrong: Option<(AttrValue, Callback<()>)>,
    /// The lesson and variant whose real run this is, when it asks for a prediction first.
    #[prop_or_default]
    pub predict: Option<(&'static str, &'static str)>,
}

/// A real-threads experiment: parameters, Run, Repeat, Cancel, figures and histogram.
#[function_component(ExperimentCard)]
pub fn experiment_card(props: &ExperimentCardProps) -> Html {
    let pool = use_pool();
    let page_busy = use_lab_busy();
    let state = use_reducer(|| CardState {
        req: props.req.clone(),
        report: None,
        repeat: None,
        runs: DEFAULT_RUNS,
        error: None,
        busy: None,
        done: 0,
    });
    {
        let state = state.clone();
        let first = use_mut_ref(|| true);
        use_effect_with(props.req.clone(), move |req| {
            if !std::mem::replace(&mut *first.borrow_mut(), false) {
                state.dispatch(Action::Reset(req.clone()));
            }
        });
    }
    use_cancel_on_unmount(state.busy.as_ref().map(|(_, c)| c.clone()));

    let slug = state.req.slug();
    let info = state.req.info();
    let busy_here = state.busy.is_some();
    let any_busy = busy_here || page_busy.get();
    // Another card's run (possibly on a page already left, draining after its cancel) holds
    // the pool: look again every 250 ms until it is free. The context update alone did not
    // reach a card mounted while the run was in flight.
    {
        let update = use_force_update();
        let page_busy = page_busy.clone();
        use_effect_with(any_busy && !busy_here, move |waiting| {
            let timer = waiting.then(|| {
                gloo::timers::callback::Interval::new(250, move || {
                    if !page_busy.get() {
                        update.force_update();
                    }
                })
            });
            move || drop(timer)
        });
    }
    let can_run = pool.is_ready() && !any_busy;
    let lost = use_pool_lost();

    let on_run = {
        let (state, page_busy, lost) = (state.clone(), page_busy.clone(), lost.clone());
        Callback::from(move |_| {
            if !page_busy.try_start() {
                return;
            }
            let cancel = Cancel::new();
            state.dispatch(Action::Started(Busy::Run, cancel.clone()));
            let (state, req, page_busy, lost) = (state.clone(), state.req.clone(), page_busy.clone(), lost.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let ms = deadline_ms(&req, 1);
                let r = match within(run_on_pool(req, cancel.clone()), ms).await {
                    Some(r) => r.map_err(|e| e.to_string()),
                    None => Err(missed(&cancel, ms, &lost)),
                };
                page_busy.finish();
                state.dispatch(Action::Finished(r));
            });
        })
    };
    let on_repeat = {
        let (state, page_busy, lost) = (state.clone(), page_busy.clone(), lost.clone());
        Callback::from(move |_| {
            if !page_busy.try_start() {
                return;
            }
            let runs = state.runs as u32;
            let cancel = Cancel::new();
            state.dispatch(Action::Started(Busy::Repeat { done: 0, total: runs }, cancel.clone()));
            let (state, req, page_busy, lost) = (state.clone(), state.req.clone(), page_busy.clone(), lost.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let progress = state.clone();
                let ms = deadline_ms(&req, runs);
                let run = repeat_on_pool(req, runs, cancel.clone(), move |k| progress.dispatch(Action::Progress(k)));
                let r = match within(run, ms).await {
                    Some(r) => r.map_err(|e| e.to_string()),
                    None => Err(missed(&cancel, ms, &lost)),
                };
                page_busy.finish();
                state.dispatch(Action::RepeatFinished(r));
            });
        })
    };
    let on_cancel = {
        let state = state.clone();
        Callback::from(move |_| {
            if let Some((_, c)) = &state.busy {
                c.cancel();
            }
        })
    };
    let on_runs = {
        let state = state.clone();
        Callback::from(move |n: u64| state.dispatch(Action::SetRuns(n)))
    };
    let status = match state.busy.as_ref().map(|(b, _)| b) {
        Some(Busy::Run) => "Running…".to_string(),
        Some(Busy::Repeat { done, total }) => format!("Run {done} of {total}…"),
        None if matches!(pool, super::pool::PoolStatus::Lost(_)) => "The worker threads stopped: reload the page to run again.".to_string(),
        None if !pool.is_ready() => "Run unlocks when the worker threads are ready.".to_string(),
        None if page_busy.get() => "Another experiment on this page is running.".to_string(),
        None => String::new(),
    };
    let title_id = format!("exp-{slug}-title");
    let title = html! { <>{info.title}</> };
    let heading = if props.level <= 2 {
        html! { <h2 id={title_id.clone()}>{title}</h2> }
    } else {
        html! { <h3 id={title_id.clone()}>{title}</h3> }
    };
    let went_wrong = state.report.as_deref().is_some_and(LabReport::went_wrong) && !busy_here;
    let progress = use_progress();
    let prediction = props.predict.and_then(|(l, v)| {
        let lesson = crate::lessons::by_slug(l)?;
        let variant = lesson.variant(lesson.variant_index(v)?);
        let p = variant.real?.predict?;
        let measured = state.report.as_deref().filter(|_| !busy_here).and_then(|r| (p.judge)(r));
        let progress = progress.clone();
        Some(html! {
            <Prediction ask="real" question={p.question} choices={p.choices}
                chosen={progress.0.prediction(lesson, variant.slug, Ask::Real)} measured={measured} by="this run"
                on_choose={Callback::from(move |c| progress.dispatch(Change::Predict(lesson, variant.slug, Ask::Real, c)))} />
        })
    });
    // Said once per finished run, for screen readers: the figures in words.
    let narration = match (&state.report, busy_here) {
        (Some(r), false) if state.done > 0 => format!(
            "Run {} finished. {}.",
            state.done,
            r.figures().iter().map(|f| format!("{}: {}", f.label, f.value)).collect::<Vec<_>>().join("; ")
        ),
        _ => String::new(),
    };
    html! {
        <section id={format!("exp-{slug}")} class={classes!("card", "experiment", props.focus.then_some("focus"))}
            aria-labelledby={title_id} data-testid="experiment" data-experiment={slug}>
            {heading}
            if let Some(intro) = &props.intro {
                {intro.clone()}
            } else {
                <p class="what">{info.question}<br/><span class="muted">{format!("From the tutorial: {}", info.seed_section)}</span></p>
            }
            if props.level > 2 {
                <PoolNotice />
            }
            {prediction.unwrap_or_default()}
            <div class="row">
                { for state.req.params(MAX_THREADS).into_iter().map(|p| param_field(&state, p, any_busy)) }
            </div>
            <div class="row" style="margin-top:.7rem">
                if busy_here {
                    <button type="button" onclick={on_cancel}>{"Cancel"}</button>
                } else {
                    <button type="button" class="primary" onclick={on_run} disabled={!can_run}>{"Run"}</button>
                    <NumberField label="Runs" id={format!("runs-{slug}")} value={state.runs} min={1} max={MAX_RUNS} on_change={on_runs}
                        disabled={any_busy} hint="for Repeat" />
                    <button type="button" onclick={on_repeat} disabled={!can_run}>{format!("Repeat {}×", state.runs)}</button>
                }
                <span class="muted" role="status" aria-live="polite">{status}</span>
            </div>
            <p class="sr-only" aria-live="polite" aria-atomic="true" data-testid="run-narration">{narration}</p>
            if let Some(err) = &state.error {
                <p class="error-text" role="alert">{err.clone()}</p>
            }
            if let Some(r) = &state.report {
                {report_view(slug, r, state.done)}
                if !busy_here {
                    {real_timelines(slug, state.done, r)}
                }
            }
            if let (true, Some((label, cb))) = (went_wrong, props.on_went_wrong.clone()) {
                <button type="button" class="primary" onclick={Callback::from(move |_| cb.emit(()))}>{label}</button>
            }
            if let Some(rep) = &state.repeat {
                {histogram_view(slug, rep)}
            }
        </section>
    }
}

/// A run that missed its deadline: cancel it (in case it is only slow), mark the pool lost,
/// and say so.
fn missed(cancel: &Cancel, ms: u32, lost: &Callback<String>) -> String {
    cancel.cancel();
    let why = format!(
        "A run on the worker threads did not finish within its deadline of {} s, so a worker has most likely stopped (crashed).",
        ms / 1000
    );
    lost.emit(why.clone());
    why
}

fn param_field(state: &UseReducerHandle<CardState>, p: Param, disabled: bool) -> Html {
    let key = p.key;
    let id = format!("{}-{key}", state.req.slug());
    match (p.kind, p.value) {
        (Kind::Int { min, max }, Value::Int(v)) => {
            let state = state.clone();
            html! {
                <NumberField label={p.label} id={id} value={v} min={min} max={max} hint={if p.help.is_empty() { format!("{}–{}", group(min), group(max)) } else { p.help.to_string() }}
                    disabled={disabled}
                    on_change={Callback::from(move |n: u64| state.dispatch(Action::Set(key, Value::Int(n))))} />
            }
        }
        (Kind::Choice(options), Value::Choice(cur)) => {
            let state = state.clone();
            html! {
                <label class="field" for={id.clone()}>{p.label}
                    <select id={id} disabled={disabled} onchange={Callback::from(move |ev: Event| {
                        let v = ev.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
                        if let Some((val, _)) = options.iter().find(|(val, _)| *val == v) {
                            state.dispatch(Action::Set(key, Value::Choice(val)));
                        }
                    })}>
                        { for options.iter().map(|(val, label)| html! { <option value={*val} selected={*val == cur}>{*label}</option> }) }
                    </select>
                    if !p.help.is_empty() { <span class="field-hint">{p.help}</span> }
                </label>
            }
        }
        (Kind::Flag, Value::Flag(on)) => {
            let state = state.clone();
            html! {
                <label class="field" title={p.help} for={id.clone()}>
                    <span><input id={id} type="checkbox" checked={on} disabled={disabled} onchange={Callback::from(move |ev: Event| {
                        let on = ev.target_unchecked_into::<web_sys::HtmlInputElement>().checked();
                        state.dispatch(Action::Set(key, Value::Flag(on)));
                    })} />{" "}{p.label}</span>
                    <span class="field-hint">{p.help}</span>
                </label>
            }
        }
        _ => html! {},
    }
}

/// Figures a learner should read as "something went wrong" when non-zero / yes.
fn is_bad(key: &str, value: &str) -> bool {
    let nonzero = value != "0" && value != "0.0";
    match key {
        "lost" | "lost-tasks" | "duplicate-computations" | "duplicates" => nonzero,
        "deadlocked" | "rp-writer-starved" | "wp-writer-starved" | "lock-detected" => value == "yes",
        "instances" => value.parse::<u64>().map(|n| n > 1).unwrap_or(false),
        _ => false,
    }
}

fn report_view(slug: &'static str, r: &LabReport, run: u64) -> Html {
    let figures = r.figures();
    let mut attrs: IndexMap<AttrValue, AttrValue> = IndexMap::new();
    attrs.insert("class".into(), "figures-wrap".into());
    attrs.insert("data-testid".into(), "lab-result".into());
    attrs.insert("data-experiment".into(), slug.into());
    attrs.insert("data-run".into(), run.to_string().into());
    attrs.insert("data-went-wrong".into(), r.went_wrong().to_string().into());
    for f in &figures {
        attrs.insert(format!("data-{}", f.key).into(), f.value.clone().into());
    }
    let mut tag = VTag::new("div");
    tag.set_attributes(attrs);
    let (okey, olabel, outcome) = r.outcome();
    let headline = figures.iter().find(|f| f.key == okey).map(|f| f.value.clone()).unwrap_or_else(|| format!("{outcome:?}"));
    tag.add_child(html! {
        <p class={classes!("result-line", r.went_wrong().then_some("bad-text"))}>{format!("{olabel}: {}", pretty(&headline))}</p>
    });
    // Numbers go in tiles; sentences (a wait-for cycle, an explanation) read better as prose.
    let (notes, tiles): (Vec<_>, Vec<_>) =
        figures.iter().partition(|f| f.value.len() > 24 && f.value.contains(' '));
    tag.add_child(html! {
        <div class="figures">
            { for tiles.iter().map(|f| {
                let bad = is_bad(f.key, &f.value);
                html! {
                    <div class={classes!("figure", bad.then_some("bad"))}>
                        <div class="k">{f.label}</div>
                        <div class="v">{pretty(&f.value)}</div>
                    </div>
                }
            }) }
        </div>
    });
    if !notes.is_empty() {
        tag.add_child(html! {
            <dl class="notes">
                { for notes.iter().map(|f| html! { <><dt>{f.label}</dt><dd>{f.value.clone()}</dd></> }) }
            </dl>
        });
    }
    VNode::VTag(Rc::new(tag))
}

/// Large integers with thousands separators for reading (the data-* attributes keep raw text).
fn pretty(v: &str) -> String {
    match v.parse::<u64>() {
        Ok(n) if n >= 10_000 => group(n),
        _ => v.to_string(),
    }
}

/// A bin's label that may break only after its range's dash ("1,000,000–<wbr>1,009,899"),
/// never inside a number.
fn range_label(label: &str) -> Html {
    match label.split_once('–') {
        Some((from, to)) => html! { <>{format!("{from}–")}<wbr />{to.to_string()}</> },
        None => html! { {label.to_string()} },
    }
}

fn histogram_view(slug: &'static str, rep: &RepeatReport) -> Html {
    let h = &rep.histogram;
    let max = h.bins.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let total = h.total();
    html! {
        <figure class="histogram" data-testid="lab-histogram" data-experiment={slug} data-runs={total.to_string()}
            data-key={h.key} data-cancelled={rep.cancelled.to_string()}>
            <figcaption><strong>{format!("{} over {total} runs", h.label)}</strong>
                if rep.cancelled { <span class="muted">{" (cancelled: the runs finished so far)"}</span> }
            </figcaption>
            { for h.bins.iter().map(|(label, n)| {
                let pct = f64::from(*n) * 100.0 / f64::from(max);
                html! {
                    <div class="bar" role="img" aria-label={format!("{label}: {n} runs")}>
                        <span class="lbl">{range_label(label)}</span>
                        <span class="fill" style={format!("width: {pct:.1}%")}></span>
                        <span class="cnt">{n}</span>
                    </div>
                }
            }) }
        </figure>
    }
}
