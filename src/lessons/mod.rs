//! Lessons are content: prose in Markdown (`<slug>.md` beside each module, rendered to HTML at
//! build time by `build.rs`), the tutorial's Python per variant, a `sim` scenario per variant,
//! what each variant is expected to show, and the real-threads experiment it embeds.
//!
//! Adding a lesson: write `src/lessons/<slug>.md` (front matter `title:`/`summary:`, an intro,
//! a `<!-- goal <variant> -->` fragment per variant, a `<!-- body -->`), a module with its
//! [`Variant`]s and their scenarios, and list its [`Lesson`] in [`all`]. No engine or UI change:
//! the lesson page draws whatever primitives the scenarios declare, explains outcomes from the
//! run's own events, and the lint in `tests` below checks the content (scenarios build, lines
//! exist, goals are reachable, every fragment is there, every outcome has a kind).

pub mod best_practices;
pub mod binary_semaphore;
pub mod deadlock;
pub mod gil;
pub mod lock_granularity;
pub mod lock_patterns;
pub mod predict;
pub mod producer_consumer;
pub mod race_condition;
pub mod reader_writer_lock;
pub mod rlock;
pub mod semaphore;
pub mod singleton;
pub mod thread_local;
pub mod thread_safe_cache;
pub mod threads_vs_sequential;

use std::rc::Rc;
use std::sync::Arc;

/// What the app carries of a lesson's Markdown file, rendered at build time: the rest of its
/// prose is a file of its own ([`Prose`]), fetched when the lesson opens.
#[derive(Debug)]
pub struct LessonText {
    /// The file's stem, which must equal the lesson's slug.
    pub slug: &'static str,
    /// Plain-text title.
    pub title: &'static str,
    /// One sentence for the course map, as inline HTML.
    pub summary: &'static str,
    /// The prose file's path, relative to the page (`lessons/<slug>.<content hash>.html`).
    pub prose: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/lesson_text.rs"));

/// A lesson's prose: its named fragments as HTML (`intro`, `body`, `goal <variant>`,
/// `hint1 <variant>`, `hint2 <variant>`), read from its prose file.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Prose {
    fragments: Vec<(Rc<str>, Rc<str>)>,
}

impl Prose {
    /// Each fragment of a prose file starts with this, its name, `-->` and a newline (build.rs
    /// writes them).
    const MARK: &'static str = "<!--fragment ";

    /// Reads a prose file. Anything else (an error page a host sent instead, a cut-off
    /// download) is an error that says what is wrong.
    pub fn parse(text: &str) -> Result<Prose, String> {
        let rest = text.strip_prefix(Self::MARK).ok_or("this is not a lesson's prose file")?;
        let mut fragments = Vec::new();
        for part in rest.split(Self::MARK) {
            let (name, html) = part.split_once("-->\n").ok_or("a fragment of the prose file has no name")?;
            let named_well = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || " -:".contains(c));
            if !named_well {
                return Err(format!("a fragment of the prose file has a bad name: {name:?}"));
            }
            fragments.push((Rc::from(name), Rc::from(html)));
        }
        Ok(Prose { fragments })
    }

    /// A named fragment, as HTML.
    pub fn fragment(&self, name: &str) -> Option<&Rc<str>> {
        self.fragments.iter().find(|(n, _)| &**n == name).map(|(_, h)| h)
    }

    /// Every fragment: (name, HTML).
    pub fn fragments(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fragments.iter().map(|(n, h)| (&**n, &**h))
    }

    /// The goal of a variant, as HTML.
    pub fn goal(&self, variant: &Variant) -> Option<&Rc<str>> {
        self.fragment(&format!("goal {}", variant.slug))
    }

    /// A variant's graded hints, as HTML: `level` 1 is a nudge, 2 a stronger hint (level 3,
    /// "show me", is the explorer's schedule, not text). The lint checks every variant has both.
    pub fn hint(&self, variant: &Variant, level: u8) -> Option<&Rc<str>> {
        self.fragment(&format!("hint{level} {}", variant.slug))
    }
}

/// What a variant is expected to show, checked by the lint against the explorer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Some interleaving goes wrong.
    Bad,
    /// No interleaving goes wrong.
    Safe,
    /// The variant measures something else (time, output order).
    None,
}

impl Expect {
    /// `bad`, `safe` or `none` (the page's `data-expect`).
    pub fn slug(self) -> &'static str {
        match self {
            Expect::Bad => "bad",
            Expect::Safe => "safe",
            Expect::None => "none",
        }
    }
}

/// How the learner picks a variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Picker {
    /// Two variants, the second adding something: a `role="switch"` with this name.
    Switch(&'static str),
    /// A named group of choices, one per variant.
    Choice(&'static str),
}

/// How the lint (and the page) explores a variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exploration {
    /// Every interleaving, within the explorer's default limits.
    Exhaustive,
    /// Too many states to explore: this many seeded random schedules instead.
    Sampled(u32),
}

/// The real-threads experiment a variant runs: a lab experiment with some parameters set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Real {
    /// The lab experiment's slug (`counter`, `reentry`, …).
    pub experiment: &'static str,
    /// Parameters set on the experiment's defaults.
    pub set: &'static [(&'static str, lab::schema::Value)],
    /// What the learner is asked to predict before the run, if anything.
    pub predict: Option<Predict>,
}

/// "Predict, then run": a question asked before a real run, and which answer the measurement
/// bears out.
#[derive(Clone, Copy, Debug)]
pub struct Predict {
    /// The question, plain text ("How many of the 2,000,000 increments will be lost?").
    pub question: &'static str,
    /// The choices, plain text ("None", "A few (under 1%)", "Many"), at least two.
    pub choices: &'static [&'static str],
    /// Which choice a report bears out (`None`: the report is of another experiment).
    pub judge: fn(&lab::LabReport) -> Option<usize>,
}

/// Equal when they ask the same question with the same choices (a judge is code: function
/// addresses are not meaningful to compare).
impl PartialEq for Predict {
    fn eq(&self, other: &Self) -> bool {
        self.question == other.question && self.choices == other.choices
    }
}

impl Real {
    /// The lab request for this experiment and settings.
    pub fn request(&self) -> Result<lab::LabRequest, String> {
        let mut req = lab::LabRequest::default_for(self.experiment)
            .ok_or_else(|| format!("there is no lab experiment `{}`", self.experiment))?;
        for (k, v) in self.set {
            req.set(k, v).map_err(|e| e.to_string())?;
        }
        Ok(req)
    }
}

/// One version of a lesson's program: its code, its scenario and what it should show.
#[derive(Clone, Copy)]
pub struct Variant {
    /// URL slug (`?v=<slug>`).
    pub slug: &'static str,
    /// Label in the picker.
    pub label: &'static str,
    /// The Python shown beside the lanes; scenario ops point at its 1-based lines.
    pub code: &'static str,
    /// Builds the scenario.
    pub scenario: fn() -> Result<sim::Scenario, sim::ScenarioError>,
    /// What the explorer should find.
    pub expect: Expect,
    /// Outcome kinds that are *not* the bug in this variant (e.g. the `ValueError` a
    /// `BoundedSemaphore` raises is it doing its job). `ok` and `step-limit` never are.
    pub fine: &'static [&'static str],
    /// How to explore it.
    pub exploration: Exploration,
    /// The real-threads experiment, if the lesson has one for this variant.
    pub real: Option<Real>,
}

impl std::fmt::Debug for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Variant").field("slug", &self.slug).finish_non_exhaustive()
    }
}

impl Variant {
    /// The scenario, shared.
    pub fn build(&self) -> Result<Arc<sim::Scenario>, sim::ScenarioError> {
        (self.scenario)().map(Arc::new)
    }

    /// Whether an outcome of this kind is the bug this variant is about.
    pub fn is_bug(&self, kind: &str) -> bool {
        !matches!(kind, "ok" | "step-limit" | "unexplored") && !self.fine.contains(&kind)
    }
}

/// Where a lesson sits in the tutorial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// Threads, races, the GIL.
    Foundations,
    /// Locks, RLocks, semaphores.
    LocksAndSemaphores,
    /// Thread-local storage, reader-writer locks.
    AdvancedPatterns,
    /// Deadlock, lock granularity.
    Pitfalls,
    /// Cache, producer-consumer.
    RealWorld,
    /// Singleton and the summary.
    BestPractices,
}

impl Part {
    /// The heading on the course map.
    pub fn title(self) -> &'static str {
        match self {
            Part::Foundations => "Foundations",
            Part::LocksAndSemaphores => "Locks and semaphores",
            Part::AdvancedPatterns => "Advanced patterns",
            Part::Pitfalls => "Pitfalls",
            Part::RealWorld => "Real-world applications",
            Part::BestPractices => "Best practices",
        }
    }
}

/// A stepped lesson.
#[derive(Clone, Copy)]
pub struct Lesson {
    /// Sortable id, e.g. `02-race-condition`.
    pub id: &'static str,
    /// URL slug, e.g. `race-condition` (`#/lesson/race-condition`); also its Markdown file's name.
    pub slug: &'static str,
    /// Where it sits in the tutorial.
    pub part: Part,
    /// Its variants; the first is the default.
    pub variants: &'static [Variant],
    /// How the learner picks one.
    pub picker: Picker,
    /// Old links said `lock=off|on`: the variants they mean (off, on).
    pub legacy_lock: Option<(&'static str, &'static str)>,
    /// A shared variable shown large in the state panel, if the lesson has one.
    pub headline: Option<&'static str>,
    /// "Spot the bug": the variants are short snippets the learner judges safe or not before
    /// the explorer checks them (the page shows them as a quiz above the stepper).
    pub quiz: bool,
}

impl std::fmt::Debug for Lesson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lesson").field("id", &self.id).finish_non_exhaustive()
    }
}

/// Used when a lesson's Markdown file is missing (the lint makes that a test failure).
static NO_TEXT: LessonText = LessonText { slug: "", title: "Untitled lesson", summary: "", prose: "" };

impl Lesson {
    /// Its prose.
    pub fn text(&self) -> &'static LessonText {
        LESSON_TEXTS.iter().find(|t| t.slug == self.slug).unwrap_or(&NO_TEXT)
    }

    /// Its title.
    pub fn title(&self) -> &'static str {
        self.text().title
    }

    /// Its prose, from the text build.rs embeds in native builds (the page fetches the file).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn prose(&self) -> Prose {
        let text = LESSON_PROSE.iter().find(|(s, _)| *s == self.slug).map_or("", |(_, t)| t);
        Prose::parse(text).unwrap_or_default()
    }

    /// The index of the variant with this slug.
    pub fn variant_index(&self, slug: &str) -> Option<usize> {
        self.variants.iter().position(|v| v.slug == slug)
    }

    /// The variant at `i`, or the default one.
    pub fn variant(&self, i: usize) -> &'static Variant {
        let vs: &'static [Variant] = self.variants;
        vs.get(i).or(vs.first()).expect("every lesson has a variant (linted)")
    }

    /// Its 1-based number in the course.
    pub fn number(&self) -> usize {
        all().iter().position(|l| l.id == self.id).map_or(0, |i| i + 1)
    }
}

/// Every lesson, in the tutorial's order.
pub fn all() -> &'static [Lesson] {
    &[
        threads_vs_sequential::LESSON,
        race_condition::LESSON,
        gil::LESSON,
        lock_patterns::LESSON,
        rlock::LESSON,
        semaphore::LESSON,
        binary_semaphore::LESSON,
        thread_local::LESSON,
        reader_writer_lock::LESSON,
        deadlock::LESSON,
        lock_granularity::LESSON,
        thread_safe_cache::LESSON,
        producer_consumer::LESSON,
        singleton::LESSON,
        best_practices::LESSON,
    ]
}

/// The lesson with this URL slug.
pub fn by_slug(slug: &str) -> Option<&'static Lesson> {
    all().iter().find(|l| l.slug == slug)
}

/// What the explorer found for a variant, judged by the variant's own rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Complete schedules.
    pub total: u128,
    /// Schedules that end in the variant's bug.
    pub bad: u128,
    /// The shortest schedule ending in the bug, if any.
    pub shortest_bad: Option<sim::Schedule>,
}

/// Judges an exploration report by `variant`'s rule.
pub fn verdict(variant: &Variant, scn: &sim::Scenario, report: &sim::ExploreReport) -> Verdict {
    let mut bad = 0u128;
    let mut shortest: Option<&sim::Schedule> = None;
    for o in &report.outcomes {
        if variant.is_bug(&sim::class_kind(scn, &o.class)) {
            bad = bad.saturating_add(o.schedules);
            if shortest.is_none_or(|s| o.shortest.len() < s.len()) {
                shortest = Some(&o.shortest);
            }
        }
    }
    Verdict { total: report.schedules, bad, shortest_bad: shortest.cloned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_slugs_are_unique_and_sorted() {
        let ids: Vec<_> = all().iter().map(|l| l.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted, "lesson ids must be unique and listed in order");
        for l in all() {
            assert!(l.id.ends_with(l.slug), "{} should end with its slug {}", l.id, l.slug);
            assert_eq!(by_slug(l.slug).map(|x| x.id), Some(l.id));
            let mut vs: Vec<_> = l.variants.iter().map(|v| v.slug).collect();
            assert!(!vs.is_empty(), "{}: no variants", l.id);
            vs.sort();
            vs.dedup();
            assert_eq!(vs.len(), l.variants.len(), "{}: variant slugs must be unique", l.id);
        }
    }

    #[test]
    fn prose_files_are_named_by_their_content_and_read_back_whole() {
        for l in all() {
            let path = l.text().prose;
            let hash = path
                .strip_prefix(&format!("lessons/{}.", l.slug))
                .and_then(|r| r.strip_suffix(".html"))
                .unwrap_or_else(|| panic!("{}: prose file {path:?}", l.id));
            assert!(hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()), "{path}");
            let text = LESSON_PROSE.iter().find(|(s, _)| *s == l.slug).map(|(_, t)| *t).unwrap_or_default();
            let prose = Prose::parse(text).unwrap_or_else(|e| panic!("{}: {e}", l.id));
            let html_len: usize = prose.fragments().map(|(_, h)| h.len()).sum();
            let marks_len: usize = prose.fragments().map(|(n, _)| Prose::MARK.len() + n.len() + "-->\n".len()).sum();
            assert_eq!(html_len + marks_len, text.len(), "{}: nothing is lost in reading", l.id);
        }
    }

    #[test]
    fn what_is_not_a_prose_file_is_a_clear_error() {
        let page = "<!DOCTYPE html><html><body>Not found</body></html>";
        assert_eq!(Prose::parse(page), Err("this is not a lesson's prose file".to_string()));
        assert!(Prose::parse("").is_err());
        assert!(Prose::parse("<!--fragment intro").is_err(), "cut off inside a mark");
        assert!(Prose::parse("<!--fragment <b>-->\n<p>x</p>").is_err(), "a bad name");
        let two = Prose::parse("<!--fragment intro-->\n<p>a</p>\n<!--fragment goal on-->\n<p>b</p>\n").unwrap();
        assert_eq!(two.fragments().collect::<Vec<_>>(), [("intro", "<p>a</p>\n"), ("goal on", "<p>b</p>\n")]);
    }

    #[test]
    fn every_lesson_has_its_text_and_every_variant_its_goal() {
        for l in all() {
            let t = l.text();
            assert_eq!(t.slug, l.slug, "{}: no src/lessons/{}.md", l.id, l.slug);
            assert!(!t.title.is_empty() && !t.summary.is_empty());
            let prose = l.prose();
            assert!(prose.fragment("intro").is_some(), "{}: no intro", l.id);
            assert!(prose.fragment("body").is_some(), "{}: no body", l.id);
            for v in l.variants {
                assert!(prose.goal(v).is_some(), "{}: no `<!-- goal {} -->` fragment", l.id, v.slug);
            }
            for (name, _) in prose.fragments() {
                let known = ["intro", "body"].contains(&name)
                    || ["goal ", "hint1 ", "hint2 "]
                        .iter()
                        .any(|p| name.strip_prefix(p).is_some_and(|v| l.variant_index(v).is_some()));
                assert!(known, "{}: fragment `{name}` is not used (a typo in a variant slug?)", l.id);
            }
            if let (Picker::Switch(_), n) = (l.picker, l.variants.len()) {
                assert_eq!(n, 2, "{}: a switch picks between exactly two variants", l.id);
            }
            if let Some((off, on)) = l.legacy_lock {
                assert!(l.variant_index(off).is_some() && l.variant_index(on).is_some(), "{}", l.id);
            }
        }
    }

    /// The visible text of an HTML fragment.
    fn text_of(html: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.trim().to_string()
    }

    #[test]
    fn every_variant_has_a_nudge_and_a_stronger_hint() {
        for l in all() {
            let prose = l.prose();
            for v in l.variants {
                for level in [1, 2] {
                    let hint = prose.hint(v, level).map(|h| text_of(h)).unwrap_or_default();
                    assert!(!hint.is_empty(), "{}: no `<!-- hint{level} {} -->` fragment", l.id, v.slug);
                }
                assert_ne!(prose.hint(v, 1), prose.hint(v, 2), "{} {}: the two hints are the same", l.id, v.slug);
            }
        }
    }

    #[test]
    fn every_real_run_asks_for_a_prediction_first() {
        for l in all() {
            for v in l.variants {
                let Some(r) = v.real else { continue };
                let p = r.predict.unwrap_or_else(|| panic!("{} {}: a real run with no prediction", l.id, v.slug));
                let q = p.question.trim();
                assert!(q.len() > 1 && q.ends_with('?'), "{} {}: a question ends with '?': {q:?}", l.id, v.slug);
                assert!((2..=4).contains(&p.choices.len()), "{} {}: 2 to 4 choices", l.id, v.slug);
                for (i, c) in p.choices.iter().enumerate() {
                    assert!(!c.trim().is_empty(), "{} {}: choice {i} is empty", l.id, v.slug);
                    assert!(!p.choices[..i].contains(c), "{} {}: choice {c:?} twice", l.id, v.slug);
                }
                for text in p.choices.iter().chain([&p.question]) {
                    let markdown = text.contains(['`', '*', '_', '[']);
                    assert!(!markdown, "{} {}: plain text, not Markdown: {text:?}", l.id, v.slug);
                }
            }
        }
    }

    /// A lesson's request made small enough for a debug build: fewer increments, shorter holds
    /// and time-outs. The experiment and its mode stay as the lesson sets them.
    fn shrunk(mut req: lab::LabRequest) -> lab::LabRequest {
        use lab::LabRequest as R;
        match &mut req {
            R::Counter(p) => p.increments = p.increments.min(20_000),
            R::SleepVsCpu(p) => {
                p.sleep_ms = p.sleep_ms.min(10);
                p.cpu_ms = p.cpu_ms.min(10);
            }
            R::TryLock(p) => p.attempts = p.attempts.min(200),
            R::Reentry(p) => p.timeout_ms = p.timeout_ms.min(20),
            R::Semaphore(p) => p.hold_ms = p.hold_ms.min(1),
            R::ThreadLocal(p) => p.iterations = p.iterations.min(2_000),
            R::RwLock(p) => {
                p.duration_ms = p.duration_ms.min(60);
                p.writer_delay_ms = p.writer_delay_ms.min(10);
            }
            R::Deadlock(p) => {
                p.timeout_ms = p.timeout_ms.min(20);
                p.hold_ms = p.hold_ms.min(10);
            }
            R::Bank(p) => {
                p.transfers = p.transfers.min(200);
                p.work = p.work.min(10);
                p.timeout_ms = p.timeout_ms.min(20);
            }
            R::Cache(p) => p.compute_ms = p.compute_ms.min(2),
            R::ProducerConsumer(_) => {}
            R::Singleton(p) => p.window_spins = p.window_spins.min(2_000),
        }
        req
    }

    /// Runs every lesson's real experiment natively (made small; each distinct request once) and
    /// checks that its prediction's judge picks one of the choices — and that a judge says
    /// nothing about another experiment's report. About 2–3 s in a debug build, most of it the
    /// sleep-vs-cpu warm-up.
    #[test]
    fn every_prediction_is_judged_from_a_real_run() {
        let (clock, cancel, runner) = (lab::StdClock::new(), lab::Cancel::new(), lab::StdThreads::new());
        let env = lab::Env::new(&clock, &runner, &cancel);
        let mut runs: Vec<(lab::LabRequest, lab::LabReport)> = Vec::new();
        let mut predicts = Vec::new();
        for l in all() {
            for v in l.variants {
                let (Some(r), Some(p)) = (v.real, v.real.and_then(|r| r.predict)) else { continue };
                let req = shrunk(r.request().unwrap_or_else(|e| panic!("{} {}: {e}", l.id, v.slug)));
                if !runs.iter().any(|(q, _)| *q == req) {
                    let report = lab::run(&req, &env).unwrap_or_else(|e| panic!("{} {}: {e}", l.id, v.slug));
                    runs.push((req.clone(), report));
                }
                let report = &runs.iter().find(|(q, _)| *q == req).expect("just run").1;
                let choice = (p.judge)(report);
                assert!(
                    choice.is_some_and(|i| i < p.choices.len()),
                    "{} {}: the judge of {:?} answered {choice:?} for {report:?}",
                    l.id,
                    v.slug,
                    p.question
                );
                predicts.push((r.experiment, p));
            }
        }
        for (experiment, p) in predicts {
            for (_, report) in runs.iter().filter(|(_, r)| r.slug() != experiment) {
                assert_eq!((p.judge)(report), None, "{:?} judged a {} report", p.question, report.slug());
            }
        }
    }

    /// Markdown that did not parse as meant shows up as its own syntax in the HTML: a fence
    /// whose info string holds a backtick is not a fence (CommonMark), so the whole rest of the
    /// body became one paragraph and one code block.
    #[test]
    fn no_markdown_syntax_leaks_into_the_rendered_text() {
        for l in all() {
            for (name, html) in l.prose().fragments() {
                for leak in ["```", "[!CAUTION]", "[!NOTE]", "[!WARNING]", "<!--"] {
                    assert!(!html.contains(leak), "{} `{name}`: `{leak}` left in the HTML", l.slug);
                }
            }
        }
    }

    #[test]
    fn links_in_lesson_text_go_to_pages_that_exist() {
        for l in all() {
            let prose = l.prose();
            for (name, html) in prose.fragments().chain([("summary", l.text().summary)]) {
                for href in html.split("href=\"").skip(1).filter_map(|r| r.split('"').next()) {
                    match crate::route::Route::parse(href) {
                        crate::route::Route::Lesson { slug, .. } => {
                            assert!(by_slug(&slug).is_some(), "{} {name}: link to missing lesson {href}", l.id)
                        }
                        crate::route::Route::Lab { focus: Some(f) } => {
                            assert!(lab::SLUGS.contains(&f.as_str()), "{} {name}: link to missing experiment {href}", l.id)
                        }
                        crate::route::Route::NotFound { .. } if !href.starts_with("https://") => {
                            panic!("{} {name}: link to nowhere {href}", l.id)
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    #[test]
    fn every_scenario_builds_and_points_at_real_code_lines() {
        for l in all() {
            for v in l.variants {
                let sc = v.build().unwrap_or_else(|e| panic!("{} {}: {e}", l.id, v.slug));
                let lines = v.code.lines().count();
                for t in &sc.threads {
                    for op in &t.program {
                        let line = usize::from(op.line);
                        assert!(
                            line >= 1 && line <= lines,
                            "{} {}: op `{}` points at line {line} of {lines}",
                            l.id,
                            v.slug,
                            op.text
                        );
                    }
                }
                if let Some(h) = l.headline {
                    assert!(sc.vars.iter().any(|x| x.name == h), "{} {}: headline var {h} missing", l.id, v.slug);
                }
            }
        }
    }

    #[test]
    fn every_real_experiment_exists_with_valid_settings() {
        for l in all() {
            for v in l.variants {
                if let Some(r) = v.real {
                    let req = r.request().unwrap_or_else(|e| panic!("{} {}: {e}", l.id, v.slug));
                    req.validate(7).unwrap_or_else(|e| panic!("{} {}: {e}", l.id, v.slug));
                }
            }
        }
    }

    /// The lesson lint's heart: each variant's goal is what the explorer finds. Exhaustive
    /// variants are explored completely; sampled ones run seeded random schedules.
    #[test]
    fn every_variant_shows_what_it_expects_and_every_outcome_has_a_kind() {
        for l in all() {
            for v in l.variants {
                let scn = v.build().expect("builds");
                match v.exploration {
                    Exploration::Exhaustive => {
                        let report = sim::explore(scn.clone(), sim::ExploreLimits::default()).expect("explores");
                        assert!(!report.truncated, "{} {}: exploration hit its limits", l.id, v.slug);
                        let verdict = verdict(v, &scn, &report);
                        match v.expect {
                            Expect::Bad => assert!(verdict.bad > 0, "{} {}: expected a bad schedule", l.id, v.slug),
                            Expect::Safe => assert_eq!(verdict.bad, 0, "{} {}: expected no bad schedule", l.id, v.slug),
                            Expect::None => {}
                        }
                        for o in &report.outcomes {
                            let kind = sim::class_kind(&scn, &o.class);
                            assert!(!kind.is_empty(), "{} {}: outcome {} has no kind", l.id, v.slug, o.class);
                            let run = sim::replay(scn.clone(), &o.shortest).expect("shortest replays");
                            if let Some(outcome) = run.outcome() {
                                assert_eq!(sim::outcome_kind(&scn, outcome), kind);
                                let ex = sim::explain(&run).expect("an ended run is explained");
                                assert_eq!(ex.kind, kind, "{} {}", l.id, v.slug);
                                assert!(!ex.lines.is_empty() || !ex.title.is_empty());
                            }
                        }
                    }
                    Exploration::Sampled(n) => {
                        let mut bad = 0;
                        for seed in 0..u64::from(n) {
                            let mut sched = sim::SeededRandom::new(seed);
                            let m = sim::Machine::new(scn.clone()).expect("valid");
                            let (_, outcome) = sim::run_to_end(m, &mut sched, scn.step_limit);
                            let o = outcome.expect("a random run ends");
                            if v.is_bug(&sim::outcome_kind(&scn, &o)) {
                                bad += 1;
                            }
                        }
                        match v.expect {
                            Expect::Bad => assert!(bad > 0, "{} {}: no bad run in {n} seeds", l.id, v.slug),
                            Expect::Safe => assert_eq!(bad, 0, "{} {}", l.id, v.slug),
                            Expect::None => {}
                        }
                    }
                }
            }
        }
    }
}
