//! Lesson 09 — "Reader-Writer Locks": the tutorial's `ReadWriteLock` (a `Condition` over an
//! `RLock`) with readers that keep coming: the writer can starve. A writer-preferring version
//! lets it in; a thread that holds a read and asks to write waits for itself. Prose:
//! `reader-writer-lock.md`.
//!
//! The tutorial only defines `reader` and `writer`; the lessons add `keep_reading` (a reader that
//! comes back until it sees the write) and the lines that start the threads. `+= 1` and `-= 1`
//! inside the condition's lock are drawn as one step each: nobody else can run that code in
//! between. `while x == 0` and `while x > 0` on counts that are never negative jump on the
//! count's truthiness, as one step.

use lab::schema::Value as P;
use sim::prelude::*;
use sim::{Scenario, ScenarioError};

use super::{predict, Exploration, Expect, Lesson, Part, Picker, Real, Variant};

/// The tutorial's `ReadWriteLock` and usage example (`notifyAll` spelled `notify_all`), with a
/// reader that keeps coming and the lines that start two of them and a writer.
const CODE_READERS: &str = "\
import threading
import time

class ReadWriteLock:
    def __init__(self):
        self._read_ready = threading.Condition(threading.RLock())
        self._readers = 0

    def acquire_read(self):
        self._read_ready.acquire()
        try:
            self._readers += 1
        finally:
            self._read_ready.release()

    def release_read(self):
        self._read_ready.acquire()
        try:
            self._readers -= 1
            if self._readers == 0:
                self._read_ready.notify_all()  # the tutorial: notifyAll()
        finally:
            self._read_ready.release()

    def acquire_write(self):
        self._read_ready.acquire()
        while self._readers > 0:
            self._read_ready.wait()

    def release_write(self):
        self._read_ready.release()

# Usage example
shared_data = {\"value\": 0}
rw_lock = ReadWriteLock()

def reader(reader_id):
    rw_lock.acquire_read()
    try:
        print(f\"Reader {reader_id}: value = {shared_data['value']}\")
        time.sleep(1)  # Simulate reading time
    finally:
        rw_lock.release_read()

def writer(new_value):
    rw_lock.acquire_write()
    try:
        print(f\"Writer: updating value to {new_value}\")
        shared_data['value'] = new_value
        time.sleep(1)  # Simulate writing time
    finally:
        rw_lock.release_write()

def keep_reading(reader_id):  # readers keep coming until they see the write
    while shared_data['value'] == 0:
        reader(reader_id)

for i in range(2):
    threading.Thread(target=keep_reading, args=(i,)).start()
threading.Thread(target=writer, args=(1,)).start()";

/// A writer-preferring version: readers wait while a writer waits.
const CODE_WRITERS: &str = "\
import threading
import time

class WriterPreferringRWLock:
    def __init__(self):
        self._read_ready = threading.Condition(threading.RLock())
        self._readers = 0
        self._writers_waiting = 0

    def acquire_read(self):
        self._read_ready.acquire()
        try:
            while self._writers_waiting > 0:  # a waiting writer goes first
                self._read_ready.wait()
            self._readers += 1
        finally:
            self._read_ready.release()

    def release_read(self):
        self._read_ready.acquire()
        try:
            self._readers -= 1
            if self._readers == 0:
                self._read_ready.notify_all()
        finally:
            self._read_ready.release()

    def acquire_write(self):
        self._read_ready.acquire()
        self._writers_waiting += 1
        while self._readers > 0:
            self._read_ready.wait()
        self._writers_waiting -= 1  # in: it holds the lock until release_write

    def release_write(self):
        self._read_ready.notify_all()  # wake the readers that waited for it
        self._read_ready.release()

shared_data = {\"value\": 0}
rw_lock = WriterPreferringRWLock()

def reader(reader_id):
    rw_lock.acquire_read()
    try:
        print(f\"Reader {reader_id}: value = {shared_data['value']}\")
        time.sleep(1)  # Simulate reading time
    finally:
        rw_lock.release_read()

def writer(new_value):
    rw_lock.acquire_write()
    try:
        print(f\"Writer: updating value to {new_value}\")
        shared_data['value'] = new_value
        time.sleep(1)  # Simulate writing time
    finally:
        rw_lock.release_write()

def keep_reading(reader_id):  # readers keep coming until they see the write
    while shared_data['value'] == 0:
        reader(reader_id)

for i in range(2):
    threading.Thread(target=keep_reading, args=(i,)).start()
threading.Thread(target=writer, args=(1,)).start()";

/// A thread that holds a read and asks to write (the tutorial's lock).
const CODE_UPGRADE: &str = "\
import threading
import time

class ReadWriteLock:
    def __init__(self):
        self._read_ready = threading.Condition(threading.RLock())
        self._readers = 0

    def acquire_read(self):
        self._read_ready.acquire()
        try:
            self._readers += 1
        finally:
            self._read_ready.release()

    def release_read(self):
        self._read_ready.acquire()
        try:
            self._readers -= 1
            if self._readers == 0:
                self._read_ready.notify_all()  # the tutorial: notifyAll()
        finally:
            self._read_ready.release()

    def acquire_write(self):
        self._read_ready.acquire()
        while self._readers > 0:
            self._read_ready.wait()

    def release_write(self):
        self._read_ready.release()

shared_data = {\"value\": 0}
rw_lock = ReadWriteLock()

def reader(reader_id):
    rw_lock.acquire_read()
    try:
        print(f\"Reader {reader_id}: value = {shared_data['value']}\")
        time.sleep(1)  # Simulate reading time
    finally:
        rw_lock.release_read()

def increment_if_zero():
    rw_lock.acquire_read()
    try:
        if shared_data['value'] == 0:
            rw_lock.acquire_write()  # upgrade: waits for _readers == 0, itself included
            try:
                shared_data['value'] += 1
            finally:
                rw_lock.release_write()
    finally:
        rw_lock.release_read()

threading.Thread(target=increment_if_zero).start()
threading.Thread(target=reader, args=(1,)).start()";

/// The condition's lock and the condition, as the state panel names them.
const LOCK: &str = "_read_ready's RLock";
const COND: &str = "_read_ready";

/// Lines of a lock version: acquire_read, release_read, acquire_write, release_write, and the
/// usage code after the class.
#[derive(Clone, Copy)]
struct Lines {
    ar: u16,
    ar_inc: u16,
    ar_rel: u16,
    rr: u16,
    rr_dec: u16,
    rr_if: u16,
    rr_notify: u16,
    rr_rel: u16,
    aw: u16,
    aw_while: u16,
    aw_wait: u16,
    rw_rel: u16,
    read: u16,
    read_sleep: u16,
    write: u16,
    write_sleep: u16,
    keep: u16,
}

const TUTORIAL: Lines = Lines {
    ar: 10,
    ar_inc: 12,
    ar_rel: 14,
    rr: 17,
    rr_dec: 19,
    rr_if: 20,
    rr_notify: 21,
    rr_rel: 23,
    aw: 26,
    aw_while: 27,
    aw_wait: 28,
    rw_rel: 31,
    read: 40,
    read_sleep: 41,
    write: 49,
    write_sleep: 50,
    keep: 55,
};

/// The writer-preferring version's lines; `wp` are its own: the readers' wait, the writer's
/// count up and down, and `release_write`'s notify.
const WRITERS: Lines = Lines {
    ar: 11,
    ar_inc: 15,
    ar_rel: 17,
    rr: 20,
    rr_dec: 22,
    rr_if: 23,
    rr_notify: 24,
    rr_rel: 26,
    aw: 29,
    aw_while: 31,
    aw_wait: 32,
    rw_rel: 37,
    read: 45,
    read_sleep: 46,
    write: 54,
    write_sleep: 55,
    keep: 60,
};

mod wp {
    pub const READ_WHILE: u16 = 13;
    pub const READ_WAIT: u16 = 14;
    pub const COUNT_UP: u16 = 30;
    pub const COUNT_DOWN: u16 = 33;
    pub const NOTIFY: u16 = 36;
}

/// `rw_lock.acquire_read()`; `prefer_writers` adds the wait for waiting writers.
fn acquire_read(t: &mut ThreadBuilder, l: Lines, prefer_writers: bool, n: u32) {
    t.line(l.ar).op("CALL self._read_ready.acquire()", acquire(LOCK));
    if prefer_writers {
        let (top, go) = (format!("writers{n}"), format!("read_in{n}"));
        t.label(top.as_str())
            .line(wp::READ_WHILE)
            .op("LOAD_ATTR (self._writers_waiting)", load("_writers_waiting", "w"))
            .op("POP_JUMP_IF_FALSE (> 0)", jump_if_false("w", go.as_str()))
            .line(wp::READ_WAIT)
            .op("CALL self._read_ready.wait()", wait(COND))
            .line(wp::READ_WHILE)
            .op("JUMP_BACKWARD", jump(top.as_str()))
            .label(go.as_str());
    }
    t.line(l.ar_inc).op("self._readers += 1", tally("_readers", 1));
    t.line(l.ar_rel).op("CALL self._read_ready.release()", release(LOCK));
}

/// `rw_lock.release_read()`.
fn release_read(t: &mut ThreadBuilder, l: Lines, n: u32) {
    let skip = format!("no_notify{n}");
    t.line(l.rr).op("CALL self._read_ready.acquire()", acquire(LOCK));
    t.line(l.rr_dec).op("self._readers -= 1", tally("_readers", -1));
    t.line(l.rr_if)
        .op("LOAD_ATTR (self._readers)", load("_readers", "r"))
        .op("POP_JUMP_IF_TRUE (== 0: False)", jump_if_true("r", skip.as_str()));
    t.line(l.rr_notify).op("CALL self._read_ready.notify_all()", notify_all(COND));
    t.label(skip.as_str());
    t.line(l.rr_rel).op("CALL self._read_ready.release()", release(LOCK));
}

/// `rw_lock.acquire_write()`; `prefer_writers` adds the count of waiting writers.
fn acquire_write(t: &mut ThreadBuilder, l: Lines, prefer_writers: bool) {
    t.line(l.aw).op("CALL self._read_ready.acquire()", acquire(LOCK));
    if prefer_writers {
        t.line(wp::COUNT_UP).op("self._writers_waiting += 1", tally("_writers_waiting", 1));
    }
    t.label("check")
        .line(l.aw_while)
        .op("LOAD_ATTR (self._readers)", load("_readers", "r"))
        .op("POP_JUMP_IF_FALSE (> 0)", jump_if_false("r", "in"))
        .line(l.aw_wait)
        .op("CALL self._read_ready.wait()", wait(COND))
        .line(l.aw_while)
        .op("JUMP_BACKWARD", jump("check"))
        .label("in");
    if prefer_writers {
        t.line(wp::COUNT_DOWN).op("self._writers_waiting -= 1", tally("_writers_waiting", -1));
    }
}

/// `rw_lock.release_write()`.
fn release_write(t: &mut ThreadBuilder, l: Lines, prefer_writers: bool) {
    if prefer_writers {
        t.line(wp::NOTIFY).op("CALL self._read_ready.notify_all()", notify_all(COND));
    }
    t.line(l.rw_rel).op("CALL self._read_ready.release()", release(LOCK));
}

/// Two readers that keep coming until they see the write, and a writer.
fn readers_and_writer(prefer_writers: bool) -> Result<Scenario, ScenarioError> {
    let l = if prefer_writers { WRITERS } else { TUTORIAL };
    let mut b = ScenarioBuilder::new(if prefer_writers { "writer-preferring" } else { "the tutorial's (reader-preferring)" })
        .var("shared_data['value']", 0)
        .var("_readers", 0)
        .lock(LOCK, LockKind::RLock)
        .condition(COND, LOCK);
    if prefer_writers {
        b = b.var("_writers_waiting", 0);
    }
    for i in 0..2 {
        b = b.thread(format!("keep_reading({i})"), |t| {
            t.label("top")
                .line(l.keep)
                .op("BINARY_SUBSCR (shared_data['value'])", load("shared_data['value']", "v"))
                .op("POP_JUMP_IF_FALSE (== 0: True)", jump_if_true("v", "end"));
            acquire_read(t, l, prefer_writers, 0);
            t.line(l.read).op("CALL print(f\"Reader …: value = {shared_data['value']}\")", load("shared_data['value']", "seen"));
            t.line(l.read_sleep).op("CALL time.sleep(1)", sleep(1000));
            release_read(t, l, 0);
            t.line(l.keep).op("JUMP_BACKWARD", jump("top"));
            t.label("end");
        });
    }
    b = b.thread("writer(1)", |t| {
        acquire_write(t, l, prefer_writers);
        t.line(l.write)
            .op("LOAD_FAST (new_value)", load_const("new", 1))
            .op("STORE_SUBSCR (shared_data['value'] = new_value)", store("shared_data['value']", "new"));
        t.line(l.write_sleep).op("CALL time.sleep(1)", sleep(1000));
        release_write(t, l, prefer_writers);
    });
    b.build()
}

/// `increment_if_zero` holds a read and asks to write; a plain reader comes and goes.
fn upgrade() -> Result<Scenario, ScenarioError> {
    let l = TUTORIAL;
    ScenarioBuilder::new("read, then write, in one thread")
        .var("shared_data['value']", 0)
        .var("_readers", 0)
        .lock(LOCK, LockKind::RLock)
        .condition(COND, LOCK)
        .thread("increment_if_zero", |t| {
            acquire_read(t, l, false, 0);
            t.line(47)
                .op("BINARY_SUBSCR (shared_data['value'])", load("shared_data['value']", "v"))
                .op("POP_JUMP_IF_TRUE (== 0: False)", jump_if_true("v", "done"));
            acquire_write(t, l, false);
            t.line(50)
                .op("BINARY_SUBSCR (shared_data['value'])", load("shared_data['value']", "x"))
                .op("BINARY_OP += (1)", add("x", "x", 1))
                .op("STORE_SUBSCR (shared_data['value'])", store("shared_data['value']", "x"));
            release_write(t, l, false);
            t.label("done");
            release_read(t, l, 0);
        })
        .thread("reader(1)", |t| {
            acquire_read(t, l, false, 0);
            t.line(39).op("CALL print(f\"Reader …: value = {shared_data['value']}\")", load("shared_data['value']", "seen"));
            t.line(40).op("CALL time.sleep(1)", sleep(1000));
            release_read(t, l, 0);
        })
        .build()
}

/// The lab's rwlock experiment runs both designs; forced, the readers hand over so that their
/// count never falls to 0 while one can enter.
const REAL: Option<Real> = Some(Real {
    experiment: "rwlock",
    set: &[("force", P::Flag(true))],
    predict: Some(predict::WRITER_STARVED),
});

/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "09-reader-writer-lock",
    slug: "reader-writer-lock",
    part: Part::AdvancedPatterns,
    variants: &[
        Variant {
            slug: "reader-preferring",
            label: "The tutorial's (readers first)",
            code: CODE_READERS,
            scenario: || readers_and_writer(false),
            expect: Expect::Bad,
            // A cycle in which the writer could have moved but was not picked is the
            // scheduler's doing, not the lock's (see the prose).
            fine: &["livelock"],
            exploration: Exploration::Exhaustive,
            real: REAL,
        },
        Variant {
            slug: "writer-preferring",
            label: "Writer-preferring",
            code: CODE_WRITERS,
            scenario: || readers_and_writer(true),
            expect: Expect::Safe,
            fine: &["livelock"],
            exploration: Exploration::Exhaustive,
            real: REAL,
        },
        Variant {
            slug: "upgrade",
            label: "Read, then write",
            code: CODE_UPGRADE,
            scenario: upgrade,
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            // Not in the lab: its threads never upgrade.
            real: None,
        },
    ],
    picker: Picker::Choice("Lock"),
    legacy_lock: None,
    headline: Some("_readers"),
    quiz: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{ExploreLimits, Machine, Outcome, OutcomeClass, ThreadId};
    use std::sync::Arc;

    const WRITER: ThreadId = ThreadId(2);

    #[test]
    fn readers_handing_over_starve_the_tutorials_writer() {
        let scn = Arc::new(readers_and_writer(false).unwrap());
        let report = sim::explore(scn.clone(), ExploreLimits::default()).unwrap();
        assert!(!report.truncated);
        let starved = OutcomeClass::Starvation { starved: vec![WRITER] };
        let s = report.outcome(&starved).expect("the writer can starve");
        // The shortest starving schedule ends going once round the readers' hand-over: the
        // writer waits for a notify at every step of it, and the readers alone move.
        let run = sim::replay(scn.clone(), &s.shortest).unwrap();
        assert!(run.outcome().is_none());
        assert!(!run.machine().can_step(WRITER));
        assert!(run.machine().var_by_name("_readers").is_some_and(|r| r != Value::Int(0)));
        let tail: Vec<ThreadId> = s.shortest.steps().iter().rev().take(8).copied().collect();
        assert!(tail.iter().all(|&t| t != WRITER), "{}", s.shortest);
        // Other endings: the writer got in and the readers saw its write, or a cycle in which
        // the writer could have moved (the scheduler's choice, not the lock's).
        for o in &report.outcomes {
            let kind = sim::class_kind(&scn, &o.class);
            assert!(["ok", "starvation", "livelock"].contains(&kind.as_str()), "{}", o.class);
        }
        assert!(report.final_values("shared_data['value']") == vec![Value::Int(1)]);
    }

    #[test]
    fn a_writer_preferring_lock_lets_the_writer_in_whatever_the_readers_do() {
        let scn = Arc::new(readers_and_writer(true).unwrap());
        let report = sim::explore(scn, ExploreLimits::default()).unwrap();
        assert!(!report.truncated);
        assert!(!report.outcomes.iter().any(|o| matches!(o.class, OutcomeClass::Starvation { .. })));
        assert!(report.outcomes.iter().any(|o| matches!(o.class, OutcomeClass::Finished { .. })));
        assert!(!report.outcomes.iter().any(|o| matches!(o.class, OutcomeClass::Deadlock { .. })));
    }

    #[test]
    fn a_reader_that_asks_to_write_waits_for_itself() {
        let mut m = Machine::new(Arc::new(upgrade().unwrap())).unwrap();
        // acquire_read (3 steps), the value check (2), acquire_write up to its wait (4).
        for _ in 0..9 {
            m.step(ThreadId(0)).unwrap();
        }
        assert!(!m.can_step(ThreadId(0)), "T1 waits for _readers == 0, and it is one of them");
        let (_, o) = sim::run_to_end(m, &mut sim::RoundRobin::new(), 1000);
        match o {
            Some(Outcome::Deadlock { blocked, .. }) => assert_eq!(blocked, vec![ThreadId(0)]),
            o => panic!("expected T1 stuck, got {o:?}"),
        }
    }

    #[test]
    fn code_lines_match_the_ops() {
        let l = |code: &str, n: u16| code.lines().nth(usize::from(n) - 1).unwrap().to_string();
        for (code, x) in [(CODE_READERS, TUTORIAL), (CODE_WRITERS, WRITERS), (CODE_UPGRADE, TUTORIAL)] {
            assert!(l(code, x.ar).contains("self._read_ready.acquire()") && l(code, x.ar_inc).contains("self._readers += 1"));
            assert!(l(code, x.ar_rel).contains("self._read_ready.release()") && l(code, x.rr).contains("self._read_ready.acquire()"));
            assert!(l(code, x.rr_dec).contains("self._readers -= 1") && l(code, x.rr_if).contains("if self._readers == 0:"));
            assert!(l(code, x.rr_notify).contains("notify_all()") && l(code, x.rr_rel).contains("self._read_ready.release()"));
            assert!(l(code, x.aw).contains("self._read_ready.acquire()") && l(code, x.aw_while).contains("while self._readers > 0:"));
            assert!(l(code, x.aw_wait).contains("self._read_ready.wait()") && l(code, x.rw_rel).contains("self._read_ready.release()"));
        }
        for (code, x) in [(CODE_READERS, TUTORIAL), (CODE_WRITERS, WRITERS)] {
            assert!(l(code, x.read).contains("print(f\"Reader") && l(code, x.read_sleep).contains("time.sleep(1)"));
            assert!(l(code, x.write).contains("shared_data['value'] = new_value") && l(code, x.write_sleep).contains("time.sleep(1)"));
            assert!(l(code, x.keep).contains("while shared_data['value'] == 0:"));
        }
        assert!(l(CODE_WRITERS, wp::READ_WHILE).contains("while self._writers_waiting > 0:") && l(CODE_WRITERS, wp::READ_WAIT).contains(".wait()"));
        assert!(l(CODE_WRITERS, wp::COUNT_UP).contains("_writers_waiting += 1") && l(CODE_WRITERS, wp::COUNT_DOWN).contains("_writers_waiting -= 1"));
        assert!(l(CODE_WRITERS, wp::NOTIFY).contains("notify_all()"));
        assert!(l(CODE_UPGRADE, 39).contains("print(f\"Reader") && l(CODE_UPGRADE, 40).contains("time.sleep(1)"));
        assert!(l(CODE_UPGRADE, 47).contains("if shared_data['value'] == 0:") && l(CODE_UPGRADE, 50).contains("shared_data['value'] += 1"));
    }
}
