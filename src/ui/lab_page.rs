//! The lab page (`#/lab`, `#/lab/<experiment>`): every experiment as an [`ExperimentCard`]
//! (the same component the lessons embed), drawn from `lab`'s data: `LabRequest::defaults()`
//! lists the experiments, the card renders their parameters, figures and histograms.

use lab::LabRequest;
use yew::prelude::*;

use super::experiment::ExperimentCard;
use super::pool::PoolNotice;

#[derive(Properties, PartialEq)]
pub struct LabPageProps {
    /// An experiment slug to scroll to and highlight.
    pub focus: Option<String>,
}

#[function_component(LabPage)]
pub fn lab_page(props: &LabPageProps) -> Html {
    let experiments = use_memo((), |_| LabRequest::defaults());
    let unknown_focus = props
        .focus
        .as_deref()
        .filter(|f| !lab::SLUGS.contains(f))
        .map(str::to_string);
    // Scroll the focused experiment into view.
    use_effect_with(props.focus.clone(), |focus| {
        if let Some(f) = focus {
            let el = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&format!("exp-{f}")));
            if let Some(el) = el {
                el.scroll_into_view();
            }
        }
    });

    html! {
        <article aria-labelledby="lab-title">
            <p class="eyebrow">{"The lab"}</p>
            <h1 id="lab-title">{"Real threads, measured"}</h1>
            <p class="lede">{"Every experiment below runs on real threads — Web Workers sharing this page's memory — the moment you press Run. Nothing is simulated or recorded in advance: race outcomes differ from run to run, so Repeat runs an experiment many times and shows how its outcome is distributed."}</p>
            if let Some(f) = unknown_focus {
                <div class="callout warn" role="status"><p>{format!("There is no experiment called “{f}”. Here are all of them.")}</p></div>
            }
            <PoolNotice />
            <nav class="toc" aria-label="Experiments">
                { for experiments.iter().map(|req| html! {
                    <a href={format!("#/lab/{}", req.slug())}>{req.info().title}</a>
                }) }
            </nav>
            <div class="lab-grid">
                { for experiments.iter().map(|req| html! {
                    <ExperimentCard key={req.slug()} req={req.clone()} focus={props.focus.as_deref() == Some(req.slug())} />
                }) }
            </div>
        </article>
    }
}
