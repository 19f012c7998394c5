//! The shared-state panel, drawn for whatever the scenario declares: variables (one shown
//! large if the lesson names it), what the checks expect, locks (owner, RLock count, waiters),
//! semaphores (a slot per permit, with its holder), conditions, queues (slots, items,
//! unfinished tasks), thread-local slots per thread, the GIL token, and the event log.

use sim::{Check, LockKind, Machine, ThreadId, Value};
use yew::prelude::*;

use super::lesson::{Action, PageState};
use super::widgets::tclass;
use crate::lessons::Lesson;

fn pill(t: ThreadId) -> Html {
    html! { <span class={classes!("pill", tclass(t))}>{t.to_string()}</span> }
}

fn pills(ts: &[ThreadId], empty: &'static str) -> Html {
    if ts.is_empty() {
        html! { <span class="muted">{empty}</span> }
    } else {
        html! { <span class="pills">{ for ts.iter().map(|t| pill(*t)) }</span> }
    }
}

/// What each check expects, in words.
fn expectations(m: &Machine) -> Vec<String> {
    let s = m.scenario();
    s.checks
        .iter()
        .map(|c| match c {
            Check::Final { var, cmp, value, .. } => format!("at the end: {} {cmp} {value}", s.var_name(*var)),
            Check::FinalSum { vars, cmp, value, .. } => format!(
                "at the end: {} {cmp} {value}",
                vars.iter().map(|v| s.var_name(*v)).collect::<Vec<_>>().join(" + ")
            ),
            Check::Always { var, cmp, value, .. } => format!("always: {} {cmp} {value}", s.var_name(*var)),
            Check::MaxInSection { section, max, .. } => {
                format!("at most {max} inside “{}” at once", s.section_name(*section))
            }
        })
        .collect()
}

/// The panel.
pub fn state_panel(lesson: &Lesson, state: &UseReducerHandle<PageState>) -> Html {
    let st_ref = state.stepper.get();
    let st = &*st_ref;
    let tick = state.tick;
    let m = st.machine();
    let scn = m.scenario();
    let headline = lesson.headline.filter(|h| scn.var_id(h).is_some());
    let vars: Vec<(String, Value)> = m.vars().into_iter().filter(|(n, _)| Some(n.as_str()) != headline).collect();
    let events = st.run().events();
    let ops = || scn.threads.iter().flat_map(|t| t.program.iter());
    let has_time = ops().any(|o| matches!(o.kind, sim::OpKind::Sleep { .. } | sim::OpKind::Work { .. }));
    let has_print = ops().any(|o| matches!(o.kind, sim::OpKind::Print { .. }));
    let output = if has_print { st.run().output() } else { Vec::new() };
    html! {
        <section class="card state-card" aria-labelledby="shared-heading" data-testid="state-panel">
            <h2 id="shared-heading" class="card-title">{"Shared state"}</h2>
            <dl>
                if let (Some(h), Some(v)) = (headline, st.headline()) {
                    <dt>{h}</dt>
                    <dd><span key={tick.to_string()} class={classes!("big-value", (tick > 0).then_some("flash"))} data-testid="shared-counter">{v}</span></dd>
                }
                { for vars.iter().map(|(n, v)| html! { <><dt>{n.clone()}</dt><dd><code data-testid={format!("var-{n}")}>{v.to_string()}</code></dd></> }) }
                { for expectations(m).into_iter().map(|e| html! { <><dt>{"expected"}</dt><dd class="muted">{e}</dd></> }) }
                { for (0..scn.locks.len()).map(|i| lock_row(m, i)) }
                { for (0..scn.sems.len()).map(|i| sem_row(m, i)) }
                { for (0..scn.conds.len()).map(|i| cond_row(m, i)) }
                { for (0..scn.queues.len()).map(|i| queue_row(m, i)) }
                { for (0..scn.locals.len()).map(|i| local_row(m, i)) }
                if scn.gil {
                    <dt>{"GIL"}</dt>
                    <dd data-testid="gil">
                        { match m.gil_holder() {
                            Some(t) => html! { <span class={classes!("badge", "held", tclass(t))}>{"held by "}{pill(t)}</span> },
                            None => html! { <span class="badge free">{"free"}</span> },
                        } }
                    </dd>
                }
                if has_time {
                    <dt>{"program time"}</dt>
                    <dd><code data-testid="elapsed">{format!("{:.1} s", m.elapsed_ms() as f64 / 1000.0)}</code>
                        <span class="muted">{" of virtual time: sleeps and work, overlapping where threads run at once"}</span></dd>
                }
                <dt>{"steps"}</dt>
                <dd><code data-testid="step-count">{st.run().len()}</code>
                    if let Some(n) = st.replaying() { <span class="muted">{format!(" replaying {} of {n}", st.run().len())}</span> }
                </dd>
            </dl>
            if has_print {
                <h3 class="log-title">{"Output"}</h3>
                if output.is_empty() {
                    <p class="muted">{"Nothing printed yet."}</p>
                } else {
                    <ol class="output" aria-label="What the program printed, in order" data-testid="output">
                        { for output.iter().map(|(t, line, step)| html! {
                            <li><span class="n" title={format!("printed at step {step}")}>{*step}</span>{pill(*t)}<span>{line.clone()}</span></li>
                        }) }
                    </ol>
                }
            }
            <h3 class="log-title">{"What happened"}</h3>
            if events.is_empty() {
                <p class="muted">{"Nothing yet. Step a thread."}</p>
            } else {
                <ol class="log" reversed=true aria-label="Event log">
                    { for events.iter().enumerate().rev().take(40).map(|(i, e)| {
                        let rewind = {
                            let state = state.clone();
                            Callback::from(move |_| state.dispatch(Action::UndoTo(i)))
                        };
                        html! {
                            <li>
                                <span class="n">{i + 1}</span>
                                {pill(e.thread)}
                                <span class="ev">{e.to_string().trim_start_matches(&format!("{} ", e.thread)).to_string()}</span>
                                <button type="button" class="rewind" onclick={rewind}
                                    aria-label={format!("Rewind to before step {}", i + 1)} title="Rewind to before this step">{"⤺"}</button>
                            </li>
                        }
                    }) }
                </ol>
            }
        </section>
    }
}

fn lock_row(m: &Machine, i: usize) -> Html {
    let id = sim::LockId(i as u16);
    let (Some(v), name) = (m.lock_view(id), m.scenario().lock_name(id).to_string()) else { return html! {} };
    let kind = match v.kind {
        LockKind::Lock => "Lock",
        LockKind::RLock => "RLock",
    };
    let badge = match v.owner {
        Some(o) => html! {
            <span class={classes!("badge", "held", tclass(o))} data-testid="lock-badge" data-lock={name.clone()} data-owner={o.to_string()} data-count={v.count.to_string()}>
                {"held by "}{pill(o)}
                if v.kind == LockKind::RLock { <span class="count" title="recursion count">{format!("× {}", v.count)}</span> }
            </span>
        },
        None => html! { <span class="badge free" data-testid="lock-badge" data-lock={name.clone()} data-owner="" data-count="0">{"free"}</span> },
    };
    html! {
        <>
            <dt>{format!("{name} ({kind})")}</dt>
            <dd>{badge}
                if !v.waiters.is_empty() { <span class="waiters">{" waiting: "}{pills(&v.waiters, "")}</span> }
            </dd>
        </>
    }
}

fn sem_row(m: &Machine, i: usize) -> Html {
    let id = sim::SemId(i as u16);
    let (Some(v), name) = (m.sem_view(id), m.scenario().sem_name(id).to_string()) else { return html! {} };
    let kind = if v.bounded { "BoundedSemaphore" } else { "Semaphore" };
    // One slot per permit: held ones show their holder, free ones are empty; permits beyond the
    // initial count (an extra release) are marked.
    let mut held: Vec<ThreadId> = Vec::new();
    for (t, n) in &v.holders {
        for _ in 0..*n {
            held.push(*t);
        }
    }
    let slots = (held.len() as u32 + v.permits).max(v.initial);
    let slots = slots.min(64);
    html! {
        <>
            <dt>{format!("{name} ({kind}({}))", v.initial)}</dt>
            <dd>
                <span class="slots" data-testid="sem-slots" data-sem={name.clone()} data-permits={v.permits.to_string()} data-holders={held.len().to_string()}
                    role="img" aria-label={format!("{} of {} permits free; held by {}", v.permits, slots, if held.is_empty() { "nobody".to_string() } else { held.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ") })}>
                    { for (0..slots).map(|k| {
                        let extra = k >= v.initial;
                        match held.get(k as usize) {
                            Some(t) => html! { <span class={classes!("slot", "taken", tclass(*t), extra.then_some("extra"))}>{t.to_string()}</span> },
                            None if (k as usize) < held.len() + v.permits as usize => html! { <span class={classes!("slot", "free", extra.then_some("extra"))}>{"free"}</span> },
                            None => html! { <span class={classes!("slot", "gone")}>{"—"}</span> },
                        }
                    }) }
                </span>
                if v.permits > v.initial.saturating_sub(held.len() as u32) && !v.bounded {
                    <span class="muted">{format!(" {} permits free", v.permits)}</span>
                }
                if !v.waiters.is_empty() { <span class="waiters">{" waiting: "}{pills(&v.waiters, "")}</span> }
            </dd>
        </>
    }
}

fn cond_row(m: &Machine, i: usize) -> Html {
    let id = sim::CondId(i as u16);
    let Some(v) = m.cond_view(id) else { return html! {} };
    let s = m.scenario();
    html! {
        <>
            <dt>{format!("{} (Condition on {})", s.cond_name(id), s.lock_name(v.lock))}</dt>
            <dd data-testid="cond">
                <span>{"waiting for notify: "}{pills(&v.waiting, "nobody")}</span>
                if !v.reacquiring.is_empty() { <span>{" · re-acquiring the lock: "}{pills(&v.reacquiring, "")}</span> }
            </dd>
        </>
    }
}

fn queue_row(m: &Machine, i: usize) -> Html {
    let id = sim::QueueId(i as u16);
    let Some(v) = m.queue_view(id) else { return html! {} };
    let name = m.scenario().queue_name(id).to_string();
    let cap = v.maxsize.map(|n| n as usize).unwrap_or(v.items.len().max(1));
    let slots = cap.max(v.items.len()).min(32);
    html! {
        <>
            <dt>{format!("{name} (Queue{})", v.maxsize.map(|n| format!(", maxsize={n}")).unwrap_or_default())}</dt>
            <dd data-testid="queue" data-queue={name} data-items={v.items.len().to_string()} data-unfinished={v.unfinished.to_string()}>
                <span class="slots queue" role="img" aria-label={format!("{} items: {}", v.items.len(), v.items.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "))}>
                    { for (0..slots).map(|k| match v.items.get(k) {
                        Some(x) => html! { <span class="slot taken item">{x.to_string()}</span> },
                        None => html! { <span class="slot free">{"·"}</span> },
                    }) }
                </span>
                <span class="muted">{format!(" unfinished tasks: {}", v.unfinished)}</span>
                if !v.getters.is_empty() { <span class="waiters">{" get() waiting: "}{pills(&v.getters, "")}</span> }
                if !v.putters.is_empty() { <span class="waiters">{" put() waiting: "}{pills(&v.putters, "")}</span> }
                if !v.joiners.is_empty() { <span class="waiters">{" join() waiting: "}{pills(&v.joiners, "")}</span> }
            </dd>
        </>
    }
}

fn local_row(m: &Machine, i: usize) -> Html {
    let id = sim::LocalId(i as u16);
    let Some(v) = m.local_view(id) else { return html! {} };
    let name = m.scenario().local_name(id).to_string();
    html! {
        <>
            <dt>{format!("local.{name}")}</dt>
            <dd data-testid="local" data-local={name}>
                <span class="locals">
                    { for v.values.iter().enumerate().map(|(t, val)| {
                        let t = ThreadId(t as u8);
                        html! { <span class="local">{pill(t)}<code>{val.map(|x| x.to_string()).unwrap_or_else(|| "unset".to_string())}</code></span> }
                    }) }
                </span>
            </dd>
        </>
    }
}
