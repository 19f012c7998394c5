//! The lesson list.

use yew::prelude::*;

use crate::lessons;

#[function_component(Home)]
pub fn home() -> Html {
    html! {
        <>
            <section class="hero">
                <p class="eyebrow">{"Thread safety, step by step"}</p>
                <h1>{"Be the scheduler. Then race real threads."}</h1>
                <p class="lede">
                    {"Each lesson runs the Python from the tutorial two ways: stepped, one CPython bytecode at a time, where you decide which thread moves next and can search every interleaving; and for real, on Web Worker threads sharing memory, where the numbers are measured on your machine the moment you press Run."}
                </p>
            </section>
            <h2 id="lessons-heading">{"Lessons"}</h2>
            <ol class="lesson-list" aria-labelledby="lessons-heading">
                { for lessons::all().iter().enumerate().map(|(i, l)| html! {
                    <li>
                        <a class="card" href={format!("#/lesson/{}", l.slug)}>
                            <span class="num">{format!("lesson {}", i + 1)}</span>
                            <h3>{l.title}</h3>
                            <p>{super::markup::inline(l.summary)}</p>
                        </a>
                    </li>
                }) }
                <li>
                    <a class="card" href="#/lab">
                        <span class="num">{format!("lab · {} experiments", lab::SLUGS.len())}</span>
                        <h3>{"The real-threads lab"}</h3>
                        <p>{"Counters, locks, semaphores, reader-writer locks, deadlocks, caches, queues and singletons, measured on real threads with outcome histograms."}</p>
                    </a>
                </li>
            </ol>
        </>
    }
}
