//! The rwlock experiment: a steady stream of readers and one writer, on the seed's
//! reader-preferring lock and on a writer-preferring one: how many readers were inside at once,
//! and how long the writer waited (with the seed's lock, often until the readers stopped).
//!
//! "Starved" is judged by the writer the moment it gets in: were all readers done? Each reader
//! says it is done *before* its final release, because that release may be the one that lets the
//! writer in (see [`RwLockParams::force`] for the interleaving that checks it).

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use crate::env::Env;
use crate::params::{in_range, threads_in_range, ParamError};
use crate::primitives::{RwLockApi, SeedRwLock, WriterFirstRwLock};
use crate::report::Figure;
use crate::trace::{Trace, Tracer};
use crate::wait::{sleep_ms, wait_until_deadline, Gate, FORCE_WAIT_MS};
use crate::LabError;

/// The longest reader stream, in milliseconds (each design runs this long).
pub const MAX_DURATION_MS: u32 = 2000;
/// The longest read or write hold, in milliseconds.
pub const MAX_HOLD_MS: u32 = 50;

/// Which reader-writer lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RwDesign {
    /// The seed's `ReadWriteLock` ([`SeedRwLock`]).
    ReaderPreferring,
    /// [`WriterFirstRwLock`].
    WriterPreferring,
}

impl RwDesign {
    /// Kebab-case name.
    pub fn slug(&self) -> &'static str {
        match self {
            RwDesign::ReaderPreferring => "reader-preferring",
            RwDesign::WriterPreferring => "writer-preferring",
        }
    }
}

/// Parameters of the rwlock experiment (both designs run with them, one after the other).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RwLockParams {
    /// Reader threads, 1..=the runner's `max_threads - 1` (one more thread writes).
    pub readers: u32,
    /// How long the readers keep coming, per design, 50..=[`MAX_DURATION_MS`] ms.
    pub duration_ms: u32,
    /// How long each read holds the lock, 1..=[`MAX_HOLD_MS`] ms.
    pub read_hold_ms: u32,
    /// How long each write holds the lock, 0..=[`MAX_HOLD_MS`] ms.
    pub write_hold_ms: u32,
    /// When the writer first tries, after the readers start; less than `duration_ms`.
    pub writer_delay_ms: u32,
    /// Force the stream: the writer asks only once a reader is inside, and each reader, after
    /// its hold, keeps its read until another reader has come in after it (or the stream ends,
    /// or the lock would make a newcomer wait behind the writer). The reader count then never
    /// falls to 0 while readers may still enter, so the reader-preferring lock starves the
    /// writer in every run, and the writer-preferring one lets it in once the readers inside
    /// leave.
    ///
    /// Each reader also lingers right after its final release until the writer has judged
    /// whether it was starved: the worst case for that judgement, so a measurement that relied
    /// on anything a reader does after its release would report a starved writer as not starved.
    pub force: bool,
}

impl Default for RwLockParams {
    /// 3 readers holding 6 ms each, back to back and staggered, for 250 ms per design; the
    /// writer tries after 20 ms.
    fn default() -> Self {
        Self {
            readers: 3,
            duration_ms: 250,
            read_hold_ms: 6,
            write_hold_ms: 2,
            writer_delay_ms: 20,
            force: false,
        }
    }
}

impl RwLockParams {
    /// Checks every bound; `max_threads` is the runner's.
    pub fn validate(&self, max_threads: usize) -> Result<(), ParamError> {
        threads_in_range(
            "readers",
            self.readers,
            1,
            max_threads,
            1,
            "one more thread runs the writer",
        )?;
        in_range("duration_ms", self.duration_ms, 50, MAX_DURATION_MS)?;
        in_range("read_hold_ms", self.read_hold_ms, 1, MAX_HOLD_MS)?;
        in_range("write_hold_ms", self.write_hold_ms, 0, MAX_HOLD_MS)?;
        in_range(
            "writer_delay_ms",
            self.writer_delay_ms,
            0,
            self.duration_ms - 1,
        )
    }
}

/// What one design measured.
#[derive(Clone, Debug, PartialEq)]
pub struct RwRun {
    /// Which lock.
    pub design: RwDesign,
    /// The most readers inside at once (more than 1 shows readers sharing the lock).
    pub max_readers: u32,
    /// Reads completed.
    pub reads: u64,
    /// Writes completed (the writer retries after each write until the stream ends).
    pub writes: u32,
    /// How long the first write waited to get in.
    pub writer_wait_ms: f64,
    /// The longest any write waited.
    pub writer_max_wait_ms: f64,
    /// The writer asked while readers were still reading, and its first write got in only after
    /// every reader had made its last read: starved for the whole run. (A writer that first
    /// asks when the readers are already done, on a machine too busy to run it sooner, got in
    /// at once and is not starved.)
    pub writer_starved: bool,
    /// Times a reader and the writer were seen inside together: must be 0.
    pub overlaps: u64,
    /// Timeline: who read, who waited, when the writer got in.
    pub trace: Option<Trace>,
}

/// What a rwlock run measured, for both designs.
#[derive(Clone, Debug, PartialEq)]
pub struct RwLockReport {
    /// Reader threads.
    pub readers: u32,
    /// How long the readers kept coming, per design.
    pub duration_ms: u32,
    /// Whether the stream was forced ([`RwLockParams::force`]).
    pub force: bool,
    /// The seed's reader-preferring lock.
    pub reader_preferring: RwRun,
    /// The writer-preferring lock.
    pub writer_preferring: RwRun,
}

impl RwLockReport {
    /// The report's figures, for the UI. Keys are prefixed `rp-` (reader-preferring, the seed's)
    /// and `wp-` (writer-preferring).
    pub fn figures(&self) -> Vec<Figure> {
        let mut figures = vec![
            Figure::int("readers", "Reader threads", self.readers),
            Figure::int(
                "duration-ms",
                "Reader stream per design (ms)",
                self.duration_ms,
            ),
            Figure::flag("forced", "Reader stream forced", self.force),
        ];
        figures.extend(self.reader_preferring.figures(&READER_PREFERRING_KEYS));
        figures.extend(self.writer_preferring.figures(&WRITER_PREFERRING_KEYS));
        figures
    }
}

/// Figure keys of one design (figure keys are `&'static str`, hence spelled out).
struct RwKeys {
    design: &'static str,
    max_readers: &'static str,
    reads: &'static str,
    writes: &'static str,
    writer_wait_ms: &'static str,
    writer_max_wait_ms: &'static str,
    writer_starved: &'static str,
    overlaps: &'static str,
}

const READER_PREFERRING_KEYS: RwKeys = RwKeys {
    design: "rp-design",
    max_readers: "rp-max-readers",
    reads: "rp-reads",
    writes: "rp-writes",
    writer_wait_ms: "rp-writer-wait-ms",
    writer_max_wait_ms: "rp-writer-max-wait-ms",
    writer_starved: "rp-writer-starved",
    overlaps: "rp-overlaps",
};

const WRITER_PREFERRING_KEYS: RwKeys = RwKeys {
    design: "wp-design",
    max_readers: "wp-max-readers",
    reads: "wp-reads",
    writes: "wp-writes",
    writer_wait_ms: "wp-writer-wait-ms",
    writer_max_wait_ms: "wp-writer-max-wait-ms",
    writer_starved: "wp-writer-starved",
    overlaps: "wp-overlaps",
};

impl RwRun {
    fn figures(&self, keys: &RwKeys) -> Vec<Figure> {
        let name = match self.design {
            RwDesign::ReaderPreferring => "reader-preferring (the seed's)",
            RwDesign::WriterPreferring => "writer-preferring",
        };
        vec![
            Figure::new(keys.design, "Design", name),
            Figure::int(
                keys.max_readers,
                "Most readers inside at once",
                self.max_readers,
            ),
            Figure::int(keys.reads, "Reads", self.reads),
            Figure::int(keys.writes, "Writes", self.writes),
            Figure::ms(
                keys.writer_wait_ms,
                "Writer's first wait (ms)",
                self.writer_wait_ms,
            ),
            Figure::ms(
                keys.writer_max_wait_ms,
                "Writer's longest wait (ms)",
                self.writer_max_wait_ms,
            ),
            Figure::flag(
                keys.writer_starved,
                "Writer starved for the whole run",
                self.writer_starved,
            ),
            Figure::int(
                keys.overlaps,
                "Reader and writer inside together",
                self.overlaps,
            ),
        ]
    }
}

/// Runs the rwlock experiment (parameters already validated).
pub(crate) fn run(params: &RwLockParams, env: &Env) -> Result<RwLockReport, LabError> {
    let reader_preferring = run_design(&SeedRwLock::new(), RwDesign::ReaderPreferring, params, env);
    let writer_preferring = run_design(
        &WriterFirstRwLock::new(),
        RwDesign::WriterPreferring,
        params,
        env,
    );
    if env.cancelled() {
        return Err(LabError::Cancelled);
    }
    Ok(RwLockReport {
        readers: params.readers,
        duration_ms: params.duration_ms,
        force: params.force,
        reader_preferring,
        writer_preferring,
    })
}

fn run_design(lock: &dyn RwLockApi, design: RwDesign, params: &RwLockParams, env: &Env) -> RwRun {
    let readers_now = AtomicU32::new(0);
    let max_readers = AtomicU32::new(0);
    let reads = AtomicU64::new(0);
    // Read acquisitions so far: the forced hand-over waits for a later one.
    let entries = AtomicU64::new(0);
    // Readers that may still read: each counts itself out before its final release.
    let readers_left = AtomicU32::new(params.readers);
    let writer_inside = AtomicBool::new(false);
    let overlaps = AtomicU64::new(0);
    let writes = AtomicU32::new(0);
    let first_wait_us = AtomicU64::new(0);
    let max_wait_us = AtomicU64::new(0);
    let starved = AtomicBool::new(false);
    let judged = AtomicBool::new(false);
    let gate = Gate::new(params.readers + 1);
    let hold = f64::from(params.read_hold_ms);
    let tracer = Tracer::new(
        env,
        (0..params.readers)
            .map(|i| format!("reader {i}"))
            .chain(["writer".to_string()])
            .collect(),
        vec![
            "the lock to read".to_string(),
            "the lock to write".to_string(),
        ],
    );

    env.runner.run(params.readers as usize + 1, &|me| {
        if !gate.arrive_and_wait(env) {
            return;
        }
        let mut lane = tracer.lane(me);
        let start = gate.opened_at_ms().unwrap_or_else(|| env.now_ms());
        let end = start + f64::from(params.duration_ms);
        if (me as u32) < params.readers {
            // Staggered starts keep the stream steady: some reader is always inside.
            let stagger = hold * me as f64 / f64::from(params.readers);
            let mut reading = sleep_ms(env, stagger) && env.now_ms() < end;
            let mut counted = true;
            while reading {
                let waiting = lane.mark();
                let got = lock.acquire_read(env);
                let reading_from = lane.wait(READ, waiting);
                if !got {
                    break;
                }
                let mine = entries.fetch_add(1, Ordering::AcqRel) + 1;
                let now = readers_now.fetch_add(1, Ordering::AcqRel) + 1;
                max_readers.fetch_max(now, Ordering::AcqRel);
                if writer_inside.load(Ordering::Acquire) {
                    overlaps.fetch_add(1, Ordering::Relaxed);
                }
                let mut finished = sleep_ms(env, hold);
                if finished && params.force {
                    // Hand over: keep the read until a later reader is in, while one can be.
                    wait_until_deadline(env, end, || {
                        entries.load(Ordering::Acquire) > mine || !lock.admits_readers()
                    });
                    finished = !env.cancelled();
                }
                readers_now.fetch_sub(1, Ordering::AcqRel);
                reading = finished && env.now_ms() < end;
                if !reading {
                    // Out of the stream *before* the release: this release may be the one that
                    // lets the writer in, and the writer judges starvation from `readers_left`
                    // the moment it is in. Counted out after the release, a reader could still
                    // be counted then, and a starved writer was reported as not starved.
                    readers_left.fetch_sub(1, Ordering::AcqRel);
                    counted = false;
                }
                lane.hold(READ, reading_from);
                lock.release_read();
                if !reading && params.force {
                    // Linger (see `RwLockParams::force`): nothing after the release may matter.
                    wait_until_deadline(env, env.now_ms() + FORCE_WAIT_MS, || {
                        judged.load(Ordering::Acquire)
                    });
                }
                reads.fetch_add(1, Ordering::Relaxed);
            }
            if counted {
                // Never read, or cancelled while waiting to: holds nothing.
                readers_left.fetch_sub(1, Ordering::AcqRel);
            }
        } else {
            if !sleep_ms(env, f64::from(params.writer_delay_ms)) {
                return;
            }
            if params.force {
                wait_until_deadline(env, end, || entries.load(Ordering::Acquire) > 0);
            }
            // Readers still reading when the writer first asked.
            let mut readers_at_ask = None;
            loop {
                let asked = env.now_ms();
                readers_at_ask.get_or_insert_with(|| readers_left.load(Ordering::Acquire));
                let waiting = lane.mark();
                let got = lock.acquire_write(env);
                let writing_from = lane.wait(WRITE, waiting);
                if !got {
                    return;
                }
                let wait_us = ((env.now_ms() - asked) * 1000.0) as u64;
                writer_inside.store(true, Ordering::Release);
                if readers_now.load(Ordering::Acquire) > 0 {
                    overlaps.fetch_add(1, Ordering::Relaxed);
                }
                if writes.fetch_add(1, Ordering::Relaxed) == 0 {
                    first_wait_us.store(wait_us, Ordering::Relaxed);
                    let done = readers_left.load(Ordering::Acquire) == 0;
                    starved.store(done && readers_at_ask > Some(0), Ordering::Relaxed);
                    judged.store(true, Ordering::Release);
                }
                max_wait_us.fetch_max(wait_us, Ordering::Relaxed);
                let finished = sleep_ms(env, f64::from(params.write_hold_ms));
                writer_inside.store(false, Ordering::Release);
                lane.hold(WRITE, writing_from);
                lock.release_write();
                if !finished || env.now_ms() >= end {
                    return;
                }
                // Give the readers a turn between writes.
                if !sleep_ms(env, hold) {
                    return;
                }
            }
        }
    });
    RwRun {
        design,
        max_readers: max_readers.load(Ordering::Acquire),
        reads: reads.load(Ordering::Relaxed),
        writes: writes.load(Ordering::Relaxed),
        writer_wait_ms: first_wait_us.load(Ordering::Relaxed) as f64 / 1000.0,
        writer_max_wait_ms: max_wait_us.load(Ordering::Relaxed) as f64 / 1000.0,
        writer_starved: starved.load(Ordering::Relaxed),
        overlaps: overlaps.load(Ordering::Relaxed),
        trace: tracer.finish(format!(
            "{} lock, {} readers and a writer",
            match design {
                RwDesign::ReaderPreferring => "The seed's reader-preferring",
                RwDesign::WriterPreferring => "A writer-preferring",
            },
            params.readers
        )),
    }
}

/// The trace's resources: reading and writing.
const READ: u16 = 0;
const WRITE: u16 = 1;
