//! The lesson's "Run on real threads" panel: the lab's counter experiment on the worker pool.
//!
//! The lesson's Lock switch picks racy (off) or mutex (on); atomic `fetch_add` is a third
//! choice. Every figure comes from `lab::run` on the pool at the moment Run is pressed.

use std::rc::Rc;

use lab::{Cancel, CounterMode, CounterParams, CounterReport, LabReport, LabRequest};
use yew::prelude::*;

use super::pool::{use_cancel_on_unmount, use_pool, PoolNotice};
use super::widgets::{group, NumberField};
use crate::web::pool::{run_on_pool, MAX_EXPERIMENT_THREADS};

/// Runs kept in the little history table.
const HISTORY: usize = 8;

/// Which counter the panel runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Racy when the lesson's lock is off, mutex when it is on.
    FollowLock,
    /// `fetch_add`.
    Atomic,
}

#[derive(Clone)]
struct State {
    choice: Choice,
    threads: u32,
    increments: u64,
    running: Option<Cancel>,
    last: Option<CounterReport>,
    history: Vec<CounterReport>,
    error: Option<String>,
    /// Completed runs, so each result element is distinguishable (`data-run`).
    runs: u64,
}

enum Action {
    SetChoice(Choice),
    SetThreads(u32),
    SetIncrements(u64),
    Started(Cancel),
    Finished(Result<CounterReport, String>),
}

impl Reducible for State {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::SetChoice(c) => s.choice = c,
            Action::SetThreads(t) => s.threads = t,
            Action::SetIncrements(n) => s.increments = n,
            Action::Started(c) => {
                s.running = Some(c);
                s.error = None;
            }
            Action::Finished(Ok(r)) => {
                s.running = None;
                s.runs += 1;
                s.history.insert(0, r.clone());
                s.history.truncate(HISTORY);
                s.last = Some(r);
            }
            Action::Finished(Err(e)) => {
                s.running = None;
                s.error = Some(e);
            }
        }
        Rc::new(s)
    }
}

#[derive(Properties, PartialEq)]
pub struct RealCounterProps {
    /// The lesson's lock switch.
    pub lock_on: bool,
    /// Lets the mode buttons flip the lesson's lock switch.
    pub on_set_lock: Callback<bool>,
}

/// The lesson's real-threads counter.
#[function_component(RealCounter)]
pub fn real_counter(props: &RealCounterProps) -> Html {
    let pool = use_pool();
    let state = use_reducer(|| {
        let d = CounterParams::default();
        State {
            choice: Choice::FollowLock,
            threads: d.threads,
            increments: d.increments,
            running: None,
            last: None,
            history: Vec::new(),
            error: None,
            runs: 0,
        }
    });
    use_cancel_on_unmount(state.running.clone());
    let mode = match state.choice {
        Choice::Atomic => CounterMode::Atomic,
        Choice::FollowLock if props.lock_on => CounterMode::Mutex,
        Choice::FollowLock => CounterMode::Racy,
    };
    let params = CounterParams { mode, threads: state.threads, increments: state.increments };
    let max_threads = MAX_EXPERIMENT_THREADS;

    let on_run = {
        let state = state.clone();
        Callback::from(move |_| {
            let cancel = Cancel::new();
            state.dispatch(Action::Started(cancel.clone()));
            let state = state.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let res = match run_on_pool(LabRequest::Counter(params), cancel).await {
                    Ok(LabReport::Counter(r)) => Ok(r),
                    Ok(other) => Err(format!("unexpected report for {}", other.slug())),
                    Err(e) => Err(e.to_string()),
                };
                state.dispatch(Action::Finished(res));
            });
        })
    };
    let on_cancel = {
        let state = state.clone();
        Callback::from(move |_| {
            if let Some(c) = &state.running {
                c.cancel();
            }
        })
    };
    let pick = |choice: Choice, lock: Option<bool>| {
        let state = state.clone();
        let on_set_lock = props.on_set_lock.clone();
        Callback::from(move |_: Event| {
            state.dispatch(Action::SetChoice(choice));
            if let Some(l) = lock {
                on_set_lock.emit(l);
            }
        })
    };
    let running = state.running.is_some();
    let can_run = pool.is_ready() && !running;
    // Native radios: arrow keys move between them, as a radio group should.
    let radio = |label: &'static str, hint: &'static str, checked: bool, cb: Callback<Event>| {
        html! {
            <label class={classes!("seg", checked.then_some("checked"))} title={hint}>
                <input type="radio" name="counter-mode" checked={checked} disabled={running} onchange={cb} />
                {label}
            </label>
        }
    };

    html! {
        <section class="card" aria-labelledby="real-heading">
            <h3 id="real-heading">{"Run it on real threads"}</h3>
            <p class="muted">
                {"Real Web Worker threads sharing one counter in memory. "}
                {"Racy is a separate load then store (the same two steps as LOAD_GLOBAL … STORE_GLOBAL); mutex wraps them in a lock; atomic uses one indivisible fetch_add. "}
                <a href="#/lab/counter">{"More modes (spin lock, GIL emulation) and repeat histograms in the lab."}</a>
            </p>
            <PoolNotice />
            <div class="row segmented" role="radiogroup" aria-label="Counter mode">
                {radio("Racy (lock off)", "load, add 1, store: no lock", state.choice == Choice::FollowLock && !props.lock_on, pick(Choice::FollowLock, Some(false)))}
                {radio("Mutex (lock on)", "the same, inside a mutex", state.choice == Choice::FollowLock && props.lock_on, pick(Choice::FollowLock, Some(true)))}
                {radio("Atomic fetch_add", "one indivisible hardware increment", state.choice == Choice::Atomic, pick(Choice::Atomic, None))}
            </div>
            <div class="row" style="margin-top:.6rem">
                <NumberField label="Threads" value={u64::from(state.threads)} min={1} max={max_threads}
                    hint={format!("1–{max_threads}; this device has {} cores", crate::web::dom::hardware_concurrency())}
                    disabled={running}
                    on_change={{ let s = state.clone(); Callback::from(move |v: u64| s.dispatch(Action::SetThreads(v as u32))) }} />
                <NumberField label="Increments per thread" value={state.increments} min={1} max={lab::counter::MAX_INCREMENTS}
                    hint={format!("up to {}", group(lab::counter::MAX_INCREMENTS))} step={Some(1_000_000)} disabled={running}
                    on_change={{ let s = state.clone(); Callback::from(move |v: u64| s.dispatch(Action::SetIncrements(v))) }} />
                if running {
                    <button type="button" onclick={on_cancel}>{"Cancel"}</button>
                } else {
                    <button type="button" class="primary" onclick={on_run} disabled={!can_run}
                        aria-describedby="real-run-hint">{"Run on real threads"}</button>
                }
            </div>
            <p id="real-run-hint" class="muted" role="status" aria-live="polite">
                { if running {
                    format!("Running {} × {} increments ({})…", state.threads, group(state.increments), mode.slug())
                } else if !pool.is_ready() {
                    "The Run button unlocks when the worker threads are ready.".to_string()
                } else {
                    format!("Will run {} × {} = {} increments, {}.", state.threads, group(state.increments), group(u64::from(state.threads) * state.increments), mode.slug())
                } }
            </p>
            if let Some(e) = &state.error {
                <p class="error-text" role="alert">{format!("The run failed: {e}")}</p>
            }
            if let Some(r) = &state.last {
                {result_view(r, state.runs)}
            }
            if state.history.len() > 1 {
                <details>
                    <summary class="muted">{format!("Last {} runs", state.history.len())}</summary>
                    <table class="muted">
                        <thead><tr><th>{"mode"}</th><th>{"threads"}</th><th>{"expected"}</th><th>{"actual"}</th><th>{"lost"}</th><th>{"ms"}</th></tr></thead>
                        <tbody>
                        { for state.history.iter().map(|r| html! {
                            <tr><td>{r.mode.slug()}</td><td>{r.threads}</td><td>{group(r.expected)}</td><td>{group(r.actual)}</td><td>{group(r.lost)}</td><td>{format!("{:.1}", r.ms)}</td></tr>
                        }) }
                        </tbody>
                    </table>
                </details>
            }
        </section>
    }
}

fn result_view(r: &CounterReport, run: u64) -> Html {
    let verdict = if r.cancelled {
        html! { <p class="result-line">{"Cancelled: the figures cover the increments done before the cancel."}</p> }
    } else if r.lost > 0 {
        html! { <p class="result-line outcome bad">{format!(
            "{} updates were lost: {:.2}% of the increments were overwritten by another thread's store.",
            group(r.lost), r.lost as f64 * 100.0 / r.expected.max(1) as f64)}</p> }
    } else if r.mode.is_exact() {
        html! { <p class="result-line outcome good">{format!("Exact: {} of {}, as {} guarantees.", group(r.actual), group(r.expected), r.mode.slug())}</p> }
    } else {
        html! { <p class="result-line outcome good">{"Nothing lost this time — the race is still there: run again, or raise the increments."}</p> }
    };
    html! {
        <div data-testid="real-result" data-run={run.to_string()} data-mode={r.mode.slug()} data-threads={r.threads.to_string()}
            data-expected={r.expected.to_string()} data-actual={r.actual.to_string()} data-lost={r.lost.to_string()}
            data-ms={format!("{:.1}", r.ms)} data-cancelled={r.cancelled.to_string()}>
            {verdict}
            <div class="figures">
                {figure("Expected", group(r.expected), "")}
                {figure("Actual", group(r.actual), if r.lost > 0 { "bad" } else { "good" })}
                {figure("Lost", group(r.lost), if r.lost > 0 { "bad" } else { "" })}
                {figure("Time", format!("{:.1} ms", r.ms), "")}
                {figure("Threads", r.threads.to_string(), "")}
                {figure("Per second", format!("{:.1} M", r.per_sec / 1e6), "")}
            </div>
            <p class="muted">{r.explanation}</p>
        </div>
    }
}

fn figure(k: &str, v: String, class: &'static str) -> Html {
    html! { <div class={classes!("figure", (!class.is_empty()).then_some(class))}><div class="k">{k.to_string()}</div><div class="v">{v}</div></div> }
}
