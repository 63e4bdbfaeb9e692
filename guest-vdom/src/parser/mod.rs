//! HTML fragment text to a tree. Two parsers share this interface: the
//! lean hand-written one (the default) and html5ever, the browser's
//! algorithm (feature `html5ever`, which also makes it the one `parse`
//! uses). `docs/vdom.md` has the measurements that decide between them.

pub mod lean;

#[cfg(feature = "html5ever")]
pub mod html5;
#[cfg(feature = "html5ever")]
pub use html5::{parse, parse_in};

#[cfg(not(feature = "html5ever"))]
pub use lean::{parse, parse_in, parse_with_spans};

/// html5ever does not say where text came from: no spans, so every update
/// takes the full path.
#[cfg(feature = "html5ever")]
pub fn parse_with_spans(html: &str, _spans: &mut Vec<crate::tree::TextSpan>) -> Vec<crate::tree::Node> {
    parse(html)
}
