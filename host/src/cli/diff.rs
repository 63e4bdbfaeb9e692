//! `wasmlive diff`

use super::{CliError, LimitArgs, engine, read_text, vdom_engine};
use crate::engine_host::{Patch, StandaloneServices};
use clap::Args;
use std::fmt::Write;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
pub(super) struct DiffArgs {
    /// The HTML shown now.
    old: PathBuf,
    /// The HTML to show instead.
    new: PathBuf,
    /// Print the patches as the JSON the client receives.
    #[arg(long)]
    json: bool,
    /// A vdom-engine component to use instead of the embedded one.
    #[arg(long)]
    engine: Option<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
}

pub(super) async fn run(args: DiffArgs) -> Result<(), CliError> {
    let (old, new) = (read_text(&args.old)?, read_text(&args.new)?);
    let engine = engine()?;
    let services = Arc::new(StandaloneServices::default());
    let mut vdom = vdom_engine(&engine, args.engine.as_ref())?.instance(services, args.limits.limits(engine.config().default_limits));
    let fault = |e| CliError(format!("error: {e}"));
    vdom.reset(&old).await.map_err(fault)?;
    let patches = vdom.diff(&new).await.map_err(fault)?;
    if args.json {
        println!("{}", serde_json::to_string(&patches)?);
    } else if patches.is_empty() {
        println!("no changes");
    } else {
        for patch in &patches {
            println!("{}", describe(patch));
        }
    }
    Ok(())
}

/// One line per patch: the operation, the node's path, what changes.
fn describe(patch: &Patch) -> String {
    let mut line = String::new();
    let _ = match patch {
        Patch::SetText { path, text } => write!(line, "set-text          {}  {text:?}", fmt_path(path)),
        Patch::SetAttribute { path, name, value } => {
            write!(line, "set-attribute     {}  {name}={value:?}", fmt_path(path))
        }
        Patch::RemoveAttribute { path, name } => write!(line, "remove-attribute  {}  {name}", fmt_path(path)),
        Patch::ReplaceNode { path, html } => write!(line, "replace-node      {}  {html}", fmt_path(path)),
        Patch::InsertChild { parent, index, html, .. } => {
            write!(line, "insert-child      {}[{index}]  {html}", fmt_path(parent))
        }
        Patch::RemoveChild { parent, index, count: 1 } => {
            write!(line, "remove-child      {}[{index}]", fmt_path(parent))
        }
        Patch::RemoveChild { parent, index, count } => {
            write!(line, "remove-child      {}[{index}..{}]", fmt_path(parent), index + count)
        }
        Patch::MoveChild { parent, from, to, count: 1 } => {
            write!(line, "move-child        {}[{from}] -> [{to}]", fmt_path(parent))
        }
        Patch::MoveChild { parent, from, to, count } => {
            write!(line, "move-child        {}[{from}..{}] -> [{to}]", fmt_path(parent), from + count)
        }
    };
    line
}

/// `/0/1/0` for child 0 of child 1 of the root's child 0; `/` for the root.
fn fmt_path(path: &[u32]) -> String {
    if path.is_empty() {
        return "/".into();
    }
    path.iter().map(|i| format!("/{i}")).collect()
}
