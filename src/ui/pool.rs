//! The worker pool's status, shared with every page through a context.
//!
//! The pool starts once, when the app mounts, and only if the page is cross-origin isolated.
//! Until it is ready, every button that needs it stays disabled.

use std::cell::Cell;
use std::rc::Rc;

use yew::prelude::*;

use crate::web::{dom, pool as web_pool};

/// What the real-threads panels may do.
#[derive(Clone, Debug, PartialEq)]
pub enum PoolStatus {
    /// Real threads are impossible here; the text says why and what to do.
    Unavailable(String),
    /// Workers are starting.
    Starting,
    /// Ready: worker count and the time from navigation start (ms).
    Ready { workers: usize, ready_ms: f64 },
    /// Starting failed; the text is the browser's error.
    Failed(String),
    /// A run missed its deadline, so a worker has most likely stopped: the pool cannot be
    /// trusted until the page reloads. The text says what happened.
    Lost(String),
}

impl PoolStatus {
    /// Whether runs may be started.
    pub fn is_ready(&self) -> bool {
        matches!(self, PoolStatus::Ready { .. })
    }
}

/// The pool status from the nearest provider.
#[hook]
pub fn use_pool() -> PoolStatus {
    use_context::<PoolStatus>().unwrap_or(PoolStatus::Starting)
}

/// Reports that the pool lost a worker (a run missed its deadline).
#[derive(Clone, PartialEq)]
pub struct PoolLost(pub Callback<String>);

/// The callback that marks the pool lost, from the nearest provider.
#[hook]
pub fn use_pool_lost() -> Callback<String> {
    use_context::<PoolLost>().map(|p| p.0).unwrap_or_default()
}

#[derive(Properties, PartialEq)]
pub struct PoolProviderProps {
    pub children: Html,
}

/// Whether a real-threads run is in progress anywhere on the page (the pool runs one at a
/// time). The flag is read and set synchronously, so a double click cannot start two runs; the
/// state handle re-renders whoever shows it.
#[derive(Clone)]
pub struct LabBusy {
    flag: Rc<Cell<bool>>,
    view: UseStateHandle<bool>,
}

impl PartialEq for LabBusy {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.flag, &o.flag) && *self.view == *o.view
    }
}

impl LabBusy {
    /// A run is in progress.
    pub fn get(&self) -> bool {
        self.flag.get()
    }
    /// Claims the pool for a run; `false` if a run is already in progress.
    pub fn try_start(&self) -> bool {
        if self.flag.replace(true) {
            return false;
        }
        self.view.set(true);
        true
    }
    /// Releases the pool after a run.
    pub fn finish(&self) {
        self.flag.set(false);
        self.view.set(false);
    }
}

/// The page's run-in-progress flag from the nearest provider.
#[hook]
pub fn use_lab_busy() -> LabBusy {
    let fallback_flag = use_memo((), |_| Cell::new(false));
    let fallback_view = use_state(|| false);
    use_context::<LabBusy>().unwrap_or(LabBusy { flag: fallback_flag, view: fallback_view })
}

/// Starts the pool and provides its status (and the page's run-in-progress flag).
#[function_component(PoolProvider)]
pub fn pool_provider(props: &PoolProviderProps) -> Html {
    let busy_flag = use_memo((), |_| Cell::new(false));
    let busy_view = use_state(|| false);
    let status = use_state(|| match dom::threads_unavailable_reason() {
        Some(why) => PoolStatus::Unavailable(why),
        None => PoolStatus::Starting,
    });
    {
        let status = status.clone();
        use_effect_with((), move |_| {
            if *status == PoolStatus::Starting {
                wasm_bindgen_futures::spawn_local(async move {
                    match web_pool::pool_started().await {
                        Ok(()) => status.set(PoolStatus::Ready {
                            workers: web_pool::POOL_THREADS,
                            ready_ms: dom::now_ms(),
                        }),
                        Err(e) => status.set(PoolStatus::Failed(e)),
                    }
                });
            }
        });
    }
    let lost = {
        let status = status.clone();
        use_memo((), move |_| PoolLost(Callback::from(move |why: String| status.set(PoolStatus::Lost(why)))))
    };
    html! {
        <ContextProvider<PoolStatus> context={(*status).clone()}>
            <ContextProvider<PoolLost> context={(*lost).clone()}>
            <ContextProvider<LabBusy> context={LabBusy { flag: busy_flag, view: busy_view }}>
                {props.children.clone()}
            </ContextProvider<LabBusy>>
            </ContextProvider<PoolLost>>
        </ContextProvider<PoolStatus>>
    }
}

/// The small status line in the top bar.
#[function_component(PoolBadge)]
pub fn pool_badge() -> Html {
    let status = use_pool();
    let (dot, text, state, ms) = match &status {
        PoolStatus::Unavailable(_) => ("off", "Real threads unavailable".to_string(), "unavailable", None),
        PoolStatus::Starting => ("busy", "Starting worker threads…".to_string(), "starting", None),
        PoolStatus::Ready { workers, ready_ms } => (
            "ok",
            format!("{workers} worker threads ready"),
            "ready",
            Some(format!("{ready_ms:.0}")),
        ),
        PoolStatus::Failed(_) => ("off", "Worker threads failed to start".to_string(), "failed", None),
        PoolStatus::Lost(_) => ("off", "A worker thread stopped".to_string(), "lost", None),
    };
    html! {
        <div class="pool-status" data-testid="pool-status" data-state={state} data-ready-ms={ms} role="status">
            <span class={classes!("dot", dot)} aria-hidden="true"></span>{text}
        </div>
    }
}

/// Cancels `running` (the page's run in progress, if any) when the component unmounts, so a
/// learner who leaves mid-run frees the pool for the next page.
#[hook]
pub fn use_cancel_on_unmount(running: Option<lab::Cancel>) {
    let current = use_mut_ref(|| None::<lab::Cancel>);
    *current.borrow_mut() = running;
    use_effect_with((), move |_| {
        move || {
            if let Some(c) = current.borrow().as_ref() {
                c.cancel();
            }
        }
    });
}

/// The explanation shown in place of a real-threads panel when the pool cannot run.
#[function_component(PoolNotice)]
pub fn pool_notice() -> Html {
    match use_pool() {
        PoolStatus::Unavailable(why) => html! {
            <div class="callout warn" role="note" data-testid="threads-unavailable">
                <p><strong>{"Real threads are switched off on this page."}</strong></p>
                <p>{why}</p>
                <p>{"The stepped lessons work without them."}</p>
            </div>
        },
        PoolStatus::Failed(e) => html! {
            <div class="callout bad" role="alert">
                <p><strong>{"The worker threads did not start."}</strong></p>
                <p>{format!("The browser said: {e}. Reload the page to try again.")}</p>
            </div>
        },
        PoolStatus::Lost(why) => html! {
            <div class="callout bad" role="alert" data-testid="pool-lost">
                <p><strong>{"The worker threads stopped answering."}</strong></p>
                <p>{why}</p>
                <p>{"The stepped lessons still work. Reloading the page starts fresh worker threads (your progress is kept)."}</p>
                <button type="button" class="primary" onclick={Callback::from(|_| {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().reload();
                    }
                })}>{"Reload the page"}</button>
            </div>
        },
        PoolStatus::Starting => html! { <p class="muted" role="status">{"Starting worker threads… the Run buttons unlock when they are ready."}</p> },
        PoolStatus::Ready { .. } => html! {},
    }
}
