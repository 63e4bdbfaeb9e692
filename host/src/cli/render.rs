//! `wasmlive render`

use super::{CliError, LimitArgs, engine, read_text, template_engine};
use crate::engine_host::{RenderError, StandaloneServices};
use clap::Args;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Args)]
pub(super) struct RenderArgs {
    /// The template file to render.
    template: PathBuf,
    /// JSON file with the context object, or `-` for standard input. Default: `{}`.
    #[arg(long, short)]
    context: Option<PathBuf>,
    /// Directory to load included and extended templates from; repeatable,
    /// searched in order after the template's own directory.
    #[arg(long = "templates", short = 't')]
    template_dirs: Vec<PathBuf>,
    /// A template-engine component to use instead of the embedded one.
    #[arg(long)]
    engine: Option<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
}

pub(super) async fn run(args: RenderArgs) -> Result<(), CliError> {
    let source = read_text(&args.template)?;
    let context = match &args.context {
        None => "{}".to_string(),
        Some(path) if path.as_os_str() == "-" => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| CliError(format!("error: cannot read the context from standard input: {e}")))?;
            text
        }
        Some(path) => read_text(path)?,
    };
    let own_dir = args.template.parent().map(Path::to_path_buf).unwrap_or_default();
    let dirs: Vec<PathBuf> = std::iter::once(own_dir).chain(args.template_dirs.iter().cloned()).collect();
    let services = Arc::new(StandaloneServices::with_template_dirs(dirs.clone()));

    let engine = engine()?;
    let mut instance = template_engine(&engine, args.engine.as_ref())?.instance(services, args.limits.limits(engine.config().default_limits));
    let name = args.template.display().to_string();
    let located = |e: RenderError| match e {
        RenderError::Template(mut e) => {
            if e.template != name {
                e.template = locate(&e.template, &dirs);
            }
            CliError(e.to_string())
        }
        other => CliError(format!("error: {other}")),
    };
    instance.add_template(&name, &source).await.map_err(located)?;
    let html = instance.render(&name, &context).await.map_err(located)?;
    print!("{html}");
    Ok(())
}

/// The file an included template's name resolves to, for error messages.
fn locate(name: &str, dirs: &[PathBuf]) -> String {
    dirs.iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .map_or_else(|| name.to_string(), |p| p.display().to_string())
}
