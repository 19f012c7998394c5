//! Identifiers and values: the small, `Copy` vocabulary every other module speaks.
//!
//! Ids are plain indices into the [`Scenario`](crate::Scenario)'s tables; they carry no names so
//! that machine states stay small and cheap to hash. Names live in the scenario.

use std::fmt;

/// A thread, by index into [`Scenario::threads`](crate::Scenario::threads).
///
/// Displayed 1-based, as learners count: `ThreadId(0)` is `T1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThreadId(pub u8);

impl ThreadId {
    /// The index into the scenario's thread table.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

impl fmt::Display for ThreadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{}", u16::from(self.0) + 1)
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $inner);

        impl $name {
            /// The index into the scenario's table of this kind of object.
            pub fn index(self) -> usize {
                usize::from(self.0)
            }
        }
    };
}

id_type!(
    /// A shared (global) variable, by index into [`Scenario::vars`](crate::Scenario::vars).
    VarId(u16)
);
id_type!(
    /// A `threading.Lock` or `threading.RLock`, by index into [`Scenario::locks`](crate::Scenario::locks).
    LockId(u16)
);
id_type!(
    /// A `threading.Semaphore` or `BoundedSemaphore`, by index into [`Scenario::sems`](crate::Scenario::sems).
    SemId(u16)
);
id_type!(
    /// A `threading.Condition`, by index into [`Scenario::conds`](crate::Scenario::conds).
    CondId(u16)
);
id_type!(
    /// A `queue.Queue`, by index into [`Scenario::queues`](crate::Scenario::queues).
    QueueId(u16)
);
id_type!(
    /// An attribute of a `threading.local()` object, by index into [`Scenario::locals`](crate::Scenario::locals).
    LocalId(u16)
);
id_type!(
    /// A thread's private register (a Python local or a value-stack slot), by index into that
    /// thread's [`ThreadDecl::regs`](crate::ThreadDecl::regs).
    RegId(u8)
);
id_type!(
    /// A named critical section used by `Enter`/`Exit` markers and section checks, by index into
    /// [`Scenario::sections`](crate::Scenario::sections). At most [`MAX_SECTIONS`](crate::MAX_SECTIONS).
    SectionId(u8)
);

/// A Python value as the model knows it: enough for counters, flags and sentinels.
///
/// Integers are 64-bit. Python's are unbounded, so an arithmetic result that does not fit ends the
/// run with an `OverflowError` misuse instead of wrapping silently (see [`crate::PyExc`]).
///
/// The derived `Ord` (`None` < ints < bools) only gives reports a stable order; Python's
/// comparisons are [`crate::Cmp`] and [`crate::BinOpKind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Value {
    /// Python's `None` (also the value of a register nobody has written yet).
    #[default]
    None,
    /// A Python `int`.
    Int(i64),
    /// A Python `bool`.
    Bool(bool),
}

impl Value {
    /// Python truthiness: `None`, `0` and `False` are false, everything else true.
    pub fn truthy(self) -> bool {
        match self {
            Value::None => false,
            Value::Int(i) => i != 0,
            Value::Bool(b) => b,
        }
    }

    /// The Python type name, as CPython spells it in error messages.
    pub fn type_name(self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Int(_) => "int",
            Value::Bool(_) => "bool",
        }
    }

    /// The integer value, treating `bool` as `0`/`1` as Python does; `None` has none.
    pub fn as_int(self) -> Option<i64> {
        match self {
            Value::None => None,
            Value::Int(i) => Some(i),
            Value::Bool(b) => Some(i64::from(b)),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
        }
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i64::from(i))
    }
}

impl From<u32> for Value {
    fn from(i: u32) -> Self {
        Value::Int(i64::from(i))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<()> for Value {
    fn from((): ()) -> Self {
        Value::None
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::None, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_ids_display_one_based() {
        assert_eq!(ThreadId(0).to_string(), "T1");
        assert_eq!(ThreadId(255).to_string(), "T256");
    }

    #[test]
    fn values_display_in_python_spelling() {
        assert_eq!(Value::None.to_string(), "None");
        assert_eq!(Value::Int(-42).to_string(), "-42");
        assert_eq!(Value::Bool(true).to_string(), "True");
        assert_eq!(Value::Bool(false).to_string(), "False");
    }

    #[test]
    fn truthiness_follows_python() {
        assert!(!Value::None.truthy());
        assert!(!Value::Int(0).truthy());
        assert!(Value::Int(-1).truthy());
        assert!(!Value::Bool(false).truthy());
        assert_eq!(Value::Bool(true).as_int(), Some(1));
        assert_eq!(Value::from(Some(3)), Value::Int(3));
        assert_eq!(Value::from(None::<i64>), Value::None);
    }
}
