//! The lesson page: prose, the variant picker, the stepper (code, thread lanes, state panel),
//! the timeline, the wait-for graph, the explained outcome, the explorer and the real-threads
//! panel — the same page for every lesson, drawn from the lesson's content and the scenario.
//!
//! One reducer wraps [`crate::stepper::Stepper`]; effects here drive Play (a timer), keep the
//! URL in step with variant and schedule, and listen to the keyboard.

use std::cell::{Ref, RefCell};
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::timers::callback::Interval;
use sim::{Schedule, ThreadId};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::experiment::ExperimentCard;
use super::explore::ExplorePanel;
use super::keys::typing_in_field;
use super::markup;
use super::progress::{use_progress, Change};
use super::prose::{self, ProseState};
use super::quiz::Quiz;
use super::{graph, outcome, stage, state_panel, timeline};
use super::widgets::{NumberField, Switch};
use crate::lessons::{self, Lesson, Picker};
use crate::route::{LessonQuery, Route};
use crate::stepper::{Mode, Stepper};
use crate::web::dom;

/// Largest seed the Random scheduler takes from the learner.
const MAX_SEED: u64 = 999_999;
/// Most steps per turn for the switch-interval scheduler.
const MAX_TURN: u64 = 20;

/// Play speeds: (label, ms per step).
const SPEEDS: [(&str, u32); 4] = [("Slow", 1200), ("Normal", 600), ("Fast", 250), ("Very fast", 80)];

/// The stepper, shared between successive page states: a step mutates it in place, so a
/// reducer step costs O(1) however long the run is (cloning it would copy every state of the
/// run). Only the newest page state is ever drawn, so the older ones seeing the change is fine.
#[derive(Clone)]
pub(super) struct Shared(Rc<RefCell<Stepper>>);

impl Shared {
    /// The stepper, to read. Never held across a dispatch (the reducer borrows it mutably).
    pub(super) fn get(&self) -> Ref<'_, Stepper> {
        self.0.borrow()
    }
}

#[derive(Clone)]
pub(super) struct PageState {
    pub(super) stepper: Shared,
    speed_ms: u32,
    /// Bumped on every step, so the shared value can flash.
    pub(super) tick: u64,
    /// Per variant: the explorer's shortest bad schedule, once it has run (`Some(None)`: none).
    shortest_bad: Vec<Option<Option<Schedule>>>,
    /// The learner asked for "an interleaving that does this" before the explorer had run.
    want_bad: bool,
    /// Bumped to ask the explorer panel to run.
    explore_nonce: u32,
    /// Hints shown for the current variant: 0 none, 1 the nudge, 2 the stronger hint too.
    hints: u8,
    /// Bumped when a learner's step or a replay's tick reaches the variant's goal (a state
    /// restored from a link or a reload does not count: the learner did not reach it here).
    goals_reached: u32,
}

/// What the learner (or a timer) does on the lesson page.
pub enum Action {
    Step(ThreadId),
    Undo,
    UndoTo(usize),
    Reset,
    SetVariant(usize),
    ToggleSwitch,
    SetMode(Mode),
    Play,
    Pause,
    Tick,
    SetSpeed(u32),
    /// Replay a schedule; `.1`: it ends in the variant's bug.
    Replay(Schedule, bool),
    /// Show the next hint for the current variant.
    MoreHint,
    /// "Show me": replay the bug (exploring first if needed), or a whole run if the variant
    /// has no bug to find.
    ShowMe,
    Load(LessonQuery),
    /// The explorer finished for variant `.0`; `.1` is its shortest bad schedule.
    Explored(usize, Option<Schedule>),
    /// Replay an interleaving that ends in the variant's bug (exploring first if needed).
    ShowBad,
}

impl Reducible for PageState {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        if matches!(action, Action::ShowMe) && self.stepper.get().variant().expect == lessons::Expect::Bad {
            return self.reduce(Action::ShowBad);
        }
        let mut s = (*self).clone();
        let stepper = s.stepper.clone();
        let mut guard = stepper.0.borrow_mut();
        let st = &mut *guard;
        let reaches = matches!(action, Action::Step(_) | Action::Tick) && !st.goal_met();
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
            Action::SetVariant(i) => {
                // The lesson's scenarios are linted by tests; an error here would be a bug.
                if i != st.variant_index() {
                    s.hints = 0;
                }
                let _ = st.set_variant(i);
                s.want_bad = false;
            }
            Action::ToggleSwitch => {
                if matches!(st.lesson().picker, Picker::Switch(_)) {
                    let i = 1 - st.variant_index().min(1);
                    let _ = st.set_variant(i);
                    s.hints = 0;
                    s.want_bad = false;
                }
            }
            Action::MoreHint => s.hints = (s.hints + 1).min(2),
            Action::ShowMe => {
                if let Some(sched) = st.demo_schedule() {
                    st.start_replay(sched, false);
                }
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
            Action::Replay(schedule, bug) => st.start_replay(schedule, bug),
            Action::Load(q) => {
                if let Ok(fresh) = Stepper::from_query(st.lesson(), &q) {
                    if fresh.variant_index() != st.variant_index() {
                        s.hints = 0;
                        s.want_bad = false;
                    }
                    *st = fresh;
                }
            }
            Action::Explored(v, shortest) => {
                if let Some(slot) = s.shortest_bad.get_mut(v) {
                    *slot = Some(shortest.clone());
                }
                if s.want_bad && v == st.variant_index() {
                    s.want_bad = false;
                    if let Some(sched) = shortest {
                        st.start_replay(sched, true);
                    }
                }
            }
            Action::ShowBad => {
                let v = st.variant_index();
                match s.shortest_bad.get(v).cloned().flatten() {
                    Some(Some(sched)) => st.start_replay(sched, true),
                    Some(None) => {}
                    None => {
                        s.want_bad = true;
                        s.explore_nonce += 1;
                    }
                }
            }
        }
        if reaches && st.goal_met() {
            s.goals_reached += 1;
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
    let state = use_reducer(move || PageState {
        stepper: Shared(Rc::new(RefCell::new((*initial).clone()))),
        speed_ms: SPEEDS[1].1,
        tick: 0,
        shortest_bad: vec![None; lesson.variants.len()],
        want_bad: false,
        explore_nonce: 0,
        hints: 0,
        goals_reached: 0,
    });
    let progress = use_progress();
    let (prose, retry_prose) = prose::use_prose(lesson);

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
    // Keep the URL in step with variant + schedule (replaceState: no history spam, no hashchange).
    {
        let q = state.stepper.get().query();
        let slug = lesson.slug;
        use_effect_with(q, move |q| {
            dom::replace_hash(&Route::Lesson { slug: slug.to_string(), query: q.clone() }.to_hash());
        });
    }
    // Play: a timer while playing.
    {
        let state2 = state.clone();
        use_effect_with((state.stepper.get().playing(), state.speed_ms), move |(playing, ms)| {
            let timer = playing.then(|| {
                let s = state2.clone();
                Interval::new(*ms, move || s.dispatch(Action::Tick))
            });
            move || drop(timer)
        });
    }
    // Keyboard: 1–9 and 0 step T1–T10, U undo, R reset, P play/pause, L the lesson's switch.
    {
        let state = state.clone();
        let threads = state.stepper.get().machine().thread_count();
        let playing = state.stepper.get().playing();
        use_effect_with((threads, playing), move |&(threads, playing)| {
            let listener = web_sys::window().and_then(|w| w.document()).map(|doc| {
                EventListener::new_with_options(&doc, "keydown", EventListenerOptions::enable_prevent_default(), move |e| {
                    let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                    if e.ctrl_key() || e.meta_key() || e.alt_key() || typing_in_field(e) || super::keys::overlay_open() {
                        return;
                    }
                    let key = e.key();
                    let action = match key.as_str() {
                        k if k.len() == 1 && k.as_bytes()[0].is_ascii_digit() => {
                            let d = usize::from(k.as_bytes()[0] - b'0');
                            let n = if d == 0 { 10 } else { d };
                            (n <= threads).then(|| Action::Step(ThreadId((n - 1) as u8)))
                        }
                        "u" | "U" => Some(Action::Undo),
                        "r" | "R" => Some(Action::Reset),
                        "l" | "L" => Some(Action::ToggleSwitch),
                        "p" | "P" => Some(if playing { Action::Pause } else { Action::Play }),
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

    // A goal the learner reached here (by stepping or replaying) is remembered.
    {
        let progress = progress.clone();
        let slug = state.stepper.get().variant().slug;
        use_effect_with(state.goals_reached, move |&n| {
            if n > 0 {
                progress.dispatch(Change::Meet(lesson, slug));
            }
        });
    }

    let st_ref = state.stepper.get();
    let st = &*st_ref;
    let variant = st.variant();
    let vi = st.variant_index();
    let m = st.machine();
    let goal_met = progress.0.is_met(lesson, variant.slug);
    let (met, goals) = progress.0.score(lesson);
    let dispatch = |a: fn() -> Action| {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(a()))
    };
    let on_replay = {
        let state = state.clone();
        Callback::from(move |(s, bug): (Schedule, bool)| {
            scroll_to("stage");
            state.dispatch(Action::Replay(s, bug))
        })
    };
    let on_explored = {
        let state = state.clone();
        Callback::from(move |(v, s): (usize, Option<Schedule>)| state.dispatch(Action::Explored(v, s)))
    };
    let on_rewind = {
        let state = state.clone();
        Callback::from(move |n: usize| state.dispatch(Action::UndoTo(n)))
    };
    let show_bad = (variant.expect == lessons::Expect::Bad).then(|| {
        let state = state.clone();
        (
            AttrValue::from("Show an interleaving that does this"),
            Callback::from(move |()| {
                scroll_to("stage");
                state.dispatch(Action::ShowBad)
            }),
        )
    });
    let variants_attr = lesson.variants.iter().map(|v| v.slug).collect::<Vec<_>>().join(",");
    let real_req = variant.real.and_then(|r| r.request().ok());
    let number = lesson.number();
    let neighbours = (
        number.checked_sub(2).and_then(|i| lessons::all().get(i)),
        lessons::all().get(number),
    );

    html! {
        <article class="lesson" aria-labelledby="lesson-title" data-testid="lesson" data-lesson={lesson.slug} data-prose={prose.slug()}
            data-variants={variants_attr} data-variant={variant.slug} data-expect={variant.expect.slug()}>
            <p class="eyebrow">{format!("Lesson {number} · {}", lesson.part.title())}</p>
            <h1 id="lesson-title">{lesson.title()}</h1>
            {prose::status(&prose, &retry_prose)}
            <div class="prose">{prose.html(|p| p.fragment("intro"))}</div>
            if lesson.quiz {
                <Quiz lesson={lesson.slug} prose={prose.clone()} on_show={{
                    let state = state.clone();
                    Callback::from(move |(i, s): (usize, Option<Schedule>)| {
                        scroll_to("stepper");
                        state.dispatch(Action::SetVariant(i));
                        if let Some(s) = s {
                            state.dispatch(Action::Replay(s, true));
                        }
                    })
                }} />
                <h2 id="stepper">{"Step through a snippet"}</h2>
            }
            {variant_picker(&state, &progress.0)}
            <div class={classes!("callout", "goal", goal_met.then_some("met"))} data-testid="goal" data-met={goal_met.to_string()}>
                if goal_met {
                    <p class="goal-met" data-testid="goal-met"><span aria-hidden="true">{"✓ "}</span>{"Goal met — remembered on this device."}</p>
                }
                {prose.html(|p| p.goal(variant))}
                {hints(&state, &prose)}
            </div>
            if let Some(n) = st.notice() {
                <div class="callout warn" role="status" data-testid="notice"><p>{n.to_string()}</p></div>
            }
            {toolbar(&state, dispatch)}
            <p class="sr-only" aria-live="polite" aria-atomic="true" data-testid="narration">{narration(st)}</p>
            <div id="stage" class={classes!("stage", (m.thread_count() > 4).then_some("many"))} style={format!("--lanes: {}", m.thread_count().min(4))}>
                {stage::code_card(variant.code, m)}
                <div class="lanes" role="group" aria-label="Threads">
                    { for m.thread_ids().map(|t| stage::lane(&state, t)) }
                </div>
                {state_panel::state_panel(lesson, &state)}
            </div>
            {outcome::outcome_box(st.run(), variant, &on_rewind)}
            <div class={classes!("viz-grid", (m.thread_count() > 4).then_some("many"))}>
                {timeline::timeline(st.run(), &on_rewind)}
                {graph::wait_for_graph(m)}
            </div>
            <div class="panel-grid">
                <ExplorePanel lesson={lesson.slug} variant={vi} nonce={state.explore_nonce}
                    on_replay={on_replay} on_explored={on_explored} />
                if let Some(req) = real_req {
                    <ExperimentCard req={req} level={3} on_went_wrong={show_bad} predict={Some((lesson.slug, variant.slug))}
                        intro={html! { <p class="muted">{"The same program's experiment on real threads of this machine: Web Workers sharing memory. Every figure is measured when you press Run."}</p> }} />
                }
            </div>
            <div class="prose">{prose.html(|p| p.fragment("body"))}</div>
            <p class={classes!("lesson-progress", (met == goals).then_some("done"))} data-testid="lesson-progress" data-progress={format!("{met}/{goals}")}>
                { if met == goals {
                    format!("All {goals} goals of this lesson met.{}", if neighbours.1.is_some() { " On to the next one." } else { "" })
                } else {
                    format!("{met} of {goals} goals met: {}.", lesson.variants.iter().filter(|v| !progress.0.is_met(lesson, v.slug)).map(|v| format!("“{}”", v.label)).collect::<Vec<_>>().join(", ") + " to go")
                } }
            </p>
            <nav class="lesson-nav" aria-label="Previous and next lesson">
                if let Some(p) = neighbours.0 {
                    <a href={format!("#/lesson/{}", p.slug)} rel="prev">{format!("← Lesson {}: {}", p.number(), p.title())}</a>
                }
                <span class="spacer"></span>
                if let Some(n) = neighbours.1 {
                    <a href={format!("#/lesson/{}", n.slug)} rel="next">{format!("Lesson {}: {} →", n.number(), n.title())}</a>
                } else {
                    <a href="#/lab">{"The lab →"}</a>
                }
            </nav>
        </article>
    }
}

/// What the last step did, in words, for screen readers (and the run's end when it ended);
/// nothing while Play is running.
fn narration(st: &Stepper) -> String {
    let run = st.run();
    let Some(e) = run.events().last() else { return String::new() };
    // While Play runs (up to a step every 80 ms) a screen reader would fall behind: say
    // nothing until it pauses or the run ends.
    if st.playing() && !run.machine().is_over() {
        return String::new();
    }
    let what = e.to_string();
    let what = what.strip_prefix(&format!("{} ", e.thread)).unwrap_or(&what);
    let mut s = format!("Step {}: thread {} ran {} and {what}.", run.len(), e.thread.0 + 1, e.op_text());
    if let Some(ex) = sim::explain(run) {
        let title: String = ex.title.iter().map(|x| x.to_string()).collect();
        s.push_str(&format!(" The run is over: {}.", title.replace('`', "")));
    }
    s
}

fn scroll_to(id: &str) {
    if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id)) {
        el.scroll_into_view();
    }
}


/// The current variant's graded hints: a nudge, then a stronger hint, then "show me".
fn hints(state: &UseReducerHandle<PageState>, prose: &ProseState) -> Html {
    let st_ref = state.stepper.get();
    let st = &*st_ref;
    let variant = st.variant();
    let shown = state.hints;
    // Every variant has both hints (linted); until the prose is here the button waits.
    let next = match shown {
        0 => Some("Hint"),
        1 => Some("A stronger hint"),
        _ => None,
    };
    let prose = prose.get();
    let show_me = if variant.expect == lessons::Expect::Bad { "Show me an interleaving that does it" } else { "Show me a whole run" };
    html! {
        <div class="hints" data-testid="hints" data-shown={shown.to_string()}>
            { for (1..=shown).filter_map(|k| prose.and_then(|p| p.hint(variant, k)).map(|h| html! {
                <div class="hint" data-testid="hint" data-level={k.to_string()}>
                    <p class="hint-label">{if k == 1 { "Hint" } else { "Stronger hint" }}</p>
                    {markup::raw(h.clone())}
                </div>
            })) }
            <div class="row">
                // One button slot: the next hint, then "show me" in its place, so keyboard
                // focus stays on it as the hints unfold.
                if let Some(label) = next {
                    <button type="button" data-testid="hint-more" disabled={prose.is_none()} onclick={{ let state = state.clone(); Callback::from(move |_| state.dispatch(Action::MoreHint)) }}>{label}</button>
                } else {
                    <button type="button" data-testid="show-me" onclick={{ let state = state.clone(); Callback::from(move |_| { scroll_to("stage"); state.dispatch(Action::ShowMe) }) }}>{show_me}</button>
                }
            </div>
        </div>
    }
}

/// A switch for a two-variant lesson whose second variant adds something, else a radio group.
fn variant_picker(state: &UseReducerHandle<PageState>, progress: &crate::progress::Progress) -> Html {
    let st_ref = state.stepper.get();
    let st = &*st_ref;
    let lesson = st.lesson();
    let vi = st.variant_index();
    match lesson.picker {
        Picker::Switch(label) => {
            let state = state.clone();
            html! {
                <div class="variant-picker" data-testid="variant-picker">
                    <Switch label={label} checked={vi == 1} on_text={lesson.variant(1).label} off_text={lesson.variant(0).label}
                        on_toggle={Callback::from(move |_| state.dispatch(Action::ToggleSwitch))} />
                </div>
            }
        }
        Picker::Choice(label) => html! {
            <div class="variant-picker" data-testid="variant-picker">
                <span id="variant-met" hidden=true>{"Goal met"}</span>
                <div class="row segmented" role="radiogroup" aria-label={label}>
                    { for lesson.variants.iter().enumerate().map(|(i, v)| {
                        let state = state.clone();
                        let checked = i == vi;
                        html! {
                            <label class={classes!("seg", checked.then_some("checked"))}>
                                // The tick stays out of the radio's name (it is the variant's
                                // label); screen readers get "Goal met" as its description.
                                <input type="radio" name="variant" value={v.slug} checked={checked}
                                    aria-describedby={progress.is_met(lesson, v.slug).then_some("variant-met")}
                                    onchange={Callback::from(move |_: Event| state.dispatch(Action::SetVariant(i)))} />
                                {v.label}
                                if progress.is_met(lesson, v.slug) {
                                    <span class="met-mark" title="Goal met" aria-hidden="true">{" ✓"}</span>
                                }
                            </label>
                        }
                    }) }
                </div>
            </div>
        },
    }
}

fn toolbar(state: &UseReducerHandle<PageState>, dispatch: impl Fn(fn() -> Action) -> Callback<MouseEvent>) -> Html {
    let st_ref = state.stepper.get();
    let st = &*st_ref;
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
    let threads = st.machine().thread_count();
    let keys = if threads >= 10 { "1…9 0".to_string() } else if threads > 1 { format!("1…{threads}") } else { "1".to_string() };
    let has_switch = matches!(st.lesson().picker, Picker::Switch(_));
    html! {
        <div class="toolbar" role="toolbar" aria-label="Stepper controls">
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
            <span class="kbd-help">{"Keys: "}<kbd>{keys}</kbd>{" step · "}<kbd>{"U"}</kbd>{" undo · "}<kbd>{"R"}</kbd>{" reset · "}
                if has_switch { <kbd>{"L"}</kbd>{" switch · "} }
                <kbd>{"P"}</kbd>{" play"}</span>
        </div>
    }
}
