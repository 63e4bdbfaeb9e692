//! HTML fragment text to a tree. Two parsers share this interface, chosen
//! at build time: the lean hand-written one (default) and html5ever, the
//! browser's algorithm (feature `html5ever`). `docs/vdom.md` has the
//! measurements that decide between them.

#[cfg(feature = "html5ever")]
mod html5;
#[cfg(feature = "html5ever")]
pub use html5::{parse, parse_in};

#[cfg(not(feature = "html5ever"))]
mod lean;
#[cfg(not(feature = "html5ever"))]
pub use lean::{parse, parse_in};
