//! Lessons are content: prose, the seed's Python, and a `sim` scenario per lock setting.
//!
//! Adding a lesson means adding a module here and listing it in [`all`]; no engine or UI
//! change. `tests` at the bottom lint every lesson (scenarios build, lines exist, slugs are
//! unique, goals are reachable) the way rustlings checks its exercises.

pub mod race_condition;
pub mod text;

use std::sync::Arc;

pub use text::{Block, Inline, NoteKind};

/// A stepped lesson.
#[derive(Clone, Copy)]
pub struct Lesson {
    /// Sortable id, e.g. `02-race-condition`.
    pub id: &'static str,
    /// URL slug, e.g. `race-condition` (`#/lesson/race-condition`).
    pub slug: &'static str,
    /// Title as shown.
    pub title: &'static str,
    /// One sentence for the lesson list.
    pub summary: &'static str,
    /// Prose before the stepper.
    pub intro: &'static [Block],
    /// The learner's goal with the lock off and on.
    pub goal: Goal,
    /// The Python shown next to the lanes, for lock off / on (index by `lock as usize`).
    pub code: [&'static str; 2],
    /// Builds the scenario for lock off / on.
    pub scenario: fn(lock: bool) -> Result<sim::Scenario, sim::ScenarioError>,
    /// The shared variable shown large (must exist in the scenario).
    pub headline_var: &'static str,
    /// What the headline variable should end as when nothing goes wrong.
    pub expected: i64,
    /// Prose after the stepper.
    pub body: &'static [Block],
    /// Which real-threads panel the lesson embeds, if any.
    pub real: Option<RealPanel>,
}

/// The goal statement, per lock setting.
#[derive(Clone, Copy, Debug)]
pub struct Goal {
    /// With the lock off.
    pub unlocked: &'static str,
    /// With the lock on.
    pub locked: &'static str,
}

/// A real-threads experiment embedded in a lesson.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RealPanel {
    /// The counter experiment; the lesson's lock switch picks racy or mutex.
    Counter,
}

impl std::fmt::Debug for Lesson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lesson").field("id", &self.id).finish_non_exhaustive()
    }
}

impl Lesson {
    /// The scenario for this lock setting, shared.
    pub fn build(&self, lock: bool) -> Result<Arc<sim::Scenario>, sim::ScenarioError> {
        (self.scenario)(lock).map(Arc::new)
    }

    /// The Python code for this lock setting.
    pub fn code(&self, lock: bool) -> &'static str {
        self.code[usize::from(lock)]
    }
}

/// Every lesson, in order.
pub fn all() -> &'static [Lesson] {
    &[race_condition::LESSON]
}

/// The lesson with this URL slug.
pub fn by_slug(slug: &str) -> Option<&'static Lesson> {
    all().iter().find(|l| l.slug == slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_slugs_are_unique_and_sorted() {
        let ids: Vec<_> = all().iter().map(|l| l.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted, "lesson ids must be unique and listed in order");
        for l in all() {
            assert!(l.id.ends_with(l.slug), "{} should end with its slug {}", l.id, l.slug);
            assert_eq!(by_slug(l.slug).map(|x| x.id), Some(l.id));
        }
    }

    #[test]
    fn every_scenario_builds_and_points_at_real_code_lines() {
        for l in all() {
            for lock in [false, true] {
                let sc = l.build(lock).unwrap_or_else(|e| panic!("{} lock={lock}: {e}", l.id));
                let lines = l.code(lock).lines().count();
                for t in &sc.threads {
                    for op in &t.program {
                        let line = usize::from(op.line);
                        assert!(
                            line >= 1 && line <= lines,
                            "{} lock={lock}: op `{}` points at line {line} of {lines}",
                            l.id,
                            op.text
                        );
                    }
                }
                assert!(
                    sc.vars.iter().any(|v| v.name == l.headline_var),
                    "{}: headline var {} missing",
                    l.id,
                    l.headline_var
                );
            }
        }
    }

    #[test]
    fn goals_are_reachable_bad_outcome_without_the_lock_none_with_it() {
        // Each lesson's goal: with the lock off some schedule goes wrong; with it on none does.
        for l in all() {
            for lock in [false, true] {
                let scn = l.build(lock).expect("scenario builds");
                let report = sim::explore(scn, sim::ExploreLimits::default()).expect("explores");
                assert!(!report.truncated, "{} lock={lock}: exploration hit its limits", l.id);
                assert!(report.schedules > 0);
                if lock {
                    assert_eq!(report.bad_schedules, 0, "{}: the lock must prevent every bad outcome", l.id);
                    assert!(report.final_values(l.headline_var).iter().all(|v| *v == sim::Value::Int(l.expected)));
                } else {
                    assert!(report.bad_schedules > 0, "{}: without the lock the goal must be reachable", l.id);
                }
            }
        }
    }

    #[test]
    fn inline_markup_in_every_block_is_closed() {
        fn check(id: &str, s: &str) {
            for run in text::parse_inline(s) {
                if let Inline::Text(t) = run {
                    assert!(!t.contains('`'), "{id}: unclosed backtick in {s:?}");
                    assert!(!t.contains("**"), "{id}: unclosed bold in {s:?}");
                }
            }
        }
        for l in all() {
            for b in l.intro.iter().chain(l.body) {
                match b {
                    Block::P(s) | Block::H(s) => check(l.id, s),
                    Block::List(items) => items.iter().for_each(|s| check(l.id, s)),
                    Block::Note { text, .. } => check(l.id, text),
                    Block::Code { .. } => {}
                }
            }
            check(l.id, l.goal.locked);
            check(l.id, l.goal.unlocked);
        }
    }
}
