//! Yew UI: draws state and dispatches actions; effects (timers, pool, URL) live in hooks.
//!
//! `App` owns the route (from `location.hash`) and the worker-pool status, shared through a
//! context. Pages: `home` (the course map), `lesson` (one page for every lesson: `stage`,
//! `state_panel`, `timeline`, `graph`, `outcome`, `explore`, and the real-threads
//! `experiment` card it shares with `lab_page`) and `lab`.

mod experiment;
mod explore;
mod graph;
mod home;
mod keys;
mod lab_page;
mod lesson;
mod markup;
mod outcome;
mod pool;
mod predict;
mod progress;
mod prose;
mod quiz;
mod real_timeline;
mod stage;
mod state_panel;
mod timeline;
mod widgets;

use gloo::events::EventListener;
use yew::prelude::*;

use crate::route::Route;
use crate::web::dom;

/// The whole app.
#[function_component(App)]
pub fn app() -> Html {
    let route = use_state(|| Route::parse(&dom::hash()));
    {
        let route = route.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                EventListener::new(&w, "hashchange", move |_| route.set(Route::parse(&dom::hash())))
            });
            move || drop(listener)
        });
    }
    // Scroll to the top when the page (not just its query) changes; a lab link that names an
    // experiment scrolls to it instead (the lab page does that).
    let page_key = match &*route {
        Route::Home => "home".to_string(),
        Route::Lesson { slug, .. } => format!("lesson/{slug}"),
        Route::Lab { focus } => format!("lab/{}", focus.as_deref().unwrap_or("")),
        Route::NotFound { .. } => "404".to_string(),
    };
    use_effect_with(page_key, |key| {
        if key == "lab/" || !key.starts_with("lab/") {
            if let Some(w) = web_sys::window() {
                w.scroll_to_with_x_and_y(0.0, 0.0);
            }
        }
    });

    let page = match &*route {
        Route::Home => html! { <home::Home /> },
        Route::Lesson { slug, query } => match crate::lessons::by_slug(slug) {
            Some(lesson) => html! { <lesson::LessonPage key={lesson.slug} lesson={lesson.slug} query={query.clone()} /> },
            None => html! { <NotFound asked={format!("lesson “{slug}”")} /> },
        },
        Route::Lab { focus } => html! { <lab_page::LabPage focus={focus.clone()} /> },
        Route::NotFound { asked } => html! { <NotFound asked={asked.clone()} /> },
    };
    let current = match &*route {
        Route::Lab { .. } => "lab",
        Route::Lesson { .. } | Route::Home => "lessons",
        Route::NotFound { .. } => "",
    };

    html! {
        <pool::PoolProvider>
        <progress::ProgressProvider>
            <a class="skip-link" href="#main" onclick={Callback::from(|e: MouseEvent| {
                e.prevent_default();
                if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("main")) {
                    let _ = el.unchecked_into::<web_sys::HtmlElement>().focus();
                }
            })}>{"Skip to content"}</a>
            <header class="topbar">
                <a class="brand" href="#/" aria-label="Lockstep home">
                    <svg viewBox="0 0 32 32" aria-hidden="true"><rect width="32" height="32" rx="7" fill="#1f2937"/><rect x="7" y="6" width="5" height="20" rx="2.5" fill="#3b82f6"/><rect x="20" y="6" width="5" height="20" rx="2.5" fill="#f59e0b"/><rect x="11" y="14" width="10" height="4" rx="2" fill="#e5e7eb"/></svg>
                    {"Lockstep"}
                </a>
                <nav aria-label="Main">
                    <a href="#/" aria-current={(current == "lessons").then_some("page")}>{"Lessons"}</a>
                    <a href="#/lab" aria-current={(current == "lab").then_some("page")}>{"Lab"}</a>
                </nav>
                <pool::PoolBadge />
            </header>
            <main id="main" tabindex="-1">{page}</main>
            <footer>
                {"Lockstep models CPython 3.11 bytecode in the stepper and measures real threads (Web Workers over shared memory) in the lab. Lesson code comes from “Thread Safety in Python: From First Principles”."}
                {" Press "}<kbd>{"?"}</kbd>{" for keyboard shortcuts."}
            </footer>
            <keys::KeysOverlay />
        </progress::ProgressProvider>
        </pool::PoolProvider>
    }
}

#[derive(Properties, PartialEq)]
struct NotFoundProps {
    asked: String,
}

#[function_component(NotFound)]
fn not_found(props: &NotFoundProps) -> Html {
    html! {
        <section class="card" role="alert">
            <h1>{"Nothing here"}</h1>
            <p>{format!("Lockstep has no page for {}. ", props.asked)}<a href="#/">{"See all lessons"}</a>{" or open the "}<a href="#/lab">{"lab"}</a>{"."}</p>
        </section>
    }
}

use wasm_bindgen::JsCast;

/// Mounts the app on `<body>`.
pub fn start() {
    // The workers load while the first page renders.
    if dom::threads_unavailable_reason().is_none() {
        crate::web::pool::start_pool();
    }
    yew::Renderer::<App>::new().render();
}
