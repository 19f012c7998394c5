//! [`Schedule`]: the sequence of thread picks of a run, and its short, versioned, URL-safe
//! string form for sharing a run in a link.
//!
//! # Format (version 1)
//!
//! `1.` followed by runs: a thread letter (`a` = T1, `b` = T2, … `p` = T16, the most a scenario
//! may have; the format itself reads up to `z` = T26) and an optional decimal repeat count. `1.a3ba2` is T1 T1 T1 T2 T1 T1. Every character is URL-safe
//! (letters, digits, `.`). Decoding never panics; it rejects anything else with a message that
//! says what and where (positions are 1-based characters), and schedules longer than
//! [`MAX_SCHEDULE_LEN`] steps.

use crate::value::ThreadId;
use std::fmt;
use std::str::FromStr;

/// The longest schedule a string may decode to.
pub const MAX_SCHEDULE_LEN: usize = 10_000;
/// The longest string [`Schedule::decode`] reads (longer ones are rejected before parsing).
pub const MAX_ENCODED_LEN: usize = 60_000;
const VERSION: &str = "1";

/// The threads a run stepped, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Schedule(pub Vec<ThreadId>);

/// Why a schedule string could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScheduleError {
    /// The bytes are not UTF-8.
    NotUtf8,
    /// The string is empty.
    Empty,
    /// No `.` after the version tag.
    MissingVersion,
    /// A version this code does not know.
    UnknownVersion(String),
    /// A character that is neither a thread letter nor a digit.
    BadChar {
        /// The character.
        ch: char,
        /// 1-based position in the whole string.
        pos: usize,
    },
    /// A repeat count with no thread letter before it.
    CountWithoutThread {
        /// 1-based position of its first digit.
        pos: usize,
    },
    /// A repeat count of zero (or with a leading zero).
    ZeroCount {
        /// 1-based position of its first digit.
        pos: usize,
    },
    /// The string or the schedule it encodes is too long.
    TooLong {
        /// The limit broken.
        max: usize,
        /// Whether it was the number of steps (else the string's length).
        steps: bool,
    },
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduleError::NotUtf8 => f.write_str("schedule string is not valid UTF-8"),
            ScheduleError::Empty => {
                f.write_str("schedule string is empty (expected a version tag such as '1.')")
            }
            ScheduleError::MissingVersion => {
                f.write_str("schedule string has no version tag (expected it to start with '1.')")
            }
            ScheduleError::UnknownVersion(v) => {
                write!(f, "schedule string has unknown version '{v}'")
            }
            ScheduleError::BadChar { ch, pos } => write!(
                f,
                "bad character '{}' at position {pos} (expected a thread letter a-z or a digit)",
                ch.escape_debug()
            ),
            ScheduleError::CountWithoutThread { pos } => {
                write!(
                    f,
                    "repeat count at position {pos} has no thread letter before it"
                )
            }
            ScheduleError::ZeroCount { pos } => {
                write!(f, "repeat count at position {pos} is zero or starts with 0")
            }
            ScheduleError::TooLong { max, steps: true } => {
                write!(f, "schedule is longer than {max} steps")
            }
            ScheduleError::TooLong { max, steps: false } => {
                write!(f, "schedule string is longer than {max} characters")
            }
        }
    }
}

impl std::error::Error for ScheduleError {}

fn letter(t: ThreadId) -> char {
    // Valid scenarios have at most `MAX_THREADS` (16) threads, `a`..=`p`; an id past `z` (never
    // produced by a machine) is written as `z` rather than failing.
    char::from(b'a' + t.0.min(25))
}

impl Schedule {
    /// An empty schedule.
    pub fn new() -> Self {
        Schedule(Vec::new())
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it has no steps.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The picks, in order.
    pub fn steps(&self) -> &[ThreadId] {
        &self.0
    }

    /// Append a pick.
    pub fn push(&mut self, t: ThreadId) {
        self.0.push(t);
    }

    /// The short string form, e.g. `1.a4b4` (see the module docs).
    pub fn encode(&self) -> String {
        let mut out = String::from(VERSION);
        out.push('.');
        let mut i = 0;
        while let Some(&t) = self.0.get(i) {
            let run = self.0[i..].iter().take_while(|&&x| x == t).count();
            out.push(letter(t));
            if run > 1 {
                out.push_str(&run.to_string());
            }
            i += run;
        }
        out
    }

    /// Parse the string form. Never panics; see [`ScheduleError`] for what it rejects.
    pub fn decode(s: &str) -> Result<Schedule, ScheduleError> {
        if s.len() > MAX_ENCODED_LEN {
            return Err(ScheduleError::TooLong {
                max: MAX_ENCODED_LEN,
                steps: false,
            });
        }
        if s.is_empty() {
            return Err(ScheduleError::Empty);
        }
        let Some((version, body)) = s.split_once('.') else {
            return Err(ScheduleError::MissingVersion);
        };
        if version != VERSION {
            let shown: String = version.chars().take(16).collect();
            return Err(ScheduleError::UnknownVersion(shown));
        }
        let offset = version.chars().count() + 2;
        let mut steps: Vec<ThreadId> = Vec::new();
        let mut last: Option<ThreadId> = None;
        let mut chars = body.chars().enumerate().peekable();
        while let Some((i, ch)) = chars.next() {
            let pos = offset + i;
            if ch.is_ascii_lowercase() {
                let t = ThreadId(ch as u8 - b'a');
                push_run(&mut steps, t, 1)?;
                last = Some(t);
            } else if ch.is_ascii_digit() {
                let Some(t) = last.take() else {
                    return Err(ScheduleError::CountWithoutThread { pos });
                };
                if ch == '0' {
                    return Err(ScheduleError::ZeroCount { pos });
                }
                let mut count = usize::from(ch as u8 - b'0');
                while let Some(&(_, d)) = chars.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    chars.next();
                    count = count
                        .checked_mul(10)
                        .and_then(|c| c.checked_add(usize::from(d as u8 - b'0')))
                        .filter(|&c| c <= MAX_SCHEDULE_LEN)
                        .ok_or(ScheduleError::TooLong {
                            max: MAX_SCHEDULE_LEN,
                            steps: true,
                        })?;
                }
                // The letter already pushed one step.
                push_run(&mut steps, t, count - 1)?;
            } else {
                return Err(ScheduleError::BadChar { ch, pos });
            }
        }
        Ok(Schedule(steps))
    }

    /// [`Schedule::decode`] from raw bytes (e.g. a URL fragment before UTF-8 checking).
    pub fn decode_bytes(bytes: &[u8]) -> Result<Schedule, ScheduleError> {
        let s = std::str::from_utf8(bytes).map_err(|_| ScheduleError::NotUtf8)?;
        Schedule::decode(s)
    }
}

fn push_run(steps: &mut Vec<ThreadId>, t: ThreadId, n: usize) -> Result<(), ScheduleError> {
    if steps.len().saturating_add(n) > MAX_SCHEDULE_LEN {
        return Err(ScheduleError::TooLong {
            max: MAX_SCHEDULE_LEN,
            steps: true,
        });
    }
    steps.extend(std::iter::repeat_n(t, n));
    Ok(())
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Schedule::decode(s)
    }
}

impl From<Vec<ThreadId>> for Schedule {
    fn from(v: Vec<ThreadId>) -> Self {
        Schedule(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sched(ids: &[u8]) -> Schedule {
        Schedule(ids.iter().map(|&i| ThreadId(i)).collect())
    }

    #[test]
    fn encodes_runs_compactly() {
        assert_eq!(sched(&[0, 0, 0, 1, 0, 0]).encode(), "1.a3ba2");
        assert_eq!(sched(&[]).encode(), "1.");
        assert_eq!(sched(&[7; 12]).encode(), "1.h12");
        assert_eq!(sched(&[8, 15, 15]).encode(), "1.ip2");
    }

    #[test]
    fn all_sixteen_thread_letters_round_trip() {
        let ids: Vec<u8> = (0..16).chain((0..16).rev()).collect();
        let s = sched(&ids);
        assert_eq!(s.encode(), "1.abcdefghijklmnop2onmlkjihgfedcba");
        assert_eq!(Schedule::decode(&s.encode()), Ok(s));
    }

    #[test]
    fn decodes_what_it_encodes() {
        let s = sched(&[0, 1, 1, 2, 2, 2, 0]);
        assert_eq!(Schedule::decode(&s.encode()), Ok(s));
        assert_eq!(Schedule::decode("1.a1b1"), Ok(sched(&[0, 1])));
    }

    #[test]
    fn decode_errors_say_what_and_where() {
        let e = |s: &str| Schedule::decode(s).unwrap_err().to_string();
        assert_eq!(e("x.ab"), "schedule string has unknown version 'x'");
        assert_eq!(
            e("1.aé"),
            "bad character 'é' at position 4 (expected a thread letter a-z or a digit)"
        );
        assert_eq!(
            e("1.3a"),
            "repeat count at position 3 has no thread letter before it"
        );
        assert_eq!(
            e("1.a0"),
            "repeat count at position 4 is zero or starts with 0"
        );
        assert_eq!(
            e("1.a99999999999999999999999"),
            "schedule is longer than 10000 steps"
        );
        assert_eq!(e("1.a5000b5000c"), "schedule is longer than 10000 steps");
        assert_eq!(
            e(""),
            "schedule string is empty (expected a version tag such as '1.')"
        );
        assert_eq!(
            e("abc"),
            "schedule string has no version tag (expected it to start with '1.')"
        );
        assert_eq!(
            Schedule::decode_bytes(&[0xff, 0x2e]),
            Err(ScheduleError::NotUtf8)
        );
    }

    #[test]
    fn a_count_applies_to_one_letter_only() {
        assert_eq!(Schedule::decode("1.a2").map(|s| s.len()), Ok(2),);
        assert!(matches!(
            Schedule::decode("1.a2 3"),
            Err(ScheduleError::BadChar { ch: ' ', pos: 5 })
        ));
        assert!(matches!(
            Schedule::decode("1.a23b"),
            Ok(s) if s.len() == 24
        ));
    }
}
