//! Explores every variant of every lesson natively and prints the figures the lesson page
//! shows: distinct states, complete schedules, schedules ending in the variant's bug, and time.
//!
//! `cargo run --release --example lessons_explore`

use std::time::Instant;

fn main() {
    println!("{:<22} {:<16} {:>8} {:>26} {:>26} {:>9}", "lesson", "variant", "states", "schedules", "bad", "ms");
    for l in lockstep::lessons::all() {
        for v in l.variants {
            let scn = match v.build() {
                Ok(s) => s,
                Err(e) => {
                    println!("{:<22} {:<16} scenario error: {e}", l.slug, v.slug);
                    continue;
                }
            };
            let t0 = Instant::now();
            let report = match sim::explore(scn.clone(), sim::ExploreLimits::default()) {
                Ok(r) => r,
                Err(e) => {
                    println!("{:<22} {:<16} explore error: {e}", l.slug, v.slug);
                    continue;
                }
            };
            let ms = t0.elapsed().as_secs_f64() * 1e3;
            let verdict = lockstep::lessons::verdict(v, &scn, &report);
            println!(
                "{:<22} {:<16} {:>8} {:>26} {:>26} {:>9.2}{}",
                l.slug,
                v.slug,
                report.states,
                verdict.total,
                verdict.bad,
                ms,
                if report.truncated { "  (truncated)" } else { "" }
            );
        }
    }
}
