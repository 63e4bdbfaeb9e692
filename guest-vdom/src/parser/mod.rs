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
pub use lean::{parse, parse_in};
