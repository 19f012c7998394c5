//! Lesson 11 — "Lock Granularity Issues": the tutorial's `BadBankAccount` (two crossing
//! transfers deadlock: a lock-order problem, not a coarse one), `GoodBankAccount` (locks in
//! account-id order), one global lock, and `GoodBankAccount` sending money to itself (the same
//! `Lock` twice) with and without a guard. Prose: `lock-granularity.md`.
//!
//! Balances start at 100 here: the tutorial's start at 0 and it has no deposit, so every one of
//! its transfers would be a no-op. Bytecode texts are CPython 3.11's.

use lab::schema::Value as P;
use sim::prelude::*;
use sim::{Scenario, ScenarioError};

use super::{predict, Exploration, Expect, Lesson, Part, Picker, Real, Variant};

/// The tutorial's `BadBankAccount`, with the lines that make two accounts and start the two
/// transfers.
const CODE_BAD: &str = "\
import threading

# Too coarse-grained - limits concurrency
class BadBankAccount:
    def __init__(self):
        self._balance = 0
        self._lock = threading.Lock()

    def transfer_money(self, other_account, amount):
        with self._lock:  # Locks entire operation
            with other_account._lock:  # This can cause deadlock!
                if self._balance >= amount:
                    self._balance -= amount
                    other_account._balance += amount

a, b = BadBankAccount(), BadBankAccount()
a._balance = b._balance = 100  # the tutorial's accounts start at 0
threading.Thread(target=a.transfer_money, args=(b, 30)).start()
threading.Thread(target=b.transfer_money, args=(a, 50)).start()";

/// The tutorial's `GoodBankAccount`, with the same two transfers.
const CODE_GOOD: &str = "\
import threading

# Better approach - use account IDs to determine lock order
class GoodBankAccount:
    def __init__(self, account_id):
        self.account_id = account_id
        self._balance = 0
        self._lock = threading.Lock()

    def transfer_money(self, other_account, amount):
        # Acquire locks in consistent order based on account ID
        if self.account_id < other_account.account_id:
            first_lock, second_lock = self._lock, other_account._lock
        else:
            first_lock, second_lock = other_account._lock, self._lock

        with first_lock:
            with second_lock:
                if self._balance >= amount:
                    self._balance -= amount
                    other_account._balance += amount

a, b = GoodBankAccount(1), GoodBankAccount(2)
a._balance = b._balance = 100  # the tutorial's accounts start at 0
threading.Thread(target=a.transfer_money, args=(b, 30)).start()
threading.Thread(target=b.transfer_money, args=(a, 50)).start()";

/// One lock for the whole bank (not in the tutorial): what "coarse-grained" really means.
const CODE_GLOBAL: &str = "\
import threading

bank_lock = threading.Lock()  # one lock for every account

class BankAccount:
    def __init__(self):
        self._balance = 0

    def transfer_money(self, other_account, amount):
        with bank_lock:
            if self._balance >= amount:
                self._balance -= amount
                other_account._balance += amount

a, b = BankAccount(), BankAccount()
a._balance = b._balance = 100
threading.Thread(target=a.transfer_money, args=(b, 30)).start()
threading.Thread(target=b.transfer_money, args=(a, 50)).start()";

/// `GoodBankAccount` with a transfer from an account to itself.
const CODE_SAME: &str = "\
import threading

# Better approach - use account IDs to determine lock order
class GoodBankAccount:
    def __init__(self, account_id):
        self.account_id = account_id
        self._balance = 0
        self._lock = threading.Lock()

    def transfer_money(self, other_account, amount):
        # Acquire locks in consistent order based on account ID
        if self.account_id < other_account.account_id:
            first_lock, second_lock = self._lock, other_account._lock
        else:
            first_lock, second_lock = other_account._lock, self._lock

        with first_lock:
            with second_lock:
                if self._balance >= amount:
                    self._balance -= amount
                    other_account._balance += amount

a, b = GoodBankAccount(1), GoodBankAccount(2)
a._balance = b._balance = 100  # the tutorial's accounts start at 0
threading.Thread(target=a.transfer_money, args=(a, 30)).start()  # to itself
threading.Thread(target=b.transfer_money, args=(a, 50)).start()";

/// `GoodBankAccount` with a guard for the same account.
const CODE_GUARDED: &str = "\
import threading

class GoodBankAccount:
    def __init__(self, account_id):
        self.account_id = account_id
        self._balance = 0
        self._lock = threading.Lock()

    def transfer_money(self, other_account, amount):
        if self is other_account:
            return  # nothing to move, and one Lock cannot be taken twice
        # Acquire locks in consistent order based on account ID
        if self.account_id < other_account.account_id:
            first_lock, second_lock = self._lock, other_account._lock
        else:
            first_lock, second_lock = other_account._lock, self._lock

        with first_lock:
            with second_lock:
                if self._balance >= amount:
                    self._balance -= amount
                    other_account._balance += amount

a, b = GoodBankAccount(1), GoodBankAccount(2)
a._balance = b._balance = 100  # the tutorial's accounts start at 0
threading.Thread(target=a.transfer_money, args=(a, 30)).start()  # to itself
threading.Thread(target=b.transfer_money, args=(a, 50)).start()";

/// Where a transfer's body sits in a code version: the `if`, the `-=` and the `+=` lines.
#[derive(Clone, Copy)]
struct Body {
    check: u16,
    take: u16,
    give: u16,
}

/// `if self._balance >= amount: self._balance -= amount; other_account._balance += amount`,
/// as CPython 3.11 runs it (`amount` is a local, so it needs no load of its own here).
fn body(t: &mut ThreadBuilder, lines: Body, from: &str, to: &str, amount: i64) {
    let (bal_from, bal_to) = (format!("{from}._balance"), format!("{to}._balance"));
    t.line(lines.check)
        .op("LOAD_ATTR (self._balance)", load(bal_from.as_str(), "bal"))
        .op(format!("COMPARE_OP >= ({amount})"), ge("enough", "bal", amount))
        .op("POP_JUMP_IF_FALSE", jump_if_false("enough", "done"));
    t.line(lines.take)
        .op("LOAD_ATTR (self._balance)", load(bal_from.as_str(), "x"))
        .op(format!("BINARY_OP -= ({amount})"), sub("x", "x", amount))
        .op("STORE_ATTR (self._balance)", store(bal_from.as_str(), "x"));
    t.line(lines.give)
        .op("LOAD_ATTR (other_account._balance)", load(bal_to.as_str(), "y"))
        .op(format!("BINARY_OP += ({amount})"), add("y", "y", amount))
        .op("STORE_ATTR (other_account._balance)", store(bal_to.as_str(), "y"));
    t.label("done");
}

/// Two accounts of 100 and the money check every lesson variant shares.
fn bank(name: &str) -> ScenarioBuilder {
    ScenarioBuilder::new(name).var("a._balance", 100).var("b._balance", 100)
}

fn conserved(b: ScenarioBuilder) -> Result<Scenario, ScenarioError> {
    b.check_final_sum(
        &["a._balance", "b._balance"],
        Cmp::Eq,
        200,
        "Money was created or destroyed: the two balances no longer add up to 200.",
    )
    .kind("money-not-conserved")
    .build()
}

/// The transfers each version runs: `(thread name, from, to, amount)`.
const CROSSING: [(&str, &str, &str, i64); 2] =
    [("a.transfer_money(b, 30)", "a", "b", 30), ("b.transfer_money(a, 50)", "b", "a", 50)];
const TO_ITSELF: [(&str, &str, &str, i64); 2] =
    [("a.transfer_money(a, 30)", "a", "a", 30), ("b.transfer_money(a, 50)", "b", "a", 50)];

/// `BadBankAccount`: the sender's lock, then the receiver's.
fn bad() -> Result<Scenario, ScenarioError> {
    let mut b = bank("BadBankAccount, crossing transfers")
        .lock("a._lock", LockKind::Lock)
        .lock("b._lock", LockKind::Lock);
    for (name, from, to, amount) in CROSSING {
        b = b.thread(name, |t| {
            t.line(10).op("BEFORE_WITH → self._lock.acquire()", acquire(format!("{from}._lock")));
            t.line(11).op("BEFORE_WITH → other_account._lock.acquire()", acquire(format!("{to}._lock")));
            body(t, Body { check: 12, take: 13, give: 14 }, from, to, amount);
            t.line(11).op("(end of with) → other_account._lock.release()", release(format!("{to}._lock")));
            t.line(10).op("(end of with) → self._lock.release()", release(format!("{from}._lock")));
        });
    }
    conserved(b)
}

/// Account ids: `a` is 1, `b` is 2.
fn id(account: &str) -> i64 {
    if account == "a" {
        1
    } else {
        2
    }
}

/// `GoodBankAccount` (lines start at `top`, the `if self.account_id < …` line), optionally
/// behind the `if self is other_account: return` guard on the two lines before it.
fn good(transfers: [(&str, &str, &str, i64); 2], guarded: bool) -> Result<Scenario, ScenarioError> {
    let top: u16 = if guarded { 13 } else { 12 };
    let mut b = bank(if guarded { "GoodBankAccount, guarded" } else { "GoodBankAccount" })
        .lock("a._lock", LockKind::Lock)
        .lock("b._lock", LockKind::Lock);
    for (name, from, to, amount) in transfers {
        let (lo, hi) = (id(from), id(to));
        let in_order = lo < hi;
        let (first, second) = if in_order { (from, to) } else { (to, from) };
        b = b.thread(name, |t| {
            if guarded {
                t.line(10)
                    .op(format!("IS_OP (self is other_account: {})", if from == to { "True" } else { "False" }), nop());
                if from == to {
                    t.line(11).op("RETURN_VALUE (None)", jump("end"));
                }
            }
            t.line(top).op(
                format!("COMPARE_OP < ({lo} < {hi}: {})", if in_order { "True" } else { "False" }),
                nop(),
            );
            t.line(if in_order { top + 1 } else { top + 3 }).op(
                if in_order {
                    "first_lock, second_lock = self._lock, other_account._lock"
                } else {
                    "first_lock, second_lock = other_account._lock, self._lock"
                },
                nop(),
            );
            t.line(top + 5).op(format!("BEFORE_WITH → first_lock.acquire()  # {first}._lock"), acquire(format!("{first}._lock")));
            t.line(top + 6).op(format!("BEFORE_WITH → second_lock.acquire()  # {second}._lock"), acquire(format!("{second}._lock")));
            body(t, Body { check: top + 7, take: top + 8, give: top + 9 }, from, to, amount);
            t.line(top + 6).op("(end of with) → second_lock.release()", release(format!("{second}._lock")));
            t.line(top + 5).op("(end of with) → first_lock.release()", release(format!("{first}._lock")));
            t.label("end");
        });
    }
    conserved(b)
}

/// One lock for the whole bank.
fn global() -> Result<Scenario, ScenarioError> {
    let mut b = bank("one global lock").lock("bank_lock", LockKind::Lock);
    for (name, from, to, amount) in CROSSING {
        b = b.thread(name, |t| {
            t.line(10).op("BEFORE_WITH → bank_lock.acquire()", acquire("bank_lock"));
            body(t, Body { check: 11, take: 12, give: 13 }, from, to, amount);
            t.line(10).op("(end of with) → bank_lock.release()", release("bank_lock"));
        });
    }
    conserved(b)
}

/// The lesson.
pub const LESSON: Lesson = Lesson {
    id: "11-lock-granularity",
    slug: "lock-granularity",
    part: Part::Pitfalls,
    variants: &[
        Variant {
            slug: "bad",
            label: "BadBankAccount (the tutorial's)",
            code: CODE_BAD,
            scenario: bad,
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(Real {
                experiment: "bank",
                set: &[("mode", P::Choice("self-then-other")), ("force-deadlock", P::Flag(true)), ("threads", P::Int(2))],
                predict: Some(predict::TRANSFERS_FINISH),
            }),
        },
        Variant {
            slug: "good",
            label: "GoodBankAccount (id order)",
            code: CODE_GOOD,
            scenario: || good(CROSSING, false),
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(Real {
                experiment: "bank",
                set: &[("mode", P::Choice("ordered-locks"))],
                predict: Some(predict::TRANSFERS_FINISH),
            }),
        },
        Variant {
            slug: "global-lock",
            label: "One global lock",
            code: CODE_GLOBAL,
            scenario: global,
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(Real {
                experiment: "bank",
                set: &[("mode", P::Choice("global-lock"))],
                predict: Some(predict::TRANSFERS_FINISH),
            }),
        },
        Variant {
            slug: "same-account",
            label: "GoodBankAccount, to itself",
            code: CODE_SAME,
            scenario: || good(TO_ITSELF, false),
            expect: Expect::Bad,
            fine: &[],
            exploration: Exploration::Exhaustive,
            // The lab's transfers always go between two different accounts.
            real: None,
        },
        Variant {
            slug: "guarded",
            label: "…with a guard",
            code: CODE_GUARDED,
            scenario: || good(TO_ITSELF, true),
            expect: Expect::Safe,
            fine: &[],
            exploration: Exploration::Exhaustive,
            real: Some(Real {
                experiment: "bank",
                set: &[("mode", P::Choice("ordered-locks"))],
                predict: Some(predict::TRANSFERS_FINISH),
            }),
        },
    ],
    picker: Picker::Choice("Accounts"),
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

    #[test]
    fn crossing_transfers_each_holding_their_own_lock_deadlock() {
        let mut m = machine(bad());
        // Each takes its own lock; then neither can take the other's.
        for t in [0, 1] {
            m.step(ThreadId(t)).expect("step");
        }
        assert!(matches!(m.outcome(), Some(Outcome::Deadlock { .. })), "{:?}", m.outcome());
        assert_eq!(m.wait_for_graph().cycle.len(), 4, "T1 → b._lock → T2 → a._lock");
    }

    #[test]
    fn in_id_order_the_second_transfer_waits_for_the_first_lock_and_money_is_conserved() {
        let mut m = machine(good(CROSSING, false));
        // T1 passes the comparison and takes a._lock; T2 (b → a) also wants a._lock first.
        for _ in 0..3 {
            m.step(ThreadId(0)).unwrap();
        }
        m.step(ThreadId(1)).unwrap();
        m.step(ThreadId(1)).unwrap();
        assert!(!m.can_step(ThreadId(1)), "T2 waits for a._lock instead of taking b._lock");
        let (_, o) = sim::run_to_end(m, &mut sim::RoundRobin::new(), 1000);
        assert!(matches!(o, Some(Outcome::Finished { .. })), "{o:?}");
    }

    #[test]
    fn a_transfer_to_itself_takes_the_same_lock_twice() {
        let mut m = machine(good(TO_ITSELF, false));
        // The comparison, the else branch, the first `with`: the second wants the same lock.
        for _ in 0..3 {
            m.step(ThreadId(0)).unwrap();
        }
        assert!(!m.can_step(ThreadId(0)), "T1 waits for a._lock, which it holds");
        assert_eq!(m.wait_for_graph().cycle.len(), 2, "a self-loop: T1 → a._lock → T1");
    }

    #[test]
    fn the_guard_returns_before_any_lock() {
        let mut m = machine(good(TO_ITSELF, true));
        m.step(ThreadId(0)).unwrap();
        m.step(ThreadId(0)).unwrap();
        assert_eq!(m.status(ThreadId(0)), Some(sim::ThreadStatus::Finished));
    }

    #[test]
    fn code_lines_match_the_ops() {
        let l = |code: &str, n: u16| code.lines().nth(usize::from(n) - 1).unwrap().to_string();
        assert!(l(CODE_BAD, 10).contains("with self._lock:") && l(CODE_BAD, 11).contains("with other_account._lock:"));
        assert!(l(CODE_BAD, 12).contains("if self._balance >= amount:") && l(CODE_BAD, 14).contains("other_account._balance += amount"));
        for (code, top) in [(CODE_GOOD, 12u16), (CODE_SAME, 12), (CODE_GUARDED, 13)] {
            assert!(l(code, top).contains("if self.account_id < other_account.account_id:"));
            assert!(l(code, top + 1).contains("first_lock, second_lock = self._lock"));
            assert!(l(code, top + 3).contains("first_lock, second_lock = other_account._lock"));
            assert!(l(code, top + 5).contains("with first_lock:") && l(code, top + 6).contains("with second_lock:"));
            assert!(l(code, top + 7).contains("if self._balance >= amount:"));
            assert!(l(code, top + 8).contains("self._balance -= amount"));
            assert!(l(code, top + 9).contains("other_account._balance += amount"));
        }
        assert!(l(CODE_GUARDED, 10).contains("if self is other_account:") && l(CODE_GUARDED, 11).contains("return"));
        assert!(l(CODE_GLOBAL, 10).contains("with bank_lock:") && l(CODE_GLOBAL, 13).contains("other_account._balance += amount"));
    }
}
