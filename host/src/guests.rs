//! The default guest components, built from `guest-templates/` and
//! `guest-vdom/` by the build script and embedded in the binary.

include!(concat!(env!("OUT_DIR"), "/guests.rs"));
