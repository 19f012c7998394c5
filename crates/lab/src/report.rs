//! Measured figures in a shape the UI can render without knowing the experiment: [`Figure`],
//! [`Histogram`], and the formatting every report uses for its values.

/// One measured figure of a report.
///
/// `value` is plain text without thousands separators ("20000000", "12.3", "yes"), so the UI can
/// both show it and put it in a `data-<key>` attribute for end-to-end tests.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Kebab-case name, stable across versions: becomes a `data-*` attribute (`"lost"`).
    pub key: &'static str,
    /// Human label (`"Lost updates"`).
    pub label: &'static str,
    /// Formatted value.
    pub value: String,
}

impl Figure {
    /// A figure from its parts.
    pub fn new(key: &'static str, label: &'static str, value: impl Into<String>) -> Self {
        Self {
            key,
            label,
            value: value.into(),
        }
    }

    /// An integer figure.
    pub fn int(key: &'static str, label: &'static str, value: impl Into<u64>) -> Self {
        Self::new(key, label, value.into().to_string())
    }

    /// A duration in milliseconds, one decimal.
    pub fn ms(key: &'static str, label: &'static str, value: f64) -> Self {
        Self::new(key, label, fmt_ms(value))
    }

    /// A yes/no figure.
    pub fn flag(key: &'static str, label: &'static str, value: bool) -> Self {
        Self::new(key, label, fmt_flag(value))
    }

    /// A rate or ratio, rounded to `decimals`.
    pub fn real(key: &'static str, label: &'static str, value: f64, decimals: usize) -> Self {
        Self::new(key, label, format!("{value:.decimals$}"))
    }
}

/// Milliseconds with one decimal.
pub fn fmt_ms(ms: f64) -> String {
    format!("{ms:.1}")
}

/// A whole number with thousands separators, for reading: 20000000 → "20,000,000".
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "yes" or "no".
pub fn fmt_flag(value: bool) -> String {
    if value { "yes" } else { "no" }.to_string()
}

/// Operations per second from a count and milliseconds (0 when no time was measured).
pub fn per_sec(count: u64, ms: f64) -> f64 {
    if ms > 0.0 {
        count as f64 * 1000.0 / ms
    } else {
        0.0
    }
}

/// The distribution of one outcome over repeated runs, in the manner of JCStress: how many runs
/// ended with each value (or in each range of values).
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// The key of the figure the outcome comes from (`"lost"`, `"max-holders"`).
    pub key: &'static str,
    /// Human label of the outcome.
    pub label: &'static str,
    /// `(bin label, number of runs)`, in ascending order of value; every run is in one bin.
    pub bins: Vec<(String, u32)>,
}

/// The key outcome of one run, for histograms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outcome {
    /// A count (lost updates, holders, instances…).
    Count(u64),
    /// A yes/no outcome (deadlocked…).
    Flag(bool),
    /// A measured real value (milliseconds, speed-ups…).
    Real(f64),
}

/// The most bins a histogram of a numeric outcome gets.
pub const MAX_BINS: usize = 10;

impl Histogram {
    /// Bins `outcomes`: one bin per distinct value when there are few, else up to [`MAX_BINS`]
    /// equal ranges between the least and the greatest value.
    pub fn of(key: &'static str, label: &'static str, outcomes: &[Outcome]) -> Self {
        let bins = if outcomes.iter().all(|o| matches!(o, Outcome::Flag(_))) {
            bin_flags(outcomes)
        } else {
            let values: Vec<f64> = outcomes.iter().map(|o| o.as_f64()).collect();
            let integral = outcomes.iter().all(|o| !matches!(o, Outcome::Real(_)));
            bin_values(&values, integral)
        };
        Self { key, label, bins }
    }

    /// Total number of runs in the histogram.
    pub fn total(&self) -> u32 {
        self.bins.iter().map(|(_, n)| n).sum()
    }
}

impl Outcome {
    fn as_f64(self) -> f64 {
        match self {
            Outcome::Count(n) => n as f64,
            Outcome::Flag(b) => f64::from(u8::from(b)),
            Outcome::Real(x) => x,
        }
    }
}

fn bin_flags(outcomes: &[Outcome]) -> Vec<(String, u32)> {
    let yes = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Flag(true)))
        .count() as u32;
    let no = outcomes.len() as u32 - yes;
    vec![(fmt_flag(false), no), (fmt_flag(true), yes)]
}

fn bin_values(values: &[f64], integral: bool) -> Vec<(String, u32)> {
    let label = |x: f64| {
        if integral {
            format!("{x:.0}")
        } else {
            format!("{x:.1}")
        }
    };
    let mut distinct: Vec<f64> = values.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    if distinct.len() <= MAX_BINS {
        return distinct
            .iter()
            .map(|&d| (label(d), values.iter().filter(|&&v| v == d).count() as u32))
            .collect();
    }
    let (lo, hi) = (distinct[0], distinct[distinct.len() - 1]);
    let width = (hi - lo) / MAX_BINS as f64;
    let mut counts = [0u32; MAX_BINS];
    for &v in values {
        let i = (((v - lo) / width) as usize).min(MAX_BINS - 1);
        counts[i] += 1;
    }
    counts
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let from = lo + width * i as f64;
            let to = if i + 1 == MAX_BINS {
                hi
            } else {
                lo + width * (i + 1) as f64
            };
            (format!("{}–{}", label(from), label(to)), n)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_get_a_bin_each() {
        let h = Histogram::of(
            "x",
            "X",
            &[Outcome::Count(2), Outcome::Count(1), Outcome::Count(2)],
        );
        assert_eq!(h.bins, vec![("1".to_string(), 1), ("2".to_string(), 2)]);
    }

    #[test]
    fn many_values_are_binned_into_ranges_holding_every_run() {
        let outcomes: Vec<Outcome> = (0..100).map(|i| Outcome::Count(i * 7)).collect();
        let h = Histogram::of("x", "X", &outcomes);
        assert_eq!(h.bins.len(), MAX_BINS);
        assert_eq!(h.total(), 100);
    }

    #[test]
    fn flags_are_counted_as_no_and_yes() {
        let h = Histogram::of(
            "d",
            "D",
            &[
                Outcome::Flag(true),
                Outcome::Flag(false),
                Outcome::Flag(true),
            ],
        );
        assert_eq!(h.bins, vec![("no".to_string(), 1), ("yes".to_string(), 2)]);
    }
}
