//! The bank experiment: threads make random transfers between accounts under one global lock,
//! under per-account locks taken in id order (the seed's `GoodBankAccount`), or under
//! per-account locks taken self-then-other (the seed's `BadBankAccount`, which deadlocks and is
//! recovered). Money is conserved in every run.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::env::Env;
use crate::params::{in_range, threads_in_range, ParamError};
use crate::primitives::{describe_cycle, graph::thread_names, CycleEdge, WaitError, WaitGraph};
use crate::report::{per_sec, Figure};
use crate::trace::{Lane, Trace, Tracer};
use crate::wait::{cpu_work, wait_until, Gate, SplitMix64};
use crate::LabError;

/// The most accounts.
pub const MAX_ACCOUNTS: u32 = 1000;
/// The most transfers per thread.
pub const MAX_TRANSFERS: u32 = 1_000_000;
/// The most busy-loop iterations inside a transfer's critical section.
pub const MAX_WORK: u32 = 10_000;
/// The largest initial balance.
pub const MAX_BALANCE: i64 = 1_000_000;
/// The largest single transfer.
pub const MAX_AMOUNT: i64 = 100;

/// How transfers are locked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BankMode {
    /// One `Mutex` over every balance: simple, correct, and every transfer waits for every
    /// other ("too coarse-grained").
    GlobalLock,
    /// One `Mutex` per account, the lower account id's first (the seed's `GoodBankAccount`):
    /// transfers between different accounts run in parallel, and no cycle can form.
    OrderedLocks,
    /// One lock per account, the sender's first, then the receiver's (the seed's
    /// `BadBankAccount`): a transfer a→b and one b→a can each hold their first lock and wait
    /// for the other's forever. Run on watchdog locks, so the deadlock is detected and
    /// recovered.
    SelfThenOther,
}

impl BankMode {
    /// Kebab-case name.
    pub fn slug(&self) -> &'static str {
        match self {
            BankMode::GlobalLock => "global-lock",
            BankMode::OrderedLocks => "ordered-locks",
            BankMode::SelfThenOther => "self-then-other",
        }
    }
}

/// Parameters of the bank experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BankParams {
    /// How transfers are locked.
    pub mode: BankMode,
    /// Threads, 1..=the runner's `max_threads` (2 or more when `force_deadlock`).
    pub threads: u32,
    /// Accounts, 2..=[`MAX_ACCOUNTS`].
    pub accounts: u32,
    /// Transfers per thread, 1..=[`MAX_TRANSFERS`].
    pub transfers: u32,
    /// Every account's opening balance, 0..=[`MAX_BALANCE`].
    pub initial_balance: i64,
    /// Busy-loop iterations inside each transfer's critical section (bookkeeping that makes
    /// lock granularity matter), 0..=[`MAX_WORK`].
    pub work: u32,
    /// Self-then-other only: make thread 1's first transfer a0→a1 and thread 2's a1→a0, each
    /// holding its first lock until the other holds its own, so the deadlock happens every time.
    pub force_deadlock: bool,
    /// Self-then-other only: how long a waiter waits without progress before it looks for a
    /// cycle, 20..=5000 ms.
    pub timeout_ms: u32,
    /// Seed of the threads' random transfers (thread `i` uses `seed + i`).
    pub seed: u64,
}

impl Default for BankParams {
    /// 4 threads × 20 000 transfers over 8 accounts of 1000, ordered locks, 500 iterations of
    /// bookkeeping per transfer (enough for per-account locks to beat the global one on 2 cores).
    fn default() -> Self {
        Self {
            mode: BankMode::OrderedLocks,
            threads: 4,
            accounts: 8,
            transfers: 20_000,
            initial_balance: 1000,
            work: 500,
            force_deadlock: false,
            timeout_ms: 200,
            seed: 1,
        }
    }
}

impl BankParams {
    /// The defaults with another mode.
    pub fn with_mode(mode: BankMode) -> Self {
        Self {
            mode,
            ..Self::default()
        }
    }

    /// Checks every bound; `max_threads` is the runner's.
    pub fn validate(&self, max_threads: usize) -> Result<(), ParamError> {
        let min_threads = if self.force_deadlock && self.mode == BankMode::SelfThenOther {
            2
        } else {
            1
        };
        threads_in_range("threads", self.threads, min_threads, max_threads, 0, "")?;
        in_range("accounts", self.accounts, 2, MAX_ACCOUNTS)?;
        in_range("transfers", self.transfers, 1, MAX_TRANSFERS)?;
        in_range("initial_balance", self.initial_balance, 0, MAX_BALANCE)?;
        in_range("work", self.work, 0, MAX_WORK)?;
        in_range("timeout_ms", self.timeout_ms, 20, 5000)?;
        let cost =
            u64::from(self.transfers) * u64::from(self.threads) * u64::from(self.work.max(1));
        if cost > 2_000_000_000 {
            return Err(ParamError::new(
                "transfers",
                "transfers × threads × work must be at most 2000000000 (a few seconds of work)",
            ));
        }
        Ok(())
    }
}

/// What a bank run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct BankReport {
    /// How transfers were locked.
    pub mode: BankMode,
    /// Threads.
    pub threads: u32,
    /// Accounts.
    pub accounts: u32,
    /// Transfers attempted and finished (including those refused for lack of funds).
    pub transfers_done: u64,
    /// Transfers that moved money.
    pub transfers_moved: u64,
    /// Time from the start gate to the last thread's end.
    pub ms: f64,
    /// `transfers_done` per second.
    pub per_sec: f64,
    /// Money in the bank before.
    pub total_before: i64,
    /// Money in the bank after: equal to `total_before` in every run.
    pub total_after: i64,
    /// A wait-for cycle was found (self-then-other only).
    pub deadlocked: bool,
    /// The cycle, one edge per thread in it.
    pub cycle: Vec<CycleEdge>,
    /// Deadlocked, and then released: threads returned, every account lock free.
    pub recovered: bool,
    /// Timeline of the first transfers: which lock each thread waited for and held.
    pub trace: Option<Trace>,
}

impl BankReport {
    /// Money was conserved.
    pub fn conserved(&self) -> bool {
        self.total_before == self.total_after
    }

    /// The report's figures, for the UI.
    pub fn figures(&self) -> Vec<Figure> {
        let cycle = if self.cycle.is_empty() {
            "none".to_string()
        } else {
            describe_cycle(&self.cycle)
        };
        vec![
            Figure::new("mode", "Locking", self.mode.slug()),
            Figure::int("threads", "Threads", self.threads),
            Figure::int("accounts", "Accounts", self.accounts),
            Figure::int("transfers", "Transfers done", self.transfers_done),
            Figure::int("moved", "Transfers that moved money", self.transfers_moved),
            Figure::ms("ms", "Time (ms)", self.ms),
            Figure::real("per-sec", "Transfers per second", self.per_sec, 0),
            Figure::new(
                "total-before",
                "Money before",
                self.total_before.to_string(),
            ),
            Figure::new("total-money", "Money after", self.total_after.to_string()),
            Figure::flag("conserved", "Money conserved", self.conserved()),
            Figure::flag("deadlocked", "Deadlocked", self.deadlocked),
            Figure::new("cycle", "Wait-for cycle", cycle),
            Figure::flag("recovered", "Recovered", self.recovered),
        ]
    }
}

/// One thread's next transfer: from, to (different), amount.
fn next_transfer(rng: &mut SplitMix64, accounts: u64) -> (usize, usize, i64) {
    let from = rng.below(accounts);
    let to = (from + 1 + rng.below(accounts - 1)) % accounts;
    let amount = 1 + rng.below(MAX_AMOUNT as u64) as i64;
    (from as usize, to as usize, amount)
}

/// The seed's transfer body: move `amount` if the sender has it. `true` if money moved.
fn transfer(from: &mut i64, to: &mut i64, amount: i64, work: u32) -> bool {
    // Bookkeeping inside the critical section: the part that makes a coarse lock costly.
    cpu_work(u64::from(work));
    if *from >= amount {
        *from -= amount;
        *to += amount;
        true
    } else {
        false
    }
}

/// Counts a thread's transfers.
#[derive(Default)]
struct Tally {
    done: AtomicU64,
    moved: AtomicU64,
}

impl Tally {
    fn add(&self, done: u64, moved: u64) {
        self.done.fetch_add(done, Ordering::Relaxed);
        self.moved.fetch_add(moved, Ordering::Relaxed);
    }
}

/// How often threads check for a cancel: every this many transfers.
const CANCEL_EVERY: u32 = 256;

/// Runs the bank experiment (parameters already validated).
pub(crate) fn run(params: &BankParams, env: &Env) -> Result<BankReport, LabError> {
    let total_before = params.initial_balance * i64::from(params.accounts);
    let tally = Tally::default();
    let gate = Gate::new(params.threads);
    let tracer = Tracer::new(
        env,
        thread_names(params.threads as usize),
        match params.mode {
            BankMode::GlobalLock => vec!["the bank's lock".to_string()],
            _ => account_names(params.accounts as usize),
        },
    );
    let (total_after, deadlocked, cycle, recovered) = match params.mode {
        BankMode::GlobalLock => {
            let bank = Mutex::new(vec![params.initial_balance; params.accounts as usize]);
            run_threads(params, env, &gate, &tally, &tracer, |rng, _, _, lane| {
                let (from, to, amount) = next_transfer(rng, u64::from(params.accounts));
                let waiting = lane.mark();
                let mut balances = bank.lock().unwrap_or_else(PoisonError::into_inner);
                let held = lane.wait(0, waiting);
                let (mut a, mut b) = (balances[from], balances[to]);
                let moved = transfer(&mut a, &mut b, amount, params.work);
                balances[from] = a;
                balances[to] = b;
                lane.hold(0, held);
                Some(moved)
            });
            let total = bank
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .sum();
            (total, false, Vec::new(), false)
        }
        BankMode::OrderedLocks => {
            let accounts: Vec<Mutex<i64>> = (0..params.accounts)
                .map(|_| Mutex::new(params.initial_balance))
                .collect();
            run_threads(params, env, &gate, &tally, &tracer, |rng, _, _, lane| {
                let (from, to, amount) = next_transfer(rng, u64::from(params.accounts));
                // The seed's GoodBankAccount: the lower account id is always locked first.
                let (first, second) = (from.min(to), from.max(to));
                let waiting = lane.mark();
                let mut first_guard = accounts[first]
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let held_first = lane.wait(first as u16, waiting);
                let mut second_guard = accounts[second]
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let held_second = lane.wait(second as u16, held_first);
                let (src, dst) = if from == first {
                    (&mut *first_guard, &mut *second_guard)
                } else {
                    (&mut *second_guard, &mut *first_guard)
                };
                let moved = transfer(src, dst, amount, params.work);
                lane.hold(second as u16, held_second);
                lane.hold(first as u16, held_first);
                Some(moved)
            });
            let total = accounts
                .iter()
                .map(|a| *a.lock().unwrap_or_else(PoisonError::into_inner))
                .sum();
            (total, false, Vec::new(), false)
        }
        BankMode::SelfThenOther => self_then_other(params, env, &gate, &tally, &tracer),
    };
    let ms = gate
        .opened_at_ms()
        .map_or(0.0, |start| env.now_ms() - start);
    if env.cancelled() {
        return Err(LabError::Cancelled);
    }
    let transfers_done = tally.done.load(Ordering::Relaxed);
    Ok(BankReport {
        mode: params.mode,
        threads: params.threads,
        accounts: params.accounts,
        transfers_done,
        transfers_moved: tally.moved.load(Ordering::Relaxed),
        ms,
        per_sec: per_sec(transfers_done, ms),
        total_before,
        total_after,
        deadlocked,
        cycle,
        recovered,
        trace: tracer.finish(format!(
            "{}, {} threads, {} accounts",
            match params.mode {
                BankMode::GlobalLock => "One lock for the whole bank",
                BankMode::OrderedLocks => "A lock per account, taken in account order",
                BankMode::SelfThenOther => "A lock per account, own account first (the seed's)",
            },
            params.threads,
            params.accounts
        )),
    })
}

/// The accounts' names, as the wait-for graph and the timeline call them.
fn account_names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("account_{i}")).collect()
}

/// Runs `params.threads` threads behind `gate`, each calling `one(rng, me, index)` for its
/// transfers until one returns `None` (back off and stop) or the run is cancelled.
fn run_threads(
    params: &BankParams,
    env: &Env,
    gate: &Gate,
    tally: &Tally,
    tracer: &Tracer,
    one: impl Fn(&mut SplitMix64, usize, u32, &mut Lane) -> Option<bool> + Sync,
) {
    env.runner.run(params.threads as usize, &|me| {
        if !gate.arrive_and_wait(env) {
            return;
        }
        let mut lane = tracer.lane(me);
        let mut rng = SplitMix64::new(params.seed.wrapping_add(me as u64));
        let (mut done, mut moved) = (0, 0);
        for i in 0..params.transfers {
            if i % CANCEL_EVERY == 0 && env.cancelled() {
                break;
            }
            match one(&mut rng, me, i, &mut lane) {
                Some(m) => {
                    done += 1;
                    moved += u64::from(m);
                }
                None => break,
            }
        }
        tally.add(done, moved);
    });
}

fn self_then_other(
    params: &BankParams,
    env: &Env,
    gate: &Gate,
    tally: &Tally,
    tracer: &Tracer,
) -> (i64, bool, Vec<CycleEdge>, bool) {
    let n = params.accounts as usize;
    let names = account_names(n);
    let graph = WaitGraph::new(
        names,
        thread_names(params.threads as usize),
        f64::from(params.timeout_ms),
    );
    // Balances are atomics only so that no `unsafe` is needed; every access happens under the
    // account's lock, whose Acquire/Release orders it, so Relaxed is enough.
    let balances: Vec<AtomicI64> = (0..n)
        .map(|_| AtomicI64::new(params.initial_balance))
        .collect();
    let forced_started = AtomicBool::new(false);
    run_threads(params, env, gate, tally, tracer, |rng, me, i, lane| {
        if graph.aborted() {
            return None;
        }
        let forced = params.force_deadlock && i == 0;
        let (from, to, amount) = match (forced, me) {
            (true, 0) => (0, 1, 1),
            (true, 1) => (1, 0, 1),
            _ => next_transfer(rng, params.accounts as u64),
        };
        if params.force_deadlock && me >= 2 && !forced_started.load(Ordering::Acquire) {
            // Keep the other threads out of accounts 0 and 1 until the forced pair has locked
            // them, so that the pair's deadlock is certain.
            let started =
                || graph.aborted() || (graph.lock(0).owner() == 0 && graph.lock(1).owner() == 1);
            if !wait_until(env, started) {
                return None;
            }
            forced_started.store(true, Ordering::Release);
        }
        // The seed's BadBankAccount: `with self._lock: with other_account._lock:`.
        let waiting = lane.mark();
        let mine = graph.acquire(me, from, env);
        let held_mine = lane.wait(from as u16, waiting);
        let _mine = mine.ok()?;
        if forced && me < 2 {
            let other = 1 - me;
            let engaged = || graph.aborted() || graph.lock(1 - from).owner() == other;
            if !wait_until(env, engaged) {
                return None;
            }
        }
        let waiting = lane.mark();
        let theirs = graph.acquire(me, to, env);
        let held_theirs = lane.wait(to as u16, waiting);
        let _theirs = match theirs {
            Ok(guard) => guard,
            // Back off without moving money: the guard on `from` drops here.
            Err(WaitError::Deadlock | WaitError::Cancelled) => {
                lane.hold(from as u16, held_mine);
                return None;
            }
        };
        let (mut a, mut b) = (
            balances[from].load(Ordering::Relaxed),
            balances[to].load(Ordering::Relaxed),
        );
        let moved = transfer(&mut a, &mut b, amount, params.work);
        balances[from].store(a, Ordering::Relaxed);
        balances[to].store(b, Ordering::Relaxed);
        lane.hold(to as u16, held_theirs);
        lane.hold(from as u16, held_mine);
        Some(moved)
    });
    let total = balances.iter().map(|b| b.load(Ordering::Relaxed)).sum();
    let detection = graph.detection();
    let recovered = graph.aborted() && graph.all_free();
    (
        total,
        detection.is_some(),
        detection.map(|d| d.cycle).unwrap_or_default(),
        recovered,
    )
}
