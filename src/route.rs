//! Hash routes: `#/`, `#/lesson/<slug>?v=<variant>&s=<schedule>`, `#/lab`, `#/lab/<experiment>`.
//! Old links with `lock=on|off` still parse; the lesson maps them to its variants.
//!
//! Pure string handling, tested natively. Hash routing keeps the app working on any static
//! host. Bad input never panics: it becomes [`Route::NotFound`] or a [`LessonQuery`] warning
//! that the page shows.

use std::fmt;

/// Longest hash we look at; anything longer is rejected rather than parsed.
pub const MAX_HASH_LEN: usize = 12_000;

/// Where the learner is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// The lesson list.
    Home,
    /// A lesson, by its URL slug, with its query.
    Lesson { slug: String, query: LessonQuery },
    /// The lab, optionally focused on one experiment slug.
    Lab { focus: Option<String> },
    /// Anything else; carries what was asked for, for the message.
    NotFound { asked: String },
}

/// The lesson page's state that lives in the URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LessonQuery {
    /// `v=<variant slug>`, exactly as written (the lesson checks it).
    pub variant: Option<String>,
    /// The legacy `lock=on|off`; `None` when absent. Never written back.
    pub lock: Option<bool>,
    /// `s=<schedule>` exactly as written (decoded by the engine, which reports errors).
    pub schedule: Option<String>,
    /// Parameters we did not understand, for a gentle warning.
    pub unknown: Vec<String>,
}

impl Route {
    /// Parses `location.hash` (with or without the leading `#`).
    pub fn parse(hash: &str) -> Route {
        if hash.len() > MAX_HASH_LEN {
            return Route::NotFound { asked: format!("{}…", truncate_chars(hash, 40)) };
        }
        let h = hash.strip_prefix('#').unwrap_or(hash);
        let (path, query) = match h.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (h, None),
        };
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        match parts.as_slice() {
            [] => Route::Home,
            ["lesson", slug] if is_slug(slug) => Route::Lesson {
                slug: (*slug).to_string(),
                query: LessonQuery::parse(query.unwrap_or("")),
            },
            ["lab"] => Route::Lab { focus: None },
            ["lab", slug] if is_slug(slug) => Route::Lab { focus: Some((*slug).to_string()) },
            _ => Route::NotFound { asked: truncate_chars(h, 80) },
        }
    }

    /// The canonical hash for this route (always starts with `#/`).
    pub fn to_hash(&self) -> String {
        match self {
            Route::Home => "#/".to_string(),
            Route::Lesson { slug, query } => {
                let mut s = format!("#/lesson/{slug}");
                let mut sep = '?';
                if let Some(v) = &query.variant {
                    s.push(sep);
                    s.push_str("v=");
                    s.push_str(v);
                    sep = '&';
                } else if let Some(lock) = query.lock {
                    s.push(sep);
                    s.push_str(if lock { "lock=on" } else { "lock=off" });
                    sep = '&';
                }
                if let Some(sched) = &query.schedule {
                    s.push(sep);
                    s.push_str("s=");
                    s.push_str(sched);
                }
                s
            }
            Route::Lab { focus: None } => "#/lab".to_string(),
            Route::Lab { focus: Some(f) } => format!("#/lab/{f}"),
            Route::NotFound { .. } => "#/".to_string(),
        }
    }
}

impl LessonQuery {
    /// Parses `v=…&s=…` (and the legacy `lock=on|off`); tolerant: unknown keys and bad values
    /// are collected, not fatal.
    pub fn parse(q: &str) -> LessonQuery {
        let mut out = LessonQuery::default();
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "lock" => match v {
                    "on" | "1" | "true" => out.lock = Some(true),
                    "off" | "0" | "false" => out.lock = Some(false),
                    _ => out.unknown.push(format!("lock={}", truncate_chars(v, 20))),
                },
                "v" if is_slug(v) => out.variant = Some(v.to_string()),
                "v" => out.unknown.push(format!("v={}", truncate_chars(v, 20))),
                "s" if !v.is_empty() => out.schedule = Some(v.to_string()),
                "s" => {}
                _ => out.unknown.push(truncate_chars(pair, 30)),
            }
        }
        out
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hash())
    }
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn truncate_chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_root_hashes_are_home() {
        assert_eq!(Route::parse(""), Route::Home);
        assert_eq!(Route::parse("#"), Route::Home);
        assert_eq!(Route::parse("#/"), Route::Home);
    }

    #[test]
    fn lesson_route_keeps_lock_and_schedule() {
        let r = Route::parse("#/lesson/race-condition?lock=on&s=1a2b");
        assert_eq!(
            r,
            Route::Lesson {
                slug: "race-condition".into(),
                query: LessonQuery { variant: None, lock: Some(true), schedule: Some("1a2b".into()), unknown: vec![] }
            }
        );
        assert_eq!(Route::parse(&r.to_hash()), r);
    }

    #[test]
    fn lesson_route_keeps_variant_and_schedule() {
        let r = Route::parse("#/lesson/semaphore?v=extra-release&s=1.a3");
        let Route::Lesson { query, .. } = &r else { panic!("expected a lesson route") };
        assert_eq!(query.variant.as_deref(), Some("extra-release"));
        assert_eq!(query.schedule.as_deref(), Some("1.a3"));
        assert_eq!(Route::parse(&r.to_hash()), r);
        let Route::Lesson { query, .. } = Route::parse("#/lesson/x?v=Bad%20Value") else { panic!() };
        assert_eq!(query.variant, None);
        assert_eq!(query.unknown.len(), 1);
    }

    #[test]
    fn bad_query_values_are_collected_not_fatal() {
        let Route::Lesson { query, .. } = Route::parse("#/lesson/x?lock=maybe&zzz=1") else {
            panic!("expected a lesson route")
        };
        assert_eq!(query.lock, None);
        assert_eq!(query.unknown, vec!["lock=maybe".to_string(), "zzz=1".to_string()]);
    }

    #[test]
    fn lab_routes_parse() {
        assert_eq!(Route::parse("#/lab"), Route::Lab { focus: None });
        assert_eq!(Route::parse("#/lab/counter"), Route::Lab { focus: Some("counter".into()) });
    }

    #[test]
    fn junk_is_not_found_and_never_panics() {
        for h in ["#/lesson/", "#/lesson/A B", "#/x/y/z", "#/lesson/é", "#/lab/../../etc"] {
            assert!(matches!(Route::parse(h), Route::NotFound { .. }), "{h}");
        }
        let long = "#/".to_string() + &"a".repeat(MAX_HASH_LEN);
        assert!(matches!(Route::parse(&long), Route::NotFound { .. }));
    }
}
