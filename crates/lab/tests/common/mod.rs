//! Test helpers: run a test body under both runners, `StdThreads` and `RayonScope` inside a
//! rayon pool of its own.

#![allow(dead_code)]

use lab::{Cancel, Env, LabReport, LabRequest, RayonScope, StdClock, StdThreads};

/// Threads of the rayon pool the tests build: 5 tasks at once plus the calling thread.
pub const POOL_THREADS: usize = 6;

/// Calls `body` once with a `StdThreads` env and once with a `RayonScope` env, the second time
/// inside a fresh rayon pool (as the browser calls the lab from inside its pool).
pub fn on_both_runners(body: impl Fn(&Env) + Sync) {
    let clock = StdClock::new();
    let cancel = Cancel::new();
    let std_runner = StdThreads::new();
    body(&Env::new(&clock, &std_runner, &cancel));

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(POOL_THREADS)
        .build()
        .expect("rayon pool");
    pool.install(|| body(&Env::new(&clock, &RayonScope, &cancel)));
}

/// Runs `req` and unwraps the report.
pub fn run(req: LabRequest, env: &Env) -> LabReport {
    lab::run(&req, env).unwrap_or_else(|e| panic!("{} failed: {e}", req.slug()))
}

/// The value of the figure `key` in `report`.
pub fn figure(report: &LabReport, key: &str) -> String {
    report
        .figures()
        .into_iter()
        .find(|f| f.key == key)
        .unwrap_or_else(|| panic!("no figure {key} in {}", report.slug()))
        .value
}
