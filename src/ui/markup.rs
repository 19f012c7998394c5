//! Lesson prose: HTML rendered from the lessons' Markdown at build time (`build.rs`), trusted
//! because it is the project's own content (the build refuses raw HTML, images and off-site
//! links other than `https://` in the Markdown). Summaries are in the wasm; the rest comes from
//! the lesson's prose file, fetched from the page's own origin like the wasm itself.

use yew::prelude::*;

/// A fragment of lesson HTML.
pub fn raw(html: impl Into<AttrValue>) -> Html {
    Html::from_html_unchecked(html.into())
}
