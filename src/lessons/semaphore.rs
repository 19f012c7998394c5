//! Lesson 06 — "Semaphores: Controlling Access to Limited Resources": the tutorial's pool of
//! 3 database connections shared by 10 users; an extra `release()` that lets a 4th user in; and
//! `BoundedSemaphore`, which refuses an over-release — when it can tell. Prose: `semaphore.md`.

use lab::schema::Value as P;
use sim::prelude::*;
use sim::{Scenario, ScenarioError};

use super::{predict, Exploration, Expect, Lesson, Part, Picker, Real, Variant};

/// Users, as in the tutorial.
pub const USERS: usize = 10;
/// Connections in the pool.
pub const CONNECTIONS: u32 = 3;

/// The tutorial's program, verbatim (its blank lines' trailing spaces trimmed).
const CODE_POOL: &str = "\
import threading
import time
import random

# Imagine a pool of 3 database connections
db_connections = threading.Semaphore(3)  # Allow 3 concurrent connections

def database_operation(user_id):
    print(f\"User {user_id}: Waiting for database connection...\")

    with db_connections:  # Acquire one connection from pool
        print(f\"User {user_id}: Got connection, doing database work...\")
        time.sleep(random.uniform(1, 3))  # Simulate database work
        print(f\"User {user_id}: Database work complete, releasing connection\")

    # Connection automatically returned to pool

# Simulate 10 users trying to access database
threads = []
for i in range(10):
    thread = threading.Thread(target=database_operation, args=(i,))
    threads.append(thread)
    thread.start()

for thread in threads:
    thread.join()";

/// The pool with one release too many in user 0's path.
const CODE_EXTRA: &str = "\
import threading
import time
import random

# Imagine a pool of 3 database connections
db_connections = threading.Semaphore(3)  # Allow 3 concurrent connections

def database_operation(user_id):
    print(f\"User {user_id}: Waiting for database connection...\")

    with db_connections:  # Acquire one connection from pool
        print(f\"User {user_id}: Got connection, doing database work...\")
        time.sleep(random.uniform(1, 3))  # Simulate database work
        print(f\"User {user_id}: Database work complete, releasing connection\")

    if user_id == 0:
        db_connections.release()  # BUG: one release too many

# Simulate 10 users trying to access database
threads = []
for i in range(10):
    thread = threading.Thread(target=database_operation, args=(i,))
    threads.append(thread)
    thread.start()

for thread in threads:
    thread.join()";

/// The same bug with a `BoundedSemaphore`.
const CODE_BOUNDED: &str = "\
import threading
import time
import random

# Imagine a pool of 3 database connections
db_connections = threading.BoundedSemaphore(3)  # release() past 3 raises

def database_operation(user_id):
    print(f\"User {user_id}: Waiting for database connection...\")

    with db_connections:  # Acquire one connection from pool
        print(f\"User {user_id}: Got connection, doing database work...\")
        time.sleep(random.uniform(1, 3))  # Simulate database work
        print(f\"User {user_id}: Database work complete, releasing connection\")

    if user_id == 0:
        db_connections.release()  # BUG: one release too many

# Simulate 10 users trying to access database
threads = []
for i in range(10):
    thread = threading.Thread(target=database_operation, args=(i,))
    threads.append(thread)
    thread.start()

for thread in threads:
    thread.join()";

/// The pool: `bounded` picks `BoundedSemaphore`, `extra` gives user 0 its extra release.
fn pool(bounded: bool, extra: bool) -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new(format!("{USERS} users, {CONNECTIONS} connections"));
    b = if bounded {
        b.bounded_semaphore("db_connections", CONNECTIONS)
    } else {
        b.semaphore("db_connections", CONNECTIONS)
    };
    for user in 0..USERS {
        b = b.thread(format!("User {user}"), |t| {
            t.line(11).op("BEFORE_WITH → db_connections.acquire()", sem_acquire("db_connections"));
            t.line(12).op("CALL print(\"… Got connection …\")", enter("connection"));
            t.line(13).op("CALL time.sleep(random.uniform(1, 3))  # 2 s here", sleep(2000));
            t.line(14).op("CALL print(\"… Database work complete …\")", exit("connection"));
            t.line(11).op("(end of with) → db_connections.release()", sem_release("db_connections"));
            if extra && user == 0 {
                t.line(17).op("CALL db_connections.release()", sem_release("db_connections"));
            }
        });
    }
    b.check_max_in_section(
        "connection",
        CONNECTIONS as u8,
        "More users held a connection at once than the pool has connections.",
    )
    .kind("over-capacity")
    .build()
}

/// The lab's settings: 6 tasks share 3 permits; with one task releasing once too often.
const POOL: &[(&str, P)] = &[("tasks", P::Int(6)), ("permits", P::Int(3))];
const EXTRA: &[(&str, P)] = &[("tasks", P::Int(6)), ("permits", P::Int(3)), ("extra-release", P::Flag(true))];

/// The lab's semaphore experiment: tasks sharing permits, plus the over-release demos.
const REAL: Option<Real> = Some(Real {
    experiment: "semaphore",
    set: POOL,
    predict: Some(predict::MORE_THAN_THREE),
});
/// The same with one task releasing once too often (then again on a `BoundedSemaphore`).
const REAL_EXTRA: Option<Real> = Some(Real {
    experiment: "semaphore",
    set: EXTRA,
    predict: Some(predict::MORE_THAN_THREE),
});
/// The same run, asked about its `BoundedSemaphore` part.
const REAL_BOUNDED: Option<Real> = Some(Real {
    experiment: "semaphore",
    set: EXTRA,
    predict: Some(predict::BOUNDED_REFUSES),
});

/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "06-semaphore",
    slug: "semaphore",
    part: Part::LocksAndSemaphores,
    variants: &[
        Variant {
            slug: "pool",
            label: "Semaphore(3)",
            code: CODE_POOL,
            scenario: || pool(false, false),
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL,
        },
        Variant {
            slug: "extra-release",
            label: "An extra release()",
            code: CODE_EXTRA,
            scenario: || pool(false, true),
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: REAL_EXTRA,
        },
        Variant {
            slug: "bounded",
            label: "BoundedSemaphore(3)",
            code: CODE_BOUNDED,
            scenario: || pool(true, true),
            expect: Expect::Bad,
            // The ValueError is BoundedSemaphore catching the bug: not the bug itself.
            fine: &["exception"],
            exploration: Exploration::Exhaustive,
            real: REAL_BOUNDED,
        },
    ],
    picker: Picker::Choice("Pool"),
    legacy_lock: None,
    headline: None,
    quiz: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{Machine, Outcome, PyExc, ThreadId};
    use std::sync::Arc;

    /// User `u` runs its whole with-block (4 steps: acquire, enter, sleep, exit) and releases.
    fn visit(m: &mut Machine, u: u8) {
        for _ in 0..5 {
            m.step(ThreadId(u)).expect("step");
        }
    }

    #[test]
    fn an_extra_release_while_all_is_free_is_refused_by_bounded() {
        let mut m = Machine::new(Arc::new(pool(true, true).unwrap())).unwrap();
        visit(&mut m, 0);
        let _ = m.step(ThreadId(0));
        let error = m.raised(ThreadId(0)).expect("user 0's extra release raises");
        assert_eq!(error.kind, PyExc::ValueError);
        assert_eq!(error.message, "Semaphore released too many times");
        // Only user 0 ends; the others still get their connections, never more than 3.
        for u in 1..USERS as u8 {
            visit(&mut m, u);
        }
        assert!(matches!(m.outcome(), Some(Outcome::Misuse { .. })), "{:?}", m.outcome());
    }

    #[test]
    fn an_extra_release_while_others_hold_lets_a_fourth_user_in_even_when_bounded() {
        for bounded in [false, true] {
            let mut m = Machine::new(Arc::new(pool(bounded, true).unwrap())).unwrap();
            // Users 1 and 2 take connections; user 0 visits and over-releases: 2 permits free.
            for u in [1, 2] {
                m.step(ThreadId(u)).unwrap();
                m.step(ThreadId(u)).unwrap();
            }
            visit(&mut m, 0);
            m.step(ThreadId(0)).unwrap();
            assert!(m.outcome().is_none(), "bounded={bounded}: the release is accepted");
            for u in [3, 4] {
                m.step(ThreadId(u)).unwrap();
                let _ = m.step(ThreadId(u));
            }
            assert!(
                matches!(m.outcome(), Some(Outcome::Violated { .. })),
                "bounded={bounded}: four users inside, got {:?}",
                m.outcome()
            );
        }
    }

    #[test]
    fn code_lines_match_the_ops() {
        for code in [CODE_POOL, CODE_EXTRA, CODE_BOUNDED] {
            let l: Vec<&str> = code.lines().collect();
            assert!(l[10].contains("with db_connections:") && l[12].contains("time.sleep"));
        }
        assert!(CODE_EXTRA.lines().nth(16).unwrap().contains("db_connections.release()"));
        assert!(CODE_BOUNDED.lines().nth(16).unwrap().contains("db_connections.release()"));
    }
}
