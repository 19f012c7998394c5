//! Explorer benchmark: for each lesson-sized scenario, the states and schedules found, the time
//! taken and the states explored per second. A figure to read, not an assertion.
//!
//! `cargo run --release -p lockstep-sim --example explore_bench [-- --plain] [--once] [WORD]`
//!
//! Each exploration is repeated (at least three times, and for at least a tenth of a second)
//! and the fastest run is shown, so that a busy machine disturbs the figures less. `--plain`
//! turns the symmetry reduction off everywhere, for comparing the explorer's raw speed.
//! `--once` runs each exploration exactly once and skips the stepping figure: a fixed amount of
//! work, for counting instructions (`valgrind --tool=callgrind`), where a timed loop would vary.
//! A `WORD` keeps only the scenarios whose names contain it.

use sim::samples;
use sim::{ExploreLimits, ExploreReport, Explorer, Machine, RoundRobin, Scenario};
use std::sync::Arc;
use std::time::Instant;

/// The report and the fastest of several runs, in seconds.
fn timed(scn: &Arc<Scenario>, symmetry: bool, once: bool) -> Option<(ExploreReport, f64)> {
    let started = Instant::now();
    let mut best = f64::INFINITY;
    let mut report = None;
    let mut runs = 0;
    while runs == 0 || (!once && (runs < 3 || started.elapsed().as_secs_f64() < 0.1)) {
        let start = Instant::now();
        let ex = Explorer::new(Arc::clone(scn), ExploreLimits::default()).ok()?;
        let r = ex.with_symmetry(symmetry).run_to_completion();
        best = best.min(start.elapsed().as_secs_f64());
        report = Some(r);
        runs += 1;
    }
    report.map(|r| (r, best))
}

fn main() {
    let symmetry = !std::env::args().any(|a| a == "--plain");
    let once = std::env::args().any(|a| a == "--once");
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let scenarios: Vec<Arc<Scenario>> = vec![
        samples::race(2, 1, false),
        samples::race(2, 1, true),
        samples::race(2, 2, false),
        samples::race(2, 2, true),
        samples::race(3, 1, false),
        samples::race(3, 1, true),
        samples::race(3, 2, false),
        samples::gil_race(2, 2, false),
        samples::gil_race(2, 2, true),
        samples::two_locks(true),
        samples::two_locks(false),
        samples::transfers(false),
        samples::transfers(true),
        samples::singleton(false),
        samples::singleton(true),
        samples::semaphore_pool(4, 3),
        samples::semaphore_pool(10, 3),
        samples::semaphore_pool_extra_release(10, 3),
        samples::producer_consumer(false, 2, 4),
        samples::producer_consumer(true, 2, 4),
    ];
    println!(
        "symmetry reduction {}",
        if symmetry { "on" } else { "off (--plain)" }
    );
    println!(
        "{:<56} {:>7} {:>10} {:>10} {:>7} {:>8} {:>10}",
        "scenario", "states", "schedules", "bad", "classes", "ms", "states/s"
    );
    let mut total_states = 0usize;
    let mut total_secs = 0f64;
    for scn in scenarios {
        if !only.is_empty() && !only.iter().any(|w| scn.name.contains(w.as_str())) {
            continue;
        }
        let Some((report, secs)) = timed(&scn, symmetry, once) else {
            println!("{:<56} invalid", scn.name);
            continue;
        };
        total_states += report.states;
        total_secs += secs;
        println!(
            "{:<56} {:>7} {:>10} {:>10} {:>7} {:>8.2} {:>10.0}{}",
            scn.name,
            report.states,
            short(report.schedules),
            short(report.bad_schedules),
            report.outcomes.len(),
            secs * 1e3,
            report.states as f64 / secs.max(1e-9),
            if report.truncated {
                "  (truncated)"
            } else {
                ""
            }
        );
    }
    println!(
        "total: {total_states} states in {:.1} ms ({:.0} states/s)",
        total_secs * 1e3,
        total_states as f64 / total_secs.max(1e-9)
    );

    if once {
        return;
    }
    // Raw stepping speed, for the UI's play mode and random testing.
    let scn = samples::race(3, 2, true);
    let start = Instant::now();
    let mut steps = 0usize;
    for _ in 0..20_000 {
        let Ok(mut m) = Machine::new(Arc::clone(&scn)) else {
            return;
        };
        let (schedule, _) = sim::run_in_place(&mut m, &mut RoundRobin::new(), 10_000);
        steps += schedule.len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "stepping: {steps} steps in {:.1} ms ({:.0} steps/s)",
        secs * 1e3,
        steps as f64 / secs
    );
}

/// Exact below a million, else in scientific notation (schedule counts get astronomical).
fn short(n: u128) -> String {
    if n < 1_000_000 {
        n.to_string()
    } else {
        format!("{:.2e}", n as f64)
    }
}
