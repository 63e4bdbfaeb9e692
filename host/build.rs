//! Builds the default guests from source and embeds them in the host, so one
//! binary (and one Python wheel) works with no extra files.

use std::path::Path;
use wasmlive_guest_build::{GuestBuilder, write_constants};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut builder = GuestBuilder::from_build_script();
    builder.announce(&root.join("wit"));
    // The types both guests share with the host.
    builder.announce(&root.join("types"));
    let templates = builder.build("guest-templates", &root.join("guest-templates"));
    let vdom = builder.build("guest-vdom", &root.join("guest-vdom"));
    let out = Path::new(&std::env::var_os("OUT_DIR").unwrap()).join("guests.rs");
    write_constants(&out, &[("TEMPLATES", &templates), ("VDOM", &vdom)]);
}
