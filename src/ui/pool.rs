//! The worker pool's status, shared with every page through a context.
//!
//! The pool starts once, when the app mounts, and only if the page is cross-origin isolated.
//! Until it is ready, every button that needs it stays disabled.

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

#[derive(Properties, PartialEq)]
pub struct PoolProviderProps {
    pub children: Html,
}

/// Starts the pool and provides its status.
#[function_component(PoolProvider)]
pub fn pool_provider(props: &PoolProviderProps) -> Html {
    let status = use_state(|| match dom::threads_unavailable_reason() {
        Some(why) => PoolStatus::Unavailable(why),
        None => PoolStatus::Starting,
    });
    {
        let status = status.clone();
        use_effect_with((), move |_| {
            if *status == PoolStatus::Starting {
                wasm_bindgen_futures::spawn_local(async move {
                    match web_pool::start_pool().await {
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
    html! {
        <ContextProvider<PoolStatus> context={(*status).clone()}>
            {props.children.clone()}
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
        PoolStatus::Starting => html! { <p class="muted" role="status">{"Starting worker threads… the Run buttons unlock when they are ready."}</p> },
        PoolStatus::Ready { .. } => html! {},
    }
}
