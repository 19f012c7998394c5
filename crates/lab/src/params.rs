//! Parameter validation shared by every experiment: [`ParamError`] and range checks whose
//! messages a learner can act on ("threads must be between 1 and 7").

use std::fmt;

/// A parameter outside its documented bounds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    /// The parameter's field name (`"threads"`).
    pub field: &'static str,
    /// A sentence saying what is allowed (`"threads must be between 1 and 7"`).
    pub message: String,
}

impl ParamError {
    /// An error about `field` with a custom message.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParamError {}

/// Checks `min <= value <= max`, naming the field in the message.
pub fn in_range<T>(field: &'static str, value: T, min: T, max: T) -> Result<(), ParamError>
where
    T: PartialOrd + fmt::Display + Copy,
{
    if value < min || value > max {
        return Err(ParamError::new(
            field,
            format!("{field} must be between {min} and {max}"),
        ));
    }
    Ok(())
}

/// Checks a thread count against the runner, where the experiment needs `extra` more threads
/// than `field` counts (a writer, a producer…; `why` says which).
pub fn threads_in_range(
    field: &'static str,
    value: u32,
    min: u32,
    max_threads: usize,
    extra: u32,
    why: &str,
) -> Result<(), ParamError> {
    let available = u32::try_from(max_threads)
        .unwrap_or(u32::MAX)
        .saturating_sub(extra);
    if available < min {
        return Err(ParamError::new(
            field,
            format!(
                "this experiment needs at least {} threads but the runner has {max_threads}; \
                 start the thread pool with more threads",
                min.saturating_add(extra)
            ),
        ));
    }
    if value < min || value > available {
        let note = if extra > 0 {
            format!(" ({why})")
        } else {
            String::new()
        };
        return Err(ParamError::new(
            field,
            format!("{field} must be between {min} and {available}{note}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_message_names_the_bounds() {
        let e = threads_in_range("threads", 9, 1, 7, 0, "").unwrap_err();
        assert_eq!(e.to_string(), "threads must be between 1 and 7");
    }

    #[test]
    fn extra_threads_are_explained() {
        let e =
            threads_in_range("readers", 7, 1, 7, 1, "one more thread runs the writer").unwrap_err();
        assert_eq!(
            e.to_string(),
            "readers must be between 1 and 6 (one more thread runs the writer)"
        );
    }

    #[test]
    fn too_small_a_pool_is_named() {
        let e = threads_in_range("threads", 2, 2, 1, 0, "").unwrap_err();
        assert!(e.to_string().contains("needs at least 2 threads"));
    }
}
