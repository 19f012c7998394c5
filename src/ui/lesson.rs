//! The lesson page: prose, the stepper (code, thread lanes, shared state), the explorer and the
//! real-threads panel.
//!
//! One reducer wraps [`crate::stepper::Stepper`]; effects here drive Play (a timer), keep the
//! URL in step with the schedule, and listen to the keyboard.

use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::timers::callback::Interval;
use sim::{Machine, Outcome, ThreadId, ThreadStatus, Value};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::explore::ExplorePanel;
use super::markup;
use super::real::RealCounter;
use super::widgets::{NumberField, Switch};
use crate::lessons::{self, Lesson, RealPanel};
use crate::route::{LessonQuery, Route};
use crate::stepper::{Mode, Stepper};
use crate::web::dom;

/// Largest seed the Random scheduler takes from the learner.
const MAX_SEED: u64 = 999_999;
/// Most steps per turn for the switch-interval scheduler.
const MAX_TURN: u64 = 20;

/// Play speeds: (label, ms per step).
const SPEEDS: [(&str, u32); 4] = [("Slow", 1200), ("Normal", 600), ("Fast", 250), ("Very fast", 80)];

#[derive(Clone)]
struct PageState {
    stepper: Stepper,
    speed_ms: u32,
    /// Bumped on every step, so the shared value can flash.
    tick: u64,
}

/// What the learner (or a timer) does on the lesson page.
pub enum Action {
    Step(ThreadId),
    Undo,
    UndoTo(usize),
    Reset,
    SetLock(bool),
    ToggleLock,
    SetMode(Mode),
    Play,
    Pause,
    Tick,
    SetSpeed(u32),
    Replay(sim::Schedule),
    Load(LessonQuery),
}

impl Reducible for PageState {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        let st = &mut s.stepper;
        match action {
            Action::Step(t) => {
                if st.step(t).is_ok() {
                    s.tick += 1;
                }
            }
            Action::Undo => {
                st.undo();
            }
            Action::UndoTo(n) => {
                st.undo_to(n);
            }
            Action::Reset => st.reset(),
            Action::SetLock(on) => {
                // The lesson's scenarios are linted by tests; an error here would be a bug.
                let _ = st.set_lock(on);
            }
            Action::ToggleLock => {
                let on = !st.lock();
                let _ = st.set_lock(on);
            }
            Action::SetMode(m) => st.set_mode(m),
            Action::Play => st.set_playing(true),
            Action::Pause => st.set_playing(false),
            Action::Tick => {
                if st.tick().is_some() {
                    s.tick += 1;
                }
            }
            Action::SetSpeed(ms) => s.speed_ms = ms,
            Action::Replay(schedule) => st.start_replay(schedule),
            Action::Load(q) => {
                if let Ok(fresh) = Stepper::from_query(st.lesson(), &q) {
                    *st = fresh;
                }
            }
        }
        Rc::new(s)
    }
}

#[derive(Properties, PartialEq)]
pub struct LessonPageProps {
    /// The lesson's slug (it exists: the router checked).
    pub lesson: &'static str,
    pub query: LessonQuery,
}

/// Resolves the lesson and restores its state from the link; draws an error instead of the
/// stepper if the lesson's scenario cannot be built (the lesson lint makes that a bug).
#[function_component(LessonPage)]
pub fn lesson_page(props: &LessonPageProps) -> Html {
    let Some(lesson) = lessons::by_slug(props.lesson) else {
        return html! { <p role="alert">{"This lesson does not exist."}</p> };
    };
    match Stepper::from_query(lesson, &props.query) {
        Ok(st) => html! { <LessonView query={props.query.clone()} initial={Initial(Rc::new(st))} /> },
        Err(e) => html! {
            <div class="callout bad" role="alert"><p>{format!("This lesson failed to load: {}", e.0)}</p></div>
        },
    }
}

/// The stepper a lesson view starts from (compared by identity: it only seeds the reducer).
#[derive(Clone)]
pub struct Initial(Rc<Stepper>);

impl PartialEq for Initial {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
pub struct LessonViewProps {
    query: LessonQuery,
    initial: Initial,
}

#[function_component(LessonView)]
fn lesson_view(props: &LessonViewProps) -> Html {
    let initial = props.initial.0.clone();
    let lesson: &'static Lesson = initial.lesson();
    let state = use_reducer(move || PageState { stepper: (*initial).clone(), speed_ms: SPEEDS[1].1, tick: 0 });

    // A link edited by hand (hashchange with new query) reloads the state.
    {
        let state = state.clone();
        let first = use_mut_ref(|| true);
        use_effect_with(props.query.clone(), move |q| {
            if !std::mem::replace(&mut *first.borrow_mut(), false) {
                state.dispatch(Action::Load(q.clone()));
            }
        });
    }
    // Keep the URL in step with lock + schedule (replaceState: no history spam, no hashchange).
    {
        let q = state.stepper.query();
        let slug = lesson.slug;
        use_effect_with(q, move |q| {
            dom::replace_hash(&Route::Lesson { slug: slug.to_string(), query: q.clone() }.to_hash());
        });
    }
    // Play: a timer while playing.
    {
        let state2 = state.clone();
        use_effect_with((state.stepper.playing(), state.speed_ms), move |(playing, ms)| {
            let timer = playing.then(|| {
                let s = state2.clone();
                Interval::new(*ms, move || s.dispatch(Action::Tick))
            });
            move || drop(timer)
        });
    }
    // Keyboard: 1–8 step a thread, U undo, R reset, L lock, P play/pause.
    {
        let state = state.clone();
        let threads = state.stepper.machine().thread_count();
        use_effect_with(threads, move |&threads| {
            let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
                EventListener::new_with_options(&doc, "keydown", EventListenerOptions::enable_prevent_default(), move |e| {
                    let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                    if e.ctrl_key() || e.meta_key() || e.alt_key() || typing_in_field(e) {
                        return;
                    }
                    let key = e.key();
                    let action = match key.as_str() {
                        k if k.len() == 1 && k.as_bytes()[0].is_ascii_digit() => {
                            let n = usize::from(k.as_bytes()[0] - b'0');
                            (1..=threads).contains(&n).then(|| Action::Step(ThreadId((n - 1) as u8)))
                        }
                        "u" | "U" => Some(Action::Undo),
                        "r" | "R" => Some(Action::Reset),
                        "l" | "L" => Some(Action::ToggleLock),
                        "p" | "P" => Some(if state.stepper.playing() { Action::Pause } else { Action::Play }),
                        _ => None,
                    };
                    if let Some(a) = action {
                        e.prevent_default();
                        state.dispatch(a);
                    }
                })
            });
            move || drop(listener)
        });
    }

    let st = &state.stepper;
    let m = st.machine();
    let lock = st.lock();
    let dispatch = |a: fn() -> Action| {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(a()))
    };
    let on_set_lock = {
        let state = state.clone();
        Callback::from(move |on: bool| state.dispatch(Action::SetLock(on)))
    };
    let on_replay = {
        let state = state.clone();
        Callback::from(move |s: sim::Schedule| state.dispatch(Action::Replay(s)))
    };
    let threads = m.thread_count();

    html! {
        <article class="lesson" aria-labelledby="lesson-title">
            <p class="eyebrow">{format!("Lesson {}", lessons::all().iter().position(|l| l.id == lesson.id).map_or(1, |i| i + 1))}</p>
            <h1 id="lesson-title">{lesson.title}</h1>
            <div class="prose">{markup::blocks(lesson.intro)}</div>
            <div class="callout goal" aria-live="polite">
                <p>{markup::inline(if lock { lesson.goal.locked } else { lesson.goal.unlocked })}</p>
            </div>
            if let Some(n) = st.notice() {
                <div class="callout warn" role="status" data-testid="notice"><p>{n.to_string()}</p></div>
            }
            {toolbar(&state, on_set_lock.clone(), dispatch)}
            <div class="stage" style={format!("--lanes: {threads}")}>
                {code_card(lesson, st)}
                { for (0..threads).map(|i| lane(&state, ThreadId(i as u8))) }
                {state_card(lesson, &state)}
            </div>
            <div class="panel-grid">
                <ExplorePanel lesson={lesson.slug} lock={lock} on_replay={on_replay} />
                if lesson.real == Some(RealPanel::Counter) {
                    <RealCounter lock_on={lock} on_set_lock={on_set_lock} />
                }
            </div>
            <div class="prose">{markup::blocks(lesson.body)}</div>
        </article>
    }
}

fn typing_in_field(e: &web_sys::KeyboardEvent) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"))
        .unwrap_or(false)
}

fn toolbar(
    state: &UseReducerHandle<PageState>,
    on_set_lock: Callback<bool>,
    dispatch: impl Fn(fn() -> Action) -> Callback<MouseEvent>,
) -> Html {
    let st = &state.stepper;
    let lock = st.lock();
    let on_mode = {
        let state = state.clone();
        let seed = match st.mode() { Mode::Random { seed } => seed, _ => 42 };
        let k = match st.mode() { Mode::SwitchInterval { k } => k, _ => 3 };
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            let mode = match v.as_str() {
                "round-robin" => Mode::RoundRobin,
                "random" => Mode::Random { seed },
                "switch" => Mode::SwitchInterval { k },
                _ => Mode::Manual,
            };
            state.dispatch(Action::SetMode(mode));
        })
    };
    let on_speed = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            if let Ok(ms) = v.parse::<u32>() {
                state.dispatch(Action::SetSpeed(ms));
            }
        })
    };
    let mode_extra = match st.mode() {
        Mode::Random { seed } => {
            let state = state.clone();
            html! {
                <NumberField label="Seed" id="sched-seed" value={seed} min={0} max={MAX_SEED} hint="same seed, same run"
                    on_change={Callback::from(move |seed: u64| state.dispatch(Action::SetMode(Mode::Random { seed })))} />
            }
        }
        Mode::SwitchInterval { k } => {
            let state = state.clone();
            html! {
                <NumberField label="Steps per turn" id="sched-k" value={k as u64} min={1} max={MAX_TURN}
                    on_change={Callback::from(move |k: u64| state.dispatch(Action::SetMode(Mode::SwitchInterval { k: k as usize })))} />
            }
        }
        _ => html! {},
    };
    let playing = st.playing();
    html! {
        <div class="toolbar" role="toolbar" aria-label="Stepper controls">
            <div class="group">
                <Switch label="Lock" checked={lock} on_text="on" off_text="off"
                    on_toggle={Callback::from(move |_| on_set_lock.emit(!lock))} />
            </div>
            <span class="sep" aria-hidden="true"></span>
            <div class="group">
                <label class="field">{"Scheduler"}
                    <select onchange={on_mode} aria-label="Scheduler">
                        <option value="manual" selected={st.mode() == Mode::Manual}>{"You (step by hand)"}</option>
                        <option value="round-robin" selected={st.mode() == Mode::RoundRobin}>{"Round-robin"}</option>
                        <option value="random" selected={st.mode().slug() == "random"}>{"Random (seeded)"}</option>
                        <option value="switch" selected={st.mode().slug() == "switch"}>{"Switch interval"}</option>
                    </select>
                </label>
                {mode_extra}
                if playing {
                    <button type="button" onclick={dispatch(|| Action::Pause)} aria-keyshortcuts="p">{"⏸ Pause"}</button>
                } else {
                    <button type="button" onclick={dispatch(|| Action::Play)} disabled={!st.can_play()} aria-keyshortcuts="p"
                        title={if st.mode() == Mode::Manual { "Choose a scheduler to play" } else { "Let the scheduler run" }}>{"▶ Play"}</button>
                }
                <label class="field">{"Speed"}
                    <select onchange={on_speed} aria-label="Play speed">
                        { for SPEEDS.iter().map(|(label, ms)| html! {
                            <option value={ms.to_string()} selected={*ms == state.speed_ms}>{*label}</option>
                        }) }
                    </select>
                </label>
            </div>
            <span class="sep" aria-hidden="true"></span>
            <div class="group">
                <button type="button" onclick={dispatch(|| Action::Undo)} disabled={st.run().is_empty()} aria-keyshortcuts="u">{"↶ Undo"}</button>
                <button type="button" onclick={dispatch(|| Action::Reset)} disabled={st.run().is_empty()} aria-keyshortcuts="r">{"⟲ Reset"}</button>
            </div>
            <span class="spacer"></span>
            <span class="kbd-help">{"Keys: "}<kbd>{"1"}</kbd>{" "}<kbd>{"2"}</kbd>{" step · "}<kbd>{"U"}</kbd>{" undo · "}<kbd>{"R"}</kbd>{" reset · "}<kbd>{"L"}</kbd>{" lock · "}<kbd>{"P"}</kbd>{" play"}</span>
        </div>
    }
}

fn code_card(lesson: &Lesson, st: &Stepper) -> Html {
    let m = st.machine();
    let code = lesson.code(st.lock());
    let hot: Vec<(usize, ThreadId)> = m
        .thread_ids()
        .filter_map(|t| m.current_op(t).map(|op| (usize::from(op.line), t)))
        .collect();
    html! {
        <section class="card code-card" aria-labelledby="code-heading">
            <h3 id="code-heading">{"Python"}</h3>
            <div class="code" role="list">
                { for code.lines().enumerate().map(|(i, src)| {
                    let n = i + 1;
                    let here: Vec<ThreadId> = hot.iter().filter(|(l, _)| *l == n).map(|(_, t)| *t).collect();
                    let class = match here.as_slice() {
                        [] => None,
                        [t] => Some(format!("hot-t{}", t.0 + 1)),
                        _ => Some("hot-both".to_string()),
                    };
                    let label = if here.is_empty() { format!("line {n}: {src}") } else {
                        format!("line {n}: {src} — current line of {}", here.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" and "))
                    };
                    html! {
                        <div class={classes!("ln", class)} role="listitem" aria-label={label}>
                            <span class="no" aria-hidden="true">{n}</span>
                            <span class="marks" aria-hidden="true">{ for here.iter().map(|t| html! { <span class={format!("pill t{}", t.0 + 1)}>{t.to_string()}</span> }) }</span>
                            <span class="src" aria-hidden="true">{src}</span>
                        </div>
                    }
                }) }
            </div>
        </section>
    }
}

fn lane(state: &UseReducerHandle<PageState>, t: ThreadId) -> Html {
    let st = &state.stepper;
    let m = st.machine();
    let Some(decl) = m.scenario().thread(t) else { return html! {} };
    let pc = m.pc(t).unwrap_or(usize::MAX);
    let status = m.status(t);
    let cls = format!("t{}", t.0 + 1);
    let (status_text, status_class) = match &status {
        Some(ThreadStatus::Runnable) => (
            m.current_op(t).map(|op| format!("next: {}", op.text)).unwrap_or_default(),
            "",
        ),
        Some(ThreadStatus::Blocked(r)) => (r.to_string(), "blocked"),
        Some(ThreadStatus::Finished) => ("finished".to_string(), "done"),
        None => (String::new(), ""),
    };
    let blocked = matches!(status, Some(ThreadStatus::Blocked(_)));
    let can = m.can_step(t) && !m.is_over();
    let onclick = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::Step(t)))
    };
    let key = if t.0 < 9 { (t.0 + 1).to_string() } else { String::new() };
    let regs = m.regs(t);
    html! {
        <section class={classes!("card", "lane", cls.clone())} style={format!("--col: {}", t.0 + 2)} aria-label={format!("Thread {t} ({})", decl.name)} data-testid={format!("lane-{}", t.0 + 1)}>
            <div class="lane-head">
                <h3><span class={classes!("pill", cls.clone())}>{t.to_string()}</span>{decl.name.clone()}</h3>
            </div>
            <div class={classes!("lane-status", status_class)} data-testid={format!("status-{}", t.0 + 1)} aria-live="polite">{status_text.clone()}</div>
            <ol class="ops" aria-label={format!("{t} instructions")}>
                { for decl.program.iter().enumerate().map(|(i, op)| {
                    let current = i == pc;
                    let sync = matches!(op.kind, sim::OpKind::Acquire { .. } | sim::OpKind::Release { .. });
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
            <div class="regs" aria-label={format!("{t}'s private values")}>
                { for decl.regs.iter().zip(regs.iter()).map(|(name, v)| html! {
                    <span class="reg" data-testid={format!("reg-{}-{}", t.0 + 1, name)}>{format!("{name} = ")}<b>{reg_text(v)}</b></span>
                }) }
            </div>
            <button type="button" class={classes!("step-btn", cls)} onclick={onclick} disabled={!can}
                aria-keyshortcuts={key.clone()} aria-label={format!("Step {t}")}
                title={if blocked { format!("{t} is {status_text}") } else { format!("Run {t}'s next instruction") }}>
                {format!("Step {t} ")}<kbd aria-hidden="true">{key}</kbd>
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

fn state_card(lesson: &Lesson, state: &UseReducerHandle<PageState>) -> Html {
    let st = &state.stepper;
    let tick = state.tick;
    let m = st.machine();
    let scn = m.scenario();
    let headline = st.headline();
    let locks: Vec<Html> = (0..scn.locks.len())
        .filter_map(|i| {
            let id = sim::LockId(i as u16);
            let v = m.lock_view(id)?;
            let name = scn.lock_name(id).to_string();
            let badge = match v.owner {
                Some(o) => html! { <span class={classes!("badge", "held", format!("t{}", o.0 + 1))} data-testid="lock-badge" data-owner={o.to_string()}>{format!("🔒 held by {o}")}</span> },
                None => html! { <span class="badge free" data-testid="lock-badge" data-owner="">{"🔓 free"}</span> },
            };
            let waiters = if v.waiters.is_empty() { String::new() } else {
                format!("waiting: {}", v.waiters.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", "))
            };
            Some(html! {
                <>
                    <dt>{format!("{name} (Lock)")}</dt>
                    <dd>{badge}{" "}<span class="muted">{waiters}</span></dd>
                </>
            })
        })
        .collect();
    let other_vars: Vec<(String, Value)> =
        m.vars().into_iter().filter(|(n, _)| n != lesson.headline_var).collect();
    let events = st.run().events();
    let outcome = m.outcome().cloned();
    html! {
        <section class="card state-card" aria-labelledby="shared-heading">
            <h3 id="shared-heading">{"Shared state"}</h3>
            <dl>
                <dt>{lesson.headline_var}</dt>
                <dd><span key={tick.to_string()} class={classes!("big-value", (tick > 0).then_some("flash"))} data-testid="shared-counter" aria-live="polite">{headline}</span></dd>
                <dt>{"expected"}</dt>
                <dd class="muted">{format!("{} when both threads finish", lesson.expected)}</dd>
                { for other_vars.iter().map(|(n, v)| html! { <><dt>{n.clone()}</dt><dd><code>{v.to_string()}</code></dd></> }) }
                if locks.is_empty() {
                    <dt>{"lock"}</dt><dd><span class="badge off">{"none — the lock is off"}</span></dd>
                } else {
                    { for locks }
                }
                <dt>{"steps"}</dt>
                <dd><code data-testid="step-count">{st.run().len()}</code>
                    if let Some(n) = st.replaying() { <span class="muted">{format!(" replaying {} of {n}", st.run().len())}</span> }
                </dd>
            </dl>
            {outcome_view(lesson, m, outcome.as_ref())}
            <h3 style="margin-top:.9rem">{"What happened"}</h3>
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
                                <span class={format!("pill t{}", e.thread.0 + 1)}>{e.thread.to_string()}</span>
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

fn outcome_view(lesson: &Lesson, m: &Machine, outcome: Option<&Outcome>) -> Html {
    let Some(o) = outcome else { return html! {} };
    let value = m.var_by_name(lesson.headline_var).map(|v| v.to_string()).unwrap_or_default();
    match o {
        Outcome::Violated { message, .. } => html! {
            <div class="outcome bad" role="alert" data-testid="outcome" data-kind="violated">
                {format!("Lost update! {} = {value}, expected {}.", lesson.headline_var, lesson.expected)}
                <p>{message.clone()}</p>
                <p>{"Undo a few steps and try another order, or switch the lock on."}</p>
            </div>
        },
        Outcome::Finished { .. } => html! {
            <div class="outcome good" role="status" data-testid="outcome" data-kind="finished">
                {format!("Both increments landed: {} = {value}.", lesson.headline_var)}
                <p>{ if m.scenario().locks.is_empty() {
                    "This order was lucky: the loads did not overlap. Reset and try to make them overlap."
                } else {
                    "The lock kept each read-modify-write whole. Try any other order: the explorer below checks them all."
                } }</p>
            </div>
        },
        Outcome::Deadlock { .. } => html! {
            <div class="outcome bad" role="alert" data-testid="outcome" data-kind="deadlock">{format!("Deadlock: {o}")}</div>
        },
        Outcome::Misuse { .. } => html! {
            <div class="outcome bad" role="alert" data-testid="outcome" data-kind="misuse">{o.to_string()}</div>
        },
        Outcome::StepLimit { .. } => html! {
            <div class="outcome bad" role="alert" data-testid="outcome" data-kind="step-limit">{o.to_string()}</div>
        },
    }
}
