//! Fuzzing every input a link or a learner can give the lesson pages: any hash
//! ([`Route::parse`]), any query ([`LessonQuery::parse`]), any `v`, `s`, legacy `lock` and
//! unknown parameters for every lesson ([`Stepper::from_query`]), any decodable schedule
//! replayed against every variant's scenario, and any sequence of the page's actions (step any
//! thread, undo, switch variant or scheduler, play, replay). Nothing panics; every problem
//! becomes a notice a learner can read; what the app itself writes into a link comes back
//! unchanged.
//!
//! Case counts are kept moderate so the suite stays fast in debug builds; raise them with
//! `PROPTEST_CASES=20000 cargo test --test fuzz_links` for a longer hunt.

#![cfg(not(target_arch = "wasm32"))]

use lockstep::lessons::{self, Lesson};
use lockstep::route::{LessonQuery, Route, MAX_HASH_LEN};
use lockstep::stepper::{Mode, Stepper};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use sim::{Schedule, ThreadId, MAX_SCHEDULE_LEN};

/// Every (lesson, variant) pair, by index.
fn variants() -> Vec<(usize, usize)> {
    lessons::all()
        .iter()
        .enumerate()
        .flat_map(|(l, lesson)| (0..lesson.variants.len()).map(move |v| (l, v)))
        .collect()
}

fn lesson(l: usize) -> &'static Lesson {
    &lessons::all()[l]
}

/// Strings shaped like the app's own hashes, with the pieces a hand-edited link mangles.
fn hash_like() -> impl Strategy<Value = String> {
    let slugs: Vec<String> = lessons::all().iter().map(|l| l.slug.to_string()).collect();
    let piece = prop_oneof![
        select(slugs),
        select(lab::SLUGS.to_vec()).prop_map(String::from),
        Just("lesson".to_string()),
        Just("lab".to_string()),
        "[a-z0-9-]{0,8}",
        "[?&=#/.%]{1,3}",
        "v=[a-z-]{0,12}",
        "s=1\\.[a-z0-9]{0,12}",
        "lock=(on|off|1|0|true|false|maybe)?",
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..8).prop_map(|parts| parts.concat())
}

/// `s=` values: arbitrary text, near-valid schedule strings, version and count mistakes.
fn schedule_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "1\\.([a-p][0-9]{0,2}){0,20}",
        "[0-9]?\\.?[a-z0-9]{0,20}",
        "1\\.[a-z]0[0-9]*",
        "1\\.a[0-9]{5,30}",
    ]
}

/// A query as a link can carry it, before or after [`LessonQuery::parse`].
fn lesson_query(lesson: &'static Lesson) -> impl Strategy<Value = LessonQuery> {
    let slugs: Vec<String> = lesson.variants.iter().map(|v| v.slug.to_string()).collect();
    let variant = prop_oneof![
        2 => Just(None),
        3 => select(slugs).prop_map(Some),
        1 => "[a-z0-9-]{1,12}".prop_map(Some),
        1 => any::<String>().prop_map(Some),
    ];
    let lock = prop_oneof![Just(None), any::<bool>().prop_map(Some)];
    let schedule = prop_oneof![Just(None), schedule_text().prop_map(Some)];
    // What `LessonQuery::parse` collects: never empty, never `&`; a browser's hash has no
    // control characters (it percent-encodes them).
    let unknown = proptest::collection::vec("[a-z]{1,6}(=[^&\\p{C}]{0,8})?", 0..3);
    (variant, lock, schedule, unknown).prop_map(|(variant, lock, schedule, unknown)| LessonQuery {
        variant,
        lock,
        schedule,
        unknown,
    })
}

/// A notice a learner can read: something, on one line.
fn readable(message: &str) -> bool {
    !message.trim().is_empty() && !message.contains('\n')
}

/// Steps `stepper` by `picks`, each an index into the threads runnable at that moment; stops
/// when nobody can run.
fn walk(stepper: &mut Stepper, picks: &[Index]) {
    for pick in picks {
        let runnable = stepper.machine().runnable();
        if runnable.is_empty() {
            break;
        }
        stepper
            .step(runnable[pick.index(runnable.len())])
            .expect("a runnable thread steps");
    }
}

/// What the lesson page's reducer asks of its stepper (`ui::lesson::Action`, minus the
/// page-only ones).
#[derive(Clone, Debug)]
enum PageAction {
    /// A lane's Step button or a number key: any thread id, runnable or not.
    Step(u8),
    Undo,
    UndoTo(usize),
    Reset,
    SetVariant(usize),
    SetMode(Mode),
    Play,
    Pause,
    /// This many timer ticks.
    Ticks(usize),
    /// The explorer's "show me", with a schedule that may belong to another variant.
    Replay(String),
}

fn page_action() -> impl Strategy<Value = PageAction> {
    let mode = prop_oneof![
        Just(Mode::Manual),
        Just(Mode::RoundRobin),
        any::<u64>().prop_map(|seed| Mode::Random { seed }),
        (0usize..25).prop_map(|k| Mode::SwitchInterval { k }),
    ];
    prop_oneof![
        6 => (0u8..12).prop_map(PageAction::Step),
        1 => Just(PageAction::Undo),
        1 => (0usize..80).prop_map(PageAction::UndoTo),
        1 => Just(PageAction::Reset),
        1 => (0usize..8).prop_map(PageAction::SetVariant),
        1 => mode.prop_map(PageAction::SetMode),
        1 => Just(PageAction::Play),
        1 => Just(PageAction::Pause),
        2 => (1usize..30).prop_map(PageAction::Ticks),
        1 => "1\\.([a-e][1-9]?){0,30}".prop_map(PageAction::Replay),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn any_hash_parses_without_panicking_and_its_canonical_form_is_stable(
        hash in prop_oneof![any::<String>(), hash_like()],
    ) {
        let route = Route::parse(&hash);
        match &route {
            Route::NotFound { asked } => prop_assert!(!asked.is_empty()),
            Route::Lesson { slug, query } => {
                prop_assert!(!slug.is_empty());
                prop_assert!(query.unknown.iter().all(|u| !u.is_empty() && u.chars().count() <= 30));
            }
            Route::Lab { focus } => prop_assert!(focus.as_deref() != Some("")),
            Route::Home => {}
        }
        // The hash the app writes back for a route reads as that route, and is a fixed point.
        let canonical = route.to_hash();
        prop_assert!(canonical.starts_with("#/"));
        let again = Route::parse(&canonical);
        prop_assert_eq!(again.to_hash(), canonical);
    }

    #[test]
    fn any_query_parses_without_panicking_and_keeps_what_it_understood(
        q in prop_oneof![any::<String>(), hash_like()],
    ) {
        let parsed = LessonQuery::parse(&q);
        prop_assert!(parsed.unknown.iter().all(|u| !u.is_empty()));
        if let Some(v) = &parsed.variant {
            prop_assert!(!v.is_empty() && v.len() <= 64);
            prop_assert!(v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        }
        if let Some(s) = &parsed.schedule {
            prop_assert!(!s.is_empty() && !s.contains('&'));
        }
        // Understood parameters survive a round trip through the app's own hash.
        let route = Route::Lesson { slug: "x".into(), query: parsed.clone() };
        let Route::Lesson { query: back, .. } = Route::parse(&route.to_hash()) else {
            return Err(TestCaseError::fail("a lesson route reads back as a lesson route"));
        };
        prop_assert_eq!(&back.variant, &parsed.variant);
        prop_assert_eq!(&back.schedule, &parsed.schedule);
        prop_assert!(back.unknown.is_empty());
    }

    #[test]
    fn lab_links_focus_a_slug_or_nothing(focus in prop_oneof!["[a-z0-9-]{0,10}", any::<String>()]) {
        // The lab reads no query: only the path before `?` counts.
        let path = focus.split('?').next().unwrap_or_default();
        match Route::parse(&format!("#/lab/{focus}")) {
            Route::Lab { focus: Some(f) } => {
                prop_assert_eq!(f.as_str(), path.trim_matches('/'));
                prop_assert!(f.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            }
            Route::Lab { focus: None } => prop_assert!(path.split('/').all(str::is_empty)),
            Route::NotFound { asked } => prop_assert!(!asked.is_empty()),
            other => prop_assert!(false, "#/lab/{focus} read as {other:?}"),
        }
    }

    #[test]
    fn any_link_query_opens_every_lesson_with_a_readable_notice(
        (l, q) in (0..lessons::all().len()).prop_flat_map(|l| (Just(l), lesson_query(lesson(l)))),
    ) {
        let lesson = lesson(l);
        let s = Stepper::from_query(lesson, &q).expect("every lesson builds (linted)");
        if let Some(n) = s.notice() {
            prop_assert!(readable(n), "{n:?}");
        }
        if let Some(v) = q.variant.as_deref().filter(|v| lesson.variant_index(v).is_some()) {
            prop_assert_eq!(s.variant().slug, v);
        }
        for u in &q.unknown {
            prop_assert!(s.notice().is_some_and(|n| n.contains(u.as_str())), "{u} not mentioned");
        }
        // A schedule either replays whole on the chosen variant or is refused with a notice
        // and a fresh run; never half of it.
        let replayed = q.schedule.as_deref().and_then(|t| Schedule::decode(t).ok()).and_then(|sched| {
            let scn = s.variant().build().expect("builds");
            sim::replay(scn, &sched).ok().map(|_| sched)
        });
        match (&q.schedule, replayed) {
            (None, _) => prop_assert!(s.run().is_empty()),
            (Some(_), Some(sched)) => prop_assert_eq!(s.run().schedule(), &sched),
            (Some(_), None) => {
                prop_assert!(s.run().is_empty());
                prop_assert!(s.notice().is_some_and(|n| n.contains("schedule")), "{:?}", s.notice());
            }
        }
    }

    #[test]
    fn any_decodable_schedule_replays_or_is_refused_with_a_reason_on_every_variant(
        (l, v) in select(variants()),
        text in prop_oneof![
            "1\\.([a-p][1-9]?[0-9]?){0,40}",
            "1\\.([a-z][0-9]{0,3}){0,8}",
        ],
    ) {
        let Ok(schedule) = Schedule::decode(&text) else {
            return Ok(());
        };
        let scn = lesson(l).variant(v).build().expect("every scenario builds (linted)");
        match sim::replay(scn, &schedule) {
            Ok(run) => prop_assert_eq!(run.schedule(), &schedule),
            Err(e) => prop_assert!(readable(&e.to_string()), "{e}"),
        }
    }

    #[test]
    fn links_the_app_writes_reopen_the_same_state(
        (l, v) in select(variants()),
        picks in proptest::collection::vec(any::<Index>(), 0..60),
    ) {
        let lesson = lesson(l);
        let mut s = Stepper::new(lesson, v).expect("builds");
        walk(&mut s, &picks);
        let route = Route::Lesson { slug: lesson.slug.to_string(), query: s.query() };
        let Route::Lesson { slug, query } = Route::parse(&route.to_hash()) else {
            return Err(TestCaseError::fail("the app's own link is a lesson link"));
        };
        prop_assert_eq!(slug.as_str(), lesson.slug);
        let back = Stepper::from_query(lesson, &query).expect("builds");
        prop_assert!(back.notice().is_none(), "{:?}", back.notice());
        prop_assert_eq!(back.variant_index(), v);
        prop_assert_eq!(back.run().schedule(), s.run().schedule());
        prop_assert_eq!(back.machine(), s.machine());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn any_sequence_of_page_actions_keeps_a_consistent_linkable_state(
        l in 0..lessons::all().len(),
        actions in proptest::collection::vec(page_action(), 0..40),
    ) {
        let lesson = lesson(l);
        let mut s = Stepper::new(lesson, 0).expect("builds");
        for action in actions {
            match action {
                PageAction::Step(t) => {
                    let before = s.run().len();
                    match s.step(ThreadId(t)) {
                        Ok(_) => prop_assert_eq!(s.run().len(), before + 1),
                        Err(e) => {
                            prop_assert_eq!(s.run().len(), before);
                            prop_assert!(readable(&e.to_string()));
                            prop_assert!(s.notice().is_some_and(readable), "{:?}", s.notice());
                        }
                    }
                }
                PageAction::Undo => {
                    s.undo();
                }
                PageAction::UndoTo(k) => {
                    let before = s.run().len();
                    prop_assert_eq!(s.undo_to(k), k <= before);
                }
                PageAction::Reset => s.reset(),
                PageAction::SetVariant(i) => s.set_variant(i).expect("every variant builds"),
                PageAction::SetMode(m) => s.set_mode(m),
                PageAction::Play => s.set_playing(true),
                PageAction::Pause => s.set_playing(false),
                PageAction::Ticks(n) => {
                    for _ in 0..n {
                        if s.tick().is_none() {
                            prop_assert!(!s.playing());
                            break;
                        }
                    }
                }
                PageAction::Replay(text) => {
                    if let Ok(schedule) = Schedule::decode(&text) {
                        s.start_replay(schedule, false);
                    }
                }
            }
            prop_assert_eq!(s.machine().steps(), s.run().len());
            if s.playing() {
                prop_assert!(s.can_play());
            }
        }
        // Whatever happened, the link the page writes restores it.
        let back = Stepper::from_query(lesson, &s.query()).expect("builds");
        prop_assert!(back.notice().is_none(), "{:?}", back.notice());
        prop_assert_eq!(back.variant_index(), s.variant_index());
        prop_assert_eq!(back.machine(), s.machine());
    }
}

#[test]
fn every_variant_stops_before_its_schedule_outgrows_a_link() {
    // A run ends at the scenario's step limit; a longer schedule would not decode from a link.
    for lesson in lessons::all() {
        for v in lesson.variants {
            let scn = v.build().expect("builds");
            assert!(
                scn.step_limit <= MAX_SCHEDULE_LEN,
                "{} {}: {}",
                lesson.slug,
                v.slug,
                scn.step_limit
            );
        }
    }
}

#[test]
fn every_lab_experiment_has_a_link() {
    for slug in lab::SLUGS {
        let route = Route::parse(&format!("#/lab/{slug}"));
        assert_eq!(
            route,
            Route::Lab {
                focus: Some(slug.to_string())
            }
        );
        assert_eq!(Route::parse(&route.to_hash()), route);
    }
}

#[test]
fn the_longest_schedule_fits_in_a_link_with_the_longest_names() {
    // One letter per step (threads alternating) is the longest a schedule encodes to.
    let steps: Vec<ThreadId> = (0..MAX_SCHEDULE_LEN)
        .map(|i| ThreadId((i % 2) as u8))
        .collect();
    let query = LessonQuery {
        variant: Some("v".repeat(64)),
        schedule: Some(Schedule(steps).encode()),
        ..Default::default()
    };
    let route = Route::Lesson {
        slug: "s".repeat(64),
        query,
    };
    let hash = route.to_hash();
    assert!(
        hash.len() <= MAX_HASH_LEN,
        "{} > {MAX_HASH_LEN}",
        hash.len()
    );
    assert_eq!(Route::parse(&hash), route);
}
