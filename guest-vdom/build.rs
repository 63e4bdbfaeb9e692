//! Generates the sorted table of HTML named character references the lean
//! parser binary-searches (from `web_atoms`, which carries the spec's list).

use std::fmt::Write;
use std::path::Path;

fn main() {
    let mut entries: Vec<(&str, (u32, u32))> = web_atoms::NAMED_ENTITIES
        .entries()
        .filter(|(_, value)| value.0 != 0)
        .map(|(name, value)| (*name, *value))
        .collect();
    entries.sort();
    let mut code = String::from("/// Named character references without the `&`, sorted by name: (name, first, second code point).\n");
    writeln!(code, "pub(crate) static ENTITIES: [(&str, u32, u32); {}] = [", entries.len()).unwrap();
    for (name, (first, second)) in entries {
        writeln!(code, "    ({name:?}, {first}, {second}),").unwrap();
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var_os("OUT_DIR").unwrap()).join("entities.rs");
    std::fs::write(out, code).unwrap();
    println!("cargo:rerun-if-changed=build.rs");
}
