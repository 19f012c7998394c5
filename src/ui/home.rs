//! The course map: the lessons in the tutorial's order, grouped by the tutorial's parts, and
//! the lab.

use yew::prelude::*;

use super::progress::{use_progress, Change};
use crate::lessons::{self, Lesson, Part};

#[function_component(Home)]
pub fn home() -> Html {
    let progress = use_progress();
    let confirming = use_state(|| false);
    // Focus follows the reset control as it changes shape: onto "Yes, reset" when asked, back
    // onto the progress line when done or cancelled.
    let (yes_ref, line_ref) = (use_node_ref(), use_node_ref());
    {
        let (yes_ref, line_ref) = (yes_ref.clone(), line_ref.clone());
        let first = use_mut_ref(|| true);
        use_effect_with(*confirming, move |&asking| {
            if std::mem::replace(&mut *first.borrow_mut(), false) {
                return;
            }
            let target = if asking { yes_ref.cast::<web_sys::HtmlElement>() } else { line_ref.cast::<web_sys::HtmlElement>() };
            if let Some(el) = target {
                let _ = el.focus();
            }
        });
    }
    let mut parts: Vec<(Part, Vec<&'static Lesson>)> = Vec::new();
    for l in lessons::all() {
        match parts.last_mut() {
            Some((p, ls)) if *p == l.part => ls.push(l),
            _ => parts.push((l.part, vec![l])),
        }
    }
    html! {
        <>
            <section class="hero">
                <p class="eyebrow">{"Thread safety, step by step"}</p>
                <h1>{"Be the scheduler. Then race real threads."}</h1>
                <p class="lede">
                    {"Each lesson runs the Python from the tutorial two ways: stepped, one CPython bytecode at a time, where you decide which thread moves next and can search every interleaving; and for real, on Web Worker threads sharing memory, where the numbers are measured on your machine the moment you press Run."}
                </p>
            </section>
            <section class="progress-bar-row" aria-label="Your progress" data-testid="course-progress"
                data-complete={progress.0.lessons_complete().to_string()}>
                <p ref={line_ref} tabindex="-1">{ if progress.0.is_empty() {
                    "Your progress is kept in this browser only: each goal you meet is ticked off here.".to_string()
                } else {
                    format!("{} of {} lessons complete. Progress is kept in this browser only.", progress.0.lessons_complete(), lessons::all().len())
                } }</p>
                if !progress.0.is_empty() {
                    if *confirming {
                        <span class="row" role="group" aria-label="Reset progress?">
                            <span>{"Forget every goal and prediction?"}</span>
                            <button type="button" class="danger" data-testid="reset-confirm" ref={yes_ref} onclick={{
                                let (progress, confirming) = (progress.clone(), confirming.clone());
                                Callback::from(move |_| { progress.dispatch(Change::Reset); confirming.set(false); })
                            }}>{"Yes, reset"}</button>
                            <button type="button" onclick={{ let c = confirming.clone(); Callback::from(move |_| c.set(false)) }}>{"Cancel"}</button>
                        </span>
                    } else {
                        <button type="button" data-testid="reset-progress" onclick={{ let c = confirming.clone(); Callback::from(move |_| c.set(true)) }}>{"Reset progress"}</button>
                    }
                }
            </section>
            { for parts.iter().map(|(part, ls)| {
                let id = format!("part-{}", part.title().to_lowercase().replace(' ', "-"));
                html! {
                    <section class="part" aria-labelledby={id.clone()}>
                        <h2 id={id.clone()}>{part.title()}</h2>
                        <ol class="lesson-list" aria-labelledby={id}>
                            { for ls.iter().map(|l| {
                                let (met, goals) = progress.0.score(l);
                                html! {
                                <li>
                                    <a class={classes!("card", (met == goals).then_some("complete"))} href={format!("#/lesson/{}", l.slug)} data-testid="lesson-link" data-lesson={l.slug}
                                        data-progress={format!("{met}/{goals}")}>
                                        <span class="num">{format!("lesson {}", l.number())}
                                            <span class={classes!("progress-chip", (met == goals).then_some("done"))}>
                                                { if met == goals { format!("✓ {goals} of {goals} goals") } else { format!("{met} of {goals} goals") } }
                                            </span>
                                        </span>
                                        <h3>{l.title()}</h3>
                                        <p>{super::markup::raw(l.text().summary)}</p>
                                    </a>
                                </li>
                            }}) }
                        </ol>
                    </section>
                }
            }) }
            <section class="part" aria-labelledby="part-lab">
                <h2 id="part-lab">{"The lab"}</h2>
                <ol class="lesson-list" aria-labelledby="part-lab">
                    <li>
                        <a class="card" href="#/lab">
                            <span class="num">{format!("lab · {} experiments", lab::SLUGS.len())}</span>
                            <h3>{"The real-threads lab"}</h3>
                            <p>{"Counters, locks, semaphores, reader-writer locks, deadlocks, caches, queues and singletons, measured on real threads with outcome histograms."}</p>
                        </a>
                    </li>
                </ol>
            </section>
        </>
    }
}
