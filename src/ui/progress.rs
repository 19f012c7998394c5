//! The learner's progress for the whole app: read once from `localStorage` when the app
//! mounts, written back on every change. Unreadable or foreign data reads as no progress
//! ([`crate::progress::Progress`]); a storage that refuses to be read or written (cookies
//! blocked, a full quota) leaves progress working for this visit only.
//!
//! Through `web_sys::Storage`, not gloo's storage: gloo's `LocalStorage::get`/`delete` (and its
//! `raw()`) panic when the browser's storage throws, as it does with site data blocked, and a
//! panic here would take the whole page down.

use std::rc::Rc;

use yew::prelude::*;

use crate::lessons::Lesson;
use crate::progress::{Ask, Progress, KEY};

/// What changes progress.
pub enum Change {
    /// A variant's goal was met: (lesson, variant slug).
    Meet(&'static Lesson, &'static str),
    /// A prediction: (lesson, variant slug, where, choice).
    Predict(&'static Lesson, &'static str, Ask, usize),
    /// Forget everything.
    Reset,
}

/// The shared progress.
#[derive(Clone, Debug, PartialEq)]
pub struct Store(pub Progress);

impl Reducible for Store {
    type Action = Change;
    fn reduce(self: Rc<Self>, change: Change) -> Rc<Self> {
        let mut p = self.0.clone();
        match change {
            Change::Meet(l, v) => {
                if !p.meet(l, v) {
                    return self;
                }
            }
            Change::Predict(l, v, ask, c) => {
                if p.prediction(l, v, ask) == Some(c) {
                    return self;
                }
                p.predict(l, v, ask, c);
            }
            Change::Reset => {
                if let Some(s) = storage() {
                    let _ = s.remove_item(KEY);
                }
                return Rc::new(Store(Progress::new()));
            }
        }
        // A refused write (quota, storage blocked) keeps this visit's progress in memory.
        if let Some(s) = storage() {
            let _ = s.set_item(KEY, &p.to_json());
        }
        Rc::new(Store(p))
    }
}

/// A handle to read and change progress.
pub type ProgressHandle = UseReducerHandle<Store>;

/// The page's `localStorage`, if the browser lets the page have it.
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn load() -> Progress {
    Progress::from_json(storage().and_then(|s| s.get_item(KEY).ok().flatten()).as_deref())
}

#[derive(Properties, PartialEq)]
pub struct ProgressProviderProps {
    pub children: Html,
}

/// Provides the progress to the app.
#[function_component(ProgressProvider)]
pub fn progress_provider(props: &ProgressProviderProps) -> Html {
    let store = use_reducer(|| Store(load()));
    html! {
        <ContextProvider<ProgressHandle> context={store}>{props.children.clone()}</ContextProvider<ProgressHandle>>
    }
}

/// The app's progress (a fresh, unsaved one outside the provider).
#[hook]
pub fn use_progress() -> ProgressHandle {
    let fallback = use_reducer(|| Store(Progress::new()));
    use_context::<ProgressHandle>().unwrap_or(fallback)
}
