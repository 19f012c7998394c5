//! Lesson 08 — "Thread-Local Storage": the tutorial's `process_user_session` on three threads,
//! each with its own `thread_local_data.user_id`, and the same function with `user_id` in one
//! shared global, where a thread can print another thread's name. Prose: `thread-local.md`.
//!
//! Values are numbers: the model stores `i` for the name `User-i`. What each thread printed is
//! kept in a variable per thread (`User-i printed`), which the final checks compare with `i`.

use lab::schema::Value as P;
use sim::prelude::*;
use sim::{Scenario, ScenarioError};

use super::{predict, Exploration, Expect, Lesson, Part, Picker, Real, Variant};

/// Threads, as in the tutorial.
pub const USERS: usize = 3;

/// The tutorial's program, verbatim (the blank line's trailing spaces trimmed).
const CODE_LOCAL: &str = "\
import threading
import time

# Thread-local storage - each thread gets its own copy
thread_local_data = threading.local()

def process_user_session():
    # Each thread stores its own user_id
    thread_local_data.user_id = threading.current_thread().name
    thread_local_data.login_time = time.time()

    print(f\"Thread {thread_local_data.user_id} logged in at {thread_local_data.login_time}\")
    time.sleep(1)
    print(f\"Thread {thread_local_data.user_id} processing...\")

# Multiple threads, each with independent data
for i in range(3):
    thread = threading.Thread(target=process_user_session, name=f\"User-{i}\")
    thread.start()";

/// The same program with `user_id` and `login_time` in shared globals.
const CODE_GLOBAL: &str = "\
import threading
import time

# One global for every thread instead of thread-local storage
user_id = None
login_time = None

def process_user_session():
    global user_id, login_time
    user_id = threading.current_thread().name
    login_time = time.time()

    print(f\"Thread {user_id} logged in at {login_time}\")
    time.sleep(1)
    print(f\"Thread {user_id} processing...\")

# Multiple threads, each with independent data
for i in range(3):
    thread = threading.Thread(target=process_user_session, name=f\"User-{i}\")
    thread.start()";

/// Lines (store of `user_id`, first print, sleep, second print) in each code.
const LINES_LOCAL: [u16; 4] = [9, 12, 13, 14];
const LINES_GLOBAL: [u16; 4] = [10, 13, 14, 15];

fn printed(i: usize) -> String {
    format!("User-{i} printed")
}

/// `process_user_session` on threads `User-0` … `User-2`, keeping `user_id` in thread-local
/// storage or in one shared global.
fn sessions(local: bool) -> Result<Scenario, ScenarioError> {
    let [set_line, first, sleep_line, second] = if local { LINES_LOCAL } else { LINES_GLOBAL };
    let mut b = ScenarioBuilder::new(if local { "thread-local user_id" } else { "global user_id" });
    b = if local { b.local("user_id") } else { b.var("user_id", Value::None) };
    for i in 0..USERS {
        b = b.var(printed(i), Value::None);
    }
    let (store_text, load_text) = if local {
        ("STORE_ATTR thread_local_data.user_id", "LOAD_ATTR thread_local_data.user_id")
    } else {
        ("STORE_GLOBAL user_id", "LOAD_GLOBAL user_id")
    };
    for i in 0..USERS {
        let me = i64::try_from(i).unwrap_or_default();
        b = b.thread(format!("User-{i}"), |t| {
            t.line(set_line).op(format!("CALL threading.current_thread().name → 'User-{i}'"), load_const("name", me));
            t.op(store_text, if local { local_set("user_id", "name") } else { store("user_id", "name") });
            for (line, text) in [(first, "logged in at …"), (second, "processing...")] {
                if line == second {
                    t.line(sleep_line).op("CALL time.sleep(1)", sleep(1000));
                }
                t.line(line).op(load_text, if local { local_get("user_id", "shown") } else { load("user_id", "shown") });
                t.op(format!("CALL print(f\"Thread {{…}} {text}\")"), store(printed(i), "shown"));
            }
        });
    }
    for i in 0..USERS {
        b = b
            .check_final(
                printed(i),
                Cmp::Eq,
                i64::try_from(i).unwrap_or_default(),
                format!(
                    "User-{i} printed another thread's name: another thread stored user_id between \
                     User-{i}'s store and its print."
                ),
            )
            .kind("wrong-user");
    }
    b.build()
}

/// The lab's thread-local experiment: its own id through `threading.local()`, and through one
/// shared slot.
const REAL: Option<Real> = Some(Real {
    experiment: "thread-local",
    set: &[],
    predict: Some(predict::WHOSE_ID),
});
/// The same with the first iteration forced: every thread writes before any reads back.
const REAL_FORCED: Option<Real> = Some(Real {
    experiment: "thread-local",
    set: &[("force", P::Flag(true))],
    predict: Some(predict::WHOSE_ID),
});

/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "08-thread-local",
    slug: "thread-local",
    part: Part::AdvancedPatterns,
    variants: &[
        Variant {
            slug: "thread-local",
            label: "threading.local()",
            code: CODE_LOCAL,
            scenario: || sessions(true),
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL,
        },
        Variant {
            slug: "global",
            label: "One global user_id",
            code: CODE_GLOBAL,
            scenario: || sessions(false),
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL_FORCED,
        },
    ],
    picker: Picker::Choice("Where user_id lives"),
    legacy_lock: None,
    headline: None,
    quiz: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{Machine, ThreadId};
    use std::sync::Arc;

    fn machine(local: bool) -> Machine {
        Machine::new(Arc::new(sessions(local).unwrap())).unwrap()
    }

    /// Every thread stores its name, then every thread prints: with a global, all but the last
    /// writer print the last writer's name; thread-local, each prints its own.
    fn store_all_then_print_all(m: &mut Machine) {
        for t in 0..3u8 {
            m.step(ThreadId(t)).unwrap();
            m.step(ThreadId(t)).unwrap();
        }
        for t in 0..3u8 {
            while m.can_step(ThreadId(t)) {
                m.step(ThreadId(t)).unwrap();
            }
        }
    }

    #[test]
    fn each_thread_sees_only_its_own_thread_local_slot() {
        let mut m = machine(true);
        store_all_then_print_all(&mut m);
        for i in 0..USERS {
            assert_eq!(m.var_by_name(&printed(i)), Some(Value::Int(i as i64)));
        }
        assert!(m.outcome().is_some_and(|o| !o.is_bad()));
    }

    #[test]
    fn with_a_global_the_last_store_wins_and_others_print_its_name() {
        let mut m = machine(false);
        store_all_then_print_all(&mut m);
        let shown: Vec<_> = (0..USERS).map(|i| m.var_by_name(&printed(i))).collect();
        assert_eq!(shown, vec![Some(Value::Int(2)); 3]);
        let o = m.outcome().expect("ended");
        assert_eq!(sim::outcome_kind(&sessions(false).unwrap(), o), "wrong-user");
    }

    #[test]
    fn one_thread_at_a_time_prints_its_own_name_even_with_a_global() {
        let mut m = machine(false);
        for t in 0..3u8 {
            while m.can_step(ThreadId(t)) {
                m.step(ThreadId(t)).unwrap();
            }
        }
        assert!(m.outcome().is_some_and(|o| !o.is_bad()), "{:?}", m.outcome());
    }

    #[test]
    fn code_lines_match_the_ops() {
        for (code, lines, set) in [
            (CODE_LOCAL, LINES_LOCAL, "thread_local_data.user_id = "),
            (CODE_GLOBAL, LINES_GLOBAL, "user_id = threading"),
        ] {
            let l: Vec<&str> = code.lines().collect();
            let at = |n: u16| l[usize::from(n) - 1];
            assert!(at(lines[0]).contains(set));
            assert!(at(lines[1]).contains("logged in at"));
            assert!(at(lines[2]).contains("time.sleep(1)"));
            assert!(at(lines[3]).contains("processing..."));
        }
    }
}
