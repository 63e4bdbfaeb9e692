//! Generates the table of HTML named character references the lean parser
//! binary-searches (from `web_atoms`, which carries the spec's list).
//!
//! The table is packed: the names in one byte string, 2-byte name ends and
//! one 4-byte value each, 29 KiB instead of the 47 KiB of `(&str, u32, u32)`
//! entries. It is most of the guest's data, and every view maps that data
//! image copy-on-write: the kernel maps all of it (up to 64 KiB) into a view
//! on the first read of any byte, so each KiB of data is a KiB of every
//! view's resident set (docs/engine.md, "Why RSS stays above PSS").

use std::fmt::Write;
use std::path::Path;

/// Bits of a value holding the first code point (Unicode needs 21).
const FIRST_BITS: u32 = 21;

fn main() {
    let mut entries: Vec<(&str, (u32, u32))> = web_atoms::NAMED_ENTITIES
        .entries()
        .filter(|(_, value)| value.0 != 0)
        .map(|(name, value)| (*name, *value))
        .collect();
    entries.sort();

    let mut seconds: Vec<u32> = entries.iter().map(|(_, (_, second))| *second).filter(|s| *s != 0).collect();
    seconds.sort();
    seconds.dedup();
    assert!(seconds.len() < 1 << (32 - FIRST_BITS), "too many distinct second code points");

    let mut names = String::new();
    let mut ends = Vec::with_capacity(entries.len());
    let mut values = Vec::with_capacity(entries.len());
    for (name, (first, second)) in &entries {
        assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b';'), "unexpected name {name:?}");
        assert!(*first < 1 << FIRST_BITS);
        names.push_str(name);
        ends.push(u16::try_from(names.len()).expect("names fit in 64 KiB"));
        let second_index = match second {
            0 => 0,
            s => seconds.binary_search(s).unwrap() as u32 + 1,
        };
        values.push(first | second_index << FIRST_BITS);
    }

    let mut code = String::new();
    writeln!(code, "pub(crate) const FIRST_BITS: u32 = {FIRST_BITS};").unwrap();
    code.push_str(
        "/// Named character references without the `&`, sorted by name, packed (see build.rs).\n\
         pub(crate) struct Table {\n\
         \x20   /// Every name, one after the other.\n",
    );
    writeln!(code, "    pub(crate) names: [u8; {}],", names.len()).unwrap();
    code.push_str("    /// Where each name ends in `names` (it starts where the previous one ends).\n");
    writeln!(code, "    pub(crate) ends: [u16; {}],", ends.len()).unwrap();
    code.push_str(
        "    /// The first code point in the low `FIRST_BITS` bits; above them, 0 or\n\
         \x20   /// the second code point's index in `seconds` plus one.\n",
    );
    writeln!(code, "    pub(crate) values: [u32; {}],", values.len()).unwrap();
    writeln!(code, "    pub(crate) seconds: [u32; {}],", seconds.len()).unwrap();
    code.push_str("}\n\npub(crate) static TABLE: Table = Table {\n");
    writeln!(code, "    names: *b\"{names}\",").unwrap();
    writeln!(code, "    ends: {ends:?},").unwrap();
    writeln!(code, "    values: {values:?},").unwrap();
    writeln!(code, "    seconds: {seconds:?},").unwrap();
    code.push_str("};\n");
    let out = Path::new(&std::env::var_os("OUT_DIR").unwrap()).join("entities.rs");
    std::fs::write(out, code).unwrap();
    println!("cargo:rerun-if-changed=build.rs");
}
