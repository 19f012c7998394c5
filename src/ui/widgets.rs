//! Small shared widgets: the lock switch, bounded number fields, figure grids.

use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SwitchProps {
    /// Accessible name, e.g. "Lock".
    pub label: AttrValue,
    pub checked: bool,
    pub on_toggle: Callback<()>,
    #[prop_or_default]
    pub disabled: bool,
    /// Shown after the label: what on/off means.
    #[prop_or_default]
    pub on_text: AttrValue,
    #[prop_or_default]
    pub off_text: AttrValue,
}

/// A `role="switch"` button; Space/Enter toggle it (native button behaviour).
#[function_component(Switch)]
pub fn switch(props: &SwitchProps) -> Html {
    let on_toggle = props.on_toggle.clone();
    html! {
        <button type="button" class="switch" role="switch" aria-checked={if props.checked { "true" } else { "false" }}
            disabled={props.disabled} onclick={Callback::from(move |_| on_toggle.emit(()))}>
            <span class="track" aria-hidden="true"><span class="knob"></span></span>
            <span>{props.label.clone()}</span>
            <span class="state" aria-hidden="true">{ if props.checked { props.on_text.clone() } else { props.off_text.clone() } }</span>
        </button>
    }
}

#[derive(Properties, PartialEq)]
pub struct NumberFieldProps {
    pub label: AttrValue,
    pub value: u64,
    pub min: u64,
    pub max: u64,
    pub on_change: Callback<u64>,
    #[prop_or_default]
    pub hint: AttrValue,
    #[prop_or_default]
    pub disabled: bool,
    #[prop_or_default]
    pub step: Option<u64>,
    /// Element id; derived from the label when empty (give one when labels repeat on a page).
    #[prop_or_default]
    pub id: AttrValue,
}

/// A number input bounded to `min..=max`. Out-of-range or non-numeric text shows an error
/// and is not sent; the last good value stays in force.
#[function_component(NumberField)]
pub fn number_field(props: &NumberFieldProps) -> Html {
    let text = use_state(|| props.value.to_string());
    let error = use_state(|| None::<String>);
    {
        // Follow the value when the parent changes it.
        let text = text.clone();
        let error = error.clone();
        use_effect_with(props.value, move |v| {
            if text.trim().parse::<u64>().ok() != Some(*v) {
                text.set(v.to_string());
                error.set(None);
            }
        });
    }
    let oninput = {
        let (text, error, on_change, min, max) =
            (text.clone(), error.clone(), props.on_change.clone(), props.min, props.max);
        Callback::from(move |e: InputEvent| {
            let Some(input) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
                return;
            };
            let raw = input.value();
            text.set(raw.clone());
            // Pure and fuzzed natively in `lab` (`crates/lab/tests/fuzz_params.rs`).
            match lab::params::parse_whole_number(&raw, min, max) {
                Ok(v) => {
                    error.set(None);
                    on_change.emit(v);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        })
    };
    let id = if props.id.is_empty() {
        format!("nf-{}", props.label.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "-"))
    } else {
        props.id.to_string()
    };
    let err_id = format!("{id}-err");
    html! {
        <label class="field" for={id.clone()}>
            <span>{props.label.clone()}</span>
            <input id={id} type="number" inputmode="numeric" min={props.min.to_string()} max={props.max.to_string()}
                step={props.step.map(|s| s.to_string())}
                value={(*text).clone()} oninput={oninput} disabled={props.disabled}
                aria-invalid={error.is_some().then_some("true")}
                aria-describedby={error.is_some().then_some(err_id.clone())} />
            if let Some(msg) = &*error {
                <span class="error-text" id={err_id}>{msg.clone()}</span>
            } else if !props.hint.is_empty() {
                <span class="field-hint">{props.hint.clone()}</span>
            }
        </label>
    }
}

/// 20000000 → "20,000,000" (lab's, so the number fields' messages group the same way).
pub use lab::report::group;

/// The CSS class carrying a thread's colour (`t1`…`t10`; colours repeat after ten threads,
/// and every use also shows the thread's label, so colour never carries meaning alone).
pub fn tclass(t: sim::ThreadId) -> String {
    format!("t{}", t.0 % 10 + 1)
}
