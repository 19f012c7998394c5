//! "Which interleavings break it?": the exhaustive explorer, run in slices on the main thread.
//!
//! Each slice expands a bounded number of states and yields to the browser (a zero-delay
//! timeout), so the page stays responsive; a new lock setting or leaving the page abandons a
//! run in progress (a generation counter).

use std::cell::RefCell;
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use sim::{ExploreLimits, ExploreReport, ExploreStatus, Explorer, Outcome, OutcomeClass, OutcomeStats, Schedule};
use yew::prelude::*;

use crate::lessons;
use crate::web::dom;

/// State expansions per slice: a few milliseconds of work at lesson sizes.
const SLICE: usize = 2_000;

#[derive(Clone, PartialEq)]
enum Status {
    Idle,
    Running { states: usize },
    Done { report: ExploreReport, ms: f64 },
    Failed(String),
}

#[derive(Properties, PartialEq)]
pub struct ExplorePanelProps {
    pub lesson: &'static str,
    pub lock: bool,
    /// Replays a schedule in the lanes.
    pub on_replay: Callback<Schedule>,
}

#[function_component(ExplorePanel)]
pub fn explore_panel(props: &ExplorePanelProps) -> Html {
    let status = use_state(|| Status::Idle);
    let generation = use_mut_ref(|| 0u32);
    let explorer: Rc<RefCell<Option<Explorer>>> = use_mut_ref(|| None);

    // A new lock setting is a new scenario: forget the old result, stop a run in progress.
    {
        let (status, generation) = (status.clone(), generation.clone());
        use_effect_with(props.lock, move |_| {
            *generation.borrow_mut() += 1;
            status.set(Status::Idle);
            move || *generation.borrow_mut() += 1
        });
    }

    let on_explore = {
        let (status, generation, explorer) = (status.clone(), generation.clone(), explorer.clone());
        let (slug, lock) = (props.lesson, props.lock);
        Callback::from(move |_| {
            let Some(lesson) = lessons::by_slug(slug) else { return };
            let made = lesson
                .build(lock)
                .map_err(|e| e.to_string())
                .and_then(|scn| Explorer::new(scn, ExploreLimits::default()).map_err(|e| e.to_string()));
            match made {
                Err(e) => status.set(Status::Failed(e)),
                Ok(ex) => {
                    *explorer.borrow_mut() = Some(ex);
                    let gen = {
                        let mut g = generation.borrow_mut();
                        *g += 1;
                        *g
                    };
                    status.set(Status::Running { states: 0 });
                    slice(explorer.clone(), status.clone(), generation.clone(), gen, dom::now_ms());
                }
            }
        })
    };

    let var = lessons::by_slug(props.lesson).map(|l| l.headline_var).unwrap_or("counter");
    let body = match &*status {
        Status::Idle => html! {
            <p class="muted">{ if props.lock {
                "With the lock on, can any order of steps lose an update? Check every one."
            } else {
                "How many orders of steps are there, and how many lose an update? Check every one."
            } }</p>
        },
        Status::Running { states } => html! {
            <p role="status" aria-live="polite">{format!("Exploring… {states} states so far")}</p>
        },
        Status::Failed(e) => html! { <p class="error-text" role="alert">{format!("The explorer could not start: {e}")}</p> },
        Status::Done { report, ms } => report_view(report, *ms, var, props.lock, props.on_replay.clone()),
    };
    let running = matches!(*status, Status::Running { .. });
    html! {
        <section class="card" aria-labelledby="explore-heading">
            <h3 id="explore-heading">{"Which interleavings break it?"}</h3>
            <p class="muted">{"The explorer runs every possible order of the threads' steps (deduplicating states it has seen), counts the schedules that reach each outcome and keeps the shortest one, which it can replay for you step by step."}</p>
            <div class="row">
                <button type="button" class="primary" onclick={on_explore} disabled={running}>
                    { if matches!(*status, Status::Done { .. }) { "Explore again" } else { "Explore every interleaving" } }
                </button>
            </div>
            <div aria-live="polite">{body}</div>
        </section>
    }
}

fn slice(
    explorer: Rc<RefCell<Option<Explorer>>>,
    status: UseStateHandle<Status>,
    generation: Rc<RefCell<u32>>,
    gen: u32,
    started: f64,
) {
    Timeout::new(0, move || {
        if *generation.borrow() != gen {
            return;
        }
        let step = explorer.borrow_mut().as_mut().map(|e| e.run(SLICE));
        match step {
            Some(ExploreStatus::Running { states, .. }) => {
                status.set(Status::Running { states });
                slice(explorer, status, generation, gen, started);
            }
            Some(ExploreStatus::Done(report)) => {
                *explorer.borrow_mut() = None;
                status.set(Status::Done { report, ms: dom::now_ms() - started });
            }
            None => {}
        }
    })
    .forget();
}

fn report_view(r: &ExploreReport, ms: f64, var: &str, lock: bool, on_replay: Callback<Schedule>) -> Html {
    let total = r.schedules;
    let bad = r.bad_schedules;
    let shortest_bad = r.bad().min_by_key(|o| o.shortest.len()).map(|o| o.shortest.clone());
    let headline = if bad == 0 {
        format!("0 of {total} interleavings lose an update.")
    } else {
        format!("{total} interleavings, {bad} lose an update.")
    };
    html! {
        <div data-testid="explore-result" data-lock={if lock { "on" } else { "off" }} data-total={total.to_string()} data-bad={bad.to_string()}
            data-states={r.states.to_string()} data-truncated={r.truncated.to_string()}>
            <p class={classes!("outcome", if bad == 0 { "good" } else { "bad" })}>
                {headline}
                <p>{format!("{} distinct states, explored in {ms:.0} ms{}.", r.states, if r.truncated { " (stopped at the explorer's limits: the counts are a lower bound)" } else { "" })}</p>
            </p>
            if let Some(s) = shortest_bad {
                <button type="button" class="primary" onclick={{ let on_replay = on_replay.clone(); let s = s.clone(); Callback::from(move |_| on_replay.emit(s.clone())) }}>
                    {format!("Show me the shortest ({} steps)", s.len())}
                </button>
            }
            <table class="muted" style="margin-top:.6rem">
                <caption class="sr-only">{"Outcomes"}</caption>
                <thead><tr><th scope="col">{"outcome"}</th><th scope="col">{"schedules"}</th><th scope="col">{"shortest"}</th><th></th></tr></thead>
                <tbody>
                { for r.outcomes.iter().map(|o| {
                    let label = outcome_label(o, var);
                    let s = o.shortest.clone();
                    let on_replay = on_replay.clone();
                    html! {
                        <tr>
                            <td>{label}</td>
                            <td>{o.schedules.to_string()}</td>
                            <td>{format!("{} steps", o.shortest.len())}</td>
                            <td><button type="button" onclick={Callback::from(move |_| on_replay.emit(s.clone()))}
                                aria-label={format!("Replay a shortest schedule ending: {}", outcome_label(o, var))}>{"Replay"}</button></td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
        </div>
    }
}

fn outcome_label(o: &OutcomeStats, var: &str) -> String {
    match (&o.class, &o.example) {
        (OutcomeClass::Finished { vars }, _) => match vars.iter().find(|(n, _)| n == var) {
            Some((_, v)) => format!("{var} = {v} (correct)"),
            None => o.class.to_string(),
        },
        (OutcomeClass::Violated { .. }, Some(Outcome::Violated { vars, .. })) => {
            match vars.iter().find(|(n, _)| n == var) {
                Some((_, v)) => format!("{var} = {v}: lost update"),
                None => "lost update".to_string(),
            }
        }
        (other, _) => other.to_string(),
    }
}
