//! Timelines of real threads: who waited for what, and who held it, measured on the run's own
//! clock (in the browser, `performance.now()` in each worker) — the tutorial's "Time →"
//! diagrams, drawn from what really happened.
//!
//! # Bounded, and out of the way of the figures
//!
//! An experiment makes a [`Tracer`] for the part it wants drawn (one run of a pool, one design
//! of a lock) and each of its threads records into a [`Lane`] of its own: a plain `Vec` that
//! no other thread touches, handed to the tracer once, when the lane is dropped. So recording
//! takes no lock and shares no cache line while the experiment runs.
//!
//! A lane keeps the first [`MAX_SPANS_PER_THREAD`] spans and counts the rest. Once it is full
//! it stops reading the clock: [`Lane::mark`] returns `None` and [`Lane::wait`] and
//! [`Lane::hold`] only count.
//! A thread therefore reads the clock at most twice per kept span, and an experiment of
//! thousands of acquisitions pays for the first few dozen only. `lab_bench` runs every traced
//! experiment with tracing on and off and prints the ratio of their times.
//!
//! # Honest spans
//!
//! A hold is marked after the acquire returned and closed before the release, so it lies
//! inside the real hold: holds drawn as overlapping really overlapped (a test checks that a
//! `Semaphore(k)` trace never shows more than `k`). A wait is marked before a blocking acquire
//! and closed after it returned, so it covers the real wait.

use std::sync::{Mutex, PoisonError};

use crate::env::Env;

/// The most spans a thread records in one trace; later ones are counted in
/// [`Trace::dropped`].
pub const MAX_SPANS_PER_THREAD: usize = 128;

/// Waits shorter than this (ms) are acquires that did not block, and are not kept.
pub const MIN_WAIT_MS: f64 = 0.02;

/// What a thread was doing during a [`Span`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Blocked, waiting for the resource.
    Waits,
    /// Holding the resource (a lock, a permit, a task taken from a queue).
    Holds,
}

/// One stretch of one thread's time, in milliseconds since the trace began.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    /// Index into [`Trace::threads`].
    pub thread: u16,
    /// Waiting or holding.
    pub phase: Phase,
    /// Index into [`Trace::resources`].
    pub resource: u16,
    /// Start, ms since [`Trace`]'s origin.
    pub from_ms: f64,
    /// End, ms since the origin (`>= from_ms`).
    pub to_ms: f64,
}

impl Span {
    /// How long the span lasted, in ms.
    pub fn ms(&self) -> f64 {
        self.to_ms - self.from_ms
    }
}

/// A finished timeline: every thread's kept spans, in order of thread and then time.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// What was traced ("Semaphore(3), 10 tasks").
    pub title: String,
    /// One name per row ("user 0", "writer").
    pub threads: Vec<String>,
    /// What spans wait for or hold ("a permit", "lock_a").
    pub resources: Vec<String>,
    /// The spans, by thread, then by start.
    pub spans: Vec<Span>,
    /// Milliseconds from the origin to the end of the traced part, or to the cut.
    pub ms: f64,
    /// Records skipped: made after their thread's lane was full (a wait too short to keep is
    /// counted too, as it can no longer be measured), or begun after the cut.
    pub dropped: u32,
    /// The part went on after `ms`: the timeline stops where the first thread's lane filled,
    /// so that every row is complete up to its end.
    pub cut: bool,
}

impl Trace {
    /// The most spans of one resource and phase in progress at one moment.
    pub fn max_overlap(&self, phase: Phase, resource: u16) -> usize {
        let mut edges: Vec<(f64, i32)> = self
            .spans
            .iter()
            .filter(|s| s.phase == phase && s.resource == resource)
            .flat_map(|s| [(s.from_ms, 1), (s.to_ms, -1)])
            .collect();
        // Ends before starts at the same instant: touching spans do not overlap.
        edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let (mut now, mut max) = (0i32, 0i32);
        for (_, d) in edges {
            now += d;
            max = max.max(now);
        }
        max as usize
    }

    /// How many spans of `phase` were kept, over every thread.
    pub fn count(&self, phase: Phase) -> usize {
        self.spans.iter().filter(|s| s.phase == phase).count()
    }

    /// Total milliseconds spent in `phase`, over every thread.
    pub fn total_ms(&self, phase: Phase) -> f64 {
        self.spans
            .iter()
            .filter(|s| s.phase == phase)
            .map(Span::ms)
            .sum()
    }

    /// The longest span in `phase`.
    pub fn longest(&self, phase: Phase) -> Option<&Span> {
        self.spans
            .iter()
            .filter(|s| s.phase == phase)
            .max_by(|a, b| a.ms().total_cmp(&b.ms()))
    }
}

/// The ticks of a ruler from 0 to `total_ms`: a round step (1, 2 or 5 × 10ⁿ ms) giving at most
/// 8 intervals, each tick with its label ("10 ms", "0.15 ms": as many decimals as the step
/// needs).
pub fn ruler(total_ms: f64) -> Vec<(f64, String)> {
    let total_ms = if total_ms.is_finite() {
        total_ms.max(0.0)
    } else {
        0.0
    };
    let mut base = 0.001;
    let step = loop {
        if let Some(m) = [1.0, 2.0, 5.0]
            .into_iter()
            .find(|m| total_ms / (base * m) <= 8.0)
        {
            break base * m;
        }
        base *= 10.0;
    };
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10() - 1e-9).ceil() as usize
    };
    (0..=(total_ms / step + 1e-9).floor() as usize)
        .map(|k| {
            let ms = k as f64 * step;
            (ms, format!("{ms:.decimals$} ms"))
        })
        .collect()
}

/// Collects the lanes of one traced part of an experiment.
pub struct Tracer<'e> {
    env: &'e Env<'e>,
    origin_ms: f64,
    capacity: usize,
    threads: Vec<String>,
    resources: Vec<String>,
    lanes: Vec<Mutex<(Vec<Span>, u32)>>,
}

impl<'e> Tracer<'e> {
    /// A tracer whose time starts now, with a row per thread and the resources spans name.
    /// Records nothing when the environment's tracing is off ([`Env::without_trace`]).
    pub fn new(env: &'e Env<'e>, threads: Vec<String>, resources: Vec<String>) -> Self {
        let capacity = if env.trace { MAX_SPANS_PER_THREAD } else { 0 };
        Self {
            env,
            origin_ms: env.now_ms(),
            capacity,
            // Allocated here, before the experiment's clock starts, not in its threads.
            lanes: threads
                .iter()
                .map(|_| Mutex::new((Vec::with_capacity(capacity), 0)))
                .collect(),
            threads,
            resources,
        }
    }

    /// Thread `thread`'s lane. Take it once per thread, inside the thread: it is handed back
    /// when dropped.
    pub fn lane(&self, thread: usize) -> Lane<'_, 'e> {
        let spans = self.lanes.get(thread).map_or_else(Vec::new, |slot| {
            std::mem::take(&mut slot.lock().unwrap_or_else(PoisonError::into_inner).0)
        });
        Lane {
            tracer: self,
            thread: thread as u16,
            spans,
            dropped: 0,
        }
    }

    /// The finished trace, or `None` when tracing was off or nothing was recorded.
    pub fn finish(self, title: impl Into<String>) -> Option<Trace> {
        if self.capacity == 0 {
            return None;
        }
        let mut ms = self.env.now_ms() - self.origin_ms;
        let mut spans = Vec::new();
        let mut dropped = 0;
        // Where the first full lane stopped: past it, some threads are no longer drawn.
        let mut cutoff: Option<f64> = None;
        for lane in self.lanes {
            let (mut s, d) = lane.into_inner().unwrap_or_else(PoisonError::into_inner);
            s.sort_by(|a, b| a.from_ms.total_cmp(&b.from_ms));
            if d > 0 {
                let last = s.iter().map(|x| x.to_ms).fold(0.0, f64::max);
                cutoff = Some(cutoff.map_or(last, |c: f64| c.min(last)));
            }
            spans.extend(s);
            dropped += d;
        }
        if let Some(c) = cutoff {
            let before = spans.len();
            spans.retain(|s| s.from_ms < c);
            dropped += (before - spans.len()) as u32;
            for s in &mut spans {
                s.to_ms = s.to_ms.min(c);
            }
            ms = c;
        }
        if spans.is_empty() {
            return None;
        }
        Some(Trace {
            title: title.into(),
            threads: self.threads,
            resources: self.resources,
            spans,
            ms,
            dropped,
            cut: cutoff.is_some(),
        })
    }
}

/// One thread's recorder; see the module doc.
pub struct Lane<'t, 'e> {
    tracer: &'t Tracer<'e>,
    thread: u16,
    spans: Vec<Span>,
    dropped: u32,
}

impl Lane<'_, '_> {
    /// The clock now, relative to the trace's origin, if this lane still records; `None`
    /// (without reading the clock) once it is full.
    pub fn mark(&self) -> Option<f64> {
        (self.spans.len() < self.tracer.capacity)
            .then(|| self.tracer.env.now_ms() - self.tracer.origin_ms)
    }

    /// Records that the thread waited for `resource` from `from` (a [`Lane::mark`] taken
    /// before a blocking acquire) to now, and returns now, the mark for the hold that follows.
    /// A wait shorter than [`MIN_WAIT_MS`] was an acquire that did not block: it is not kept.
    pub fn wait(&mut self, resource: u16, from: Option<f64>) -> Option<f64> {
        self.record(Phase::Waits, resource, from, MIN_WAIT_MS)
    }

    /// Records that the thread held `resource` from `from` (a mark taken after the acquire
    /// returned) to now (before the release), and returns now.
    pub fn hold(&mut self, resource: u16, from: Option<f64>) -> Option<f64> {
        self.record(Phase::Holds, resource, from, 0.0)
    }

    /// Records a span of `phase` from `from` to now if it lasted at least `min_ms`. With no
    /// mark, or a full lane, it only counts the span as dropped.
    fn record(
        &mut self,
        phase: Phase,
        resource: u16,
        from: Option<f64>,
        min_ms: f64,
    ) -> Option<f64> {
        let Some(from_ms) = from.filter(|_| self.spans.len() < self.tracer.capacity) else {
            if self.tracer.capacity > 0 {
                self.dropped += 1;
            }
            return None;
        };
        let to_ms = self.mark_unchecked().max(from_ms);
        if to_ms - from_ms >= min_ms {
            self.spans.push(Span {
                thread: self.thread,
                phase,
                resource,
                from_ms,
                to_ms,
            });
        }
        (self.spans.len() < self.tracer.capacity).then_some(to_ms)
    }

    fn mark_unchecked(&self) -> f64 {
        self.tracer.env.now_ms() - self.tracer.origin_ms
    }
}

impl Drop for Lane<'_, '_> {
    fn drop(&mut self) {
        if let Some(slot) = self.tracer.lanes.get(usize::from(self.thread)) {
            let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
            if slot.0.is_empty() {
                // Hand the buffer back as it is: no copy, no allocation while others still run.
                std::mem::swap(&mut slot.0, &mut self.spans);
            } else {
                slot.0.append(&mut self.spans);
            }
            slot.1 += self.dropped;
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::env::testing::with_env;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("t{i}")).collect()
    }

    #[test]
    fn a_lane_keeps_its_first_spans_and_counts_the_rest() {
        with_env(None, |env| {
            let tracer = Tracer::new(env, names(1), names(1));
            {
                let mut lane = tracer.lane(0);
                let mut mark = lane.mark();
                for _ in 0..MAX_SPANS_PER_THREAD + 10 {
                    mark = lane.hold(0, mark.or_else(|| lane.mark()));
                }
            }
            let trace = tracer.finish("t").unwrap();
            assert_eq!(trace.spans.len(), MAX_SPANS_PER_THREAD);
            assert_eq!(trace.dropped, 10);
            assert!(trace.cut);
            assert_eq!(trace.ms, trace.spans.last().unwrap().to_ms);
            assert!(trace.spans.windows(2).all(|w| w[0].to_ms <= w[1].from_ms));
        });
    }

    #[test]
    fn a_full_lane_cuts_the_timeline_where_it_stopped() {
        with_env(None, |env| {
            let tracer = Tracer::new(env, names(2), names(1));
            {
                let mut busy = tracer.lane(0);
                for _ in 0..MAX_SPANS_PER_THREAD + 1 {
                    let from = busy.mark();
                    busy.hold(0, from);
                }
            }
            let busy_end = {
                let mut quiet = tracer.lane(1);
                std::thread::sleep(std::time::Duration::from_millis(2));
                let from = quiet.mark();
                quiet.hold(0, from);
                from
            };
            let trace = tracer.finish("t").unwrap();
            assert!(trace.cut);
            assert_eq!(
                trace.spans.len(),
                MAX_SPANS_PER_THREAD,
                "the quiet lane's late span is past the cut"
            );
            assert_eq!(trace.dropped, 2);
            assert!(trace.ms < busy_end.unwrap());
        });
    }

    #[test]
    fn tracing_off_records_nothing_and_reads_no_clock() {
        with_env(None, |env| {
            let env = env.without_trace();
            let tracer = Tracer::new(&env, names(2), names(1));
            {
                let mut lane = tracer.lane(1);
                assert_eq!(lane.mark(), None);
                assert_eq!(lane.wait(0, None), None);
            }
            assert_eq!(tracer.finish("t"), None);
        });
    }

    #[test]
    fn rulers_have_round_steps_and_few_ticks() {
        let labels = |ms| ruler(ms).into_iter().map(|(_, l)| l).collect::<Vec<_>>();
        assert_eq!(
            labels(35.0),
            ["0 ms", "5 ms", "10 ms", "15 ms", "20 ms", "25 ms", "30 ms", "35 ms"]
        );
        assert_eq!(labels(250.0).last().map(String::as_str), Some("250 ms"));
        assert_eq!(
            labels(0.3),
            ["0.00 ms", "0.05 ms", "0.10 ms", "0.15 ms", "0.20 ms", "0.25 ms", "0.30 ms"]
        );
        assert_eq!(labels(0.0), ["0.000 ms"]);
        assert_eq!(ruler(f64::NAN).len(), 1);
        for ms in [0.01, 1.0, 7.3, 99.0, 1234.5, 60_000.0] {
            assert!((2..=9).contains(&ruler(ms).len()), "{ms}: {:?}", ruler(ms));
        }
    }

    #[test]
    fn overlap_counts_touching_spans_as_apart() {
        let span = |thread, from_ms, to_ms| Span {
            thread,
            phase: Phase::Holds,
            resource: 0,
            from_ms,
            to_ms,
        };
        let trace = Trace {
            title: String::new(),
            threads: names(3),
            resources: names(1),
            spans: vec![span(0, 0.0, 2.0), span(1, 2.0, 3.0), span(2, 1.0, 2.5)],
            ms: 3.0,
            dropped: 0,
            cut: false,
        };
        assert_eq!(trace.max_overlap(Phase::Holds, 0), 2);
        assert_eq!(trace.max_overlap(Phase::Waits, 0), 0);
        assert!((trace.total_ms(Phase::Holds) - 4.5).abs() < 1e-9);
        assert_eq!(trace.longest(Phase::Holds), Some(&span(0, 0.0, 2.0)));
    }
}
