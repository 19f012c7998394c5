//! Parameter validation shared by every experiment: [`ParamError`] and range checks whose
//! messages a learner can act on ("threads must be between 1 and 7"), and
//! [`parse_whole_number`], which reads what a learner types into a bounded number field.

use std::fmt;

use crate::report::group;

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

/// Why what a learner typed into a bounded number field was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberError {
    /// A whole number (or a row of digits too long for one) outside `min..=max`.
    OutOfRange {
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// Not a whole number at all.
    NotANumber,
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberError::OutOfRange { min, max } => {
                write!(f, "Between {} and {}", group(*min), group(*max))
            }
            NumberError::NotANumber => f.write_str("A whole number, please"),
        }
    }
}

impl std::error::Error for NumberError {}

/// Reads what a learner typed into a number field bounded to `min..=max` (every parameter of
/// the lab, the runs of a repeat, a scheduler's seed): spaces, `_` and `,` are ignored, so
/// "20,000,000" and "20 000 000" both read as 20000000.
///
/// "-3" or a 40-digit number is [`NumberError::OutOfRange`] (the learner typed a number, just
/// not an allowed one); anything else that is not a whole number is
/// [`NumberError::NotANumber`]. Never panics, whatever the text.
pub fn parse_whole_number(text: &str, min: u64, max: u64) -> Result<u64, NumberError> {
    let cleaned: String = text
        .chars()
        .filter(|c| *c != '_' && *c != ',' && !c.is_whitespace())
        .collect();
    // i128, so that negative numbers and numbers past u64 read as out of range.
    match cleaned.parse::<i128>() {
        Ok(v) if (i128::from(min)..=i128::from(max)).contains(&v) => {
            u64::try_from(v).map_err(|_| NumberError::OutOfRange { min, max })
        }
        Ok(_) => Err(NumberError::OutOfRange { min, max }),
        // Digits past even i128 (after any minus signs): still a number, just far too large.
        Err(_)
            if !cleaned.is_empty()
                && cleaned
                    .trim_start_matches('-')
                    .chars()
                    .all(|c| c.is_ascii_digit()) =>
        {
            Err(NumberError::OutOfRange { min, max })
        }
        Err(_) => Err(NumberError::NotANumber),
    }
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

    #[test]
    fn typed_numbers_read_with_separators_and_refuse_with_the_bounds() {
        assert_eq!(
            parse_whole_number(" 20,000_000 ", 1, 20_000_000),
            Ok(20_000_000)
        );
        assert_eq!(parse_whole_number("+7", 1, 7), Ok(7));
        let range = NumberError::OutOfRange {
            min: 1,
            max: 20_000_000,
        };
        for text in [
            "0",
            "-3",
            "20000001",
            "99999999999999999999999999999999999999999999",
        ] {
            assert_eq!(
                parse_whole_number(text, 1, 20_000_000),
                Err(range),
                "{text}"
            );
        }
        assert_eq!(range.to_string(), "Between 1 and 20,000,000");
        for text in ["", "  ", "1.5", "seven", "1e3", "0x10", "٣"] {
            assert_eq!(
                parse_whole_number(text, 0, 9),
                Err(NumberError::NotANumber),
                "{text}"
            );
        }
        assert_eq!(
            NumberError::NotANumber.to_string(),
            "A whole number, please"
        );
    }
}
