//! The lesson page's state machine, free of web APIs so it is tested natively.
//!
//! A [`Stepper`] holds the lesson, the chosen variant, the `sim::Run` being stepped, the chosen
//! automatic scheduler and the play state. The UI's reducer forwards its actions here; timers,
//! the URL and the explorer's slices are effects outside it.

use std::sync::Arc;

use sim::{
    Event, Machine, Replay, RoundRobin, Run, Schedule, Scheduler, SeededRandom, StepError,
    SwitchInterval, ThreadId,
};

use crate::lessons::{Expect, Lesson, Variant};
use crate::route::LessonQuery;

/// Which automatic scheduler Play uses. Stepping by hand works in every mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Only the learner steps; Play is off.
    Manual,
    /// T1, T2, T1, … one step each.
    RoundRobin,
    /// A seeded random thread each step: the same seed gives the same run.
    Random {
        /// The seed.
        seed: u64,
    },
    /// Run one thread for `k` steps (or until it blocks), then the next: like CPython's
    /// switch interval.
    SwitchInterval {
        /// Steps per turn.
        k: usize,
    },
}

impl Mode {
    /// Slug used by the UI's select.
    pub fn slug(self) -> &'static str {
        match self {
            Mode::Manual => "manual",
            Mode::RoundRobin => "round-robin",
            Mode::Random { .. } => "random",
            Mode::SwitchInterval { .. } => "switch",
        }
    }
}

/// The scheduler behind [`Mode`], or a replay of a schedule the explorer found.
#[derive(Clone, Debug)]
enum Auto {
    None,
    RoundRobin(RoundRobin),
    Random(SeededRandom),
    Switch(SwitchInterval),
    Replay(Replay),
}

impl Auto {
    fn for_mode(mode: Mode) -> Auto {
        match mode {
            Mode::Manual => Auto::None,
            Mode::RoundRobin => Auto::RoundRobin(RoundRobin::new()),
            Mode::Random { seed } => Auto::Random(SeededRandom::new(seed)),
            Mode::SwitchInterval { k } => Auto::Switch(SwitchInterval::new(k)),
        }
    }

    fn pick(&mut self, m: &Machine) -> Option<ThreadId> {
        match self {
            Auto::None => None,
            Auto::RoundRobin(s) => s.pick(m),
            Auto::Random(s) => s.pick(m),
            Auto::Switch(s) => s.pick(m),
            Auto::Replay(s) => s.pick(m),
        }
    }
}

/// The lesson page's state.
#[derive(Clone, Debug)]
pub struct Stepper {
    lesson: &'static Lesson,
    variant: usize,
    run: Run,
    mode: Mode,
    auto: Auto,
    playing: bool,
    /// Set while replaying a schedule from the explorer: its length, to show progress.
    replaying: Option<usize>,
    /// A message about the URL or a refused step, shown until the next action.
    notice: Option<String>,
    /// The replay in progress shows the variant's bug (an interleaving the explorer found).
    replay_shows_bug: bool,
    /// A replay of the bug played to its last step (and nothing was stepped since).
    bug_replayed: bool,
}

/// Why a stepper could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonBroken(pub String);

impl Stepper {
    /// A fresh run of `lesson`'s variant `variant` (the default one if out of range).
    pub fn new(lesson: &'static Lesson, variant: usize) -> Result<Stepper, LessonBroken> {
        let variant = if variant < lesson.variants.len() { variant } else { 0 };
        let run = fresh_run(lesson.variant(variant))?;
        Ok(Stepper {
            lesson,
            variant,
            run,
            mode: Mode::Manual,
            auto: Auto::None,
            playing: false,
            replaying: None,
            notice: None,
            replay_shows_bug: false,
            bug_replayed: false,
        })
    }

    /// A stepper restored from the URL query. Problems (a variant the lesson does not have, a
    /// schedule that does not decode or cannot be replayed) become the [`notice`](Self::notice);
    /// the run then starts fresh, with the default variant if the variant was the problem.
    pub fn from_query(lesson: &'static Lesson, q: &LessonQuery) -> Result<Stepper, LessonBroken> {
        let mut notes = Vec::new();
        let variant = match (&q.variant, q.lock, lesson.legacy_lock) {
            (Some(v), _, _) => lesson.variant_index(v).unwrap_or_else(|| {
                notes.push(format!(
                    "This lesson has no version “{v}”; showing “{}”.",
                    lesson.variant(0).label
                ));
                0
            }),
            (None, Some(lock), Some((off, on))) => lesson.variant_index(if lock { on } else { off }).unwrap_or(0),
            (None, Some(_), None) => {
                notes.push("Ignored the link's “lock” setting: this lesson has no lock switch.".to_string());
                0
            }
            (None, None, _) => 0,
        };
        let mut s = Stepper::new(lesson, variant)?;
        if !q.unknown.is_empty() {
            notes.push(format!("Ignored unknown link parameters: {}.", q.unknown.join(", ")));
        }
        if let Some(text) = &q.schedule {
            match Schedule::decode(text) {
                Err(e) => notes.push(format!("The link's schedule is not valid ({e}); starting from the beginning.")),
                Ok(schedule) => match s.variant().build().map_err(|e| e.to_string()).and_then(|scn| {
                    sim::replay(scn, &schedule).map_err(|e| e.to_string())
                }) {
                    Ok(run) => s.run = run,
                    Err(e) => notes.push(format!(
                        "The link's schedule does not fit this version of the lesson ({e}); starting from the beginning."
                    )),
                },
            }
        }
        s.notice = (!notes.is_empty()).then(|| notes.join(" "));
        Ok(s)
    }

    /// The lesson.
    pub fn lesson(&self) -> &'static Lesson {
        self.lesson
    }
    /// The index of the current variant.
    pub fn variant_index(&self) -> usize {
        self.variant
    }
    /// The current variant.
    pub fn variant(&self) -> &'static Variant {
        self.lesson.variant(self.variant)
    }
    /// The run (machine, schedule, events).
    pub fn run(&self) -> &Run {
        &self.run
    }
    /// The current machine.
    pub fn machine(&self) -> &Machine {
        self.run.machine()
    }
    /// The automatic scheduler's mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }
    /// Whether Play is running.
    pub fn playing(&self) -> bool {
        self.playing
    }
    /// `Some(len)` while replaying a schedule of `len` steps from the explorer.
    pub fn replaying(&self) -> Option<usize> {
        self.replaying
    }
    /// A message for the learner, if any.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }
    /// Whether Play can do anything (a scheduler or replay is set and the run is not over).
    pub fn can_play(&self) -> bool {
        !matches!(self.auto, Auto::None) && !self.run.machine().is_over()
    }

    /// The value of the lesson's headline variable, as Python prints it.
    pub fn headline(&self) -> Option<String> {
        self.lesson.headline.and_then(|h| self.machine().var_by_name(h)).map(|v| v.to_string())
    }

    /// The query that restores this state (variant + schedule so far).
    pub fn query(&self) -> LessonQuery {
        let sched = self.run.schedule();
        LessonQuery {
            variant: Some(self.variant().slug.to_string()),
            lock: None,
            schedule: (!sched.is_empty()).then(|| sched.encode()),
            unknown: Vec::new(),
        }
    }

    /// Steps thread `t` by hand. Stops Play (the learner took over).
    pub fn step(&mut self, t: ThreadId) -> Result<Event, StepError> {
        self.bug_replayed = false;
        self.playing = false;
        self.replaying = None;
        self.notice = None;
        let r = self.run.step(t);
        if let Err(e) = &r {
            self.notice = Some(format!("{t} cannot step: {e}."));
        }
        r
    }

    /// Undoes the last step.
    pub fn undo(&mut self) -> bool {
        self.bug_replayed = false;
        self.playing = false;
        self.replaying = None;
        self.notice = None;
        self.run.undo()
    }

    /// Goes back to the state after `step` steps (0 = the start).
    pub fn undo_to(&mut self, step: usize) -> bool {
        self.bug_replayed = false;
        self.playing = false;
        self.replaying = None;
        self.notice = None;
        self.run.undo_to(step)
    }

    /// Back to the start, keeping variant and mode.
    pub fn reset(&mut self) {
        self.bug_replayed = false;
        self.playing = false;
        self.replaying = None;
        self.notice = None;
        self.run.reset();
        self.auto = Auto::for_mode(self.mode);
    }

    /// Switches to variant `i`: a new scenario, so the run starts over. An index the lesson
    /// does not have changes nothing.
    pub fn set_variant(&mut self, i: usize) -> Result<(), LessonBroken> {
        if i >= self.lesson.variants.len() {
            return Ok(());
        }
        if i != self.variant {
            self.run = fresh_run(self.lesson.variant(i))?;
            self.variant = i;
        }
        self.reset();
        Ok(())
    }

    /// Chooses the automatic scheduler (takes effect from the current state).
    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
        self.auto = Auto::for_mode(mode);
        self.replaying = None;
        if mode == Mode::Manual {
            self.playing = false;
        }
    }

    /// Starts or stops Play.
    pub fn set_playing(&mut self, on: bool) {
        self.playing = on && self.can_play();
    }

    /// Resets and replays `schedule` one tick at a time (the explorer's "show me").
    /// `shows_bug`: the explorer found that this schedule ends in the variant's bug (which
    /// counts as the goal of a variant expected to go wrong once the replay reaches its end,
    /// even where the bug is not a final state, such as a starved writer).
    pub fn start_replay(&mut self, schedule: Schedule, shows_bug: bool) {
        self.run.reset();
        self.bug_replayed = false;
        self.replay_shows_bug = shows_bug;
        self.notice = None;
        self.replaying = Some(schedule.len());
        self.auto = Auto::Replay(Replay::new(schedule));
        self.playing = true;
    }

    /// One automatic step. Returns the event, or `None` when Play stopped (run over, nobody
    /// runnable, or the replay ended).
    pub fn tick(&mut self) -> Option<Event> {
        if !self.playing {
            return None;
        }
        let pick = self.auto.pick(self.run.machine());
        let ev = pick.and_then(|t| self.run.step(t).ok());
        if ev.is_none() || self.run.machine().is_over() {
            self.playing = false;
            if let Some(len) = self.replaying {
                self.bug_replayed = self.replay_shows_bug && self.run.schedule().len() == len;
                self.auto = Auto::for_mode(self.mode);
            }
        }
        ev
    }

    /// Whether the learner has reached the current variant's goal: a variant expected to go
    /// wrong, once a run ends in its bug (stepped or replayed) or a replay of the bug reached
    /// its end; a safe one, once a run ends without it; one that measures something else, once
    /// a run ends. A run cut off by the step limit never counts.
    pub fn goal_met(&self) -> bool {
        let v = self.variant();
        if v.expect == Expect::Bad && self.bug_replayed {
            return true;
        }
        let Some(outcome) = self.run.outcome() else { return false };
        let kind = sim::outcome_kind(self.run.machine().scenario(), outcome);
        if kind == "step-limit" {
            return false;
        }
        match v.expect {
            Expect::Bad => v.is_bug(&kind),
            Expect::Safe | Expect::None => !v.is_bug(&kind),
        }
    }

    /// A whole run of the current variant played by the round-robin scheduler: the "show me"
    /// of a variant with no bug to find. `None` if it hits the step limit.
    pub fn demo_schedule(&self) -> Option<Schedule> {
        let mut run = self.run.clone();
        run.reset();
        let mut rr = RoundRobin::new();
        while !run.machine().is_over() {
            let t = rr.pick(run.machine())?;
            run.step(t).ok()?;
        }
        (!matches!(run.outcome(), Some(sim::Outcome::StepLimit { .. }))).then(|| run.schedule().clone())
    }
}

fn fresh_run(variant: &Variant) -> Result<Run, LessonBroken> {
    let scn: Arc<sim::Scenario> = variant.build().map_err(|e| LessonBroken(e.to_string()))?;
    Run::new(scn).map_err(|e| LessonBroken(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons;

    fn race() -> &'static Lesson {
        lessons::by_slug("race-condition").expect("lesson")
    }

    #[test]
    fn query_round_trips_lock_and_schedule() {
        let mut s = Stepper::new(race(), 0).unwrap();
        for t in [0, 1, 0] {
            s.step(ThreadId(t)).unwrap();
        }
        let q = s.query();
        let back = Stepper::from_query(race(), &q).unwrap();
        assert_eq!(back.run().schedule(), s.run().schedule());
        assert_eq!(back.variant().slug, "no-lock");
        assert!(back.notice().is_none());
    }

    #[test]
    fn bad_schedule_in_link_gives_a_notice_and_a_fresh_run() {
        for bad in ["%%%", "zz", "9999999999"] {
            let q = LessonQuery { variant: None, lock: Some(true), schedule: Some(bad.into()), unknown: vec![] };
            let s = Stepper::from_query(race(), &q).unwrap();
            assert!(s.notice().is_some(), "{bad}");
            assert!(s.run().is_empty());
            assert_eq!(s.variant().slug, "lock", "the legacy lock=on still picks the locked variant");
        }
    }

    #[test]
    fn blocked_step_is_refused_with_a_notice() {
        let mut s = Stepper::new(race(), 1).unwrap();
        s.step(ThreadId(0)).unwrap();
        assert!(s.step(ThreadId(1)).is_err());
        assert!(s.notice().unwrap().contains("held by T1"), "{:?}", s.notice());
    }

    #[test]
    fn round_robin_play_runs_to_the_end_and_stops() {
        let mut s = Stepper::new(race(), 0).unwrap();
        s.set_mode(Mode::RoundRobin);
        s.set_playing(true);
        let mut n = 0;
        while s.tick().is_some() {
            n += 1;
            assert!(n < 100);
        }
        assert!(!s.playing());
        assert!(s.machine().is_over());
        // Strict alternation interleaves the loads: a lost update.
        assert_eq!(s.headline().as_deref(), Some("1"));
    }

    #[test]
    fn replay_reproduces_a_schedule_then_returns_to_the_mode() {
        let mut s = Stepper::new(race(), 0).unwrap();
        let sched = Schedule::decode(&{
            let mut r = Stepper::new(race(), 0).unwrap();
            for t in [0, 1, 1, 1, 1, 0, 0, 0] {
                r.step(ThreadId(t)).unwrap();
            }
            r.run().schedule().encode()
        })
        .unwrap();
        s.start_replay(sched.clone(), false);
        while s.tick().is_some() {}
        assert_eq!(s.run().schedule(), &sched);
        assert_eq!(s.headline().as_deref(), Some("1"));
        assert!(!s.can_play());
    }

    #[test]
    fn undo_to_rewinds_to_any_earlier_step() {
        let mut s = Stepper::new(race(), 0).unwrap();
        for t in [0, 1, 0, 0, 0, 1, 1, 1] {
            s.step(ThreadId(t)).unwrap();
        }
        assert!(s.machine().is_over());
        assert!(s.undo_to(2));
        assert_eq!(s.run().len(), 2);
        assert_eq!(s.headline().as_deref(), Some("0"));
        assert!(!s.machine().is_over());
    }

    #[test]
    fn changing_variant_starts_over_and_a_bad_index_changes_nothing() {
        let mut s = Stepper::new(race(), 0).unwrap();
        s.step(ThreadId(0)).unwrap();
        s.set_variant(1).unwrap();
        assert!(s.run().is_empty());
        assert_eq!(s.variant().slug, "lock");
        s.step(ThreadId(0)).unwrap();
        s.set_variant(99).unwrap();
        assert_eq!(s.variant().slug, "lock");
    }

    #[test]
    fn an_unknown_variant_in_a_link_gives_a_notice_and_the_default() {
        for l in lessons::all() {
            let q = LessonQuery { variant: Some("no-such-thing".into()), ..Default::default() };
            let s = Stepper::from_query(l, &q).unwrap();
            assert_eq!(s.variant_index(), 0);
            assert!(s.notice().unwrap().contains("no-such-thing"));
        }
    }

    #[test]
    fn every_variant_round_trips_through_its_query() {
        for l in lessons::all() {
            for (i, v) in l.variants.iter().enumerate() {
                let mut s = Stepper::new(l, i).unwrap();
                if let Some(t) = s.machine().runnable().first().copied() {
                    s.step(t).unwrap();
                }
                let back = Stepper::from_query(l, &s.query()).unwrap();
                assert_eq!(back.variant().slug, v.slug);
                assert_eq!(back.run().schedule(), s.run().schedule());
                assert!(back.notice().is_none(), "{:?}", back.notice());
            }
        }
    }

    fn play_out(s: &mut Stepper) {
        let mut guard = 0;
        while s.tick().is_some() {
            guard += 1;
            assert!(guard < 100_000, "replay never ends");
        }
    }

    /// Every goal can be met: a bad variant by replaying the explorer's shortest bad schedule
    /// (or, where it is sampled, by a random run that goes wrong), any other by "show me".
    #[test]
    fn every_variants_goal_can_be_met() {
        for l in lessons::all() {
            for (i, v) in l.variants.iter().enumerate() {
                let mut s = Stepper::new(l, i).expect("builds");
                assert!(!s.goal_met(), "{} {}: met before any step", l.id, v.slug);
                match (v.expect, v.exploration) {
                    (Expect::Bad, lessons::Exploration::Exhaustive) => {
                        let scn = v.build().expect("builds");
                        let report = sim::explore(scn.clone(), sim::ExploreLimits::default()).expect("explores");
                        let sched = lessons::verdict(v, &scn, &report).shortest_bad.expect("a bad schedule");
                        s.start_replay(sched, true);
                        play_out(&mut s);
                        assert!(s.goal_met(), "{} {}: replaying the bug does not meet the goal", l.id, v.slug);
                        s.undo();
                        assert!(!s.goal_met() || s.run().outcome().is_some(), "{} {}", l.id, v.slug);
                    }
                    (Expect::Bad, lessons::Exploration::Sampled(n)) => {
                        let met = (0..u64::from(n)).any(|seed| {
                            s.set_mode(Mode::Random { seed });
                            s.reset();
                            s.set_playing(true);
                            play_out(&mut s);
                            s.goal_met()
                        });
                        assert!(met, "{} {}: no random run meets the goal", l.id, v.slug);
                    }
                    _ => {
                        let sched = s.demo_schedule().unwrap_or_else(|| panic!("{} {}: no demo", l.id, v.slug));
                        s.start_replay(sched, false);
                        play_out(&mut s);
                        assert!(s.goal_met(), "{} {}: a whole run does not meet the goal", l.id, v.slug);
                    }
                }
            }
        }
    }
}
