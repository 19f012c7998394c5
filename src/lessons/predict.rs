//! "Predict, then run": the questions lessons ask before a real-threads run, one group per lab
//! experiment, each with the judge that reads the answer off the measured report.
//!
//! A judge looks only at what the run measured (never at the parameters it was asked for, so a
//! learner who edits them is still judged honestly), and returns `None` for a report of another
//! experiment. Lessons pick the question that fits the variant; the lint in `mod.rs` runs every
//! variant's experiment and checks that its judge answers.

use lab::LabReport;

use super::Predict;

/// The question asked before a variant's first exploration (every lesson: the explorer's
/// answer is the same kind everywhere).
pub const EXPLORE_QUESTION: &str = "Before the explorer runs every interleaving: will any of them go wrong?";
/// Its choices; the explorer bears out 1 when some schedule ends in the variant's bug.
pub const EXPLORE_CHOICES: &[&str] = &["No order of steps goes wrong", "Some order of steps goes wrong"];

/// How many times faster than one after another counts as "clearly sooner".
const CLEARLY_FASTER: f64 = 1.3;

// counter

/// Lost updates on the shared counter (racy, mutex, emulated GIL).
pub const LOST_UPDATES: Predict = Predict {
    question: "How many of the increments will be lost?",
    choices: &[
        "None: the count is exact",
        "A few: under 1%",
        "Many: 1% or more",
    ],
    judge: lost_updates,
};

fn lost_updates(r: &LabReport) -> Option<usize> {
    let LabReport::Counter(r) = r else {
        return None;
    };
    Some(if r.lost == 0 {
        0
    } else if r.lost.saturating_mul(100) < r.expected {
        1
    } else {
        2
    })
}

// sleep-vs-cpu

/// Waiting tasks on threads against one after another.
pub const SLEEP_ON_THREADS: Predict = Predict {
    question: "Will the sleeping tasks finish sooner on threads than one after another?",
    choices: &[
        "No: about as long, or longer",
        "Yes: at least 1.3 times as fast",
    ],
    judge: sleep_on_threads,
};

fn sleep_on_threads(r: &LabReport) -> Option<usize> {
    let LabReport::SleepVsCpu(r) = r else {
        return None;
    };
    Some(usize::from(r.sleep.speedup_threads() >= CLEARLY_FASTER))
}

/// Computing tasks on threads under the emulated GIL against one after another.
pub const CPU_UNDER_GIL: Predict = Predict {
    question:
        "Under the GIL, will the computing tasks finish sooner on threads than one after another?",
    choices: &[
        "No: about as long, or longer",
        "Yes: at least 1.3 times as fast",
    ],
    judge: cpu_under_gil,
};

fn cpu_under_gil(r: &LabReport) -> Option<usize> {
    let LabReport::SleepVsCpu(r) = r else {
        return None;
    };
    Some(usize::from(r.cpu.speedup_gil() >= CLEARLY_FASTER))
}

// try-lock

/// How often `acquire(blocking=False)` gets the lock.
pub const TRIES_THAT_GET_IT: Predict = Predict {
    question: "How many of the non-blocking tries will get the lock?",
    choices: &["Every one", "Most, but not all", "Half or fewer"],
    judge: tries_that_get_it,
};

fn tries_that_get_it(r: &LabReport) -> Option<usize> {
    let LabReport::TryLock(r) = r else {
        return None;
    };
    Some(if r.failures == 0 {
        0
    } else if r.successes > r.failures {
        1
    } else {
        2
    })
}

// reentry

/// A held `Lock` asked for again, then a held `RLock`.
pub const BACK_IN: Predict = Predict {
    question: "A thread asks again for a lock it already holds: first a Lock, then an RLock. Which lets it back in?",
    choices: &["Both", "Only the RLock", "Only the Lock", "Neither"],
    judge: back_in,
};

fn back_in(r: &LabReport) -> Option<usize> {
    let LabReport::Reentry(r) = r else {
        return None;
    };
    let lock = !r.lock_detected;
    let rlock = r.rlock_max_depth >= r.rlock_depth;
    Some(match (lock, rlock) {
        (true, true) => 0,
        (false, true) => 1,
        (true, false) => 2,
        (false, false) => 3,
    })
}

// semaphore

/// The lesson's pool of three connections (its `permits` setting is 3).
pub const MORE_THAN_THREE: Predict = Predict {
    question: "Will more than 3 tasks ever hold a connection at once?",
    choices: &["Never more than 3", "Sometimes 4 or more"],
    judge: over_capacity,
};

/// One permit (the binary semaphore lesson's `permits` setting is 1).
pub const TWO_HOLDERS_OF_ONE: Predict = Predict {
    question: "Will two tasks ever hold the single permit at once?",
    choices: &["Never", "Yes, at some point"],
    judge: over_capacity,
};

fn over_capacity(r: &LabReport) -> Option<usize> {
    let LabReport::Semaphore(r) = r else {
        return None;
    };
    Some(usize::from(r.max_holders > r.permits))
}

/// The pool with its extra release, run again on a `BoundedSemaphore`.
pub const BOUNDED_REFUSES: Predict = Predict {
    question: "When the same pool runs on a BoundedSemaphore, which release will it refuse?",
    choices: &[
        "The extra release itself",
        "A later release by an innocent task",
        "None: it accepts them all",
    ],
    judge: bounded_refuses,
};

fn bounded_refuses(r: &LabReport) -> Option<usize> {
    let LabReport::Semaphore(r) = r else {
        return None;
    };
    let pool = r.bounded_pool.as_ref()?;
    Some(if pool.extra_refused {
        0
    } else if pool.late_refusals > 0 {
        1
    } else {
        2
    })
}

/// `Semaphore(1)` and `BoundedSemaphore(1)` each released once without an acquire.
pub const STRAY_RELEASE: Predict = Predict {
    question: "A Semaphore(1) and a BoundedSemaphore(1) are each released once by a thread that never acquired. Which then lets two threads in at once?",
    choices: &["Neither", "Only the Semaphore", "Only the BoundedSemaphore", "Both"],
    judge: stray_release,
};

fn stray_release(r: &LabReport) -> Option<usize> {
    let LabReport::Semaphore(r) = r else {
        return None;
    };
    let plain = r.unbounded_extra_release_holders >= 2;
    let bounded = r.bounded_max_holders >= 2;
    Some(match (plain, bounded) {
        (false, false) => 0,
        (true, false) => 1,
        (false, true) => 2,
        (true, true) => 3,
    })
}

// thread-local

/// Each thread's id, written and read back through thread-local storage and one shared slot.
pub const WHOSE_ID: Predict = Predict {
    question: "Every thread writes its own id and reads it back. Where will a thread ever read another thread's id?",
    choices: &["Nowhere", "Only in the shared slot", "Only in thread-local storage", "In both"],
    judge: whose_id,
};

fn whose_id(r: &LabReport) -> Option<usize> {
    let LabReport::ThreadLocal(r) = r else {
        return None;
    };
    Some(
        match (r.shared_mismatches > 0, r.thread_local_mismatches > 0) {
            (false, false) => 0,
            (true, false) => 1,
            (false, true) => 2,
            (true, true) => 3,
        },
    )
}

// rwlock

/// Readers that keep handing over, and one writer, on both designs.
pub const WRITER_STARVED: Predict = Predict {
    question: "Readers keep coming while a writer waits. Which lock keeps the writer out until the readers stop?",
    choices: &["Neither", "Only the reader-preferring one", "Only the writer-preferring one", "Both"],
    judge: writer_starved,
};

fn writer_starved(r: &LabReport) -> Option<usize> {
    let LabReport::RwLock(r) = r else { return None };
    Some(
        match (
            r.reader_preferring.writer_starved,
            r.writer_preferring.writer_starved,
        ) {
            (false, false) => 0,
            (true, false) => 1,
            (false, true) => 2,
            (true, true) => 3,
        },
    )
}

// deadlock

/// Two locks per thread, in opposite or in one global order.
pub const EVERY_THREAD_FINISHES: Predict = Predict {
    question: "Will every thread get both of its locks and finish?",
    choices: &["Yes, every thread finishes", "No, they deadlock"],
    judge: every_thread_finishes,
};

fn every_thread_finishes(r: &LabReport) -> Option<usize> {
    let LabReport::Deadlock(r) = r else {
        return None;
    };
    Some(usize::from(r.deadlocked))
}

// bank

/// Transfers between accounts: do they finish, and is money conserved?
pub const TRANSFERS_FINISH: Predict = Predict {
    question: "Will every transfer finish, with the money still adding up?",
    choices: &[
        "Yes",
        "No: the transfers deadlock",
        "No: money is created or lost",
    ],
    judge: transfers_finish,
};

fn transfers_finish(r: &LabReport) -> Option<usize> {
    let LabReport::Bank(r) = r else { return None };
    Some(if r.deadlocked {
        1
    } else if !r.conserved() {
        2
    } else {
        0
    })
}

// cache

/// Threads that miss one key at once.
pub const COMPUTATIONS: Predict = Predict {
    question: "The threads look up the same missing key at once. How many times will its value be computed?",
    choices: &["Once", "More than once"],
    judge: computations,
};

fn computations(r: &LabReport) -> Option<usize> {
    let LabReport::Cache(r) = r else { return None };
    match r.computations {
        0 => None,
        1 => Some(0),
        _ => Some(1),
    }
}

// producer-consumer

/// Every task processed exactly once?
pub const EVERY_TASK_ONCE: Predict = Predict {
    question: "Will every task be processed exactly once?",
    choices: &[
        "Yes, every one",
        "No: some are lost",
        "No: some are processed twice",
    ],
    judge: every_task_once,
};

fn every_task_once(r: &LabReport) -> Option<usize> {
    let LabReport::ProducerConsumer(r) = r else {
        return None;
    };
    Some(if r.lost_tasks > 0 {
        1
    } else if r.duplicates > 0 {
        2
    } else {
        0
    })
}

// singleton

/// Threads asking for "the" instance at once.
pub const INSTANCES: Predict = Predict {
    question: "How many instances will the threads create between them?",
    choices: &["Exactly one", "More than one"],
    judge: instances,
};

fn instances(r: &LabReport) -> Option<usize> {
    let LabReport::Singleton(r) = r else {
        return None;
    };
    match r.instances {
        0 => None,
        1 => Some(0),
        _ => Some(1),
    }
}
