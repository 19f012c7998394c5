//! The outcome box: when a run ends, what kind of outcome it is and why, explained from the
//! run's own events (`sim::explain`), with every step reference a button that rewinds there.
//! Whether the outcome is the bug is the variant's call (`Variant::is_bug`).

use sim::{Run, Seg};
use yew::prelude::*;

use super::widgets::tclass;
use crate::lessons::Variant;

fn segs(parts: &[Seg], on_rewind: &Callback<usize>) -> Html {
    parts
        .iter()
        .map(|s| match s {
            Seg::Text(t) => html! { {t.clone()} },
            Seg::Code(c) => html! { <code>{c.clone()}</code> },
            Seg::Thread(t) => html! { <span class={classes!("pill", tclass(*t))}>{t.to_string()}</span> },
            Seg::Step(n) => {
                let n = *n;
                let cb = on_rewind.clone();
                html! {
                    <button type="button" class="step-ref" onclick={Callback::from(move |_| cb.emit(n))}
                        aria-label={format!("Rewind to step {n}")} title={format!("Rewind to the state after step {n}")}>
                        {format!("step {n}")}
                    </button>
                }
            }
        })
        .collect()
}

/// The box, once the run has ended.
pub fn outcome_box(run: &Run, variant: &Variant, on_rewind: &Callback<usize>) -> Html {
    let Some(ex) = sim::explain(run) else { return html! {} };
    let bug = variant.is_bug(&ex.kind);
    let (class, role) = if bug { ("bad", "alert") } else { ("good", "status") };
    let next = if bug {
        "Rewind to any step above and try another order, or switch to another version of the code."
    } else if ex.bad {
        "Here that is the code doing its job. Rewind and try other orders: the explorer below checks every one."
    } else {
        "Rewind and try another order: the explorer below checks every one."
    };
    html! {
        <section class={classes!("outcome", "explained", class)} role={role} aria-labelledby="outcome-title"
            data-testid="outcome" data-kind={ex.kind.clone()} data-bad={bug.to_string()}>
            <p class="kind"><span class="tag">{ex.kind.clone()}</span></p>
            <h2 id="outcome-title" class="outcome-title">{segs(&ex.title, on_rewind)}</h2>
            if !ex.lines.is_empty() {
                <ul class="why">
                    { for ex.lines.iter().map(|l| html! { <li>{segs(l, on_rewind)}</li> }) }
                </ul>
            }
            <p class="next">{next}</p>
        </section>
    }
}
