//! Repeated runs: one experiment run R times, and the distribution of its key outcome as a
//! histogram, in the manner of JCStress (e.g. lost updates over 50 racy counter runs).

use crate::env::Env;
use crate::params::{in_range, ParamError};
use crate::report::{Figure, Histogram};
use crate::{run, LabError, LabReport, LabRequest};

/// The most runs of one repeat.
pub const MAX_RUNS: u32 = 200;

/// The longest a repeat may be expected to take, by [`LabRequest::budget_ms`] × runs.
pub const MAX_REPEAT_MS: u64 = 120_000;

/// What a repeat measured.
#[derive(Clone, Debug, PartialEq)]
pub struct RepeatReport {
    /// The experiment's slug.
    pub slug: &'static str,
    /// Runs asked for.
    pub runs_requested: u32,
    /// Every finished run's report, in order.
    pub reports: Vec<LabReport>,
    /// The key outcome of every finished run, binned.
    pub histogram: Histogram,
    /// The repeat was cancelled: `reports` holds the runs finished before.
    pub cancelled: bool,
}

impl RepeatReport {
    /// The report's figures, for the UI (the histogram is rendered from `histogram`).
    pub fn figures(&self) -> Vec<Figure> {
        vec![
            Figure::new("experiment", "Experiment", self.slug),
            Figure::int("runs", "Runs", self.reports.len() as u64),
            Figure::new("outcome", "Outcome counted", self.histogram.label),
            Figure::flag("cancelled", "Cancelled", self.cancelled),
        ]
    }
}

/// Runs `req` up to `runs` times (1..=[`MAX_RUNS`]) and bins each run's
/// [`LabReport::outcome`]. Calls `on_progress(k)` after the k-th run.
///
/// A cancel stops it between (or inside) runs; the runs finished so far are returned with
/// `cancelled: true`, or [`LabError::Cancelled`] if none had finished. Like [`run`], it blocks:
/// call it from a pool thread.
pub fn repeat(
    req: &LabRequest,
    runs: u32,
    env: &Env,
    on_progress: &mut dyn FnMut(u32),
) -> Result<RepeatReport, LabError> {
    in_range("runs", runs, 1, MAX_RUNS)?;
    req.validate(env.runner.max_threads())?;
    let budget = req.budget_ms().saturating_mul(u64::from(runs));
    if budget > MAX_REPEAT_MS {
        return Err(ParamError::new(
            "runs",
            format!(
                "{runs} runs would take up to about {} s; at most {} s is allowed: use fewer runs \
                 or smaller parameters",
                budget / 1000,
                MAX_REPEAT_MS / 1000
            ),
        )
        .into());
    }
    let mut reports = Vec::with_capacity(runs as usize);
    let mut cancelled = false;
    for k in 1..=runs {
        if env.cancelled() {
            cancelled = true;
            break;
        }
        // Only the last run draws a timeline: the others would record it for nothing.
        let traced = if k == runs { *env } else { env.without_trace() };
        match run(req, &traced) {
            Ok(LabReport::Counter(r)) if r.cancelled => {
                cancelled = true;
                break;
            }
            Ok(report) => reports.push(report),
            Err(LabError::Cancelled) => {
                cancelled = true;
                break;
            }
            Err(e) => return Err(e),
        }
        on_progress(k);
    }
    if reports.is_empty() {
        return Err(LabError::Cancelled);
    }
    let (key, label, _) = reports[0].outcome();
    let outcomes: Vec<_> = reports.iter().map(|r| r.outcome().2).collect();
    Ok(RepeatReport {
        slug: req.slug(),
        runs_requested: runs,
        histogram: Histogram::of(key, label, &outcomes),
        reports,
        cancelled,
    })
}
