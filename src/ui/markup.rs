//! Renders lesson prose blocks and inline markup.

use yew::prelude::*;

use crate::lessons::text::{parse_inline, Block, Inline, NoteKind};

/// Inline markup as HTML.
pub fn inline(s: &str) -> Html {
    parse_inline(s)
        .into_iter()
        .map(|run| match run {
            Inline::Text(t) => html! { {t} },
            Inline::Code(c) => html! { <code>{c}</code> },
            Inline::Bold(b) => html! { <strong>{b}</strong> },
            Inline::Link { text, href } => html! { <a href={href}>{text}</a> },
        })
        .collect()
}

/// A list of blocks as HTML.
pub fn blocks(bs: &[Block]) -> Html {
    bs.iter().map(block).collect()
}

fn block(b: &Block) -> Html {
    match *b {
        Block::P(s) => html! { <p>{inline(s)}</p> },
        Block::H(s) => html! { <h2>{inline(s)}</h2> },
        Block::List(items) => html! { <ul>{ for items.iter().map(|i| html! { <li>{inline(i)}</li> }) }</ul> },
        Block::Code { caption, text } => html! {
            <figure>
                <figcaption class="muted">{inline(caption)}</figcaption>
                <pre class="block"><code>{text}</code></pre>
            </figure>
        },
        Block::Note { kind, title, text } => {
            let class = match kind {
                NoteKind::Info => "callout",
                NoteKind::Correction => "callout warn",
                NoteKind::Warning => "callout bad",
            };
            let label = match kind {
                NoteKind::Info => "Note",
                NoteKind::Correction => "Correction to the source tutorial",
                NoteKind::Warning => "Careful",
            };
            html! {
                <aside class={class} aria-label={label}>
                    <p><strong>{title}</strong></p>
                    <p>{inline(text)}</p>
                </aside>
            }
        }
    }
}
