//! The stage: the variant's Python with each thread's current line marked, and one lane per
//! thread (its ops, status, registers and Step button). Many threads get compact lanes that
//! show only the current op, so the tutorial's ten users fit on a laptop screen.

use sim::{Machine, ThreadId, ThreadStatus, Value};
use yew::prelude::*;

use super::lesson::{Action, PageState};
use super::widgets::tclass;

/// Lanes are compact above this many threads.
const FULL_LANES: usize = 4;

/// The code card.
pub fn code_card(code: &'static str, m: &Machine) -> Html {
    let hot: Vec<(usize, ThreadId)> = m
        .thread_ids()
        .filter_map(|t| m.current_op(t).map(|op| (usize::from(op.line), t)))
        .collect();
    html! {
        <section class="card code-card" aria-labelledby="code-heading">
            <h2 id="code-heading" class="card-title">{"Python"}</h2>
            <div class="code" role="list" tabindex="0" aria-label="The Python code, line by line">
                { for code.lines().enumerate().map(|(i, src)| {
                    let n = i + 1;
                    let here: Vec<ThreadId> = hot.iter().filter(|(l, _)| *l == n).map(|(_, t)| *t).collect();
                    let class = match here.as_slice() {
                        [] => None,
                        [t] => Some(format!("hot-{}", tclass(*t))),
                        _ => Some("hot-both".to_string()),
                    };
                    let label = if here.is_empty() { format!("line {n}: {src}") } else {
                        format!("line {n}: {src} — current line of {}", here.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", "))
                    };
                    let shown = if here.len() > 2 { 1 } else { here.len() };
                    html! {
                        <div class={classes!("ln", class)} role="listitem" aria-label={label}>
                            <span class="no" aria-hidden="true">{n}</span>
                            <span class="marks" aria-hidden="true">
                                { for here.iter().take(shown).map(|t| html! { <span class={classes!("pill", tclass(*t))}>{t.to_string()}</span> }) }
                                if here.len() > shown { <span class="pill more">{format!("+{}", here.len() - shown)}</span> }
                            </span>
                            <span class="src" aria-hidden="true">{src}</span>
                        </div>
                    }
                }) }
            </div>
        </section>
    }
}

/// One thread's lane.
pub fn lane(state: &UseReducerHandle<PageState>, t: ThreadId) -> Html {
    let st_ref = state.stepper.get();
    let st = &*st_ref;
    let m = st.machine();
    let Some(decl) = m.scenario().thread(t) else { return html! {} };
    let compact = m.thread_count() > FULL_LANES;
    let pc = m.pc(t).unwrap_or(usize::MAX);
    let status = m.status(t);
    let cls = tclass(t);
    let (mut status_text, status_class) = match &status {
        Some(ThreadStatus::Runnable) => (
            m.current_op(t).map(|op| format!("next: {}", op.text)).unwrap_or_default(),
            "",
        ),
        Some(ThreadStatus::Blocked(r)) => (r.to_string(), "blocked"),
        Some(ThreadStatus::Finished) => match m.raised(t) {
            Some(e) => (format!("ended by an exception: {e}"), "raised"),
            None => ("finished".to_string(), "done"),
        },
        None => (String::new(), ""),
    };
    if let Some(e) = m.pending_exception(t) {
        status_text = format!("{status_text} — unwinding {e} through finally:");
    }
    let blocked = matches!(status, Some(ThreadStatus::Blocked(_)));
    let can = m.can_step(t) && !m.is_over();
    let onclick = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::Step(t)))
    };
    let key = match t.0 {
        0..=8 => (t.0 + 1).to_string(),
        9 => "0".to_string(),
        _ => String::new(),
    };
    let regs = m.regs(t);
    let heading = html! { <h3><span class={classes!("pill", cls.clone())}>{t.to_string()}</span>{decl.name.clone()}</h3> };
    html! {
        <section class={classes!("card", "lane", cls.clone(), compact.then_some("compact"), blocked.then_some("is-blocked"))}
            aria-label={format!("Thread {t} ({})", decl.name)} data-testid={format!("lane-{}", t.0 + 1)}>
            <div class="lane-head">{heading}</div>
            <div class={classes!("lane-status", status_class)} data-testid={format!("status-{}", t.0 + 1)}>{status_text.clone()}</div>
            if !compact {
                <ol class="ops" aria-label={format!("{t} instructions")}>
                    { for decl.program.iter().enumerate().filter(|(_, op)| !op.kind.is_marker()).map(|(i, op)| {
                        let current = i == pc;
                        let sync = op.kind.may_block() || matches!(op.kind, sim::OpKind::Release { .. } | sim::OpKind::SemRelease { .. });
                        html! {
                            <li class={classes!(current.then_some("current"), (i < pc && pc != usize::MAX).then_some("done"), (pc == usize::MAX).then_some("done"), sync.then_some("sync"), (current && blocked).then_some("blocked"))}
                                aria-current={current.then_some("step")}>
                                <span class="idx" aria-hidden="true">{op.line}</span>
                                <span class="arrow" aria-hidden="true">{ if current { "▶" } else { "" } }</span>
                                <span class="txt">{op.text.clone()}</span>
                            </li>
                        }
                    }) }
                </ol>
                <div class="regs" role="group" aria-label={format!("{t}'s private values")}>
                    { for decl.regs.iter().zip(regs.iter()).map(|(name, v)| html! {
                        <span class="reg" data-testid={format!("reg-{}-{}", t.0 + 1, name)}>{format!("{name} = ")}<b>{reg_text(v)}</b></span>
                    }) }
                </div>
            } else {
                <div class="progress" aria-hidden="true">
                    <span style={format!("width: {:.0}%", 100.0 * pc.min(decl.program.len()) as f64 / decl.program.len().max(1) as f64)}></span>
                </div>
            }
            <button type="button" class={classes!("step-btn", cls)} onclick={onclick} disabled={!can}
                aria-keyshortcuts={(!key.is_empty()).then_some(key.clone())} aria-label={format!("Step {t}")}
                title={if blocked { format!("{t} is {status_text}") } else { format!("Run {t}'s next instruction") }}>
                {format!("Step {t} ")}
                if !key.is_empty() { <kbd aria-hidden="true">{key}</kbd> }
            </button>
        </section>
    }
}

fn reg_text(v: &Value) -> String {
    match v {
        // An empty stack slot: nothing read yet.
        Value::None => "—".to_string(),
        other => other.to_string(),
    }
}
