//! Lockstep's explorer on the programs `scripts/peers.sh` gives the Python interleaving
//! explorers (frontrun, interleave-test, ploom): the seed's race at three sizes, the locked
//! race, two locks in opposite and in the same order, and the seed's producer-consumer. One
//! JSON object per line, for `scripts/peers.py` to put in its table; figures only.
//!
//! `cargo run --release --example peers_explore`
//!
//! Each program is explored exhaustively (every interleaving, counted; states are distinct up
//! to a renaming of interchangeable threads) several times, and the fastest run is reported,
//! so that a busy machine disturbs the figure less.

use std::sync::Arc;
use std::time::Instant;

use lockstep::lessons;
use sim::{samples, ExploreLimits, ExploreReport, Explorer, Scenario, Value};

/// How a program's bad schedules are told from the good ones.
enum Judge {
    /// By the lesson variant's own rule (`lessons::verdict`).
    Lesson(&'static lessons::Variant),
    /// The race samples have no check: a final `counter` below this lost an update.
    Counter(i64),
    /// By the scenario's own checks.
    Checks,
}

/// The variant `variant` of lesson `lesson`.
fn variant(lesson: &str, variant: &str) -> &'static lessons::Variant {
    let l = lessons::by_slug(lesson).expect("lesson");
    l.variant(l.variant_index(variant).expect("variant"))
}

/// The report and the fastest of several runs, in seconds.
fn timed(scn: &Arc<Scenario>) -> (ExploreReport, f64) {
    let started = Instant::now();
    let mut best = f64::INFINITY;
    let mut report = None;
    let mut runs = 0;
    while runs < 5 || (started.elapsed().as_secs_f64() < 0.2 && runs < 1000) {
        let start = Instant::now();
        let r = Explorer::new(Arc::clone(scn), ExploreLimits::default())
            .expect("valid")
            .run_to_completion();
        best = best.min(start.elapsed().as_secs_f64());
        report = Some(r);
        runs += 1;
    }
    (report.expect("ran at least once"), best)
}

fn main() {
    let lesson = |l: &str, v: &str| {
        let var = variant(l, v);
        (
            var.build().expect("lesson scenarios build (linted)"),
            Judge::Lesson(var),
        )
    };
    let race = |threads: usize, increments: usize| {
        let expected = (threads * increments) as i64;
        (
            samples::race(threads, increments, false),
            Judge::Counter(expected),
        )
    };
    let programs: Vec<(&str, (Arc<Scenario>, Judge))> = vec![
        ("race-2x1", lesson("race-condition", "no-lock")),
        ("race-2x2", race(2, 2)),
        ("race-3x2", race(3, 2)),
        ("locked-race-2x1", lesson("race-condition", "lock")),
        ("locks-opposite-order", lesson("deadlock", "opposite-order")),
        ("locks-same-order", lesson("deadlock", "same-order")),
        (
            "producer-consumer",
            lesson("producer-consumer", "seed-sentinel"),
        ),
        // The same program with 2 tasks per producer: its queue never fills.
        (
            "producer-consumer-2-tasks",
            (samples::producer_consumer(false, 2, 10), Judge::Checks),
        ),
    ];
    for (name, (scn, judge)) in programs {
        let (report, secs) = timed(&scn);
        let (bad, shortest_bad) = match judge {
            Judge::Lesson(v) => {
                let verdict = lessons::verdict(v, &scn, &report);
                (verdict.bad, verdict.shortest_bad.map(|s| s.len()))
            }
            Judge::Counter(expected) => {
                let lost = report.outcomes.iter().filter(|o| {
                    o.class
                        .final_var("counter")
                        .is_some_and(|v| v != Value::Int(expected))
                });
                let bad = lost.clone().map(|o| o.schedules).sum::<u128>();
                (bad, lost.map(|o| o.shortest.len()).min())
            }
            Judge::Checks => (
                report.bad_schedules,
                report.bad().map(|o| o.shortest.len()).min(),
            ),
        };
        println!(
            "{{\"program\":\"{name}\",\"scenario\":\"{}\",\"states\":{},\"schedules\":{},\"bad\":{},\"shortest_bad\":{},\"truncated\":{},\"seconds\":{:.9}}}",
            scn.name,
            report.states,
            report.schedules,
            bad,
            shortest_bad.map_or("null".to_string(), |n| n.to_string()),
            report.truncated,
            secs
        );
    }
}
