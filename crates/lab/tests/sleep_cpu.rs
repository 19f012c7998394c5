//! Sleep-vs-cpu experiment: every phase is measured and reported (the speed-ups themselves are
//! timings, printed by the benchmark, never asserted).

mod common;

use common::on_both_runners;
use lab::{LabReport, LabRequest, SleepVsCpuParams};

#[test]
fn sleep_vs_cpu_measures_every_phase() {
    on_both_runners(|env| {
        let req = LabRequest::SleepVsCpu(SleepVsCpuParams {
            tasks: 2,
            sleep_ms: 5,
            cpu_ms: 5,
            gil_switch_ms: 1,
        });
        let LabReport::SleepVsCpu(r) = common::run(req, env) else {
            panic!("wrong report")
        };
        assert!(r.iterations_per_ms > 0.0);
        for phase in [r.sleep, r.cpu] {
            assert!(phase.sequential_ms > 0.0 && phase.threads_ms > 0.0 && phase.gil_ms > 0.0);
        }
        assert!(
            r.gil_switches > 0,
            "two computing threads under one GIL take turns"
        );
    });
}
