//! Exceptions: `Raise`, the `Try` markers of `try:`/`finally:` (and `with`) blocks, and how an
//! exception travels: to the `finally:` block of the innermost try block around the op that
//! raised it, and at that block's end on outward, until no try block is left around it and it
//! ends the thread. Only the raising thread is affected, as in CPython; whether the run ends is
//! decided afterwards, by `settle` (see [`Outcome`](crate::Outcome)).

use crate::machine::{Exc, Machine, Phase};
use crate::op::OpKind;
use crate::outcome::PyError;

impl Machine {
    /// The innermost try block protecting op `pc` of thread `ti`, as `(marker, finally, end)`:
    /// blocks nest, so it is the one whose marker comes last.
    fn try_block_around(&self, ti: usize, pc: usize) -> Option<(u16, u16, u16)> {
        let program = &self.scn.threads.get(ti)?.program;
        program
            .iter()
            .enumerate()
            .filter_map(|(m, op)| match op.kind {
                OpKind::Try { finally, end } if m < pc && pc < usize::from(finally) => {
                    Some((u16::try_from(m).ok()?, finally, end))
                }
                _ => None,
            })
            .max_by_key(|(m, ..)| *m)
    }

    /// The `finally` and `end` of the try block whose marker is op `marker` of thread `ti`.
    fn try_block_at(&self, ti: usize, marker: u16) -> Option<(u16, u16)> {
        let op = self.scn.threads.get(ti)?.program.get(usize::from(marker))?;
        match op.kind {
            OpKind::Try { finally, end } => Some((finally, end)),
            _ => None,
        }
    }

    /// Thread `ti` raised `error` at op `at` (or, for an exception going on from a `finally:`
    /// block, at its try block's marker): send it to the innermost `finally:` block around `at`,
    /// or, if there is none, end the thread with it. A new exception replaces a pending one, as
    /// in Python (where the old one becomes its `__context__`).
    pub(super) fn raise(&mut self, ti: usize, at: usize, error: PyError) {
        match self.try_block_around(ti, at) {
            Some((marker, finally, _)) => {
                let st = &mut self.threads[ti];
                st.pc = finally;
                st.exc = Some(Box::new(Exc::Pending { marker, error }));
            }
            None => self.end_by(ti, error),
        }
    }

    /// End thread `ti` with `error`. Whatever it holds, it holds forever (a lock nobody
    /// releases); it is no longer inside any critical section.
    fn end_by(&mut self, ti: usize, error: PyError) {
        let rank = self
            .threads
            .iter()
            .filter(|s| matches!(s.exc.as_deref(), Some(Exc::Ended { .. })))
            .count();
        let len = self.scn.threads.get(ti).map_or(0, |d| d.program.len());
        let st = &mut self.threads[ti];
        st.pc = u16::try_from(len).unwrap_or(u16::MAX);
        st.phase = Phase::Run;
        st.sections = 0;
        st.exc = Some(Box::new(Exc::Ended {
            error,
            rank: u8::try_from(rank).unwrap_or(u8::MAX),
        }));
    }

    /// Bring thread `ti` to rest after its program counter moved: past any markers, and, if it
    /// reached the end of the `finally:` block an exception is pending for, on with that
    /// exception (outward, possibly ending the thread). A pending exception is dropped if the
    /// thread jumped out of its `finally:` block.
    #[inline]
    pub(crate) fn settle_pc(&mut self, ti: usize) {
        // Usually there is nothing to do: no marker to pass, no exception pending.
        if let (Some(st), Some(decl)) = (self.threads.get(ti), self.scn.threads.get(ti)) {
            let marker = decl
                .program
                .get(usize::from(st.pc))
                .is_some_and(|op| op.kind.is_marker());
            if !marker && st.exc.is_none() {
                return;
            }
        }
        self.settle_pc_moving(ti);
    }

    /// [`Machine::settle_pc`] past markers or with an exception pending.
    #[inline(never)]
    fn settle_pc_moving(&mut self, ti: usize) {
        let Some(decl) = self.scn.threads.get(ti) else {
            return;
        };
        let len = decl.program.len();
        // Each round moves past a marker or sends the exception further out, so this ends; the
        // bound is a backstop.
        for _ in 0..=2 * len + 1 {
            let pc = usize::from(self.threads[ti].pc);
            if self.scn.threads[ti]
                .program
                .get(pc)
                .is_some_and(|op| op.kind.is_marker())
            {
                self.threads[ti].pc = u16::try_from(pc + 1).unwrap_or(u16::MAX);
                continue;
            }
            let Some(Exc::Pending { marker, error }) = self.threads[ti].exc.as_deref() else {
                return;
            };
            let (marker, error) = (*marker, error.clone());
            match self.try_block_at(ti, marker) {
                Some((_, end)) if pc == usize::from(end) => {
                    self.raise(ti, usize::from(marker), error);
                }
                Some((finally, end)) if (finally..end).contains(&self.threads[ti].pc) => return,
                _ => {
                    self.threads[ti].exc = None;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::prelude::*;
    use crate::{EventKind, LockId, PyError};

    fn boom() -> PyError {
        PyError::new(PyExc::ValueError, "boom")
    }

    /// T1 takes the lock and raises inside; T2 then wants the lock. `protect` puts the body in
    /// `with lock:`; otherwise it is `lock.acquire()` … `lock.release()`.
    fn raise_under_lock(protect: bool) -> Machine {
        machine(
            ScenarioBuilder::new("raise under lock")
                .var("done", 0)
                .lock("lock", LockKind::Lock)
                .thread("T1", |t| {
                    if protect {
                        t.line(2).with_lock("lock", |b| {
                            b.line(3)
                                .op("raise ValueError('boom')", raise(PyExc::ValueError, "boom"));
                        });
                    } else {
                        t.line(2)
                            .op("lock.acquire()", acquire("lock"))
                            .line(3)
                            .op("raise ValueError('boom')", raise(PyExc::ValueError, "boom"))
                            .line(4)
                            .op("lock.release()", release("lock"));
                    }
                })
                .thread("T2", |t| {
                    t.line(7)
                        .op("lock.acquire()", acquire("lock"))
                        .op("done += 1", tally("done", 1))
                        .op("lock.release()", release("lock"));
                }),
        )
    }

    #[test]
    fn an_exception_ends_only_the_thread_that_raised_it() {
        let mut m = raise_under_lock(true);
        m.step(T1).unwrap();
        let e = m.step(T1).unwrap();
        assert_eq!(e.kind, EventKind::Raised(boom()));
        assert_eq!(m.pending_exception(T1), Some(&boom()));
        assert_eq!(m.status(T1), Some(ThreadStatus::Runnable));
        // The `finally:` of the `with` releases the lock, then the exception ends T1.
        let e = m.step(T1).unwrap();
        assert_eq!(
            e.kind,
            EventKind::Released {
                lock: LockId(0),
                count: 0
            }
        );
        assert_eq!(m.status(T1), Some(ThreadStatus::Finished));
        assert_eq!(m.raised(T1), Some(&boom()));
        assert!(m.outcome().is_none(), "T2 goes on");
        for _ in 0..3 {
            m.step(T2).unwrap();
        }
        assert_eq!(m.var_by_name("done"), Some(Value::Int(1)));
        assert_eq!(
            m.outcome(),
            Some(&Outcome::Misuse {
                thread: T1,
                error: boom()
            })
        );
    }

    #[test]
    fn a_lock_held_by_a_thread_that_raised_is_never_released() {
        let mut m = raise_under_lock(false);
        m.step(T1).unwrap();
        m.step(T1).unwrap();
        assert_eq!(m.raised(T1), Some(&boom()));
        assert_eq!(m.lock_view(LockId(0)).unwrap().owner, Some(T1));
        match m.outcome() {
            Some(Outcome::Deadlock { blocked, cycle }) => {
                assert_eq!(blocked, &vec![T2]);
                assert_eq!(
                    cycle.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    ["T2 waits for lock `lock` held by T1"]
                );
            }
            other => panic!("expected a deadlock, got {other:?}"),
        }
    }

    #[test]
    fn nested_finally_blocks_run_inside_out_then_the_exception_ends_the_thread() {
        let mut m = machine(
            ScenarioBuilder::new("nested")
                .var("log", 0)
                .thread("T1", |t| {
                    t.try_finally(
                        |outer| {
                            outer.try_finally(
                                |inner| {
                                    inner.op("raise", raise(PyExc::RuntimeError, "deep"));
                                    inner.op("never", tally("log", 100));
                                },
                                |f| {
                                    f.op("inner finally", tally("log", 1));
                                },
                            );
                            outer.op("never either", tally("log", 100));
                        },
                        |f| {
                            f.op("outer finally", tally("log", 10));
                        },
                    );
                    t.op("after", tally("log", 1000));
                }),
        );
        let texts: Vec<String> = (0..3).map(|_| m.step(T1).unwrap().to_string()).collect();
        assert_eq!(
            texts,
            [
                "T1 raised RuntimeError: deep; it runs the finally: block at line 1 first",
                "T1 counted log = 1; the finally: block is over, so RuntimeError: deep goes on \
                 to the finally: block at line 1",
                "T1 counted log = 11; the finally: block is over, so RuntimeError: deep goes on \
                 and ends T1",
            ]
        );
        assert_eq!(m.var_by_name("log"), Some(Value::Int(11)));
        assert_eq!(
            m.outcome(),
            Some(&Outcome::Misuse {
                thread: T1,
                error: PyError::new(PyExc::RuntimeError, "deep")
            })
        );
    }

    #[test]
    fn without_an_exception_the_finally_block_runs_on_the_way_through() {
        let mut m = machine(ScenarioBuilder::new("plain").var("x", 0).thread("T1", |t| {
            t.try_finally(
                |b| {
                    b.op("x += 1", tally("x", 1));
                },
                |f| {
                    f.op("x += 10", tally("x", 10));
                },
            );
        }));
        m.step(T1).unwrap();
        m.step(T1).unwrap();
        assert_eq!(
            m.outcome(),
            Some(&Outcome::Finished {
                vars: vec![("x".into(), Value::Int(11))]
            })
        );
    }

    #[test]
    fn a_misuse_error_is_an_exception_like_any_other() {
        // `release unlocked lock` inside a try block runs its finally, then ends the thread.
        let mut m = machine(
            ScenarioBuilder::new("misuse")
                .var("cleaned", 0)
                .lock("lock", LockKind::Lock)
                .thread("T1", |t| {
                    t.try_finally(
                        |b| {
                            b.op("lock.release()", release("lock"));
                        },
                        |f| {
                            f.op("cleanup", tally("cleaned", 1));
                        },
                    );
                }),
        );
        m.step(T1).unwrap();
        m.step(T1).unwrap();
        assert_eq!(m.var_by_name("cleaned"), Some(Value::Int(1)));
        assert_eq!(misuse(&m), "RuntimeError: release unlocked lock");
    }

    #[test]
    fn a_thread_never_rests_on_a_try_marker() {
        let m = machine(
            ScenarioBuilder::new("marker")
                .var("x", 0)
                .thread("T1", |t| {
                    t.try_finally(
                        |b| {
                            b.op("x += 1", tally("x", 1));
                        },
                        |_| {},
                    );
                }),
        );
        assert_eq!(m.pc(T1), Some(1));
        assert_eq!(m.current_op(T1).map(|o| o.text.as_str()), Some("x += 1"));
        // An empty program after its marker has nothing to run: the run is over at once.
        let m = machine(ScenarioBuilder::new("empty").thread("T1", |t| {
            t.try_finally(|_| {}, |_| {});
        }));
        assert!(matches!(m.outcome(), Some(Outcome::Finished { .. })));
    }

    #[test]
    fn an_exception_in_a_finally_block_replaces_the_pending_one() {
        let mut m = machine(ScenarioBuilder::new("replace").thread("T1", |t| {
            t.try_finally(
                |b| {
                    b.op("raise ValueError", raise(PyExc::ValueError, "first"));
                },
                |f| {
                    f.op("raise TypeError", raise(PyExc::TypeError, "second"));
                },
            );
        }));
        m.step(T1).unwrap();
        let e = m.step(T1).unwrap();
        assert_eq!(e.to_string(), "T1 raised TypeError: second; it ends T1");
        assert_eq!(misuse(&m), "TypeError: second");
    }

    #[test]
    fn jumping_out_of_a_finally_block_drops_the_pending_exception() {
        // `while True: try: raise … finally: break`: the `break` swallows the exception. (A
        // jump to the block's own end is no way out: it is how an `if` inside the block skips
        // to its end, so the exception goes on from there.)
        let mut m = machine(
            ScenarioBuilder::new("break")
                .var("after", 0)
                .thread("T1", |t| {
                    t.label("loop").try_finally(
                        |b| {
                            b.op("raise", raise(PyExc::ValueError, "lost"));
                        },
                        |f| {
                            f.op("break", jump("out"));
                        },
                    );
                    t.op("JUMP_BACKWARD", jump("loop"))
                        .label("out")
                        .op("after += 1", tally("after", 1));
                }),
        );
        m.step(T1).unwrap();
        assert!(m.pending_exception(T1).is_some());
        let e = m.step(T1).unwrap();
        assert_eq!(e.exception, None);
        assert_eq!(m.pending_exception(T1), None);
        m.step(T1).unwrap();
        assert!(matches!(m.outcome(), Some(Outcome::Finished { .. })));
    }

    #[test]
    fn the_first_thread_to_end_by_an_exception_is_the_outcome() {
        let b = || {
            ScenarioBuilder::new("two raisers")
                .thread("T1", |t| {
                    t.op("raise", raise(PyExc::ValueError, "one"));
                })
                .thread("T2", |t| {
                    t.op("raise", raise(PyExc::TypeError, "two"));
                })
        };
        for (order, first) in [([T1, T2], T1), ([T2, T1], T2)] {
            let mut m = machine(b());
            for t in order {
                m.step(t).unwrap();
            }
            assert!(
                matches!(m.outcome(), Some(Outcome::Misuse { thread, .. }) if *thread == first)
            );
        }
    }
}
