//! The lab page (`#/lab`, `#/lab/<experiment>`): every experiment with its parameters, Run,
//! Repeat (an outcome histogram) and its measured figures.
//!
//! The page is drawn from `lab`'s data: `LabRequest::defaults()` lists the experiments,
//! `info()`/`params()` describe them, `LabReport::figures()` and the repeat `Histogram` are
//! rendered as they come. One run at a time: the experiments share the worker pool.

use std::rc::Rc;

use indexmap::IndexMap;
use lab::schema::{Kind, Param, Value};
use lab::{Cancel, LabReport, LabRequest, RepeatReport};
use yew::prelude::*;
use yew::virtual_dom::{AttrValue, VNode, VTag};

use super::pool::{use_cancel_on_unmount, use_pool, PoolNotice};
use super::widgets::{group, NumberField};
use crate::web::pool::{repeat_on_pool, run_on_pool, MAX_EXPERIMENT_THREADS as MAX_THREADS};

/// Default and bounds of the Repeat control.
const DEFAULT_RUNS: u64 = 20;
const MAX_RUNS: u64 = 200;

#[derive(Clone)]
struct Experiment {
    req: LabRequest,
    report: Option<LabReport>,
    repeat: Option<RepeatReport>,
    runs: u64,
    error: Option<String>,
    /// Completed runs of this experiment, so each result element is new (`data-run`).
    done: u64,
}

#[derive(Clone)]
enum Busy {
    Run,
    Repeat { done: u32, total: u32 },
}

#[derive(Clone)]
struct LabState {
    experiments: Vec<Experiment>,
    busy: Option<(usize, Busy, Cancel)>,
}

enum Action {
    Set(usize, &'static str, Value),
    SetRuns(usize, u64),
    Started(usize, Busy, Cancel),
    Progress(usize, u32),
    Finished(usize, Result<LabReport, String>),
    RepeatFinished(usize, Result<RepeatReport, String>),
}

impl Reducible for LabState {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Set(i, key, v) => {
                if let Some(e) = s.experiments.get_mut(i) {
                    e.error = e.req.set(key, &v).err().map(|e| e.to_string());
                }
            }
            Action::SetRuns(i, n) => {
                if let Some(e) = s.experiments.get_mut(i) {
                    e.runs = n;
                }
            }
            Action::Started(i, busy, cancel) => {
                s.busy = Some((i, busy, cancel));
                if let Some(e) = s.experiments.get_mut(i) {
                    e.error = None;
                }
            }
            Action::Progress(i, done) => {
                if let Some((j, Busy::Repeat { done: d, .. }, _)) = &mut s.busy {
                    if *j == i {
                        *d = done;
                    }
                }
            }
            Action::Finished(i, r) => {
                s.busy = None;
                if let Some(e) = s.experiments.get_mut(i) {
                    match r {
                        Ok(rep) => {
                            e.report = Some(rep);
                            e.done += 1;
                        }
                        Err(err) => e.error = Some(err),
                    }
                }
            }
            Action::RepeatFinished(i, r) => {
                s.busy = None;
                if let Some(e) = s.experiments.get_mut(i) {
                    match r {
                        Ok(rep) => {
                            if let Some(last) = rep.reports.last() {
                                e.report = Some(last.clone());
                                e.done += 1;
                            }
                            e.repeat = Some(rep);
                        }
                        Err(err) => e.error = Some(err),
                    }
                }
            }
        }
        Rc::new(s)
    }
}

#[derive(Properties, PartialEq)]
pub struct LabPageProps {
    /// An experiment slug to scroll to and highlight.
    pub focus: Option<String>,
}

#[function_component(LabPage)]
pub fn lab_page(props: &LabPageProps) -> Html {
    let pool = use_pool();
    let state = use_reducer(|| LabState {
        experiments: LabRequest::defaults()
            .into_iter()
            .map(|req| Experiment { req, report: None, repeat: None, runs: DEFAULT_RUNS, error: None, done: 0 })
            .collect(),
        busy: None,
    });
    use_cancel_on_unmount(state.busy.as_ref().map(|(_, _, c)| c.clone()));
    let unknown_focus = props
        .focus
        .as_deref()
        .filter(|f| !lab::SLUGS.contains(f))
        .map(str::to_string);
    // Scroll the focused experiment into view.
    use_effect_with(props.focus.clone(), |focus| {
        if let Some(f) = focus {
            let el = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&format!("exp-{f}")));
            if let Some(el) = el {
                el.scroll_into_view();
            }
        }
    });

    html! {
        <article aria-labelledby="lab-title">
            <p class="eyebrow">{"The lab"}</p>
            <h1 id="lab-title">{"Real threads, measured"}</h1>
            <p class="lede">{"Every experiment below runs on real threads — Web Workers sharing this page's memory — the moment you press Run. Nothing is simulated or recorded in advance: race outcomes differ from run to run, so Repeat runs an experiment many times and shows how its outcome is distributed."}</p>
            if let Some(f) = unknown_focus {
                <div class="callout warn" role="status"><p>{format!("There is no experiment called “{f}”. Here are all of them.")}</p></div>
            }
            <PoolNotice />
            <nav class="toc" aria-label="Experiments">
                { for state.experiments.iter().map(|e| html! {
                    <a href={format!("#/lab/{}", e.req.slug())}>{e.req.info().title}</a>
                }) }
            </nav>
            <div class="lab-grid">
                { for (0..state.experiments.len()).map(|i| experiment_card(&state, i, pool.is_ready(), props.focus.as_deref())) }
            </div>
        </article>
    }
}

fn experiment_card(state: &UseReducerHandle<LabState>, i: usize, pool_ready: bool, focus: Option<&str>) -> Html {
    let e = &state.experiments[i];
    let slug = e.req.slug();
    let info = e.req.info();
    let busy_here = state.busy.as_ref().filter(|(j, _, _)| *j == i);
    let any_busy = state.busy.is_some();
    let can_run = pool_ready && !any_busy;

    let on_run = {
        let state = state.clone();
        let req = e.req.clone();
        Callback::from(move |_| {
            let cancel = Cancel::new();
            state.dispatch(Action::Started(i, Busy::Run, cancel.clone()));
            let (state, req) = (state.clone(), req.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let r = run_on_pool(req, cancel).await.map_err(|e| e.to_string());
                state.dispatch(Action::Finished(i, r));
            });
        })
    };
    let on_repeat = {
        let state = state.clone();
        let req = e.req.clone();
        let runs = e.runs as u32;
        Callback::from(move |_| {
            let cancel = Cancel::new();
            state.dispatch(Action::Started(i, Busy::Repeat { done: 0, total: runs }, cancel.clone()));
            let (state, req) = (state.clone(), req.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let progress = state.clone();
                let r = repeat_on_pool(req, runs, cancel, move |k| progress.dispatch(Action::Progress(i, k)))
                    .await
                    .map_err(|e| e.to_string());
                state.dispatch(Action::RepeatFinished(i, r));
            });
        })
    };
    let on_cancel = {
        let state = state.clone();
        Callback::from(move |_| {
            if let Some((_, _, c)) = &state.busy {
                c.cancel();
            }
        })
    };
    let on_runs = {
        let state = state.clone();
        Callback::from(move |n: u64| state.dispatch(Action::SetRuns(i, n)))
    };
    let status = match busy_here.map(|(_, b, _)| b) {
        Some(Busy::Run) => Some("Running…".to_string()),
        Some(Busy::Repeat { done, total }) => Some(format!("Run {done} of {total}…")),
        None => None,
    };
    let title_id = format!("exp-{slug}-title");
    html! {
        <section id={format!("exp-{slug}")} class={classes!("card", "experiment", (focus == Some(slug)).then_some("focus"))}
            aria-labelledby={title_id.clone()} data-testid="experiment" data-experiment={slug}>
            <h2 id={title_id}>{info.title}</h2>
            <p class="what">{info.question}<br/><span class="muted">{format!("From the tutorial: {}", info.seed_section)}</span></p>
            <div class="row">
                { for e.req.params(MAX_THREADS).into_iter().map(|p| param_field(state, i, p, any_busy)) }
            </div>
            <div class="row" style="margin-top:.7rem">
                if busy_here.is_some() {
                    <button type="button" onclick={on_cancel}>{"Cancel"}</button>
                } else {
                    <button type="button" class="primary" onclick={on_run} disabled={!can_run}>{"Run"}</button>
                    <NumberField label="Runs" id={format!("runs-{slug}")} value={e.runs} min={1} max={MAX_RUNS} on_change={on_runs}
                        disabled={any_busy} hint="for Repeat" />
                    <button type="button" onclick={on_repeat} disabled={!can_run}>{format!("Repeat {}×", e.runs)}</button>
                }
                <span class="muted" role="status" aria-live="polite">{status.unwrap_or_default()}</span>
            </div>
            if let Some(err) = &e.error {
                <p class="error-text" role="alert">{err.clone()}</p>
            }
            if let Some(r) = &e.report {
                {report_view(slug, r, e.done)}
            }
            if let Some(rep) = &e.repeat {
                {histogram_view(slug, rep)}
            }
        </section>
    }
}

fn param_field(state: &UseReducerHandle<LabState>, i: usize, p: Param, disabled: bool) -> Html {
    let key = p.key;
    let id = format!("{}-{key}", state.experiments[i].req.slug());
    match (p.kind, p.value) {
        (Kind::Int { min, max }, Value::Int(v)) => {
            let state = state.clone();
            html! {
                <NumberField label={p.label} id={id} value={v} min={min} max={max} hint={if p.help.is_empty() { format!("{}–{}", group(min), group(max)) } else { p.help.to_string() }}
                    disabled={disabled}
                    on_change={Callback::from(move |n: u64| state.dispatch(Action::Set(i, key, Value::Int(n))))} />
            }
        }
        (Kind::Choice(options), Value::Choice(cur)) => {
            let state = state.clone();
            html! {
                <label class="field" for={id.clone()}>{p.label}
                    <select id={id} disabled={disabled} onchange={Callback::from(move |ev: Event| {
                        let v = ev.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
                        if let Some((val, _)) = options.iter().find(|(val, _)| *val == v) {
                            state.dispatch(Action::Set(i, key, Value::Choice(val)));
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
                        state.dispatch(Action::Set(i, key, Value::Flag(on)));
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
    for f in &figures {
        attrs.insert(format!("data-{}", f.key).into(), f.value.clone().into());
    }
    let mut tag = VTag::new("div");
    tag.set_attributes(attrs);
    let (okey, olabel, outcome) = r.outcome();
    let headline = figures.iter().find(|f| f.key == okey).map(|f| f.value.clone()).unwrap_or_else(|| format!("{outcome:?}"));
    tag.add_child(html! {
        <p class="result-line">{format!("{olabel}: {headline}")}</p>
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
                        <span class="lbl">{label.clone()}</span>
                        <span class="fill" style={format!("width: {pct:.1}%")}></span>
                        <span class="cnt">{n}</span>
                    </div>
                }
            }) }
        </figure>
    }
}
