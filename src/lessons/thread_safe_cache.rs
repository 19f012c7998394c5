//! Lesson 12 — "Thread-Safe Cache": the tutorial's `ThreadSafeCache` is safe, its `cached`
//! decorator is not one operation (get, compute, set), so threads that miss the same key all
//! compute it; one computation per key with a lock per key; and two bugs that are not about
//! threads at all: the key ignores the function, and a cached `None` looks like a miss.
//! Prose: `thread-safe-cache.md`.
//!
//! One key is in play per version, so a cache entry is one shared variable. Where no cached
//! value can be `None`, `None` in it means "not in the cache"; the version that caches `None`
//! keeps "is the key there" apart.

use lab::schema::Value as P;
use sim::prelude::*;
use sim::{Scenario, ScenarioError};

use super::{predict, Exploration, Expect, Lesson, Part, Picker, Real, Variant};

/// The tutorial's class, lines 1–33 of every version.
macro_rules! cache_class {
    () => {
        "\
import threading
import time
from functools import wraps

class ThreadSafeCache:
    def __init__(self, max_size=100):
        self._cache = {}
        self._access_times = {}
        self._lock = threading.RLock()
        self._max_size = max_size

    def get(self, key):
        with self._lock:
            if key in self._cache:
                self._access_times[key] = time.time()
                return self._cache[key]
            return None

    def set(self, key, value):
        with self._lock:
            if len(self._cache) >= self._max_size:
                self._evict_oldest()
            self._cache[key] = value
            self._access_times[key] = time.time()

    def _evict_oldest(self):
        oldest_key = min(self._access_times.keys(),
                        key=lambda k: self._access_times[k])
        del self._cache[oldest_key]
        del self._access_times[oldest_key]

# Decorator for automatic caching
cache = ThreadSafeCache()
"
    };
}

/// The tutorial's `cached`, lines 34–44.
macro_rules! cached_decorator {
    () => {
        "
def cached(func):
    @wraps(func)
    def wrapper(*args, **kwargs):
        key = str(args) + str(sorted(kwargs.items()))
        result = cache.get(key)
        if result is None:
            result = func(*args, **kwargs)
            cache.set(key, result)
        return result
    return wrapper
"
    };
}

/// The tutorial's code and its `expensive_computation`, called by three threads at once.
const CODE_SEED: &str = concat!(
    cache_class!(),
    cached_decorator!(),
    "
@cached
def expensive_computation(n):
    time.sleep(1)  # Simulate expensive work
    return n ** 2

for _ in range(3):  # three threads ask for the same key at once
    threading.Thread(target=expensive_computation, args=(12,)).start()"
);

/// One computation per key: a lock per key, held across get, compute and set.
const CODE_ONCE: &str = concat!(
    cache_class!(),
    "_key_locks = {}
_key_locks_guard = threading.Lock()

def cached(func):
    @wraps(func)
    def wrapper(*args, **kwargs):
        key = str(args) + str(sorted(kwargs.items()))
        with _key_locks_guard:
            key_lock = _key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one computation per key: the others wait for it
            result = cache.get(key)
            if result is None:
                result = func(*args, **kwargs)
                cache.set(key, result)
        return result
    return wrapper

@cached
def expensive_computation(n):
    time.sleep(1)  # Simulate expensive work
    return n ** 2

for _ in range(3):  # three threads ask for the same key at once
    threading.Thread(target=expensive_computation, args=(12,)).start()"
);

/// Two cached functions called with the same argument.
const CODE_COLLISION: &str = concat!(
    cache_class!(),
    cached_decorator!(),
    "
@cached
def square(n):
    return n * n

@cached
def negate(n):
    return -n

results = {}

def call(f):
    results[f.__name__] = f(3)

threading.Thread(target=call, args=(square,)).start()
threading.Thread(target=call, args=(negate,)).start()"
);

/// A cached function whose answer is `None`, called twice.
const CODE_NONE: &str = concat!(
    cache_class!(),
    cached_decorator!(),
    "
@cached
def find_user(user_id):
    time.sleep(1)  # a slow lookup that finds no such user
    return None

def lookups():
    find_user(7)
    find_user(7)  # the same key again

threading.Thread(target=lookups).start()"
);

/// Lines of the class and of the tutorial's `cached` (the per-key version's own are below).
mod ln {
    pub const GET_WITH: u16 = 13;
    pub const GET_IN: u16 = 14;
    pub const GET_TOUCH: u16 = 15;
    pub const GET_HIT: u16 = 16;
    pub const GET_MISS: u16 = 17;
    pub const SET_WITH: u16 = 20;
    pub const SET_LEN: u16 = 21;
    pub const SET_STORE: u16 = 23;
    pub const SET_TOUCH: u16 = 24;
    pub const KEY: u16 = 38;
    pub const CHECK: u16 = 40;
    pub const CALL: u16 = 41;
}

/// Lines of the per-key version's `cached` and the function after it.
mod once {
    pub const KEY: u16 = 40;
    pub const GUARD: u16 = 41;
    pub const SETDEFAULT: u16 = 42;
    pub const WITH: u16 = 43;
    pub const CHECK: u16 = 45;
    pub const CALL: u16 = 46;
    pub const SLEEP: u16 = 53;
    pub const RETURN: u16 = 54;
}

/// Where the function called sits, and what it does: `(sleep line, return line, value)`.
#[derive(Clone, Copy)]
struct Func {
    name: &'static str,
    sleep: Option<u16>,
    ret: u16,
    value: Value,
}

const EXPENSIVE: Func = Func { name: "expensive_computation", sleep: Some(48), ret: 49, value: Value::Int(144) };

/// Variables of one cache entry: its value, and "is the key there". With `present` unset,
/// `None` in `value` means "not there" (no cached value is `None`); with `value` unset, the
/// only value ever stored is `None` (the function returns nothing else).
struct Entry {
    value: Option<&'static str>,
    present: Option<&'static str>,
}

const ENTRY: Entry = Entry { value: Some("_cache['(12,)[]']"), present: None };

/// `result = cache.get(key)`: the RLock, `key in self._cache`, and the hit or the miss.
/// Labels get the suffix `n`, so a thread can call it more than once.
fn get(t: &mut ThreadBuilder, e: &Entry, n: u32) {
    let (miss, done) = (format!("miss{n}"), format!("got{n}"));
    t.line(ln::GET_WITH).op("BEFORE_WITH → self._lock.acquire()", acquire("_lock"));
    let found = match (e.present, e.value) {
        (Some(p), _) => {
            t.line(ln::GET_IN).op("CONTAINS_OP (key in self._cache)", load(p, "there"));
            "there"
        }
        (None, Some(v)) => {
            t.line(ln::GET_IN).op("CONTAINS_OP (key in self._cache)", load(v, "result"));
            "result"
        }
        (None, None) => "result",
    };
    t.op("POP_JUMP_IF_FALSE", jump_if_false(found, miss.as_str()));
    t.line(ln::GET_TOUCH).op("STORE_SUBSCR (self._access_times[key] = time.time())", nop());
    if e.present.is_some() {
        match e.value {
            Some(v) => t.line(ln::GET_HIT).op("BINARY_SUBSCR (self._cache[key])", load(v, "result")),
            None => t.line(ln::GET_HIT).op("BINARY_SUBSCR (self._cache[key]: None)", load_const("result", Value::None)),
        };
    }
    t.line(ln::GET_WITH).op("(end of with) → self._lock.release()", release("_lock"));
    t.line(ln::GET_HIT).op("RETURN_VALUE (self._cache[key])", jump(done.as_str()));
    t.label(miss.as_str());
    t.line(ln::GET_MISS).op("LOAD_CONST (None)", load_const("result", Value::None));
    t.line(ln::GET_WITH).op("(end of with) → self._lock.release()", release("_lock"));
    t.label(done.as_str());
}

/// `cache.set(key, result)`.
fn set(t: &mut ThreadBuilder, e: &Entry) {
    t.line(ln::SET_WITH).op("BEFORE_WITH → self._lock.acquire()", acquire("_lock"));
    t.line(ln::SET_LEN).op("COMPARE_OP >= (len(self._cache) >= self._max_size: False)", nop());
    t.line(ln::SET_STORE);
    match (e.present, e.value) {
        // `is_none` holds True here: set runs only after `if result is None` found it so.
        (Some(p), None) => t.op("STORE_SUBSCR (self._cache[key] = value)", store(p, "is_none")),
        (_, Some(v)) => t.op("STORE_SUBSCR (self._cache[key] = value)", store(v, "result")),
        (None, None) => t.op("STORE_SUBSCR (self._cache[key] = value)", nop()),
    };
    t.line(ln::SET_TOUCH).op("STORE_SUBSCR (self._access_times[key] = time.time())", nop());
    t.line(ln::SET_WITH).op("(end of with) → self._lock.release()", release("_lock"));
}

/// `if result is None:` (continue at `label` when it is not).
fn if_none(t: &mut ThreadBuilder, line: u16, label: &str) {
    t.line(line)
        .op("IS_OP (result is None)", eq("is_none", "result", Value::None))
        .op("POP_JUMP_IF_FALSE", jump_if_false("is_none", label));
}

/// `func(*args)`: counted, then its body.
fn compute(t: &mut ThreadBuilder, call_line: u16, f: Func, count: bool) {
    let text = format!("CALL {}(…)", f.name);
    if count {
        t.line(call_line).op(text, tally("computations", 1));
    } else {
        t.line(call_line).op(text, nop());
    }
    if let Some(s) = f.sleep {
        t.line(s).op("CALL time.sleep(1)", sleep(1000));
    }
    t.line(f.ret).op(format!("RETURN_VALUE ({})", f.value), load_const("result", f.value));
}

/// One call of the tutorial's `cached` wrapper: key, get, `if result is None`, compute, set.
fn wrapper(t: &mut ThreadBuilder, e: &Entry, f: Func, count: bool, n: u32) {
    let skip = format!("cached{n}");
    t.line(ln::KEY).op("key = str(args) + str(sorted(kwargs.items()))", nop());
    get(t, e, n);
    if_none(t, ln::CHECK, &skip);
    compute(t, ln::CALL, f, count);
    set(t, e);
    t.label(skip.as_str());
}

fn seed() -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new("cached: three threads, one key")
        .var("_cache['(12,)[]']", Value::None)
        .var("computations", 0)
        .lock("_lock", LockKind::RLock);
    for i in 1..=3 {
        b = b.thread(format!("Thread-{i}"), |t| wrapper(t, &ENTRY, EXPENSIVE, true, 0));
    }
    b.check_final(
        "computations",
        Cmp::Eq,
        1,
        "expensive_computation(12) ran more than once: each thread that missed computed it.",
    )
    .kind("duplicate")
    .build()
}

fn per_key_once() -> Result<Scenario, ScenarioError> {
    let mut b = ScenarioBuilder::new("cached with a lock per key")
        .var("_cache['(12,)[]']", Value::None)
        .var("computations", 0)
        .lock("_lock", LockKind::RLock)
        .lock("_key_locks_guard", LockKind::Lock)
        .lock("key_lock", LockKind::Lock);
    for i in 1..=3 {
        b = b.thread(format!("Thread-{i}"), |t| {
            t.line(once::KEY).op("key = str(args) + str(sorted(kwargs.items()))", nop());
            t.line(once::GUARD).op("BEFORE_WITH → _key_locks_guard.acquire()", acquire("_key_locks_guard"));
            t.line(once::SETDEFAULT).op("key_lock = _key_locks.setdefault(key, threading.Lock())", nop());
            t.line(once::GUARD).op("(end of with) → _key_locks_guard.release()", release("_key_locks_guard"));
            t.line(once::WITH).op("BEFORE_WITH → key_lock.acquire()", acquire("key_lock"));
            get(t, &ENTRY, 0);
            if_none(t, once::CHECK, "cached");
            compute(t, once::CALL, Func { sleep: Some(once::SLEEP), ret: once::RETURN, ..EXPENSIVE }, true);
            set(t, &ENTRY);
            t.label("cached");
            t.line(once::WITH).op("(end of with) → key_lock.release()", release("key_lock"));
        });
    }
    b.check_final(
        "computations",
        Cmp::Eq,
        1,
        "expensive_computation(12) ran more than once.",
    )
    .kind("duplicate")
    .build()
}

/// `square(3)` and `negate(3)` share the key `'(3,)[]'`.
fn collision() -> Result<Scenario, ScenarioError> {
    let entry = Entry { value: Some("_cache['(3,)[]']"), present: None };
    let mut b = ScenarioBuilder::new("two functions, one key")
        .var("_cache['(3,)[]']", Value::None)
        .var("results['square']", Value::None)
        .var("results['negate']", Value::None)
        .lock("_lock", LockKind::RLock);
    for (name, ret, value) in [("square", 48u16, 9i64), ("negate", 52, -3)] {
        b = b.thread(format!("call({name})"), |t| {
            wrapper(t, &entry, Func { name, sleep: None, ret, value: Value::Int(value) }, false, 0);
            t.line(57).op(format!("STORE_SUBSCR (results['{name}'] = …)"), store(format!("results['{name}']"), "result"));
        });
    }
    b.check_final("results['square']", Cmp::Eq, 9, "square(3) did not return 9: it got negate's cached answer.")
        .kind("wrong-result")
        .check_final("results['negate']", Cmp::Eq, -3, "negate(3) did not return -3: it got square's cached answer.")
        .kind("wrong-result")
        .build()
}

/// `find_user(7)` twice on one thread: the answer is `None`, stored, and looks like a miss.
fn none_result() -> Result<Scenario, ScenarioError> {
    let entry = Entry { value: None, present: Some("'(7,)[]' in _cache") };
    let f = Func { name: "find_user", sleep: Some(48), ret: 49, value: Value::None };
    ScenarioBuilder::new("a cached None")
        .var("'(7,)[]' in _cache", false)
        .var("computations", 0)
        .lock("_lock", LockKind::RLock)
        .thread("lookups", |t| {
            for (n, line) in [(1u32, 52u16), (2, 53)] {
                t.line(line).op("CALL find_user(7)", nop());
                wrapper(t, &entry, f, true, n);
            }
        })
        .check_final(
            "computations",
            Cmp::Eq,
            1,
            "find_user(7) ran twice: the cached None looked like a miss.",
        )
        .kind("duplicate")
        .build()
}

/// The lab's cache experiment: many threads miss one key at once.
const REAL_SEED: Real = Real {
    experiment: "cache",
    set: &[("design", P::Choice("seed")), ("threads", P::Int(3))],
    predict: Some(predict::COMPUTATIONS),
};

/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "12-thread-safe-cache",
    slug: "thread-safe-cache",
    part: Part::RealWorld,
    variants: &[
        Variant {
            slug: "seed",
            label: "The tutorial's cached",
            code: CODE_SEED,
            scenario: seed,
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(REAL_SEED),
        },
        Variant {
            slug: "per-key-once",
            label: "One computation per key",
            code: CODE_ONCE,
            scenario: per_key_once,
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(Real {
                experiment: "cache",
                set: &[("design", P::Choice("per-key-once")), ("threads", P::Int(3))],
                predict: Some(predict::COMPUTATIONS),
            }),
        },
        Variant {
            slug: "key-collision",
            label: "square(3) and negate(3)",
            code: CODE_COLLISION,
            scenario: collision,
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            // Not a race: the lab has no experiment for it.
            real: None,
        },
        Variant {
            slug: "none-result",
            label: "A cached None",
            code: CODE_NONE,
            scenario: none_result,
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: None,
        },
    ],
    picker: Picker::Choice("Cache"),
    legacy_lock: None,
    headline: None,
    quiz: false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use sim::{Machine, Outcome, ThreadId};
    use std::sync::Arc;

    fn machine(s: Result<Scenario, ScenarioError>) -> Machine {
        Machine::new(Arc::new(s.unwrap())).unwrap()
    }

    /// Steps thread `t` until its next op's text starts with `text`.
    fn step_to(m: &mut Machine, t: u8, text: &str) {
        while !m.current_op(ThreadId(t)).is_some_and(|o| o.text.starts_with(text)) {
            m.step(ThreadId(t)).expect("step");
        }
    }

    fn finish(m: Machine) -> Outcome {
        let (_, o) = sim::run_to_end(m, &mut sim::RoundRobin::new(), 10_000);
        o.expect("ends")
    }

    #[test]
    fn threads_that_miss_before_either_stores_all_compute() {
        let mut m = machine(seed());
        for t in [0, 1] {
            step_to(&mut m, t, "IS_OP");
        }
        match finish(m) {
            Outcome::Violated { vars, .. } => {
                assert!(vars.contains(&("computations".into(), Value::Int(2))) || vars.contains(&("computations".into(), Value::Int(3))));
            }
            o => panic!("expected a duplicate computation, got {o:?}"),
        }
    }

    #[test]
    fn with_a_lock_per_key_the_others_wait_and_find_it_cached() {
        let mut m = machine(per_key_once());
        step_to(&mut m, 0, "CALL expensive_computation");
        step_to(&mut m, 1, "BEFORE_WITH → key_lock");
        assert!(!m.can_step(ThreadId(1)), "T2 waits for key_lock while T1 computes");
        assert!(matches!(finish(m), Outcome::Finished { vars } if vars.contains(&("computations".into(), Value::Int(1)))));
    }

    #[test]
    fn negate_after_square_returns_nine() {
        let mut m = machine(collision());
        step_to(&mut m, 0, "STORE_SUBSCR (results");
        m.step(ThreadId(0)).unwrap();
        match finish(m) {
            Outcome::Violated { vars, .. } => {
                assert!(vars.contains(&("results['negate']".into(), Value::Int(9))), "{vars:?}");
            }
            o => panic!("expected a wrong result, got {o:?}"),
        }
    }

    #[test]
    fn a_cached_none_is_found_and_still_recomputed() {
        let mut m = machine(none_result());
        // The second call's `key in self._cache` is True: it takes the hit path, returns None,
        // and computes again.
        step_to(&mut m, 0, "CALL find_user(7)");
        m.step(ThreadId(0)).unwrap();
        step_to(&mut m, 0, "CALL find_user(7)");
        step_to(&mut m, 0, "BINARY_SUBSCR");
        let o = finish(m);
        assert!(matches!(&o, Outcome::Violated { vars, .. } if vars.contains(&("computations".into(), Value::Int(2)))), "{o:?}");
    }

    #[test]
    fn code_lines_match_the_ops() {
        let l = |code: &str, n: u16| code.lines().nth(usize::from(n) - 1).unwrap().to_string();
        for code in [CODE_SEED, CODE_ONCE, CODE_COLLISION, CODE_NONE] {
            assert!(l(code, ln::GET_WITH).contains("with self._lock:") && l(code, ln::GET_IN).contains("if key in self._cache:"));
            assert!(l(code, ln::GET_TOUCH).contains("self._access_times[key] = time.time()"));
            assert!(l(code, ln::GET_HIT).contains("return self._cache[key]") && l(code, ln::GET_MISS).contains("return None"));
            assert!(l(code, ln::SET_WITH).contains("with self._lock:") && l(code, ln::SET_LEN).contains("if len(self._cache) >= self._max_size:"));
            assert!(l(code, ln::SET_STORE).contains("self._cache[key] = value") && l(code, ln::SET_TOUCH).contains("self._access_times[key]"));
        }
        for code in [CODE_SEED, CODE_COLLISION, CODE_NONE] {
            assert!(l(code, ln::KEY).contains("key = str(args)") && l(code, ln::CHECK).contains("if result is None:"));
            assert!(l(code, ln::CALL).contains("result = func(*args, **kwargs)"));
        }
        assert!(l(CODE_SEED, 48).contains("time.sleep(1)") && l(CODE_SEED, 49).contains("return n ** 2"));
        assert!(l(CODE_ONCE, once::KEY).contains("key = str(args)") && l(CODE_ONCE, once::GUARD).contains("with _key_locks_guard:"));
        assert!(l(CODE_ONCE, once::SETDEFAULT).contains("setdefault") && l(CODE_ONCE, once::WITH).contains("with key_lock:"));
        assert!(l(CODE_ONCE, once::CHECK).contains("if result is None:") && l(CODE_ONCE, once::CALL).contains("result = func("));
        assert!(l(CODE_ONCE, once::SLEEP).contains("time.sleep(1)") && l(CODE_ONCE, once::RETURN).contains("return n ** 2"));
        assert!(l(CODE_COLLISION, 48).contains("return n * n") && l(CODE_COLLISION, 52).contains("return -n"));
        assert!(l(CODE_COLLISION, 57).contains("results[f.__name__] = f(3)"));
        assert!(l(CODE_NONE, 48).contains("time.sleep(1)") && l(CODE_NONE, 49).contains("return None"));
        assert!(l(CODE_NONE, 52).contains("find_user(7)") && l(CODE_NONE, 53).contains("find_user(7)"));
    }
}
