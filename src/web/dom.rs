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

/// The text of a file of the site, or why it could not be had (offline with nothing cached,
/// a host's error page, a network error) in words for the page.
pub async fn fetch_text(url: &str) -> Result<String, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let words = |e: JsValue| e.as_string().or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())));
    let w = window().ok_or("no window")?;
    let response = JsFuture::from(w.fetch_with_str(url))
        .await
        .map_err(|e| format!("the network failed ({})", words(e).unwrap_or_else(|| "no reason given".into())))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "the answer was not a response")?;
    if !response.ok() {
        return Err(format!("the server answered {} {}", response.status(), response.status_text()));
    }
    let text = response.text().map_err(|_| "the answer has no text")?;
    let text = JsFuture::from(text).await.map_err(|_| "the answer was cut off")?;
    text.as_string().ok_or_else(|| "the answer was not text".into())
}
