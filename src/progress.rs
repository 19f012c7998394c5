//! The learner's progress: which variants' goals they met, and the predictions they made.
//! Pure: the UI keeps it in `localStorage` (through gloo's storage) as the JSON this module
//! reads and writes. Stored data is never trusted: anything corrupt, foreign or from another
//! version reads as no progress, and goals of lessons or variants that no longer exist are
//! dropped.
//!
//! Format, version 1:
//!
//! ```json
//! {"version":1,"met":{"race-condition":["no-lock"]},"predicted":{"race-condition no-lock real":1}}
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::lessons::{self, Lesson};

/// The `localStorage` key.
pub const KEY: &str = "lockstep.progress";
/// The format this build reads and writes.
pub const VERSION: u32 = 1;

/// What the learner has done.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    version: u32,
    /// Lesson slug → slugs of the variants whose goal was met.
    #[serde(default)]
    met: BTreeMap<String, BTreeSet<String>>,
    /// `"<lesson> <variant> <what>"` → the chosen answer's index. `what` is `real` or `explore`.
    #[serde(default)]
    predicted: BTreeMap<String, usize>,
}

/// Where a prediction was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    /// Before the first exploration of a variant.
    Explore,
    /// Before a real run.
    Real,
}

impl Ask {
    fn slug(self) -> &'static str {
        match self {
            Ask::Explore => "explore",
            Ask::Real => "real",
        }
    }
}

impl Progress {
    /// No progress.
    pub fn new() -> Progress {
        Progress { version: VERSION, ..Progress::default() }
    }

    /// Progress from stored JSON: `None` (nothing stored) or anything unreadable, of another
    /// version or shape, reads as no progress; entries for lessons or variants this build
    /// does not have are dropped, as are predictions out of range.
    pub fn from_json(text: Option<&str>) -> Progress {
        let Some(text) = text else { return Progress::new() };
        serde_json::from_str::<Progress>(text).map(Progress::checked).unwrap_or_else(|_| Progress::new())
    }

    /// Progress as read from storage, checked: another version reads as no progress; goals
    /// of lessons or variants this build does not have, and predictions out of range, are
    /// dropped.
    fn checked(self) -> Progress {
        let stored = self;
        if stored.version != VERSION {
            return Progress::new();
        }
        let mut p = Progress::new();
        for (lesson, variants) in stored.met {
            let Some(l) = lessons::by_slug(&lesson) else { continue };
            let kept: BTreeSet<String> = variants.into_iter().filter(|v| l.variant_index(v).is_some()).collect();
            if !kept.is_empty() {
                p.met.insert(lesson, kept);
            }
        }
        for (key, choice) in stored.predicted {
            if prediction_choices(&key).is_some_and(|n| choice < n) {
                p.predicted.insert(key, choice);
            }
        }
        p
    }

    /// The JSON to store.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Records that `variant`'s goal in `lesson` was met. Returns whether that is news.
    pub fn meet(&mut self, lesson: &Lesson, variant: &str) -> bool {
        if lesson.variant_index(variant).is_none() {
            return false;
        }
        self.met.entry(lesson.slug.to_string()).or_default().insert(variant.to_string())
    }

    /// Whether `variant`'s goal in `lesson` was met.
    pub fn is_met(&self, lesson: &Lesson, variant: &str) -> bool {
        self.met.get(lesson.slug).is_some_and(|s| s.contains(variant))
    }

    /// (goals met, goals) for a lesson: one goal per variant.
    pub fn score(&self, lesson: &Lesson) -> (usize, usize) {
        let goals = lesson.variants.len();
        let met = lesson.variants.iter().filter(|v| self.is_met(lesson, v.slug)).count();
        (met, goals)
    }

    /// Whether every goal of `lesson` is met.
    pub fn complete(&self, lesson: &Lesson) -> bool {
        let (met, goals) = self.score(lesson);
        met == goals
    }

    /// Lessons with every goal met.
    pub fn lessons_complete(&self) -> usize {
        lessons::all().iter().filter(|l| self.complete(l)).count()
    }

    /// The learner's prediction, if they made one.
    pub fn prediction(&self, lesson: &Lesson, variant: &str, ask: Ask) -> Option<usize> {
        self.predicted.get(&prediction_key(lesson.slug, variant, ask)).copied()
    }

    /// Records a prediction (ignored if out of range for that question).
    pub fn predict(&mut self, lesson: &Lesson, variant: &str, ask: Ask, choice: usize) {
        let key = prediction_key(lesson.slug, variant, ask);
        if prediction_choices(&key).is_some_and(|n| choice < n) {
            self.predicted.insert(key, choice);
        }
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.met.is_empty() && self.predicted.is_empty()
    }
}

fn prediction_key(lesson: &str, variant: &str, ask: Ask) -> String {
    format!("{lesson} {variant} {}", ask.slug())
}

/// How many choices the question stored under `key` has, if it exists.
fn prediction_choices(key: &str) -> Option<usize> {
    let mut parts = key.split(' ');
    let (Some(lesson), Some(variant), Some(what), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let l = lessons::by_slug(lesson)?;
    let v = l.variant(l.variant_index(variant)?);
    match what {
        "explore" => Some(lessons::predict::EXPLORE_CHOICES.len()),
        "real" => v.real.and_then(|r| r.predict).map(|p| p.choices.len()),
        _ => None,
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn race() -> &'static Lesson {
        lessons::by_slug("race-condition").expect("lesson")
    }

    #[test]
    fn round_trips_and_scores() {
        let mut p = Progress::new();
        assert!(p.is_empty());
        assert!(p.meet(race(), "no-lock"));
        assert!(!p.meet(race(), "no-lock"), "meeting twice is not news");
        assert!(!p.meet(race(), "no-such-variant"));
        p.predict(race(), "no-lock", Ask::Explore, 1);
        let back = Progress::from_json(Some(&p.to_json()));
        assert_eq!(back, p);
        assert_eq!(back.score(race()), (1, race().variants.len()));
        assert!(!back.complete(race()));
        assert_eq!(back.prediction(race(), "no-lock", Ask::Explore), Some(1));
        assert_eq!(back.prediction(race(), "lock", Ask::Explore), None);
    }

    #[test]
    fn corrupt_foreign_and_other_versions_read_as_nothing() {
        for text in [
            "",
            "{",
            "null",
            "[]",
            "42",
            "\"text\"",
            "{\"version\":2,\"met\":{\"race-condition\":[\"no-lock\"]}}",
            "{\"met\":{\"race-condition\":[\"no-lock\"]}}",
            "{\"version\":1,\"met\":{\"race-condition\":\"no-lock\"}}",
            "{\"version\":1,\"met\":[1,2]}",
            "{\"version\":-1}",
            "\u{0}\u{ffff}",
        ] {
            assert_eq!(Progress::from_json(Some(text)), Progress::new(), "{text:?}");
        }
        assert_eq!(Progress::from_json(None), Progress::new());
    }

    #[test]
    fn unknown_lessons_variants_and_predictions_are_dropped() {
        let text = r#"{"version":1,"met":{"race-condition":["no-lock","gone"],"gone-lesson":["x"]},
            "predicted":{"race-condition no-lock explore":1,"race-condition no-lock explore2":0,
            "race-condition lock explore":7,"x y z":0,"race-condition no-lock real":99},"extra":true}"#;
        let p = Progress::from_json(Some(text));
        let mut want = Progress::new();
        want.meet(race(), "no-lock");
        want.predict(race(), "no-lock", Ask::Explore, 1);
        assert_eq!(p, want);
    }

    #[test]
    fn every_lesson_can_be_completed() {
        let mut p = Progress::new();
        for l in lessons::all() {
            for v in l.variants {
                p.meet(l, v.slug);
            }
            assert!(p.complete(l), "{}", l.slug);
        }
        assert_eq!(p.lessons_complete(), lessons::all().len());
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Anything stored reads without a panic, and what it reads is consistent: only goals
        /// of real variants, and it round-trips.
        #[test]
        fn any_stored_text_reads_safely(text in any::<String>()) {
            let p = Progress::from_json(Some(&text));
            prop_assert_eq!(Progress::from_json(Some(&p.to_json())), p);
        }

        /// Well-formed JSON of roughly the right shape, with any names and numbers in it.
        #[test]
        fn any_shaped_json_reads_safely(
            version in prop_oneof![Just(1u64), any::<u64>()],
            met in proptest::collection::btree_map("[a-z-]{0,20}", proptest::collection::vec("[a-z-]{0,16}", 0..4), 0..5),
            predicted in proptest::collection::btree_map("[a-z -]{0,40}", any::<u64>(), 0..5),
        ) {
            let mut met = met;
            met.insert("race-condition".to_string(), vec!["no-lock".to_string(), "nope".to_string()]);
            let text = serde_json::json!({ "version": version, "met": met, "predicted": predicted }).to_string();
            let p = Progress::from_json(Some(&text));
            let race = race();
            if version == 1 {
                prop_assert!(p.is_met(race, "no-lock"));
            } else {
                prop_assert!(p.is_empty());
            }
            prop_assert!(!p.is_met(race, "nope"));
            for l in lessons::all() {
                let (m, g) = p.score(l);
                prop_assert!(m <= g);
            }
        }
    }
}
