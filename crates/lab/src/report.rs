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
            group(x as u64)
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
    // Bin i holds lo + i·width <= v < lo + (i+1)·width, the last one up to hi inclusive. For
    // counts the edges are rounded up to whole numbers first, so that a label names exactly
    // the counts in its bin ("1,200–1,299"): more than MAX_BINS distinct whole numbers span
    // at least MAX_BINS, so every bin holds at least one whole number.
    let edge = |i: usize| {
        let x = lo + width * i as f64;
        if integral {
            x.ceil()
        } else {
            x
        }
    };
    let edges: Vec<f64> = (0..=MAX_BINS).map(edge).collect();
    let mut counts = [0u32; MAX_BINS];
    for &v in values {
        let i = edges[1..MAX_BINS].iter().take_while(|&&e| v >= e).count();
        counts[i] += 1;
    }
    counts
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let from = edges[i];
            let label = if integral {
                let to = if i + 1 == MAX_BINS {
                    hi
                } else {
                    edges[i + 1] - 1.0
                };
                if to <= from {
                    label(from)
                } else {
                    format!("{}–{}", label(from), label(to))
                }
            } else {
                let to = if i + 1 == MAX_BINS { hi } else { edges[i + 1] };
                format!("{}–{}", label(from), label(to))
            };
            (label, n)
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
    fn count_ranges_name_exactly_the_counts_they_hold() {
        // 0, 1, …, 20: eleven bins would be too many, so ten ranges of whole numbers.
        let outcomes: Vec<Outcome> = (0..=20).map(Outcome::Count).collect();
        let h = Histogram::of("x", "X", &outcomes);
        let labels: Vec<&str> = h.bins.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "0–1", "2–3", "4–5", "6–7", "8–9", "10–11", "12–13", "14–15", "16–17", "18–20"
            ]
        );
        assert_eq!(
            h.bins.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
            [2, 2, 2, 2, 2, 2, 2, 2, 2, 3]
        );
        // Large counts get thousands separators.
        let big: Vec<Outcome> = (0..100)
            .map(|i| Outcome::Count(1_000_000 + i * 1_000))
            .collect();
        let h = Histogram::of("x", "X", &big);
        assert_eq!(h.bins[0].0, "1,000,000–1,009,899");
        assert_eq!(h.bins[9].0, "1,089,100–1,099,000");
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
