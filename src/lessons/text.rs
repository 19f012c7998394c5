//! Lesson prose as data: blocks of paragraphs, code and call-outs, with a tiny inline markup
//! (`code`, **bold**, [link](#/route)) that the UI renders. Parsing is pure and total.

/// One block of lesson prose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// A paragraph with inline markup.
    P(&'static str),
    /// A heading inside the lesson body.
    H(&'static str),
    /// A bulleted list; each item has inline markup.
    List(&'static [&'static str]),
    /// A code block, verbatim (Python, `dis` output…), with a caption.
    Code { caption: &'static str, text: &'static str },
    /// A call-out box.
    Note { kind: NoteKind, title: &'static str, text: &'static str },
}

/// How a call-out looks and what it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteKind {
    /// Neutral information.
    Info,
    /// The seed says something wrong or outdated; the lesson corrects it.
    Correction,
    /// Something to be careful about.
    Warning,
}

/// A run of inline text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    /// Plain text.
    Text(String),
    /// `code`.
    Code(String),
    /// **bold**.
    Bold(String),
    /// [text](href) — only same-page hrefs (`#...`) are turned into links.
    Link { text: String, href: String },
}

/// Splits inline markup into runs. Unclosed markers are kept as plain text.
pub fn parse_inline(s: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let parsed = match c {
            '`' => rest[1..].find('`').map(|end| (Inline::Code(rest[1..1 + end].to_string()), 2 + end)),
            '*' if rest.starts_with("**") => {
                rest[2..].find("**").map(|end| (Inline::Bold(rest[2..2 + end].to_string()), 4 + end))
            }
            '[' => parse_link(rest),
            _ => None,
        };
        match parsed {
            Some((inline, used)) => {
                if !text.is_empty() {
                    out.push(Inline::Text(std::mem::take(&mut text)));
                }
                out.push(inline);
                rest = &rest[used..];
            }
            None => {
                text.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if !text.is_empty() {
        out.push(Inline::Text(text));
    }
    out
}

fn parse_link(s: &str) -> Option<(Inline, usize)> {
    let close = s.find("](")?;
    let end = s[close + 2..].find(')')? + close + 2;
    let text = &s[1..close];
    let href = &s[close + 2..end];
    if !href.starts_with('#') || text.contains('[') {
        return None;
    }
    Some((Inline::Link { text: text.to_string(), href: href.to_string() }, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markup_splits_into_runs() {
        assert_eq!(
            parse_inline("a `b` **c** [d](#/lab) e"),
            vec![
                Inline::Text("a ".into()),
                Inline::Code("b".into()),
                Inline::Text(" ".into()),
                Inline::Bold("c".into()),
                Inline::Text(" ".into()),
                Inline::Link { text: "d".into(), href: "#/lab".into() },
                Inline::Text(" e".into()),
            ]
        );
    }

    #[test]
    fn unclosed_markers_stay_text_and_offsite_links_are_not_links() {
        assert_eq!(parse_inline("x `y"), vec![Inline::Text("x `y".into())]);
        assert_eq!(parse_inline("**z"), vec![Inline::Text("**z".into())]);
        assert_eq!(
            parse_inline("[a](http://x)"),
            vec![Inline::Text("[a](http://x)".into())]
        );
        assert_eq!(parse_inline("é`ü`"), vec![Inline::Text("é".into()), Inline::Code("ü".into())]);
    }
}
