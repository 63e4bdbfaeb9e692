//! `wasmlive check`: compile every template under the given paths and report
//! every error, as `file:line:col: message`.

use super::{CliError, engine, template_engine};
use crate::engine_host::{RenderError, StandaloneServices};
use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Args)]
pub(super) struct CheckArgs {
    /// Template files, or directories searched recursively for templates.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Extensions of the files checked inside directories (repeatable;
    /// default: html, htm, txt, xml, svg). Files named directly are always checked.
    #[arg(long = "ext", value_name = "EXT")]
    extensions: Vec<String>,
    /// A template-engine component to use instead of the embedded one.
    #[arg(long)]
    engine: Option<PathBuf>,
}

pub(super) async fn run(args: CheckArgs) -> Result<(), CliError> {
    let extensions: Vec<String> = if args.extensions.is_empty() {
        ["html", "htm", "txt", "xml", "svg"].map(String::from).to_vec()
    } else {
        args.extensions.iter().map(|e| e.trim_start_matches('.').to_ascii_lowercase()).collect()
    };
    let mut files = Vec::new();
    for path in &args.paths {
        if path.is_dir() {
            collect(path, &extensions, &mut files)?;
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(CliError(format!("error: {} does not exist", path.display())));
        }
    }
    let engine = engine()?;
    let services = Arc::new(StandaloneServices::default());
    let mut instance = template_engine(&engine, args.engine.as_ref())?.instance(services, engine.config().default_limits);
    let mut errors = 0;
    for file in &files {
        let name = file.display().to_string();
        let source = match std::fs::read(file).map(String::from_utf8) {
            Ok(Ok(source)) => source,
            Ok(Err(_)) => {
                errors += 1;
                println!("{name}:0:0: not UTF-8 text");
                continue;
            }
            Err(e) => {
                errors += 1;
                println!("{name}:0:0: cannot read: {e}");
                continue;
            }
        };
        match instance.add_template(&name, &source).await {
            Ok(()) => {}
            Err(RenderError::Template(e)) => {
                errors += 1;
                println!("{e}");
            }
            Err(other) => return Err(CliError(format!("error: checking {name}: {other}"))),
        }
    }
    eprintln!(
        "checked {} template{}: {}",
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        match errors {
            0 => "no errors".to_string(),
            1 => "1 error".to_string(),
            n => format!("{n} errors"),
        }
    );
    if errors > 0 { Err(CliError(String::new())) } else { Ok(()) }
}

/// Template files under `dir`, sorted, skipping hidden entries.
fn collect(dir: &Path, extensions: &[String], out: &mut Vec<PathBuf>) -> Result<(), CliError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| CliError(format!("error: cannot read {}: {e}", dir.display())))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, extensions, out)?;
        } else if path.extension().is_some_and(|e| extensions.contains(&e.to_string_lossy().to_ascii_lowercase())) {
            out.push(path);
        }
    }
    Ok(())
}
