//! The lab's own synchronisation primitives, each written to show how it works and what it
//! costs: a spin lock, an emulated GIL, Python-like locks and semaphores, two reader-writer
//! locks, a bounded queue, and locks whose holders and waiters a deadlock watchdog can see.
//!
//! Every blocking call here waits in short timed slices and checks [`crate::Env::cancelled`] (a
//! cancel, or the run's deadline) or a `stop` callback, so no experiment can hang; none of it
//! may run on the browser's main thread.

pub mod gil;
pub mod graph;
pub mod lock;
pub mod queue;
pub mod rwlock;
pub mod semaphore;
pub mod spin;

pub use gil::{Gil, GilGuard};
pub use graph::{describe_cycle, CycleEdge, Detection, WaitError, WaitGraph};
pub use lock::{AcquireError, Lock, LockGuard, RLock, RLockGuard, NOBODY};
pub use queue::BoundedQueue;
pub use rwlock::{RwLockApi, SeedRwLock, WriterFirstRwLock};
pub use semaphore::{BoundedPermit, BoundedSemaphore, OverRelease, Permit, Semaphore};
pub use spin::{SpinGuard, SpinLock};
