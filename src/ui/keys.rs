//! The `?` overlay: every keyboard shortcut, on every page. Keys never fire while typing in a
//! field or with Ctrl/Alt/Meta held, and none of them is a key the browser scrolls with.

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// (keys, what they do) on a lesson page.
const LESSON_KEYS: &[(&str, &str)] = &[
    ("1 – 9, 0", "Step thread 1 – 9, 10 (one bytecode instruction)"),
    ("U", "Undo the last step"),
    ("R", "Reset the run to its start"),
    ("P", "Play or pause the chosen scheduler"),
    ("L", "Toggle the lesson's switch (the lock, where it has one)"),
];
/// Keys that work everywhere.
const GLOBAL_KEYS: &[(&str, &str)] = &[
    ("?", "Show or hide this list"),
    ("Esc", "Close this list"),
    ("Tab / Shift+Tab", "Move between controls; Enter or Space presses a button"),
];

/// Whether a key event comes from a text field (where keys belong to the field).
pub fn typing_in_field(e: &web_sys::KeyboardEvent) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA") || el.has_attribute("contenteditable"))
        .unwrap_or(false)
}

/// Whether the overlay is open (page keys stay inactive behind it).
pub fn overlay_open() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("[data-testid=keys-overlay]").ok().flatten())
        .is_some()
}

/// Makes everything but the overlay inert (no focus, no clicks) while it is open.
fn set_inert(on: bool) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    for sel in ["header.topbar", "main", "footer", ".skip-link"] {
        if let Ok(Some(el)) = doc.query_selector(sel) {
            let _ = if on { el.set_attribute("inert", "") } else { el.remove_attribute("inert") };
        }
    }
}

/// Listens for `?` and draws the overlay while open.
#[function_component(KeysOverlay)]
pub fn keys_overlay() -> Html {
    let open = use_state(|| false);
    let close_ref = use_node_ref();
    // Where focus was before opening, to give it back on close.
    let before = use_mut_ref(|| None::<web_sys::HtmlElement>);
    {
        let (open, before) = (open.clone(), before.clone());
        use_effect_with(*open, move |&is_open| {
            let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
                EventListener::new_with_options(&doc, "keydown", EventListenerOptions::enable_prevent_default(), move |e| {
                    let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                    if e.ctrl_key() || e.meta_key() || e.alt_key() || typing_in_field(e) {
                        return;
                    }
                    match e.key().as_str() {
                        "?" => {
                            e.prevent_default();
                            if !is_open {
                                *before.borrow_mut() = web_sys::window()
                                    .and_then(|w| w.document())
                                    .and_then(|d| d.active_element())
                                    .and_then(|el| el.dyn_into().ok());
                            }
                            open.set(!is_open);
                        }
                        "Escape" if is_open => {
                            e.prevent_default();
                            open.set(false);
                        }
                        _ => {}
                    }
                })
            });
            move || drop(listener)
        });
    }
    // Focus the close button on open; give focus back on close.
    {
        let (close_ref, before) = (close_ref.clone(), before.clone());
        use_effect_with(*open, move |&is_open| {
            set_inert(is_open);
            if is_open {
                if let Some(b) = close_ref.cast::<web_sys::HtmlElement>() {
                    let _ = b.focus();
                }
            } else if let Some(el) = before.borrow_mut().take() {
                let _ = el.focus();
            }
        });
    }
    if !*open {
        return html! {};
    }
    let close = {
        let open = open.clone();
        Callback::from(move |_| open.set(false))
    };
    let table = |caption: &'static str, rows: &'static [(&'static str, &'static str)]| {
        html! {
            <table class="keys">
                <caption>{caption}</caption>
                <tbody>
                    { for rows.iter().map(|(k, what)| html! { <tr><th scope="row"><kbd>{*k}</kbd></th><td>{*what}</td></tr> }) }
                </tbody>
            </table>
        }
    };
    html! {
        <div class="overlay" onclick={close.clone()}>
            <div class="card keys-dialog" role="dialog" aria-modal="true" aria-labelledby="keys-title" data-testid="keys-overlay"
                onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <h2 id="keys-title">{"Keyboard shortcuts"}</h2>
                {table("On a lesson page", LESSON_KEYS)}
                {table("Everywhere", GLOBAL_KEYS)}
                <button type="button" class="primary" ref={close_ref} onclick={close}>{"Close"}</button>
            </div>
        </div>
    }
}
