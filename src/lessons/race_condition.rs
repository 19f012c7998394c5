//! Lesson 02: race conditions (pipeline check version; content follows).
use super::{Goal, Lesson, RealPanel};

pub const LESSON: Lesson = Lesson {
    id: "02-race-condition",
    slug: "race-condition",
    title: "Race conditions: the core problem",
    summary: "Two threads, one `counter += 1`.",
    intro: &[],
    goal: Goal { unlocked: "", locked: "" },
    code: ["counter = 0\n", "counter = 0\n"],
    scenario: |_| Ok(sim::Scenario::default()),
    headline_var: "counter",
    expected: 2,
    body: &[],
    real: Some(RealPanel::Counter),
};
