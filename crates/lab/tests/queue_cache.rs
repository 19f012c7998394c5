//! Cache and producer-consumer experiments: per-key once computes once; the seed's cache
//! computes once per thread when the herd is forced; a correct shutdown processes each task
//! exactly once; the seed's sentinel scheme loses tasks when forced, and every task is
//! accounted for.

mod common;

use common::on_both_runners;
use lab::{CacheDesign, CacheParams, Env, LabReport, LabRequest, ProducerConsumerParams, Shutdown};

fn cache(params: CacheParams, env: &Env) -> lab::CacheReport {
    match common::run(LabRequest::Cache(params), env) {
        LabReport::Cache(r) => r,
        other => panic!("wrong report {other:?}"),
    }
}

fn herd(design: CacheDesign, force: bool) -> CacheParams {
    CacheParams {
        design,
        threads: 4,
        compute_ms: 5,
        lookups: 3,
        force,
    }
}

#[test]
fn per_key_once_computes_exactly_once() {
    on_both_runners(|env| {
        for force in [false, true] {
            let r = cache(herd(CacheDesign::PerKeyOnce, force), env);
            assert_eq!(r.computations, 1, "force={force}");
            assert_eq!(r.duplicate_computations, 0);
            assert_eq!(r.misses, 1);
            assert!(r.consistent);
        }
    });
}

#[test]
fn seed_cache_computes_once_per_thread_when_the_herd_is_forced() {
    on_both_runners(|env| {
        let r = cache(herd(CacheDesign::Seed, true), env);
        assert_eq!(r.computations, 4);
        assert_eq!(r.duplicate_computations, 3);
        assert!(r.consistent);
    });
}

#[test]
fn cache_lookups_add_up_in_every_design() {
    on_both_runners(|env| {
        for design in [CacheDesign::Seed, CacheDesign::PerKeyOnce] {
            let r = cache(herd(design, false), env);
            assert_eq!(r.hits + r.misses + r.waited, r.lookups, "{design:?}");
            assert_eq!(r.misses, r.computations);
            assert!((1..=4).contains(&r.computations));
        }
    });
}

fn pc(params: ProducerConsumerParams, env: &Env) -> lab::ProducerConsumerReport {
    let r = match common::run(LabRequest::ProducerConsumer(params), env) {
        LabReport::ProducerConsumer(r) => r,
        other => panic!("wrong report {other:?}"),
    };
    // Every task is processed once, or lost in a way the report names.
    assert_eq!(r.duplicates, 0);
    assert_eq!(r.processed_once + r.lost_tasks, r.tasks);
    assert_eq!(r.lost_tasks, r.left_in_queue + r.never_queued);
    r
}

fn small_pc(shutdown: Shutdown) -> ProducerConsumerParams {
    ProducerConsumerParams {
        shutdown,
        producers: 2,
        consumers: 3,
        tasks_per_producer: 8,
        capacity: 4,
        produce_ms: 1,
        consume_ms: 1,
        force: false,
        timeout_ms: 200,
        seed: 3,
    }
}

#[test]
fn fixed_producer_consumer_processes_each_task_exactly_once() {
    on_both_runners(|env| {
        for (producers, consumers, capacity) in [(2, 3, 4), (1, 1, 1), (3, 2, 2), (2, 2, 10)] {
            let params = ProducerConsumerParams {
                producers,
                consumers,
                capacity,
                ..small_pc(Shutdown::JoinThenSentinels)
            };
            let r = pc(params, env);
            assert_eq!(
                r.processed_once, r.tasks,
                "{producers}p {consumers}c capacity {capacity}"
            );
            assert_eq!(r.lost_tasks, 0);
            assert!(!r.stalled);
        }
    });
}

#[test]
fn seed_sentinel_scheme_loses_tasks_when_forced() {
    on_both_runners(|env| {
        let r = pc(
            ProducerConsumerParams {
                force: true,
                ..small_pc(Shutdown::SeedSentinel)
            },
            env,
        );
        assert!(
            r.lost_tasks >= 1,
            "the slower producer's last task comes after every consumer left"
        );
    });
}

#[test]
fn seed_sentinel_scheme_accounts_for_every_task() {
    on_both_runners(|env| {
        let r = pc(small_pc(Shutdown::SeedSentinel), env);
        assert!(r.lost_tasks <= r.tasks);
    });
}

#[test]
fn producer_left_without_consumers_gives_up_and_is_reported() {
    on_both_runners(|env| {
        // Queue of 1: after the consumers leave, their last sentinel fills it, so the slower
        // producer's forced last task can never be queued.
        let params = ProducerConsumerParams {
            force: true,
            capacity: 1,
            ..small_pc(Shutdown::SeedSentinel)
        };
        let r = pc(params, env);
        assert!(r.abandoned_producers >= 1);
        assert!(r.never_queued >= 1);
        assert!(r.recovered);
    });
}
