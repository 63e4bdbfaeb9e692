//! `wasmlive inspect`: what a component imports and exports, which wasmlive
//! world it implements, and which of its imports the host would refuse.

use super::{CliError, engine, read};
use crate::engine_host::World;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub(super) struct InspectArgs {
    /// The component file (`.wasm`).
    component: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub(super) async fn run(args: InspectArgs) -> Result<(), CliError> {
    let bytes = read(&args.component)?;
    let name = args.component.display().to_string();
    if !bytes.starts_with(b"\0asm") {
        return Err(CliError(format!("error: `{name}` is not WebAssembly (it does not start with the `\\0asm` magic number)")));
    }
    let info = engine()?.inspect(&name, &bytes).map_err(|e| {
        let hint = if bytes.starts_with(b"\0asm\x01\0\0\0") {
            " (this is a core WebAssembly module; wrap it into a component with `wasm-tools component new`)"
        } else {
            ""
        };
        // One line: the parser's messages may span several.
        let message = e.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        CliError(format!("error: {message}{hint}"))
    })?;
    let worlds = [World::TemplateEngine, World::VdomEngine];
    if args.json {
        let json = serde_json::json!({
            "component": name,
            "implements": info.worlds.iter().map(|w| w.name()).collect::<Vec<_>>(),
            "imports": info.imports,
            "wasi_imports": info.imports.iter().filter(|i| i.starts_with("wasi:") && worlds.iter().any(|w| w.provides(i))).collect::<Vec<_>>(),
            "exports": info.exports.iter().map(|(i, fs)| serde_json::json!({"name": i, "functions": fs})).collect::<Vec<_>>(),
            "worlds": worlds.iter().map(|w| (w.name().to_string(), serde_json::json!({
                "implemented": info.worlds.contains(w),
                "refused_imports": info.refused_imports(*w),
                "problem": info.rejections.iter().find(|(rw, _)| rw == w).map(|(_, e)| e.to_string()),
            }))).collect::<serde_json::Map<_, _>>(),
        });
        println!("{json:#}");
        return Ok(());
    }
    println!("component: {name}");
    match info.worlds.as_slice() {
        [] => println!("implements: no wasmlive world"),
        ws => println!("implements: {}", ws.iter().map(|w| w.name()).collect::<Vec<_>>().join(", ")),
    }
    println!("imports:");
    if info.imports.is_empty() {
        println!("  (none)");
    }
    for import in &info.imports {
        if import.starts_with("wasi:") && worlds.iter().any(|w| w.provides(import)) {
            println!("  {import}  (WASI: linked deny-all)");
        } else {
            println!("  {import}");
        }
    }
    println!("exports:");
    if info.exports.is_empty() {
        println!("  (none)");
    }
    for (export, functions) in &info.exports {
        println!("  {export}");
        for f in functions {
            println!("    {f}");
        }
    }
    for world in worlds {
        if info.worlds.contains(&world) {
            continue;
        }
        println!("as {}:", world.name());
        if let Some((_, e)) = info.rejections.iter().find(|(w, _)| *w == world) {
            println!("  refused: {e}");
        }
        for import in info.refused_imports(world) {
            println!("  import not provided: {import}");
        }
    }
    Ok(())
}
