//! "Spot the bug": a lesson whose variants are short snippets (`Lesson::quiz`). The learner
//! judges each one safe or buggy; the page then explores that snippet's scenario and shows the
//! verdict, with the shortest bad schedule one click away in the stepper below.

use std::rc::Rc;

use sim::Schedule;
use yew::prelude::*;

use super::explore::{count, explore_variant, Explored};
use super::pool::use_pool;
use super::progress::{use_progress, Change};
use super::prose::ProseState;
use crate::lessons::{self, Expect};

#[derive(Clone, PartialEq)]
enum Check {
    Idle,
    Exploring { answer: bool },
    Done { answer: bool, result: Explored },
    Failed(String),
}

#[derive(Properties, PartialEq)]
pub struct QuizProps {
    pub lesson: &'static str,
    /// The lesson's prose (each snippet's question is its goal).
    pub prose: ProseState,
    /// Loads snippet `.0` into the stepper and replays `.1` (its shortest bad schedule).
    pub on_show: Callback<(usize, Option<Schedule>)>,
}

/// The quiz: one card per snippet.
#[function_component(Quiz)]
pub fn quiz(props: &QuizProps) -> Html {
    let Some(lesson) = lessons::by_slug(props.lesson) else { return html! {} };
    html! {
        <section class="quiz" aria-labelledby="quiz-heading" data-testid="quiz">
            <h2 id="quiz-heading">{"Spot the bug"}</h2>
            <p class="muted">{"For each snippet, decide: safe, or can some interleaving break it? Your answer is then checked by exploring every interleaving of that snippet."}</p>
            <ol class="quiz-list">
                { for lesson.variants.iter().enumerate().map(|(i, _)| html! {
                    <li><QuizItem lesson={props.lesson} index={i} prose={props.prose.clone()} on_show={props.on_show.clone()} /></li>
                }) }
            </ol>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct QuizItemProps {
    lesson: &'static str,
    index: usize,
    prose: ProseState,
    on_show: Callback<(usize, Option<Schedule>)>,
}

#[function_component(QuizItem)]
fn quiz_item(props: &QuizItemProps) -> Html {
    let check = use_state(|| Check::Idle);
    let alive = use_mut_ref(|| true);
    {
        let alive = alive.clone();
        use_effect_with((), move |_| move || *alive.borrow_mut() = false);
    }
    let progress = use_progress();
    let pool_ready = use_pool().is_ready();
    let Some(lesson) = lessons::by_slug(props.lesson) else { return html! {} };
    let Some(variant) = lesson.variants.get(props.index) else { return html! {} };
    let i = props.index;
    let answer = |says_safe: bool| {
        let (check, alive, progress) = (check.clone(), alive.clone(), progress.clone());
        Callback::from(move |_| {
            if matches!(*check, Check::Exploring { .. }) {
                return;
            }
            check.set(Check::Exploring { answer: says_safe });
            let (c1, alive, progress) = (check.clone(), alive.clone(), progress.clone());
            explore_variant(
                variant,
                pool_ready,
                Rc::new(move || *alive.borrow()),
                Callback::noop(),
                Callback::from(move |r: Result<Explored, String>| match r {
                    Ok(result) => {
                        // A right answer meets the snippet's goal.
                        if says_safe == (result.verdict.bad == 0) {
                            progress.dispatch(Change::Meet(lesson, variant.slug));
                        }
                        c1.set(Check::Done { answer: says_safe, result })
                    }
                    Err(e) => c1.set(Check::Failed(e)),
                }),
            );
        })
    };
    let id = format!("snippet-{}", variant.slug);
    let chosen = match &*check {
        Check::Exploring { answer } | Check::Done { answer, .. } => Some(*answer),
        _ => None,
    };
    let verdict = match &*check {
        Check::Idle => html! {},
        Check::Exploring { .. } => html! { <p role="status">{"Exploring every interleaving…"}</p> },
        Check::Failed(e) => html! { <p class="error-text" role="alert">{format!("The explorer could not run: {e}")}</p> },
        Check::Done { answer, result } => {
            let safe = result.verdict.bad == 0;
            let right = *answer == safe;
            let shortest = result.verdict.shortest_bad.clone();
            let on_show = props.on_show.clone();
            html! {
                <div class={classes!("outcome", if right { "good" } else { "bad" })} role="status">
                    <p class="outcome-title">{ if right { "Right." } else { "Not quite." } }{" "}{
                        if safe {
                            format!("None of its {} interleavings goes wrong.", count(result.verdict.total))
                        } else {
                            format!("{} of its {} interleavings end in the bug.", count(result.verdict.bad), count(result.verdict.total))
                        }
                    }</p>
                    if let Some(s) = shortest {
                        <button type="button" class="primary" onclick={{ let s = s.clone(); Callback::from(move |_| on_show.emit((i, Some(s.clone())))) }}>
                            {format!("Show me the shortest ({} steps)", s.len())}
                        </button>
                    } else {
                        <button type="button" onclick={Callback::from(move |_| on_show.emit((i, None)))}>{"Step through it"}</button>
                    }
                </div>
            }
        }
    };
    let (verdict_attr, correct_attr) = match &*check {
        Check::Done { answer, result } => {
            let safe = result.verdict.bad == 0;
            (Some(if safe { "safe" } else { "bad" }), Some((*answer == safe).to_string()))
        }
        _ => (None, None),
    };
    html! {
        <article class="card quiz-item" aria-labelledby={id.clone()} data-testid="quiz-item" data-variant={variant.slug}
            data-verdict={verdict_attr} data-correct={correct_attr}
            data-expect={match variant.expect { Expect::Bad => "bad", Expect::Safe => "safe", Expect::None => "none" }}>
            <h3 id={id}>{variant.label}</h3>
            <pre class="block"><code>{variant.code}</code></pre>
            <div class="prose">{props.prose.html(|p| p.goal(variant))}</div>
            <div class="row" role="group" aria-label={format!("Your answer for {}", variant.label)}>
                <button type="button" aria-pressed={(chosen == Some(true)).to_string()} onclick={answer(true)}>{"✓ Safe"}</button>
                <button type="button" aria-pressed={(chosen == Some(false)).to_string()} onclick={answer(false)}>{"✗ Has a bug"}</button>
            </div>
            {verdict}
        </article>
    }
}
