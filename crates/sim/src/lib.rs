//! Lockstep's simulation engine: a pure, deterministic model of Python threads and
//! `threading`/`queue` primitives that a UI can step one micro-op at a time, undo, replay from a
//! short string, and explore exhaustively. No web, no real threads, no I/O.
//!
//! # Map
//!
//! Data flows down this list; each module depends only on those above it.
//!
//! | module | what lives there |
//! |---|---|
//! | `value` | [`ThreadId`] and the other newtype ids; [`Value`] (`None` / int / bool) |
//! | `op` | the instruction set: [`Op`], [`OpKind`], [`Operand`], [`BinOpKind`]; lesson [`Check`]s |
//! | `scenario` | [`Scenario`] (pure data) and [`Scenario::validate`] → [`ScenarioError`] |
//! | `builder` | [`ScenarioBuilder`], [`ThreadBuilder`] and the op helpers in [`ops`]: scenarios by name |
//! | `outcome` | [`Outcome`], [`OutcomeClass`], [`PyError`] (CPython's exact messages); kind slugs ([`outcome_kind`], [`class_kind`]) |
//! | `machine` | [`Machine`] state, thread status ([`ThreadStatus`], [`BlockReason`]), UI views |
//! | `step` | `Machine::step`: dispatch to one module per primitive (`step/locks.rs`, `sems`, `conds`, `queues`, `locals`, `threads`, `exceptions`…), virtual time, how runs end, [`StepError`] |
//! | `event` | [`Event`]: what a step did, with a log-line `Display` |
//! | `graph` | [`WaitForGraph`] of a machine state: holds, waits, the deadlock cycle |
//! | `schedule` | [`Schedule`] and its versioned URL-safe string form |
//! | `run` | [`Run`]: a session with O(1) undo; [`replay`] |
//! | `timeline` | [`Timeline`] of a run's window: per-thread cells and hold/wait bars |
//! | `explain` | [`explain`]: an outcome told from the run's own events, as [`Seg`]ments |
//! | `scheduler` | [`Scheduler`] oracles: [`RoundRobin`], [`SeededRandom`], [`SwitchInterval`], [`Replay`]; [`run_to_end`] |
//! | `explore` | [`Explorer`]: all interleavings, deduplicated, in slices; [`ExploreReport`] |
//! | [`samples`] | lesson-sized reference scenarios (race, deadlock, transfers, producer-consumer…) |
//!
//! # Example
//!
//! ```
//! use sim::prelude::*;
//! use sim::{explore, ExploreLimits, Run};
//!
//! let scenario = ScenarioBuilder::new("race")
//!     .var("counter", 0)
//!     .thread("T1", |t| { t.line(5).increment("counter", 1); })
//!     .thread("T2", |t| { t.line(5).increment("counter", 1); })
//!     .build_arc()
//!     .expect("valid scenario");
//!
//! // Step it by hand, as the UI does: both threads read 0 before either writes.
//! let mut run = Run::new(scenario.clone()).expect("valid scenario");
//! for t in [0, 0, 1, 1, 1, 1, 0, 0] {
//!     let event = run.step(ThreadId(t)).expect("runnable");
//!     println!("{event}"); // "T1 read counter = 0", …
//! }
//! assert_eq!(run.machine().var_by_name("counter"), Some(Value::Int(1)));
//! assert_eq!(run.schedule().encode(), "1.a2b4a2");
//! run.undo_to(2);
//!
//! // Or ask for every interleaving: 70 schedules, 68 of which lose an update.
//! let report = explore(scenario, ExploreLimits::default()).expect("valid scenario");
//! assert_eq!(report.schedules, 70);
//! assert_eq!(report.final_values("counter"), vec![Value::Int(1), Value::Int(2)]);
//! ```
//!
//! # Notes on the API
//!
//! - Accessors that take an id return `Option` (`status`, `pc`, `var`, the views), so a stale or
//!   foreign id is `None`, never a panic.
//! - A step's effect on its thread (now blocked, finished) is [`Event::status`]; stepping a
//!   blocked thread is [`StepError::Blocked`], which says what it waits for and who holds it.
//! - `QueuePut` and `LocalSet` take an [`Operand`] (so `q.put(None)` needs no register);
//!   critical sections are named ([`SectionId`]); `Thread.join()` is [`OpKind::JoinThread`].
//! - Exceptions end only the thread that raised them, after the `finally:` blocks around them
//!   ([`ThreadBuilder::try_finally`], [`ThreadBuilder::with_lock`], [`OpKind::Raise`]); a thread
//!   an exception ended is `Finished` and [`Machine::raised`] names the exception. How a run
//!   then ends (deadlock, check, exception, finished) is on [`Outcome`].
//! - `print(...)` is [`OpKind::Print`]; [`Run::output`] is what a run printed, in order.
//! - Checks: [`Check::Final`], [`Check::FinalSum`], [`Check::Always`], [`Check::MaxInSection`];
//!   an `assert` op's failure names it with [`CheckRef::Assert`].
//! - Every check has a kind slug naming what its failure means ([`ScenarioBuilder::kind`],
//!   [`Check::kind`]); [`outcome_kind`] and [`class_kind`] name any ending the same way.
//! - Views for a lesson page, generic over lessons: [`Machine::wait_for_graph`],
//!   [`Run::timeline`], and [`explain`] (an outcome in words, pointing at steps).
//! - The explorer adds three classes of its own: [`OutcomeClass::Livelock`] (a cycle of
//!   states), [`OutcomeClass::Starvation`] (a cycle along which some thread stays blocked while
//!   others step) and [`OutcomeClass::Unexplored`] (cut by its limits).
//!
//! # Guarantees
//!
//! - Nothing a learner or a lesson can do makes it panic: bad scenarios are a
//!   [`ScenarioError`], bad steps a [`StepError`], bad schedule strings a [`ScheduleError`],
//!   Python-level misuse a Python exception with CPython's type and message, which ends the
//!   thread that raised it.
//! - Deterministic: the same scenario and schedule give the same run, on every platform.
//! - [`Machine`] is `Clone + Eq + Hash`, comparing only state that decides future behaviour.

#![warn(missing_docs)]

mod builder;
mod event;
mod explain;
mod explore;
mod graph;
mod machine;
mod op;
mod outcome;
mod run;
pub mod samples;
mod scenario;
mod schedule;
mod scheduler;
mod step;
mod timeline;
mod value;

pub use builder::{ops, OpSpec, OperandSpec, ScenarioBuilder, ThreadBuilder};
pub use event::{Event, EventKind, Unwind};
pub use explain::{explain, Explanation, Seg};
pub use explore::{explore, ExploreLimits, ExploreReport, ExploreStatus, Explorer, OutcomeStats};
pub use graph::{Edge, EdgeKind, Node, WaitForGraph};
pub use machine::{
    BlockReason, CondView, LocalView, LockView, Machine, QueueView, SemView, ThreadStatus, WaitKind,
};
pub use op::{BinOpKind, Check, Cmp, Op, OpKind, Operand};
pub use outcome::{
    class_kind, outcome_kind, CheckRef, Outcome, OutcomeClass, PyError, PyExc, WaitEdge,
};
pub use run::{replay, ReplayError, Run};
pub use scenario::{
    CondDecl, LockDecl, LockKind, OpAt, QueueDecl, Scenario, ScenarioError, SemDecl, ThreadDecl,
    VarDecl, DEFAULT_STEP_LIMIT, MAX_OBJECTS, MAX_PROGRAM_LEN, MAX_REGS, MAX_SECTIONS, MAX_THREADS,
};
pub use schedule::{Schedule, ScheduleError, MAX_ENCODED_LEN, MAX_SCHEDULE_LEN};
pub use scheduler::{
    run_in_place, run_to_end, Replay, RoundRobin, Scheduler, SeededRandom, SwitchInterval,
};
pub use step::StepError;
pub use timeline::{Cell, Span, SpanKind, Timeline, TimelineRow};
pub use value::{
    CondId, LocalId, LockId, QueueId, RegId, SectionId, SemId, ThreadId, Value, VarId,
};

/// Everything a lesson needs to write a scenario: `use sim::prelude::*;`.
pub mod prelude {
    pub use crate::builder::ops::*;
    pub use crate::{
        Cmp, LockKind, Machine, Outcome, PyExc, ScenarioBuilder, ThreadBuilder, ThreadId,
        ThreadStatus, Value,
    };
}
