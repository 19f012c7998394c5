//! The symmetry reduction changes how many states the explorer stores, never what it reports:
//! random scenarios with groups of identical threads give the plain explorer's classes, counts
//! and shortest lengths, and every shortest schedule replays on the real scenario.
//!
//! Both explorers store states by 64-bit fingerprint; a reference search here stores whole
//! machines instead, and both must count what it counts.

use proptest::prelude::*;
use sim::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Ops with valid ids (two of every object, four registers), so most scenarios validate. Thread
/// ids of `JoinThread` are taken modulo the thread count later; jumps may go backwards (spin
/// loops, and so livelock classes).
fn op() -> impl Strategy<Value = OpKind> {
    let r = || (0u8..4).prop_map(RegId);
    let small = || 0u16..2;
    let value = prop_oneof![
        Just(Value::None),
        (-1i64..3).prop_map(Value::Int),
        any::<bool>().prop_map(Value::Bool),
    ];
    let operand = prop_oneof![
        r().prop_map(Operand::Reg),
        value.clone().prop_map(Operand::Imm)
    ];
    prop_oneof![
        (small(), r()).prop_map(|(v, dst)| OpKind::Load { var: VarId(v), dst }),
        (small(), r()).prop_map(|(v, src)| OpKind::Store { var: VarId(v), src }),
        (r(), value).prop_map(|(dst, value)| OpKind::Const { dst, value }),
        (r(), operand.clone(), operand.clone()).prop_map(|(dst, a, b)| OpKind::BinOp {
            dst,
            op: BinOpKind::Add,
            a,
            b
        }),
        (r(), operand.clone()).prop_map(|(dst, b)| OpKind::BinOp {
            dst,
            op: BinOpKind::Eq,
            a: Operand::Reg(RegId(0)),
            b
        }),
        (0u16..6).prop_map(|target| OpKind::Jump { target }),
        (r(), any::<bool>(), 0u16..6).prop_map(|(cond, when, target)| OpKind::JumpIf {
            cond,
            when,
            target
        }),
        small().prop_map(|l| OpKind::Acquire { lock: LockId(l) }),
        small().prop_map(|l| OpKind::Acquire { lock: LockId(l) }),
        (small(), r()).prop_map(|(l, dst)| OpKind::TryAcquire {
            lock: LockId(l),
            dst
        }),
        small().prop_map(|l| OpKind::Release { lock: LockId(l) }),
        small().prop_map(|l| OpKind::Release { lock: LockId(l) }),
        small().prop_map(|s| OpKind::SemAcquire { sem: SemId(s) }),
        small().prop_map(|s| OpKind::SemRelease { sem: SemId(s) }),
        small().prop_map(|c| OpKind::CondWait { cond: CondId(c) }),
        (small(), 1u8..3).prop_map(|(c, n)| OpKind::CondNotify { cond: CondId(c), n }),
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
        (0u8..2).prop_map(|s| OpKind::Enter {
            section: SectionId(s)
        }),
        (0u8..2).prop_map(|s| OpKind::Exit {
            section: SectionId(s)
        }),
        (small(), -1i64..2).prop_map(|(v, imm)| OpKind::AtomicAdd { var: VarId(v), imm }),
        r().prop_map(|cond| OpKind::Assert {
            cond,
            message: "boom".into()
        }),
        r().prop_map(|cond| OpKind::Assert {
            cond,
            message: "boom".into()
        }),
        Just(OpKind::Nop),
    ]
}

/// Loads, stores, constants and additions on two variables and two registers: programs whose
/// registers carry values from one shared access to the next (lost updates), so that states
/// differ in registers and variables as often as in program counters.
fn dataflow_op() -> impl Strategy<Value = OpKind> {
    let r = || (0u8..2).prop_map(RegId);
    let v = || (0u16..2).prop_map(VarId);
    prop_oneof![
        (v(), r()).prop_map(|(var, dst)| OpKind::Load { var, dst }),
        (v(), r()).prop_map(|(var, dst)| OpKind::Load { var, dst }),
        (v(), r()).prop_map(|(var, src)| OpKind::Store { var, src }),
        (v(), r()).prop_map(|(var, src)| OpKind::Store { var, src }),
        (r(), r(), 1i64..3).prop_map(|(dst, a, k)| OpKind::BinOp {
            dst,
            op: BinOpKind::Add,
            a: Operand::Reg(a),
            b: Operand::Imm(Value::Int(k)),
        }),
        (r(), 0i64..3).prop_map(|(dst, k)| OpKind::Const {
            dst,
            value: Value::Int(k)
        }),
    ]
}

fn program() -> impl Strategy<Value = Vec<(OpKind, bool)>> {
    proptest::collection::vec((op(), any::<bool>()), 1..6)
}

/// One or two programs, each run by one to three threads (at most four in all), the threads in
/// a shuffled order so that a group's members need not be neighbours.
fn scenario() -> impl Strategy<Value = Scenario> {
    scenario_of(program().boxed())
}

/// As [`scenario`], of [`dataflow_op`]s.
fn dataflow_scenario() -> impl Strategy<Value = Scenario> {
    scenario_of(proptest::collection::vec((dataflow_op(), any::<bool>()), 2..7).boxed())
}

fn scenario_of(program: BoxedStrategy<Vec<(OpKind, bool)>>) -> impl Strategy<Value = Scenario> {
    (
        proptest::collection::vec((program, 1usize..=3), 1..=2),
        any::<u64>(),
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(0u32..3, 2),
    )
        .prop_map(|(programs, seed, rlock, gil, maxsizes)| {
            let mut layout: Vec<usize> = programs
                .iter()
                .enumerate()
                .flat_map(|(i, (_, copies))| std::iter::repeat_n(i, *copies))
                .take(4)
                .collect();
            let mut x = seed | 1;
            for i in (1..layout.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                layout.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let n = layout.len();
            let names = |p: &str, k: usize| (0..k).map(|i| format!("{p}{i}")).collect::<Vec<_>>();
            let threads = layout
                .iter()
                .enumerate()
                .map(|(i, &p)| ThreadDecl {
                    name: format!("T{}", i + 1),
                    regs: names("r", 4),
                    program: programs[p]
                        .0
                        .iter()
                        .map(|(kind, gil_switch)| {
                            let kind = match kind {
                                OpKind::JoinThread { thread } => OpKind::JoinThread {
                                    thread: ThreadId(thread.0 % n as u8),
                                },
                                k => k.clone(),
                            };
                            Op {
                                kind,
                                line: 1 + i as u16,
                                text: "op".into(),
                                gil_switch: *gil_switch,
                            }
                        })
                        .collect(),
                })
                .collect();
            let mut scn = samples::semaphore_pool(1, 1).as_ref().clone();
            scn.name = "random with groups".into();
            scn.vars = names("v", 2)
                .into_iter()
                .map(|name| VarDecl {
                    name,
                    init: Value::Int(0),
                })
                .collect();
            scn.locks = vec![
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
            ];
            scn.sems = vec![
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
            ];
            scn.conds = vec![
                CondDecl {
                    name: "c0".into(),
                    lock: LockId(1),
                },
                CondDecl {
                    name: "c1".into(),
                    lock: LockId(0),
                },
            ];
            scn.queues = maxsizes
                .iter()
                .enumerate()
                .map(|(i, &m)| QueueDecl {
                    name: format!("q{i}"),
                    maxsize: (m > 0).then_some(m),
                })
                .collect();
            scn.locals = names("x", 2);
            // The pool's section check ("connection", at most one inside here) stays, on
            // section 0; section 1 is unchecked.
            scn.sections = names("cs", 2);
            if let Some(Check::MaxInSection { max, .. }) = scn.checks.first_mut() {
                *max = 1;
            }
            scn.threads = threads;
            scn.gil = gil;
            scn
        })
}

const LIMITS: ExploreLimits = ExploreLimits {
    max_states: 4_000,
    max_depth: 500,
};

/// What must not depend on the reduction: classes, their counts and shortest lengths.
fn summary(r: &ExploreReport) -> BTreeMap<OutcomeClass, (u128, usize)> {
    r.outcomes
        .iter()
        .map(|o| (o.class.clone(), (o.schedules, o.shortest.len())))
        .collect()
}

/// Both explorers from `start` (the scenario's initial state, or a state some steps in);
/// `None` when the plain one hits a limit (then their `Unexplored` counts differ by design).
fn compare(start: &Machine) -> Result<Option<(ExploreReport, bool)>, TestCaseError> {
    let plain = Explorer::from_machine(start.clone(), LIMITS)
        .with_symmetry(false)
        .run_to_completion();
    if plain.truncated {
        return Ok(None);
    }
    let mut ex = Explorer::from_machine(start.clone(), LIMITS);
    let reduced = ex.run_to_completion();
    // Still grouped at the end: the reduction was not dropped for a cycle.
    let grouped = !ex.symmetric_groups().is_empty();
    prop_assert!(!reduced.truncated);
    prop_assert!(reduced.states <= plain.states);
    prop_assert_eq!(reduced.schedules, plain.schedules);
    prop_assert_eq!(reduced.bad_schedules, plain.bad_schedules);
    prop_assert_eq!(summary(&reduced), summary(&plain));
    // Every shortest schedule is one of the real scenario, and ends in its class.
    for o in &reduced.outcomes {
        let mut run = Run::from_machine(start.clone());
        for (i, &t) in o.shortest.steps().iter().enumerate() {
            let stepped = run.step(t);
            prop_assert!(
                stepped.is_ok(),
                "step {} ({}) of {} for {}: {:?}",
                i,
                t,
                o.shortest,
                o.class,
                stepped
            );
        }
        match o.class {
            OutcomeClass::Livelock | OutcomeClass::Starvation { .. } | OutcomeClass::Unexplored => {
            }
            _ => {
                prop_assert_eq!(run.outcome().map(Outcome::class), Some(o.class.clone()));
                prop_assert_eq!(run.outcome(), o.example.as_ref());
            }
        }
    }
    Ok(Some((reduced, grouped)))
}

/// Per class: schedules and the shortest length.
type Counts = BTreeMap<OutcomeClass, (u128, usize)>;

fn add(into: &mut Counts, from: &Counts, extra: usize) {
    for (class, &(n, len)) in from {
        let e = into.entry(class.clone()).or_insert((0, usize::MAX));
        e.0 = e.0.saturating_add(n);
        e.1 = e.1.min(len + extra);
    }
}

/// The reference: every schedule from `start` counted by a memoised depth-first search keyed by
/// whole machines (their own `Eq` and `Hash`), through the public `step`: no fingerprints, no
/// symmetry, no register liveness. `None` when the state graph has a cycle (the explorer's
/// counts then depend on its search order), has more than `cap` states, or a schedule runs
/// into the scenario's step limit (which the explorer lifts).
fn reference(start: &Machine, cap: usize) -> Option<Counts> {
    struct Frame {
        m: Machine,
        next: u8,
        acc: Counts,
    }
    fn leaf(m: &Machine) -> Option<Counts> {
        let o = m.outcome()?;
        Some(Counts::from([(o.class(), (1, 0))]))
    }
    if let Some(counts) = leaf(start) {
        return Some(counts);
    }
    // `None` while the state is on the search path.
    let mut memo: HashMap<Machine, Option<Counts>> = HashMap::new();
    memo.insert(start.clone(), None);
    let mut stack = vec![Frame {
        m: start.clone(),
        next: 0,
        acc: Counts::new(),
    }];
    let threads = start.thread_count();
    loop {
        let top = stack.last_mut()?;
        if usize::from(top.next) >= threads {
            let done = stack.pop()?;
            if let Some(parent) = stack.last_mut() {
                add(&mut parent.acc, &done.acc, 1);
            } else {
                return Some(done.acc);
            }
            memo.insert(done.m, Some(done.acc));
            continue;
        }
        let t = ThreadId(top.next);
        top.next += 1;
        if !top.m.can_step(t) {
            continue;
        }
        let mut child = top.m.clone();
        child.step(t).ok()?;
        if let Some(o) = child.outcome() {
            if matches!(o, Outcome::StepLimit { .. }) {
                return None;
            }
        }
        match memo.get(&child) {
            Some(Some(counts)) => add(&mut top.acc, counts, 1),
            Some(None) => return None,
            None => {
                if memo.len() >= cap {
                    return None;
                }
                if let Some(counts) = leaf(&child) {
                    add(&mut top.acc, &counts, 1);
                    memo.insert(child, Some(counts));
                } else {
                    memo.insert(child.clone(), None);
                    stack.push(Frame {
                        m: child,
                        next: 0,
                        acc: Counts::new(),
                    });
                }
            }
        }
    }
}

/// Both explorers from `start` against [`reference`]; whether the reference had an answer
/// (and the explorers stayed within their limits).
fn agree_with_reference(start: &Machine) -> Result<bool, TestCaseError> {
    let Some(expected) = reference(start, 20_000) else {
        return Ok(false);
    };
    for symmetry in [false, true] {
        let report = Explorer::from_machine(start.clone(), LIMITS)
            .with_symmetry(symmetry)
            .run_to_completion();
        if report.truncated {
            return Ok(false);
        }
        prop_assert_eq!(summary(&report), expected.clone(), "symmetry {}", symmetry);
    }
    Ok(true)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn fingerprinted_explorers_count_what_a_search_over_whole_machines_counts(
        scn in prop_oneof![scenario(), dataflow_scenario()],
        picks in proptest::collection::vec(0u8..4, 0..4),
    ) {
        let Ok(mut m) = Machine::new(Arc::new(scn)) else {
            return Ok(());
        };
        for p in picks {
            let _ = m.step(ThreadId(p));
        }
        agree_with_reference(&m)?;
    }

    #[test]
    fn symmetry_reduction_reports_what_the_plain_explorer_reports(scn in scenario()) {
        let Ok(m) = Machine::new(Arc::new(scn)) else {
            return Ok(());
        };
        compare(&m)?;
    }

    #[test]
    fn symmetry_reduction_from_a_midway_state_reports_what_the_plain_explorer_reports(
        scn in scenario(),
        picks in proptest::collection::vec(0u8..4, 0..8),
    ) {
        let Ok(mut m) = Machine::new(Arc::new(scn)) else {
            return Ok(());
        };
        // Threads of one group end up at different pcs, with different registers.
        for p in picks {
            let _ = m.step(ThreadId(p));
        }
        compare(&m)?;
    }
}

fn plain_states(m: &Machine) -> usize {
    Explorer::from_machine(m.clone(), LIMITS)
        .with_symmetry(false)
        .run_to_completion()
        .states
}

#[test]
fn random_scenarios_exercise_groups_and_classes_that_name_threads() {
    // Guards the properties above: most cases are reduced for real, and some reach deadlocks
    // or assertion failures that name threads of a group.
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = scenario();
    let (mut compared, mut reduced, mut naming, mut referenced) = (0, 0, 0, 0);
    for _ in 0..200 {
        let scn = strategy.new_tree(&mut runner).expect("generates").current();
        let Ok(m) = Machine::new(Arc::new(scn)) else {
            continue;
        };
        match agree_with_reference(&m) {
            Ok(true) => referenced += 1,
            Ok(false) => {}
            Err(e) => panic!("{e}"),
        }
        let Ok(Some((report, grouped))) = compare(&m) else {
            continue;
        };
        compared += 1;
        if grouped && report.states < plain_states(&m) {
            reduced += 1;
            let names_threads = report.outcomes.iter().any(|o| {
                matches!(
                    o.class,
                    OutcomeClass::Deadlock { .. }
                        | OutcomeClass::Violated {
                            check: CheckRef::Assert { .. },
                            ..
                        }
                )
            });
            if names_threads {
                naming += 1;
            }
        }
    }
    assert!(compared > 100, "only {compared} of 200 compared");
    assert!(reduced > 60, "only {reduced} of {compared} had groups");
    assert!(naming > 15, "only {naming} had classes naming threads");
    assert!(
        referenced > 60,
        "only {referenced} of 200 were checked against the reference"
    );
}
