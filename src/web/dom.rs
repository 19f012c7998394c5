//! Small DOM helpers: location hash, capability checks, clocks.

use wasm_bindgen::JsValue;

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// The current `location.hash` (empty when unavailable).
pub fn hash() -> String {
    window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// Replaces the hash without adding a history entry (used for the schedule as it grows).
pub fn replace_hash(hash: &str) {
    if let Some(w) = window() {
        if let Ok(h) = w.history() {
            let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(hash));
        }
    }
}

/// Why real threads are unavailable here, or `None` when they are available.
pub fn threads_unavailable_reason() -> Option<String> {
    let global = js_sys::global();
    let isolated = js_sys::Reflect::get(&global, &JsValue::from_str("crossOriginIsolated"))
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let has_sab = js_sys::Reflect::get(&global, &JsValue::from_str("SharedArrayBuffer"))
        .map(|v| !v.is_undefined())
        .unwrap_or(false);
    if !isolated {
        Some(
            "This page is not cross-origin isolated, so the browser withholds the shared memory \
             (SharedArrayBuffer) that real threads need. Serve it with the headers \
             Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: \
             require-corp (./scripts/serve.sh does). Where the host cannot, Lockstep's service \
             worker adds them after one reload; it needs HTTPS (or localhost) and a browser \
             that allows service workers."
                .to_string(),
        )
    } else if !has_sab {
        Some(
            "This browser does not offer SharedArrayBuffer, which real threads need. \
             Use a current Chrome, Edge, Firefox or Safari."
                .to_string(),
        )
    } else {
        None
    }
}

/// Logical processors the browser reports (`navigator.hardwareConcurrency`).
pub fn hardware_concurrency() -> u32 {
    window().map(|w| w.navigator().hardware_concurrency() as u32).unwrap_or(0)
}

/// `performance.now()` on the window, in ms.
pub fn now_ms() -> f64 {
    window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}
