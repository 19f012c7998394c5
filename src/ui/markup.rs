//! Lesson prose: HTML rendered from the lessons' Markdown at build time (`build.rs`), trusted
//! because it is the project's own content (the build refuses raw HTML, images and off-site
//! links other than `https://` in the Markdown).

use yew::prelude::*;

/// A fragment of lesson HTML.
pub fn raw(html: &'static str) -> Html {
    Html::from_html_unchecked(AttrValue::Static(html))
}
