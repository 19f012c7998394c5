//! A lesson's prose (intro, goals, hints, body): a file of its own that build.rs keeps out of
//! the wasm, fetched when the lesson opens and kept for the rest of the visit. The service
//! worker caches the files with the app, so lessons open offline too.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use yew::prelude::*;

use crate::lessons::{Lesson, Prose};
use crate::web::dom;

/// Where a lesson's prose is.
#[derive(Clone, Debug)]
pub enum ProseState {
    Loading,
    Ready(Rc<Prose>),
    /// Why it could not be had, in words.
    Failed(Rc<str>),
}

impl PartialEq for ProseState {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Loading, Self::Loading) => true,
            (Self::Ready(a), Self::Ready(b)) => Rc::ptr_eq(a, b),
            (Self::Failed(a), Self::Failed(b)) => a == b,
            _ => false,
        }
    }
}

impl ProseState {
    /// The prose, once it is here.
    pub fn get(&self) -> Option<&Prose> {
        match self {
            Self::Ready(p) => Some(p),
            _ => None,
        }
    }

    /// `loading`, `ready` or `failed` (the page's `data-prose`).
    pub fn slug(&self) -> &'static str {
        match self {
            Self::Loading => "loading",
            Self::Ready(_) => "ready",
            Self::Failed(_) => "failed",
        }
    }

    /// A part of the prose, picked from it, as HTML (nothing until the prose is here).
    pub fn html<'a>(&'a self, pick: impl FnOnce(&'a Prose) -> Option<&'a Rc<str>>) -> Html {
        self.get().and_then(pick).map(|h| super::markup::raw(h.clone())).unwrap_or_default()
    }
}

thread_local! {
    /// Prose already fetched, by file.
    static FETCHED: RefCell<HashMap<&'static str, Rc<Prose>>> = RefCell::new(HashMap::new());
}

fn fetched(path: &'static str) -> Option<Rc<Prose>> {
    FETCHED.with(|f| f.borrow().get(path).cloned())
}

/// The lesson's prose, fetched on first use, and a callback that tries again after a failure.
#[hook]
pub fn use_prose(lesson: &'static Lesson) -> (ProseState, Callback<()>) {
    let path = lesson.text().prose;
    let state = use_state(|| fetched(path).map_or(ProseState::Loading, ProseState::Ready));
    let attempt = use_state(|| 0u32);
    {
        let state = state.clone();
        use_effect_with((path, *attempt), move |&(path, attempt)| {
            if fetched(path).is_none() {
                if attempt > 0 {
                    state.set(ProseState::Loading);
                }
                wasm_bindgen_futures::spawn_local(async move {
                    let read = dom::fetch_text(path).await.and_then(|text| Prose::parse(&text));
                    state.set(match read {
                        Ok(prose) => {
                            let prose = Rc::new(prose);
                            FETCHED.with(|f| f.borrow_mut().insert(path, prose.clone()));
                            ProseState::Ready(prose)
                        }
                        Err(e) => ProseState::Failed(Rc::from(e)),
                    });
                });
            }
        });
    }
    let retry = Callback::from(move |()| attempt.set(*attempt + 1));
    ((*state).clone(), retry)
}

/// What the page says while the prose is on its way or when it could not be had.
pub fn status(state: &ProseState, retry: &Callback<()>) -> Html {
    match state {
        ProseState::Ready(_) => html! {},
        ProseState::Loading => html! { <p class="muted prose-status" data-testid="prose-status">{"Loading the lesson's text…"}</p> },
        ProseState::Failed(why) => {
            let retry = retry.clone();
            html! {
                <div class="callout bad prose-status" role="alert" data-testid="prose-status">
                    <p>{format!("The lesson's text could not be loaded: {why}. The stepper, the explorer and the experiment below work without it.")}</p>
                    <button type="button" data-testid="prose-retry" onclick={Callback::from(move |_| retry.emit(()))}>{"Try again"}</button>
                </div>
            }
        }
    }
}
