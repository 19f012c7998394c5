//! Lesson 02 — "Race Conditions: The Core Problem" from the seed: two threads, one
//! `counter += 1`, stepped as CPython 3.11 bytecode and raced on real threads.
//!
//! Bytecode texts are what `dis.dis` prints on CPython 3.11.7 (checked on this project's
//! machines; `tests/python/check_seed.py` asserts the opcode sequence).

use sim::prelude::*;
use sim::{Scenario, ScenarioError};

use super::{Block, Goal, Lesson, NoteKind, RealPanel};

/// The stepped code without the lock. Line numbers matter: ops point at them.
const CODE_UNLOCKED: &str = "\
import threading

counter = 0

def increment_counter():
    global counter
    counter += 1   # one pass of the seed's loop

thread1 = threading.Thread(target=increment_counter)
thread2 = threading.Thread(target=increment_counter)";

/// The stepped code with the lock (the seed's `safe_increment`, one pass).
const CODE_LOCKED: &str = "\
import threading

counter = 0
lock = threading.Lock()

def safe_increment():
    global counter
    with lock:
        counter += 1   # one pass of the seed's loop

thread1 = threading.Thread(target=safe_increment)
thread2 = threading.Thread(target=safe_increment)";

/// Line of `counter += 1` in each code variant.
const INC_LINE: [u16; 2] = [7, 9];
/// Line of `with lock:` in the locked code.
const WITH_LINE: u16 = 8;

fn scenario(lock: bool) -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new(if lock { "race-condition (lock)" } else { "race-condition" })
        .var("counter", 0);
    if lock {
        b = b.lock("lock", LockKind::Lock);
    }
    for name in ["thread1", "thread2"] {
        b = b.thread(name, |t| {
            t.reg("tmp").reg("n");
            if lock {
                t.line(WITH_LINE).op("BEFORE_WITH  → lock.acquire()", acquire("lock"));
            }
            t.line(INC_LINE[usize::from(lock)])
                .op("LOAD_GLOBAL 0 (counter)", load("counter", "tmp"))
                .op("LOAD_CONST 1 (1)", load_const("n", 1))
                .op("BINARY_OP 13 (+=)", add("tmp", "tmp", "n"))
                .op("STORE_GLOBAL 0 (counter)", store("counter", "tmp"));
            if lock {
                t.line(WITH_LINE).op("CALL 2  → lock.__exit__(): release()", release("lock"));
            }
        });
    }
    b.check_final(
        "counter",
        Cmp::Eq,
        2,
        "Lost update: both threads loaded the same value of counter, so the second \
         STORE_GLOBAL overwrote the first thread's increment.",
    )
    .build()
}

/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "02-race-condition",
    slug: "race-condition",
    title: "Race conditions: the core problem",
    summary: "Two threads run `counter += 1`. Step them yourself until an update vanishes, \
              then watch real threads lose millions.",
    intro: &[
        Block::P(
            "A **race condition** is a bug whose outcome depends on the timing of threads. The \
             classic one: two threads each add 1 to a shared `counter`. You would expect 2. \
             The line `counter += 1` looks like one step, but the interpreter runs it as \
             several, and another thread can run between them.",
        ),
        Block::P(
            "Below, each thread runs one pass of the tutorial's loop, expanded into the exact \
             bytecode CPython 3.11 compiles it to. **You are the scheduler**: press a thread's \
             Step button (or the keys `1` and `2`) to run its next instruction. Each thread \
             has a private copy of the value it read (`tmp`); only `STORE_GLOBAL` writes the \
             shared `counter`.",
        ),
    ],
    goal: Goal {
        unlocked: "**Goal:** with the lock off, find an order of steps that ends with \
                   `counter == 1` — a lost update. Then ask the explorer for every order \
                   that does.",
        locked: "**Goal:** with the lock on, try to lose an update. You can't: a thread that \
                 wants the lock while the other holds it has to wait, so the four steps of \
                 `counter += 1` never interleave. The explorer proves it for every order.",
    },
    code: [CODE_UNLOCKED, CODE_LOCKED],
    scenario,
    headline_var: "counter",
    expected: 2,
    body: &[
        Block::H("Why it fails"),
        Block::P(
            "The tutorial draws it like this: both threads read `counter` (0) before either \
             writes it back, so both write 1.",
        ),
        Block::Code {
            caption: "From the tutorial",
            text: "Thread 1: Read counter (0) → Add 1 → counter = 1\n\
                   Thread 2: Read counter (0) → Add 1 → counter = 1  # Should be 2!",
        },
        Block::P(
            "In bytecode the read is `LOAD_GLOBAL`, the add is `LOAD_CONST` + `BINARY_OP`, and \
             the write is `STORE_GLOBAL`. Any schedule in which one thread's `LOAD_GLOBAL` \
             falls between the other's `LOAD_GLOBAL` and `STORE_GLOBAL` loses an update. \
             This is exactly what the tutorial's `dis` example prints on CPython 3.11.7 (the \
             gaps in the offsets are inline caches, not instructions):",
        ),
        Block::Code {
            caption: "The tutorial's GIL example (`dis.dis(increment)`), run on CPython 3.11.7",
            text: "Bytecode for 'counter += 1':\n\
                   \x20 4           0 RESUME                   0\n\
                   \n\
                   \x20 6           2 LOAD_GLOBAL              0 (counter)\n\
                   \x20            14 LOAD_CONST               1 (1)\n\
                   \x20            16 BINARY_OP               13 (+=)\n\
                   \x20            20 STORE_GLOBAL             0 (counter)\n\
                   \x20            22 LOAD_CONST               0 (None)\n\
                   \x20            24 RETURN_VALUE",
        },
        Block::Note {
            kind: NoteKind::Correction,
            title: "Four instructions, not three",
            text: "The tutorial says `counter += 1` is three operations (read, add, write). \
                   In CPython 3.11 it is four bytecodes — the constant 1 is loaded separately \
                   — but the point stands: the read and the write are separate instructions, \
                   with room for another thread in between.",
        },
        Block::Note {
            kind: NoteKind::Correction,
            title: "On CPython 3.10 and later, the tutorial's program prints 200000",
            text: "The tutorial says you will likely see less than 200000. We ran its program \
                   150 times on each version: CPython 3.8 lost updates in 43 runs (29%) and \
                   3.9 in 38 (25%), but 3.10, 3.11, 3.12 and 3.13 printed exactly 200000 every \
                   time — even with `sys.setswitchinterval(1e-6)`. Since 3.10 the GIL changes \
                   hands only at function entry, backward jumps and after calls, and `counter \
                   += 1` has none of those between `LOAD_GLOBAL` and `STORE_GLOBAL`. That is \
                   luck, not safety: put any call between the read and the write (`counter = \
                   counter + one()`) and 3.11 loses updates again (10 of 20 runs); \
                   free-threaded builds (3.13t) have no GIL at all. The stepper shows the \
                   instructions as they may interleave whenever a switch can happen between \
                   them. (Measured on CPython 3.8.18, 3.9.18, 3.10.13, 3.11.7, 3.12.1 and \
                   3.13.0; see `docs/python-findings.md`.)",
        },
        Block::H("The fix: a lock around the read-modify-write"),
        Block::P(
            "Switch the lock on. `with lock:` acquires the lock before the increment and \
             releases it after. A thread that reaches `BEFORE_WITH` while the other thread \
             holds the lock is blocked (its Step button is disabled and the lane says who it \
             waits for). The four instructions of each increment now run back to back, and \
             every schedule ends with 2. The tutorial's locked program printed 200000 in \
             every run on every version we tried.",
        ),
        Block::H("Real threads"),
        Block::P(
            "The panel below runs the same race on real threads of your machine: Web Workers \
             sharing one counter in memory. Racy mode is an atomic load followed by a separate \
             atomic store — the LOAD_GLOBAL / STORE_GLOBAL pair — so the race is real but has \
             no undefined behaviour. Mutex mode takes a lock around it; atomic mode uses one \
             indivisible `fetch_add`. The numbers are measured when you press Run.",
        ),
    ],
    real: Some(RealPanel::Counter),
};

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{Machine, ThreadId};
    use std::sync::Arc;

    fn step_all(m: &mut Machine, order: &[u8]) {
        for &t in order {
            m.step(ThreadId(t)).expect("step");
        }
    }

    #[test]
    fn interleaved_loads_lose_an_update_without_the_lock() {
        let mut m = Machine::new(Arc::new(scenario(false).unwrap())).unwrap();
        step_all(&mut m, &[0, 1, 0, 0, 0, 1, 1, 1]);
        assert_eq!(m.var_by_name("counter"), Some(sim::Value::Int(1)));
        assert!(m.outcome().is_some_and(|o| o.is_bad()));
    }

    #[test]
    fn with_the_lock_the_second_thread_waits() {
        let mut m = Machine::new(Arc::new(scenario(true).unwrap())).unwrap();
        step_all(&mut m, &[0]);
        assert!(!m.can_step(ThreadId(1)), "T2 must be blocked while T1 holds the lock");
        step_all(&mut m, &[0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
        assert_eq!(m.var_by_name("counter"), Some(sim::Value::Int(2)));
        assert!(m.outcome().is_some_and(|o| !o.is_bad()));
    }

    #[test]
    fn both_codes_show_the_lines_the_ops_point_at() {
        assert!(CODE_UNLOCKED.lines().nth(usize::from(INC_LINE[0]) - 1).unwrap().contains("counter += 1"));
        assert!(CODE_LOCKED.lines().nth(usize::from(INC_LINE[1]) - 1).unwrap().contains("counter += 1"));
        assert!(CODE_LOCKED.lines().nth(usize::from(WITH_LINE) - 1).unwrap().contains("with lock:"));
    }
}
