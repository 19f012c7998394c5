//! "Predict, then run": a question asked before an exploration or a real run, the learner's
//! answer (remembered with their progress), and, once measured, how the answer compares.
//! Skippable: the learner can just press Run or Explore.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PredictionProps {
    /// `explore` or `real` (the element's `data-ask`).
    pub ask: &'static str,
    pub question: &'static str,
    pub choices: &'static [&'static str],
    /// The learner's answer, if they gave one.
    pub chosen: Option<usize>,
    /// The answer the measurement bore out, once there is one.
    pub measured: Option<usize>,
    /// What was measured, in words ("the explorer", "this run").
    pub by: &'static str,
    pub on_choose: Callback<usize>,
}

/// The question with its choices (a radio group), or the comparison once measured.
#[function_component(Prediction)]
pub fn prediction(props: &PredictionProps) -> Html {
    let name = format!("predict-{}", props.ask);
    let legend_id = format!("{name}-q");
    let compare = match (props.chosen, props.measured) {
        (Some(c), Some(m)) => {
            let (said, was) = (props.choices.get(c).copied().unwrap_or(""), props.choices.get(m).copied().unwrap_or(""));
            let right = c == m;
            Some(html! {
                <p class={classes!("predict-result", if right { "good" } else { "bad" })} role="status" data-testid="predict-result" data-correct={right.to_string()}>
                    <strong>{if right { "Your prediction held. " } else { "Not what you predicted. " }}</strong>
                    {format!("You said “{said}”; {} showed “{was}”.", props.by)}
                </p>
            })
        }
        _ => None,
    };
    html! {
        <div class="predict" data-testid="predict" data-ask={props.ask} data-chosen={props.chosen.map(|c| c.to_string())}>
            <fieldset>
                <legend id={legend_id}>{"Predict first: "}{props.question}</legend>
                <div class="row segmented">
                    { for props.choices.iter().enumerate().map(|(i, label)| {
                        let on_choose = props.on_choose.clone();
                        let checked = props.chosen == Some(i);
                        html! {
                            <label class={classes!("seg", checked.then_some("checked"))}>
                                <input type="radio" name={name.clone()} value={i.to_string()} checked={checked}
                                    onchange={Callback::from(move |_: Event| on_choose.emit(i))} />
                                {*label}
                            </label>
                        }
                    }) }
                </div>
                if props.chosen.is_none() && props.measured.is_none() {
                    <p class="muted small">{"Optional: pick an answer, then run it and compare."}</p>
                }
            </fieldset>
            {compare.unwrap_or_default()}
        </div>
    }
}
