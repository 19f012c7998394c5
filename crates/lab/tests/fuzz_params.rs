//! Fuzzing what a learner can give the lab: any key and any value set on any experiment
//! ([`LabRequest::set`]), any runner size, and any text typed into a number field
//! ([`parse_whole_number`]). Nothing panics, every refusal is a message that names what was
//! wrong, and what the schema lists agrees with what `validate` accepts.

use lab::params::{parse_whole_number, NumberError};
use lab::report::group;
use lab::schema::{Kind, Value};
use lab::{Cancel, Env, LabError, LabRequest, StdClock, StdThreads};
use proptest::prelude::*;
use proptest::sample::select;

/// Every parameter key of every experiment, as the schema lists them (the GIL's
/// `switch-every` shows only in GIL mode, so it is named too).
fn known_keys() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = LabRequest::defaults()
        .iter()
        .flat_map(|r| r.params(7))
        .map(|p| p.key)
        .chain(["switch-every"])
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Every choice of every choice parameter, and two that no parameter has.
fn known_choices() -> Vec<&'static str> {
    let mut choices: Vec<&'static str> = LabRequest::defaults()
        .iter()
        .flat_map(|r| r.params(7))
        .filter_map(|p| match p.kind {
            Kind::Choice(options) => Some(options.iter().map(|(v, _)| *v)),
            _ => None,
        })
        .flatten()
        .chain(["", "teleport"])
        .collect();
    choices.sort_unstable();
    choices.dedup();
    choices
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(known_keys()).prop_map(String::from),
        1 => "[a-z-]{0,14}",
        1 => any::<String>(),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let int = prop_oneof![
        0u64..70,
        any::<u64>(),
        select(vec![
            u64::from(u32::MAX),
            u64::from(u32::MAX) + 1,
            u64::MAX,
            lab::counter::MAX_INCREMENTS + 1,
        ]),
    ];
    prop_oneof![
        3 => int.prop_map(Value::Int),
        1 => any::<bool>().prop_map(Value::Flag),
        2 => select(known_choices()).prop_map(Value::Choice),
    ]
}

/// A message a learner can read: something, on one line, of a sensible length.
fn readable(message: &str) -> bool {
    !message.trim().is_empty() && !message.contains('\n') && message.chars().count() < 400
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_edits_of_any_experiment_never_panic_and_agree_with_validate(
        which in 0usize..lab::SLUGS.len(),
        edits in proptest::collection::vec((key(), value()), 0..8),
        max_threads in prop_oneof![4 => 0usize..40, 1 => select(vec![1000, u32::MAX as usize, usize::MAX])],
    ) {
        // The runner offers at least one thread; validate against what it really offers.
        let runner = StdThreads::with_max_threads(max_threads);
        let max_threads = lab::Runner::max_threads(&runner);
        let mut req = LabRequest::defaults().swap_remove(which);
        for (k, v) in &edits {
            match req.set(k, v) {
                Ok(()) => {
                    // What was set is what the schema now lists.
                    let listed = req.params(max_threads as u64).into_iter().find(|p| p.key == k);
                    prop_assert_eq!(listed.map(|p| p.value), Some(v.clone()), "{} {}", req.slug(), k);
                }
                Err(e) => {
                    let message = e.to_string();
                    prop_assert!(!message.trim().is_empty());
                    prop_assert!(message.contains(k.as_str()), "{message:?} does not name {k:?}");
                }
            }
        }
        // Nothing about an edited request may panic or overflow, valid or not.
        let _ = (req.info(), req.slug(), req.threads_needed());
        prop_assert!(req.deadline_ms() >= req.budget_ms());
        let params = req.params(max_threads as u64);
        match req.validate(max_threads) {
            Err(e) => {
                prop_assert!(readable(&e.to_string()), "{:?}", e.to_string());
                // A run re-validates: it is refused before any thread starts.
                let (clock, cancel) = (StdClock::new(), Cancel::new());
                let env = Env::new(&clock, &runner, &cancel);
                let refused = lab::run(&req, &env);
                prop_assert!(matches!(refused, Err(LabError::Invalid(_))), "{refused:?}");
                prop_assert!(readable(&refused.unwrap_err().to_string()));
            }
            Ok(()) => {
                // What validate accepts, the schema lists as in bounds.
                for p in &params {
                    match (p.kind, &p.value) {
                        (Kind::Int { min, max }, Value::Int(v)) => {
                            prop_assert!((min..=max).contains(v), "{} {}: {v} outside {min}..={max}", req.slug(), p.key);
                        }
                        (Kind::Choice(options), Value::Choice(c)) => {
                            prop_assert!(options.iter().any(|(o, _)| o == c), "{} {}: {c}", req.slug(), p.key);
                        }
                        (Kind::Flag, Value::Flag(_)) => {}
                        (kind, value) => prop_assert!(false, "{} {}: {kind:?} listed with {value:?}", req.slug(), p.key),
                    }
                }
                prop_assert!(req.threads_needed() <= max_threads, "{} needs {}", req.slug(), req.threads_needed());
            }
        }
    }

    #[test]
    fn any_typed_text_reads_as_a_number_in_bounds_or_a_message(
        text in prop_oneof![any::<String>(), "[-+0-9,_ .e]{0,30}"],
        a in any::<u64>(),
        b in prop_oneof![any::<u64>(), 0u64..1000],
    ) {
        let (min, max) = (a.min(b), a.max(b));
        match parse_whole_number(&text, min, max) {
            Ok(v) => prop_assert!((min..=max).contains(&v)),
            Err(e) => prop_assert!(readable(&e.to_string())),
        }
    }

    #[test]
    fn numbers_typed_with_or_without_separators_read_back(
        n in prop_oneof![any::<u64>(), 0u64..100_000],
        min in prop_oneof![Just(0u64), 0u64..100_000, any::<u64>()],
        span in prop_oneof![Just(u64::MAX), 0u64..100_000],
        style in 0usize..4,
    ) {
        let max = min.saturating_add(span);
        let text = match style {
            0 => n.to_string(),
            1 => group(n),
            2 => format!("  {}\t", group(n).replace(',', "_")),
            _ => group(n).replace(',', " "),
        };
        let expected = if (min..=max).contains(&n) {
            Ok(n)
        } else {
            Err(NumberError::OutOfRange { min, max })
        };
        prop_assert_eq!(parse_whole_number(&text, min, max), expected);
        if n > 0 {
            prop_assert_eq!(
                parse_whole_number(&format!("-{n}"), min, max),
                Err(NumberError::OutOfRange { min, max })
            );
        }
    }
}
