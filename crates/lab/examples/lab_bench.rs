//! Prints every experiment's figures and throughput natively: default parameters (and the
//! other modes of each experiment), a few runs each, release build, `StdThreads`.
//!
//! Lines starting with `BENCH` are machine-readable, one per experiment variant:
//!
//! ```text
//! BENCH counter-atomic threads=2 increments=5000000 ms=48.4 per_sec=206796407 lost=0,0,0
//! BENCH bank-ordered-locks threads=4 ms=35.1 per_sec=2279202 conserved=yes,yes,yes
//! ```
//!
//! `ms` is the mean of the runs' own `ms` figure when the report has one (measured inside the
//! run, from the start gate), else of the wall time around `lab::run`; `per_sec` the mean of
//! their own `per-sec` figure when they have one (counter, bank), which counts the operations
//! actually done. The browser side runs the
//! same parameters so the two can be compared as a ratio.
//!
//! Run: `cargo run --release -p lockstep-lab --example lab_bench` (`-- --trace-only`: only the
//! timelines' cost, `TRACE` lines: each traced experiment with recording on and off).

use lab::{
    BankMode, BankParams, CacheDesign, CacheParams, Cancel, Clock, CounterMode, CounterParams,
    DeadlockParams, Env, LabReport, LabRequest, LockOrdering, ProducerConsumerParams, RwLockParams,
    SemaphoreParams, Shutdown, SingletonDesign, SingletonParams, StdClock, StdThreads,
    ThreadLocalParams, TryLockParams,
};

const RUNS: usize = 5;

fn main() {
    let clock = StdClock::new();
    let cancel = Cancel::new();
    let runner = StdThreads::new();
    let env = Env::new(&clock, &runner, &cancel);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("lab_bench: {cores} cores, {RUNS} runs per variant, release build, StdThreads");
    if std::env::args().any(|a| a == "--trace-only") {
        trace_section(&env);
        return;
    }

    println!("\n# counter (increments per thread as in the defaults)");
    let modes = [
        CounterMode::Racy,
        CounterMode::Atomic,
        CounterMode::Mutex,
        CounterMode::SpinLock,
        CounterMode::Gil {
            switch_every: lab::counter::DEFAULT_SWITCH_EVERY,
        },
        CounterMode::Gil {
            switch_every: lab::counter::DEFAULT_SWITCH_EVERY + 1,
        },
    ];
    for threads in [2, 4] {
        for mode in modes {
            let params = CounterParams {
                mode,
                threads,
                ..CounterParams::default()
            };
            let name = match mode {
                CounterMode::Gil { switch_every } => format!("counter-gil{switch_every}"),
                other => format!("counter-{}", other.slug()),
            };
            let extra = format!("threads={threads} increments={}", params.increments);
            let total = u64::from(threads) * params.increments;
            bench(
                &env,
                &name,
                &extra,
                LabRequest::Counter(params),
                RUNS,
                Some(total),
                &["lost"],
            );
        }
    }

    println!("\n# the other experiments, default parameters");
    for req in LabRequest::defaults().into_iter().skip(1) {
        let keys: &[&str] = match req.slug() {
            "sleep-vs-cpu" => &[
                "sleep-speedup-threads",
                "sleep-speedup-gil",
                "cpu-speedup-threads",
                "cpu-speedup-gil",
            ],
            "try-lock" => &[
                "success-rate",
                "failures",
                "blocking-us-per-acquisition",
                "try-loop-us-per-acquisition",
                "try-loop-busy",
                "timeouts",
            ],
            "reentry" => &["lock-detected", "lock-waited-ms", "rlock-max-depth"],
            "semaphore" => &[
                "max-holders",
                "waits",
                "extra-release-holders",
                "bounded-max-holders",
            ],
            "thread-local" => &[
                "thread-local-mismatches",
                "shared-mismatches",
                "thread-local-ms",
                "shared-ms",
            ],
            "rwlock" => &[
                "rp-max-readers",
                "rp-writer-wait-ms",
                "rp-writer-starved",
                "wp-writer-wait-ms",
                "wp-writer-starved",
            ],
            "deadlock" => &["deadlocked", "detected-ms", "recovered"],
            "bank" => &["conserved", "deadlocked"],
            "cache" => &["computations", "hits", "waited"],
            "producer-consumer" => &["lost-tasks", "duplicates", "stalled"],
            "singleton" => &["instances"],
            _ => &[],
        };
        let name = req.slug().to_string();
        let per_sec_count = match &req {
            LabRequest::Bank(p) => Some(u64::from(p.threads) * u64::from(p.transfers)),
            _ => None,
        };
        bench(&env, &name, "", req, RUNS, per_sec_count, keys);
    }

    println!("\n# variants");
    for threads in [1, 2, 4] {
        bench(
            &env,
            "try-lock",
            &format!("threads={threads}"),
            LabRequest::TryLock(TryLockParams {
                threads,
                ..TryLockParams::default()
            }),
            RUNS,
            None,
            &[
                "success-rate",
                "blocking-us-per-acquisition",
                "try-loop-us-per-acquisition",
            ],
        );
    }
    for (name, params) in [
        (
            "thread-local-2",
            ThreadLocalParams {
                threads: 2,
                ..ThreadLocalParams::default()
            },
        ),
        (
            "thread-local-no-window",
            ThreadLocalParams {
                window: 0,
                ..ThreadLocalParams::default()
            },
        ),
        (
            "thread-local-forced",
            ThreadLocalParams {
                force: true,
                ..ThreadLocalParams::default()
            },
        ),
    ] {
        bench(
            &env,
            name,
            "",
            LabRequest::ThreadLocal(params),
            RUNS,
            None,
            &["thread-local-mismatches", "shared-mismatches"],
        );
    }
    for force in [false, true] {
        bench(
            &env,
            if force {
                "semaphore-extra-release-forced"
            } else {
                "semaphore-extra-release"
            },
            "",
            LabRequest::Semaphore(SemaphoreParams {
                extra_release: true,
                force,
                ..SemaphoreParams::default()
            }),
            RUNS,
            None,
            &[
                "max-holders",
                "pool-bounded-extra-refused",
                "pool-bounded-late-refusals",
                "pool-bounded-max-holders",
            ],
        );
    }
    bench(
        &env,
        "rwlock-forced",
        "",
        LabRequest::RwLock(RwLockParams {
            force: true,
            ..RwLockParams::default()
        }),
        RUNS,
        None,
        &[
            "rp-writer-wait-ms",
            "rp-writer-starved",
            "wp-writer-wait-ms",
            "wp-writer-starved",
        ],
    );
    bench(
        &env,
        "deadlock-global",
        "",
        LabRequest::Deadlock(DeadlockParams {
            ordering: LockOrdering::Global,
            ..DeadlockParams::default()
        }),
        RUNS,
        None,
        &["deadlocked", "completed"],
    );
    bench(
        &env,
        "deadlock-opposite-unforced",
        "",
        LabRequest::Deadlock(DeadlockParams {
            force: false,
            ..DeadlockParams::default()
        }),
        RUNS,
        None,
        &["deadlocked", "recovered"],
    );
    for mode in [
        BankMode::GlobalLock,
        BankMode::OrderedLocks,
        BankMode::SelfThenOther,
    ] {
        for threads in [1, 2, 4] {
            let params = BankParams {
                threads,
                ..BankParams::with_mode(mode)
            };
            let total = u64::from(threads) * u64::from(params.transfers);
            bench(
                &env,
                &format!("bank-{}", mode.slug()),
                &format!("threads={threads} accounts={}", params.accounts),
                LabRequest::Bank(params),
                RUNS,
                Some(total),
                &["conserved", "deadlocked", "transfers"],
            );
        }
    }
    bench(
        &env,
        "bank-self-then-other-forced",
        "",
        LabRequest::Bank(BankParams {
            force_deadlock: true,
            ..BankParams::with_mode(BankMode::SelfThenOther)
        }),
        RUNS,
        None,
        &["deadlocked", "recovered", "conserved"],
    );
    bench(
        &env,
        "cache-per-key-once",
        "",
        LabRequest::Cache(CacheParams::with_design(CacheDesign::PerKeyOnce)),
        RUNS,
        None,
        &["computations", "hits", "waited"],
    );
    bench(
        &env,
        "producer-consumer-join-then-sentinels",
        "",
        LabRequest::ProducerConsumer(ProducerConsumerParams::with_shutdown(
            Shutdown::JoinThenSentinels,
        )),
        RUNS,
        None,
        &["lost-tasks", "duplicates", "stalled"],
    );
    for design in [SingletonDesign::DoubleChecked, SingletonDesign::OnceCell] {
        bench(
            &env,
            &format!("singleton-{}", design.slug()),
            "",
            LabRequest::Singleton(SingletonParams::with_design(design)),
            RUNS,
            None,
            &["instances"],
        );
    }

    trace_section(&env);

    println!("\n# repeat: lost updates over 50 racy counter runs (4 × 1 M)");
    let req = LabRequest::Counter(CounterParams {
        increments: 1_000_000,
        ..CounterParams::default()
    });
    let start = clock.now_ms();
    match lab::repeat(&req, 50, &env, &mut |_| {}) {
        Ok(r) => {
            let bins: Vec<String> = r
                .histogram
                .bins
                .iter()
                .map(|(label, n)| format!("{label}:{n}"))
                .collect();
            println!(
                "BENCH repeat-counter-racy runs=50 ms={:.1} histogram={}",
                clock.now_ms() - start,
                bins.join(",")
            );
        }
        Err(e) => println!("repeat failed: {e}"),
    }
}

/// Runs `req` `runs` times and prints one `BENCH` line: mean ms, operations per second if
/// `count` is given, and each run's value of the figures `keys`.
fn bench(
    env: &Env,
    name: &str,
    extra: &str,
    req: LabRequest,
    runs: usize,
    count: Option<u64>,
    keys: &[&str],
) {
    let mut ms = Vec::new();
    let mut rates = Vec::new();
    let mut values: Vec<Vec<String>> = vec![Vec::new(); keys.len()];
    for _ in 0..runs {
        let start = env.now_ms();
        let report = match lab::run(&req, env) {
            Ok(report) => report,
            Err(e) => {
                println!("BENCH {name} error=\"{e}\"");
                return;
            }
        };
        let wall = env.now_ms() - start;
        ms.push(own_ms(&report).unwrap_or(wall));
        rates.extend(own_figure(&report, "per-sec"));
        let figures = report.figures();
        for (key, column) in keys.iter().zip(values.iter_mut()) {
            let value = figures
                .iter()
                .find(|f| f.key == *key)
                .map_or("?".to_string(), |f| f.value.clone());
            column.push(value);
        }
    }
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    let mut line = format!("BENCH {name}");
    if !extra.is_empty() {
        line.push(' ');
        line.push_str(extra);
    }
    line.push_str(&format!(" ms={mean:.1}"));
    if rates.len() == runs {
        // The report's own rate counts the operations actually done (a deadlocked bank run
        // stops early).
        let rate = rates.iter().sum::<f64>() / runs as f64;
        line.push_str(&format!(" per_sec={rate:.0}"));
    } else if let Some(count) = count {
        line.push_str(&format!(
            " per_sec={:.0}",
            lab::report::per_sec(count, mean)
        ));
    }
    for (key, column) in keys.iter().zip(values) {
        line.push_str(&format!(" {key}={}", column.join(",")));
    }
    println!("{line}");
}

const TRACE_RUNS: usize = 9;

/// Every traced experiment with recording on and off.
fn trace_section(env: &Env) {
    println!("\n# timelines: the traced experiments with recording on and off (median ms of {TRACE_RUNS} runs each, interleaved)");
    let traced = [
        (
            "semaphore",
            LabRequest::Semaphore(SemaphoreParams::default()),
        ),
        (
            "semaphore-no-hold",
            LabRequest::Semaphore(SemaphoreParams {
                tasks: 8,
                permits: 2,
                rounds: lab::semaphore::MAX_ROUNDS,
                hold_ms: 0,
                ..SemaphoreParams::default()
            }),
        ),
        ("rwlock", LabRequest::RwLock(RwLockParams::default())),
        ("try-lock", LabRequest::TryLock(TryLockParams::default())),
        (
            "bank-ordered-locks",
            LabRequest::Bank(BankParams::default()),
        ),
        (
            "bank-global-lock",
            LabRequest::Bank(BankParams::with_mode(BankMode::GlobalLock)),
        ),
        (
            "deadlock-global-no-hold",
            LabRequest::Deadlock(DeadlockParams {
                ordering: LockOrdering::Global,
                hold_ms: 0,
                force: false,
                ..DeadlockParams::default()
            }),
        ),
        (
            "producer-consumer",
            LabRequest::ProducerConsumer(ProducerConsumerParams::with_shutdown(
                Shutdown::JoinThenSentinels,
            )),
        ),
    ];
    for (name, req) in traced {
        // The try-lock experiment traces its blocking phase only, so that phase's own figure.
        let key = if name == "try-lock" {
            "blocking-us-per-acquisition"
        } else {
            "ms"
        };
        trace_cost(env, name, key, &req);
    }
}

/// Runs `req` with tracing on and off, alternately, and prints one `TRACE` line: the median of
/// each side's figure `key` (a time), their ratio, and how many spans the traced runs kept.
fn trace_cost(env: &Env, name: &str, key: &str, req: &LabRequest) {
    let off_env = env.without_trace();
    let (mut on, mut off, mut spans) = (Vec::new(), Vec::new(), 0);
    for _ in 0..TRACE_RUNS {
        for (traced, e) in [(true, env), (false, &off_env)] {
            let start = e.now_ms();
            let Ok(report) = lab::run(req, e) else {
                println!("TRACE {name} error");
                return;
            };
            let ms = own_figure(&report, key).unwrap_or(e.now_ms() - start);
            if traced {
                spans = report.traces().iter().map(|t| t.spans.len()).sum::<usize>();
                on.push(ms);
            } else {
                assert!(report.traces().is_empty(), "tracing off still recorded");
                off.push(ms);
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (on, off) = (median(&mut on), median(&mut off));
    println!(
        "TRACE {name} {key} on={on:.3} off={off:.3} ratio={:.3} spans={spans}",
        on / off
    );
}

/// The run's own `ms` figure (measured from its start gate), if it has one.
fn own_ms(report: &LabReport) -> Option<f64> {
    own_figure(report, "ms")
}

/// The run's numeric figure `key`, if it has one.
fn own_figure(report: &LabReport, key: &str) -> Option<f64> {
    report
        .figures()
        .into_iter()
        .find(|f| f.key == key)
        .and_then(|f| f.value.parse().ok())
}
