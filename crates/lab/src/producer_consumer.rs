//! The producer-consumer experiment: P producers put tasks on a bounded queue, C consumers take
//! them. A correct shutdown (join the producers, then one sentinel per consumer) processes
//! every task exactly once; the seed's sentinel scheme (each producer puts one `None`, a
//! consumer that sees it puts it back and exits) lets the consumers quit while a slower producer
//! still has tasks, and those tasks are lost.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use crate::env::Env;
use crate::params::{in_range, threads_in_range, ParamError};
use crate::primitives::BoundedQueue;
use crate::report::Figure;
use crate::trace::{Lane, Trace, Tracer};
use crate::wait::{sleep_ms, SplitMix64, SLICE_MS};
use crate::LabError;

/// The most tasks per producer.
pub const MAX_TASKS_PER_PRODUCER: u32 = 1000;
/// The largest queue.
pub const MAX_CAPACITY: u32 = 1000;
/// The longest produce or consume step, in milliseconds.
pub const MAX_STEP_MS: u32 = 50;
/// The most estimated work: tasks × consume_ms / consumers, in milliseconds.
pub const MAX_ESTIMATED_MS: u64 = 10_000;

/// How the run shuts down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// Wait until every producer is done and every task is processed (`queue.join()`), then
    /// put one sentinel per consumer; a consumer exits on its sentinel.
    JoinThenSentinels,
    /// The seed's scheme: every producer puts one `None` when done; a consumer that gets `None`
    /// puts it back and exits. The first producer to finish stops every consumer.
    SeedSentinel,
}

impl Shutdown {
    /// Kebab-case name.
    pub fn slug(&self) -> &'static str {
        match self {
            Shutdown::JoinThenSentinels => "join-then-sentinels",
            Shutdown::SeedSentinel => "seed-sentinel",
        }
    }
}

/// Parameters of the producer-consumer experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProducerConsumerParams {
    /// How the run shuts down.
    pub shutdown: Shutdown,
    /// Producer threads, 1 or more; producers + consumers ≤ the runner's `max_threads`.
    pub producers: u32,
    /// Consumer threads, 1 or more.
    pub consumers: u32,
    /// Tasks each producer makes, 1..=[`MAX_TASKS_PER_PRODUCER`].
    pub tasks_per_producer: u32,
    /// Queue size (the seed's `maxsize`), 1..=[`MAX_CAPACITY`].
    pub capacity: u32,
    /// Producer `p` pauses about `produce_ms × (p + 1)` after each task (the seed's random
    /// sleeps, made to differ so one producer finishes first), 0..=[`MAX_STEP_MS`].
    pub produce_ms: u32,
    /// A consumer works about this long per task, 0..=[`MAX_STEP_MS`].
    pub consume_ms: u32,
    /// Seed sentinel only: every producer but the first waits, before its last task, until
    /// every consumer has exited, so the loss is certain.
    pub force: bool,
    /// A stalled run (every thread blocked, no progress) is detected after this long and
    /// stopped, 20..=5000 ms.
    pub timeout_ms: u32,
    /// Seed of the random pauses.
    pub seed: u64,
}

impl Default for ProducerConsumerParams {
    /// The seed's scheme with 2 producers × 10 tasks, 2 consumers, a queue of 10: tasks are
    /// lost in most runs.
    fn default() -> Self {
        Self {
            shutdown: Shutdown::SeedSentinel,
            producers: 2,
            consumers: 2,
            tasks_per_producer: 10,
            capacity: 10,
            produce_ms: 2,
            consume_ms: 3,
            force: false,
            timeout_ms: 200,
            seed: 1,
        }
    }
}

impl ProducerConsumerParams {
    /// The defaults with another shutdown.
    pub fn with_shutdown(shutdown: Shutdown) -> Self {
        Self {
            shutdown,
            ..Self::default()
        }
    }

    /// Total threads.
    pub fn threads(&self) -> u32 {
        self.producers.saturating_add(self.consumers)
    }

    /// Checks every bound; `max_threads` is the runner's.
    pub fn validate(&self, max_threads: usize) -> Result<(), ParamError> {
        threads_in_range(
            "producers",
            self.producers,
            1,
            max_threads,
            self.consumers,
            "the consumers need the others",
        )?;
        threads_in_range(
            "consumers",
            self.consumers,
            1,
            max_threads,
            self.producers,
            "the producers need the others",
        )?;
        in_range(
            "tasks_per_producer",
            self.tasks_per_producer,
            1,
            MAX_TASKS_PER_PRODUCER,
        )?;
        in_range("capacity", self.capacity, 1, MAX_CAPACITY)?;
        in_range("produce_ms", self.produce_ms, 0, MAX_STEP_MS)?;
        in_range("consume_ms", self.consume_ms, 0, MAX_STEP_MS)?;
        in_range("timeout_ms", self.timeout_ms, 20, 5000)?;
        let tasks = u64::from(self.producers) * u64::from(self.tasks_per_producer);
        let estimate = (tasks * u64::from(self.consume_ms) / u64::from(self.consumers)).max(
            u64::from(self.tasks_per_producer)
                * u64::from(self.produce_ms)
                * u64::from(self.producers),
        );
        if estimate > MAX_ESTIMATED_MS {
            return Err(ParamError::new(
                "tasks_per_producer",
                format!("the run would take about {estimate} ms; at most {MAX_ESTIMATED_MS} ms is allowed"),
            ));
        }
        Ok(())
    }
}

/// What a producer-consumer run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct ProducerConsumerReport {
    /// How the run shut down.
    pub shutdown: Shutdown,
    /// Producers.
    pub producers: u32,
    /// Consumers.
    pub consumers: u32,
    /// Tasks made (producers × tasks per producer).
    pub tasks: u64,
    /// Tasks processed exactly once.
    pub processed_once: u64,
    /// Tasks processed more than once: must be 0.
    pub duplicates: u64,
    /// Tasks made but never processed.
    pub lost_tasks: u64,
    /// Of those, tasks still in the queue when everyone had left.
    pub left_in_queue: u64,
    /// Of those, tasks a producer gave up putting (nobody left to take them).
    pub never_queued: u64,
    /// Producers that gave up because every consumer had exited.
    pub abandoned_producers: u32,
    /// Every remaining thread was blocked with no progress for the time-out: detected and
    /// stopped.
    pub stalled: bool,
    /// After a stall or an abandoned producer, every thread returned.
    pub recovered: bool,
    /// Time for the whole run.
    pub ms: f64,
    /// Timeline: producers waiting for room, consumers waiting for a task and working on one.
    pub trace: Option<Trace>,
}

impl ProducerConsumerReport {
    /// The report's figures, for the UI.
    pub fn figures(&self) -> Vec<Figure> {
        vec![
            Figure::new("shutdown", "Shutdown", self.shutdown.slug()),
            Figure::int("producers", "Producers", self.producers),
            Figure::int("consumers", "Consumers", self.consumers),
            Figure::int("tasks", "Tasks made", self.tasks),
            Figure::int("processed", "Processed exactly once", self.processed_once),
            Figure::int("duplicates", "Processed more than once", self.duplicates),
            Figure::int("lost-tasks", "Lost tasks", self.lost_tasks),
            Figure::int("left-in-queue", "Left in the queue", self.left_in_queue),
            Figure::int("never-queued", "Never queued", self.never_queued),
            Figure::int(
                "abandoned-producers",
                "Producers left with no consumer",
                self.abandoned_producers,
            ),
            Figure::flag("stalled", "Stalled (all blocked)", self.stalled),
            Figure::flag("recovered", "Recovered", self.recovered),
            Figure::ms("ms", "Time (ms)", self.ms),
        ]
    }
}

/// What every thread can see of the others, for stall detection.
struct Monitor {
    live: AtomicU32,
    live_consumers: AtomicU32,
    blocked: AtomicU32,
    progress: AtomicU64,
    stalled: AtomicBool,
    abandoned: AtomicU32,
    timeout_ms: f64,
}

impl Monitor {
    fn step(&self) {
        self.progress.fetch_add(1, Ordering::AcqRel);
    }
}

/// One thread's watch over one blocking wait. It counts the thread as blocked from the first
/// time the wait had to sleep; the run is stalled when, for a whole time-out, every live thread
/// was blocked and nothing moved.
struct Watch<'a> {
    monitor: &'a Monitor,
    env: &'a Env<'a>,
    marked: bool,
    seen: u64,
    since: f64,
}

impl<'a> Watch<'a> {
    fn new(monitor: &'a Monitor, env: &'a Env<'a>) -> Self {
        Self {
            monitor,
            env,
            marked: false,
            seen: monitor.progress.load(Ordering::Acquire),
            since: env.now_ms(),
        }
    }

    /// Called on every slice of a wait: `true` means give up.
    fn stop(&mut self) -> bool {
        let m = self.monitor;
        if !self.marked {
            m.blocked.fetch_add(1, Ordering::AcqRel);
            self.marked = true;
        }
        if self.env.cancelled() || m.stalled.load(Ordering::Acquire) {
            return true;
        }
        let now = self.env.now_ms();
        let progress = m.progress.load(Ordering::Acquire);
        let all_blocked = m.blocked.load(Ordering::Acquire) >= m.live.load(Ordering::Acquire);
        if progress != self.seen || !all_blocked {
            self.seen = progress;
            self.since = now;
            return false;
        }
        if now - self.since >= m.timeout_ms {
            m.stalled.store(true, Ordering::Release);
            return true;
        }
        false
    }
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        if self.marked {
            self.monitor.blocked.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Runs the producer-consumer experiment (parameters already validated).
pub(crate) fn run(
    params: &ProducerConsumerParams,
    env: &Env,
) -> Result<ProducerConsumerReport, LabError> {
    let (producers, consumers) = (params.producers as usize, params.consumers as usize);
    let per = params.tasks_per_producer as usize;
    let tasks = producers * per;
    let queue: BoundedQueue<Option<usize>> = BoundedQueue::new(params.capacity as usize);
    let processed: Vec<AtomicU32> = (0..tasks).map(|_| AtomicU32::new(0)).collect();
    let never_queued = AtomicU64::new(0);
    let producers_done = AtomicU32::new(0);
    let monitor = Monitor {
        live: AtomicU32::new(params.threads()),
        live_consumers: AtomicU32::new(params.consumers),
        blocked: AtomicU32::new(0),
        progress: AtomicU64::new(0),
        stalled: AtomicBool::new(false),
        abandoned: AtomicU32::new(0),
        timeout_ms: f64::from(params.timeout_ms),
    };
    let start = env.now_ms();
    let tracer = Tracer::new(
        env,
        (0..producers)
            .map(|i| format!("producer {i}"))
            .chain((0..consumers).map(|i| format!("consumer {i}")))
            .collect(),
        vec!["room in the queue".to_string(), "a task".to_string()],
    );

    env.runner.run(producers + consumers, &|me| {
        let mut lane = tracer.lane(me);
        if me < producers {
            let queued = produce(
                me,
                params,
                &queue,
                &monitor,
                &producers_done,
                env,
                &mut lane,
            );
            never_queued.fetch_add((per - queued) as u64, Ordering::Relaxed);
        } else {
            consume(params, &queue, &processed, &monitor, env, &mut lane);
            monitor.live_consumers.fetch_sub(1, Ordering::AcqRel);
        }
        monitor.live.fetch_sub(1, Ordering::AcqRel);
    });

    let ms = env.now_ms() - start;
    if env.cancelled() {
        return Err(LabError::Cancelled);
    }
    let left_in_queue = queue.drain().into_iter().flatten().count() as u64;
    let counts: Vec<u32> = processed
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .collect();
    let stalled = monitor.stalled.load(Ordering::Acquire);
    let abandoned_producers = monitor.abandoned.load(Ordering::Relaxed);
    Ok(ProducerConsumerReport {
        shutdown: params.shutdown,
        producers: params.producers,
        consumers: params.consumers,
        tasks: tasks as u64,
        processed_once: counts.iter().filter(|&&c| c == 1).count() as u64,
        duplicates: counts.iter().filter(|&&c| c > 1).count() as u64,
        lost_tasks: counts.iter().filter(|&&c| c == 0).count() as u64,
        left_in_queue,
        never_queued: never_queued.load(Ordering::Relaxed),
        abandoned_producers,
        stalled,
        // `run` returned, so every thread did: whatever went wrong was stopped, not hung.
        recovered: stalled || abandoned_producers > 0,
        ms,
        trace: tracer.finish(format!(
            "Queue of {}, {} producer{} and {} consumer{}",
            params.capacity,
            producers,
            if producers == 1 { "" } else { "s" },
            consumers,
            if consumers == 1 { "" } else { "s" }
        )),
    })
}

/// The trace's resources.
const ROOM: u16 = 0;
const TASK: u16 = 1;

/// Puts `item`, giving up if the run stalls or, for a producer, once no consumer is left.
fn put(
    queue: &BoundedQueue<Option<usize>>,
    item: Option<usize>,
    producer: bool,
    monitor: &Monitor,
    env: &Env,
    lane: &mut Lane,
) -> bool {
    let waiting = lane.mark();
    let mut watch = Watch::new(monitor, env);
    let mut abandoned = false;
    let ok = queue
        .put(item, || {
            if producer && monitor.live_consumers.load(Ordering::Acquire) == 0 {
                abandoned = true;
                return true;
            }
            watch.stop()
        })
        .is_ok();
    lane.wait(ROOM, waiting);
    if ok {
        monitor.step();
    } else if abandoned {
        monitor.abandoned.fetch_add(1, Ordering::Relaxed);
    }
    ok
}

/// The seed's producer: put each task, pause; then the shutdown's part. Returns tasks queued.
fn produce(
    me: usize,
    params: &ProducerConsumerParams,
    queue: &BoundedQueue<Option<usize>>,
    monitor: &Monitor,
    producers_done: &AtomicU32,
    env: &Env,
    lane: &mut Lane,
) -> usize {
    let per = params.tasks_per_producer as usize;
    let mut rng = SplitMix64::new(params.seed.wrapping_mul(31).wrapping_add(me as u64));
    let pause = f64::from(params.produce_ms) * (me as f64 + 1.0);
    let mut queued = 0;
    for i in 0..per {
        let last = i + 1 == per;
        if last && me > 0 && params.force && params.shutdown == Shutdown::SeedSentinel {
            // Forced: the last task comes only after every consumer has exited.
            let mut watch = Watch::new(monitor, env);
            while monitor.live_consumers.load(Ordering::Acquire) > 0 {
                if watch.stop() {
                    return queued;
                }
                std::thread::sleep(std::time::Duration::from_secs_f64(SLICE_MS / 1000.0));
            }
        }
        if !put(queue, Some(me * per + i), true, monitor, env, lane) {
            return queued;
        }
        queued += 1;
        // random.uniform(0.5, 1.5) × this producer's pace, as the seed's random sleeps.
        let jitter = 0.5 + rng.below(1001) as f64 / 1000.0;
        if !sleep_ms(env, pause * jitter) {
            return queued;
        }
    }
    match params.shutdown {
        Shutdown::SeedSentinel => {
            put(queue, None, true, monitor, env, lane);
        }
        Shutdown::JoinThenSentinels => {
            // The last producer to finish stands in for the main thread's `join()`s.
            if producers_done.fetch_add(1, Ordering::AcqRel) + 1 == params.producers {
                let mut watch = Watch::new(monitor, env);
                if queue.join(|| watch.stop()) {
                    drop(watch);
                    for _ in 0..params.consumers {
                        if !put(queue, None, false, monitor, env, lane) {
                            break;
                        }
                    }
                }
            }
        }
    }
    queued
}

/// The seed's consumer: get, process, `task_done`, until a sentinel.
fn consume(
    params: &ProducerConsumerParams,
    queue: &BoundedQueue<Option<usize>>,
    processed: &[AtomicU32],
    monitor: &Monitor,
    env: &Env,
    lane: &mut Lane,
) {
    loop {
        let waiting = lane.mark();
        let mut watch = Watch::new(monitor, env);
        let got = queue.get(|| watch.stop());
        drop(watch);
        let working_from = lane.wait(TASK, waiting);
        let Some(item) = got else {
            return;
        };
        monitor.step();
        match item {
            Some(task) => {
                processed[task].fetch_add(1, Ordering::Relaxed);
                let finished = sleep_ms(env, f64::from(params.consume_ms));
                lane.hold(TASK, working_from);
                queue.task_done();
                monitor.step();
                if !finished {
                    return;
                }
            }
            None => {
                if params.shutdown == Shutdown::SeedSentinel {
                    // "Pass signal to other consumers."
                    put(queue, None, false, monitor, env, lane);
                }
                return;
            }
        }
    }
}
