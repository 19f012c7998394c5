//! A bounded FIFO queue like Python's `queue.Queue(maxsize)`: `put` waits while full, `get`
//! waits while empty, `task_done`/`join` count unfinished tasks. Every wait is sliced and
//! asks a `stop` callback whether to give up, so a queue nobody will ever drain cannot hang.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::primitives::lock::SLICE;

/// A bounded blocking queue.
///
/// # Fairness
///
/// FIFO for items; none for threads: a woken putter or getter may be overtaken by one arriving
/// at that moment.
#[derive(Debug)]
pub struct BoundedQueue<T> {
    state: Mutex<QueueState<T>>,
    capacity: usize,
    not_empty: Condvar,
    not_full: Condvar,
    all_done: Condvar,
}

#[derive(Debug)]
struct QueueState<T> {
    items: VecDeque<T>,
    unfinished: usize,
}

impl<T> BoundedQueue<T> {
    /// An empty queue holding at most `capacity` items (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            state: Mutex::new(QueueState {
                items: VecDeque::with_capacity(capacity),
                unfinished: 0,
            }),
            capacity,
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            all_done: Condvar::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, QueueState<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The most items it holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Items queued now.
    pub fn len(&self) -> usize {
        self.state().items.len()
    }

    /// True when no item is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `item`, waiting while the queue is full. Between waits it calls `stop`; if that
    /// returns true it gives up and hands the item back.
    pub fn put(&self, item: T, mut stop: impl FnMut() -> bool) -> Result<(), T> {
        let mut state = self.state();
        while state.items.len() >= self.capacity {
            if stop() {
                return Err(item);
            }
            state = self
                .not_full
                .wait_timeout(state, SLICE)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.items.push_back(item);
        state.unfinished += 1;
        self.not_empty.notify_one();
        Ok(())
    }

    /// Removes the oldest item, waiting while the queue is empty; `None` if `stop` said to give
    /// up.
    pub fn get(&self, mut stop: impl FnMut() -> bool) -> Option<T> {
        let mut state = self.state();
        loop {
            if let Some(item) = state.items.pop_front() {
                self.not_full.notify_one();
                return Some(item);
            }
            if stop() {
                return None;
            }
            state = self
                .not_empty
                .wait_timeout(state, SLICE)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Marks one item taken by [`BoundedQueue::get`] as processed.
    pub fn task_done(&self) {
        let mut state = self.state();
        state.unfinished = state.unfinished.saturating_sub(1);
        if state.unfinished == 0 {
            self.all_done.notify_all();
        }
    }

    /// Waits until every item put has been marked done; `false` if `stop` said to give up.
    pub fn join(&self, mut stop: impl FnMut() -> bool) -> bool {
        let mut state = self.state();
        while state.unfinished > 0 {
            if stop() {
                return false;
            }
            state = self
                .all_done
                .wait_timeout(state, SLICE)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Removes and returns everything still queued (after a run, to count what was left).
    pub fn drain(&self) -> Vec<T> {
        self.state().items.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_queue_put_gives_up_when_told_and_returns_the_item() {
        let q = BoundedQueue::new(1);
        q.put(1, || false).unwrap();
        assert_eq!(q.put(2, || true), Err(2));
        assert_eq!(q.get(|| true), Some(1));
        assert_eq!(q.get(|| true), None);
    }

    #[test]
    fn join_returns_once_every_item_is_done() {
        let q = BoundedQueue::new(4);
        q.put('a', || false).unwrap();
        assert!(!q.join(|| true));
        q.get(|| false);
        q.task_done();
        assert!(q.join(|| true));
    }
}
