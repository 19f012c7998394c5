//! Property tests: random schedules, random scenarios and random strings never make the engine
//! panic or break an invariant.

use proptest::prelude::*;
use sim::samples;
use sim::*;
use std::sync::Arc;

/// Three threads increment under one lock, marking the critical section.
fn mutex_section() -> Arc<Scenario> {
    let mut b = ScenarioBuilder::new("mutex section")
        .var("counter", 0)
        .lock("lock", LockKind::Lock)
        .check_max_in_section("cs", 1, "two threads hold the lock")
        .check_final("counter", Cmp::Eq, 3, "lost update");
    for i in 0..3 {
        b = b.thread(format!("T{i}"), |t| {
            t.op("with lock:", ops::acquire("lock"))
                .op("(inside)", ops::enter("cs"))
                .increment("counter", 1)
                .op("(leaving)", ops::exit("cs"))
                .op("(end of with)", ops::release("lock"));
        });
    }
    b.build_arc().expect("valid")
}

fn sample_scenarios() -> Vec<Arc<Scenario>> {
    vec![
        mutex_section(),
        samples::race(2, 2, false),
        samples::race(3, 1, true),
        samples::gil_race(2, 2, false),
        samples::gil_race(2, 1, true),
        samples::two_locks(true),
        samples::transfers(false),
        samples::transfers(true),
        samples::singleton(true),
        samples::semaphore_pool(4, 3),
        samples::producer_consumer(false, 2, 2),
        samples::producer_consumer(true, 2, 2),
    ]
}

/// Invariants that hold in every state of every run.
fn check_invariants(m: &Machine) {
    let scn = m.scenario();
    for (i, decl) in scn.locks.iter().enumerate() {
        let v = m.lock_view(LockId(i as u16)).expect("lock exists");
        if decl.kind == LockKind::Lock {
            assert!(v.count <= 1, "a Lock with two holders: {v:?}");
        }
        assert_eq!(
            v.owner.is_some(),
            v.count > 0,
            "owner and count disagree: {v:?}"
        );
        if let Some(owner) = v.owner {
            assert!(!v.waiters.contains(&owner) || decl.kind == LockKind::Lock);
        }
    }
    for (i, decl) in scn.sems.iter().enumerate() {
        let v = m.sem_view(SemId(i as u16)).expect("semaphore exists");
        if decl.bounded {
            assert!(
                v.permits <= decl.initial,
                "bounded semaphore above its initial value"
            );
        }
    }
    if !matches!(m.outcome(), Some(Outcome::Violated { .. })) {
        for check in &scn.checks {
            if let Check::MaxInSection { section, max, .. } = check {
                assert!(m.section_occupants(*section).len() <= usize::from(*max));
            }
        }
    }
    for t in scn.thread_ids() {
        let status = m.status(t).expect("thread exists");
        let _ = status.to_string();
        if status == ThreadStatus::Runnable {
            assert!(m.runnable().contains(&t) || m.is_over());
        }
    }
    if let Some(o) = m.outcome() {
        let _ = o.to_string();
        if scn.name == "mutex section" {
            assert!(!o.is_bad(), "mutex section: {o}");
        }
        if scn.name.starts_with("race") && scn.name.ends_with("locked") {
            if let Outcome::Finished { .. } = o {
                let expected = scn.threads.len() as i64;
                assert_eq!(
                    m.var_by_name("counter"),
                    Some(Value::Int(expected)),
                    "locked counter not exact"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_schedules_never_panic_and_keep_invariants(
        which in 0usize..12,
        picks in proptest::collection::vec(0u8..10, 0..300),
    ) {
        let scn = sample_scenarios().swap_remove(which);
        let mut m = Machine::new(scn).expect("valid sample");
        check_invariants(&m);
        for p in picks {
            let before = m.clone();
            match m.step(ThreadId(p)) {
                Ok(event) => {
                    let _ = event.to_string();
                    prop_assert_eq!(m.steps(), before.steps() + 1);
                }
                Err(e) => {
                    let _ = e.to_string();
                    prop_assert_eq!(&m, &before);
                    prop_assert_eq!(m.steps(), before.steps());
                }
            }
            check_invariants(&m);
        }
    }

    #[test]
    fn seeded_random_runs_of_correct_code_always_succeed(seed in any::<u64>()) {
        for scn in [
            samples::race(3, 2, true),
            samples::transfers(true),
            samples::two_locks(false),
            samples::semaphore_pool(5, 3),
            samples::producer_consumer(true, 2, 2),
            samples::singleton(true),
            samples::gil_race(2, 3, false),
        ] {
            let m = Machine::new(Arc::clone(&scn)).expect("valid sample");
            let (run, outcome) = run_to_end(m, &mut SeededRandom::new(seed), 10_000);
            prop_assert!(matches!(outcome, Some(Outcome::Finished { .. })), "{}: {:?}", scn.name, outcome);
            // The recorded schedule replays to the same end.
            let again = replay(Arc::clone(&scn), run.schedule()).expect("replays");
            prop_assert_eq!(again.machine(), run.machine());
        }
    }

    #[test]
    fn undo_to_k_equals_replaying_the_first_k_steps(
        which in 0usize..12,
        picks in proptest::collection::vec(0u8..4, 0..120),
        cut in any::<prop::sample::Index>(),
    ) {
        let scn = sample_scenarios().swap_remove(which);
        let mut run = Run::new(Arc::clone(&scn)).expect("valid sample");
        for p in picks {
            let _ = run.step(ThreadId(p));
        }
        let k = cut.index(run.len() + 1);
        let prefix = Schedule(run.schedule().steps()[..k].to_vec());
        let replayed = replay(Arc::clone(&scn), &prefix).expect("a prefix of a valid run replays");
        prop_assert!(run.undo_to(k));
        prop_assert_eq!(run.machine(), replayed.machine());
        prop_assert_eq!(run.events(), replayed.events());
        prop_assert_eq!(run.machine().steps(), k);
        prop_assert_eq!(run.machine().elapsed_ms(), replayed.machine().elapsed_ms());
        prop_assert_eq!(run.schedule(), &prefix);
    }

    #[test]
    fn schedule_strings_round_trip(ids in proptest::collection::vec(0u8..8, 0..2000)) {
        let s = Schedule(ids.into_iter().map(ThreadId).collect());
        let text = s.encode();
        prop_assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'));
        prop_assert!(text.starts_with("1."));
        prop_assert_eq!(Schedule::decode(&text), Ok(s));
    }

    #[test]
    fn decoding_arbitrary_strings_never_panics(s in any::<String>()) {
        if let Err(e) = Schedule::decode(&s) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn decoding_schedule_like_strings_never_panics(s in "[0-9.a-zé ]{0,40}") {
        match Schedule::decode(&s) {
            Ok(sched) => prop_assert!(sched.len() <= MAX_SCHEDULE_LEN),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn every_letter_the_format_reads_round_trips(ids in proptest::collection::vec(0u8..26, 0..300)) {
        let s = Schedule(ids.into_iter().map(ThreadId).collect());
        prop_assert_eq!(Schedule::decode(&s.encode()), Ok(s));
    }

    #[test]
    fn decoded_strings_re_encode_canonically_and_never_longer(
        text in "1\\.([a-z]([1-9][0-9]{0,2})?){0,30}",
    ) {
        let Ok(s) = Schedule::decode(&text) else {
            // Only a count past the step limit can fail here.
            let too_long = matches!(Schedule::decode(&text), Err(ScheduleError::TooLong { .. }));
            prop_assert!(too_long, "{text}");
            return Ok(());
        };
        let canonical = s.encode();
        prop_assert!(canonical.len() <= text.len(), "{canonical} is longer than {text}");
        prop_assert_eq!(Schedule::decode(&canonical), Ok(s));
    }

    #[test]
    fn a_bad_character_is_reported_where_it_is(
        prefix in "1\\.([a-z][1-9]?){0,10}",
        bad in any::<char>().prop_filter("not a letter or digit", |c| !c.is_ascii_lowercase() && !c.is_ascii_digit()),
        suffix in any::<String>(),
    ) {
        let text = format!("{prefix}{bad}{suffix}");
        let pos = prefix.chars().count() + 1;
        prop_assert_eq!(Schedule::decode(&text), Err(ScheduleError::BadChar { ch: bad, pos }));
        let message = Schedule::decode(&text).unwrap_err().to_string();
        prop_assert!(message.contains(&format!("position {pos}")), "{message}");
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Schedule::decode_bytes(&bytes);
    }
}

/// Random scenarios: ids partly out of range, wild constants, any jump targets.
fn arbitrary_op() -> impl Strategy<Value = OpKind> {
    // Mostly valid ids (two of everything, four registers), so that most scenarios get past
    // validation and exercise the machine; thread ids and jump targets still stray.
    let r = || (0u8..4).prop_map(RegId);
    let small = || 0u16..2;
    let value = prop_oneof![
        Just(Value::None),
        (-3i64..4).prop_map(Value::Int),
        Just(Value::Int(i64::MAX)),
        any::<bool>().prop_map(Value::Bool),
    ];
    let operand = prop_oneof![
        r().prop_map(Operand::Reg),
        value.clone().prop_map(Operand::Imm)
    ];
    let binop = prop_oneof![
        Just(BinOpKind::Add),
        Just(BinOpKind::Sub),
        Just(BinOpKind::Mul),
        Just(BinOpKind::Lt),
        Just(BinOpKind::Eq),
        Just(BinOpKind::And),
        Just(BinOpKind::Or),
        Just(BinOpKind::Ge),
    ];
    prop_oneof![
        (small(), r()).prop_map(|(v, dst)| OpKind::Load { var: VarId(v), dst }),
        (small(), r()).prop_map(|(v, src)| OpKind::Store { var: VarId(v), src }),
        (r(), value.clone()).prop_map(|(dst, value)| OpKind::Const { dst, value }),
        (r(), binop, operand.clone(), operand.clone()).prop_map(|(dst, op, a, b)| OpKind::BinOp {
            dst,
            op,
            a,
            b
        }),
        (0u16..6).prop_map(|target| OpKind::Jump { target }),
        (r(), any::<bool>(), 0u16..6).prop_map(|(cond, when, target)| OpKind::JumpIf {
            cond,
            when,
            target
        }),
        small().prop_map(|l| OpKind::Acquire { lock: LockId(l) }),
        (small(), r()).prop_map(|(l, dst)| OpKind::TryAcquire {
            lock: LockId(l),
            dst
        }),
        small().prop_map(|l| OpKind::Release { lock: LockId(l) }),
        small().prop_map(|s| OpKind::SemAcquire { sem: SemId(s) }),
        small().prop_map(|s| OpKind::SemRelease { sem: SemId(s) }),
        (small(), r()).prop_map(|(s, dst)| OpKind::SemTryAcquire { sem: SemId(s), dst }),
        small().prop_map(|c| OpKind::CondWait { cond: CondId(c) }),
        (small(), 0u8..3).prop_map(|(c, n)| OpKind::CondNotify { cond: CondId(c), n }),
        small().prop_map(|c| OpKind::CondNotifyAll { cond: CondId(c) }),
        (small(), operand.clone()).prop_map(|(q, src)| OpKind::QueuePut {
            queue: QueueId(q),
            src
        }),
        (small(), r()).prop_map(|(q, dst)| OpKind::QueueGet {
            queue: QueueId(q),
            dst
        }),
        small().prop_map(|q| OpKind::TaskDone { queue: QueueId(q) }),
        small().prop_map(|q| OpKind::QueueJoin { queue: QueueId(q) }),
        (0u8..4).prop_map(|t| OpKind::JoinThread {
            thread: ThreadId(t)
        }),
        (small(), operand).prop_map(|(s, src)| OpKind::LocalSet {
            slot: LocalId(s),
            src
        }),
        (small(), r()).prop_map(|(s, dst)| OpKind::LocalGet {
            slot: LocalId(s),
            dst
        }),
        (0u32..200).prop_map(|ms| OpKind::Sleep { ms }),
        (0u32..200).prop_map(|ms| OpKind::Work { ms }),
        (0u8..2).prop_map(|s| OpKind::Enter {
            section: SectionId(s)
        }),
        (0u8..2).prop_map(|s| OpKind::Exit {
            section: SectionId(s)
        }),
        (small(), -2i64..3).prop_map(|(v, imm)| OpKind::AtomicAdd { var: VarId(v), imm }),
        r().prop_map(|cond| OpKind::Assert {
            cond,
            message: "boom".into()
        }),
        (small(), r()).prop_map(|(l, dst)| OpKind::TimedAcquire {
            lock: LockId(l),
            dst
        }),
        (small(), r()).prop_map(|(s, dst)| OpKind::SemTimedAcquire { sem: SemId(s), dst }),
        Just(OpKind::Print { text: "out".into() }),
        Just(OpKind::Raise {
            error: sim::PyError::new(sim::PyExc::ValueError, "boom")
        }),
        (0u16..8, 0u16..8).prop_map(|(finally, end)| OpKind::Try { finally, end }),
        Just(OpKind::Nop),
    ]
}

fn arbitrary_scenario() -> impl Strategy<Value = Scenario> {
    let program = proptest::collection::vec((arbitrary_op(), any::<bool>()), 0..7);
    (
        proptest::collection::vec(program, 1..4),
        any::<bool>(),
        proptest::collection::vec(0u32..3, 2..3),
        any::<bool>(),
    )
        .prop_map(|(programs, rlock, maxsizes, gil)| {
            let names = |p: &str, n: usize| (0..n).map(|i| format!("{p}{i}")).collect::<Vec<_>>();
            Scenario {
                name: "random".into(),
                vars: names("v", 2)
                    .into_iter()
                    .map(|name| VarDecl {
                        name,
                        init: Value::Int(0),
                    })
                    .collect(),
                locks: vec![
                    LockDecl {
                        name: "l0".into(),
                        kind: LockKind::Lock,
                    },
                    LockDecl {
                        name: "l1".into(),
                        kind: if rlock {
                            LockKind::RLock
                        } else {
                            LockKind::Lock
                        },
                    },
                ],
                sems: vec![
                    SemDecl {
                        name: "s0".into(),
                        initial: 1,
                        bounded: true,
                    },
                    SemDecl {
                        name: "s1".into(),
                        initial: 0,
                        bounded: false,
                    },
                ],
                conds: vec![
                    CondDecl {
                        name: "c0".into(),
                        lock: LockId(1),
                    },
                    CondDecl {
                        name: "c1".into(),
                        lock: LockId(0),
                    },
                ],
                queues: maxsizes
                    .iter()
                    .enumerate()
                    .map(|(i, &m)| QueueDecl {
                        name: format!("q{i}"),
                        maxsize: (m > 0).then_some(m),
                    })
                    .collect(),
                locals: names("x", 2),
                sections: names("cs", 2),
                threads: programs
                    .into_iter()
                    .enumerate()
                    .map(|(i, ops)| ThreadDecl {
                        name: format!("T{i}"),
                        regs: names("r", 4),
                        program: ops
                            .into_iter()
                            .map(|(kind, gil_switch)| Op {
                                kind,
                                line: 1,
                                text: "op".into(),
                                gil_switch,
                            })
                            .collect(),
                    })
                    .collect(),
                checks: vec![Check::MaxInSection {
                    section: SectionId(0),
                    max: 1,
                    message: "two inside".into(),
                    kind: String::new(),
                }],
                gil,
                step_limit: 60,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_scenarios_never_panic(
        scn in arbitrary_scenario(),
        picks in proptest::collection::vec(0u8..5, 0..80),
    ) {
        let scn = Arc::new(scn);
        let Ok(mut m) = Machine::new(Arc::clone(&scn)) else {
            // Invalid ids are the validator's job; it said no without panicking.
            return Ok(());
        };
        for p in picks {
            let _ = m.step(ThreadId(p)).map(|e| e.to_string()).map_err(|e| e.to_string());
            for t in scn.thread_ids() {
                let _ = m.status(t);
            }
        }
        let report = explore(scn, ExploreLimits { max_states: 300, max_depth: 40 }).expect("valid");
        prop_assert!(report.states <= 300);
        for o in report.outcomes.iter().filter(|o| !matches!(o.class, OutcomeClass::Unexplored | OutcomeClass::Livelock | OutcomeClass::Starvation { .. })) {
            let _ = o.class.to_string();
            prop_assert!(o.shortest.len() <= 40);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn views_of_arbitrary_runs_never_panic_and_cycles_follow_edges(
        scn in arbitrary_scenario(),
        picks in proptest::collection::vec(0u8..5, 0..80),
    ) {
        let scn = Arc::new(scn);
        let Ok(mut run) = Run::new(Arc::clone(&scn)) else {
            return Ok(());
        };
        for p in picks {
            let _ = run.step(ThreadId(p));
            let m = run.machine();
            let g = m.wait_for_graph();
            let n = g.cycle.len();
            for i in 0..n {
                let (from, to) = (g.cycle[i], g.cycle[(i + 1) % n]);
                prop_assert!(
                    g.edges.iter().any(|e| e.from == from && e.to == to),
                    "cycle step {from:?} -> {to:?} is not an edge of {g:?}"
                );
            }
            if let Some(Node::Thread(first)) = g.cycle.first() {
                prop_assert!(g.cycle.iter().all(|x| !matches!(x, Node::Thread(t) if t < first)));
            } else {
                prop_assert!(g.cycle.is_empty());
            }
            for node in &g.nodes {
                let _ = m.node_label(*node);
            }
        }
        let len = run.len();
        let tl = run.timeline(len.saturating_sub(30), len + 5);
        prop_assert_eq!(tl.rows.len(), scn.threads.len());
        for row in &tl.rows {
            prop_assert_eq!(row.cells.len(), len.min(len + 5) + 1 - tl.first.min(len + 1));
            for s in &row.spans {
                prop_assert!(tl.first <= s.first && s.first <= s.last && s.last <= len);
            }
        }
        match explain(&run) {
            Some(e) => {
                prop_assert!(run.outcome().is_some());
                prop_assert!(!e.title.is_empty());
                for seg in e.title.iter().chain(e.lines.iter().flatten()) {
                    if let Seg::Step(k) = seg {
                        prop_assert!(*k >= 1 && *k <= len, "step {} of {}", k, len);
                    }
                }
            }
            None => prop_assert!(run.outcome().is_none()),
        }
    }
}

#[test]
fn arbitrary_scenarios_are_mostly_valid() {
    // Guards the test above: it only exercises machines for scenarios that validate.
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = arbitrary_scenario();
    let valid = (0..200)
        .filter(|_| {
            let scn = strategy.new_tree(&mut runner).expect("generates").current();
            scn.validate().is_ok()
        })
        .count();
    assert!(valid > 60, "only {valid} of 200 random scenarios are valid");
}
