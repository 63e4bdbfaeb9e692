//! `wasmlive serve`: LiveViews from a views file, over HTTP and WebSocket.

use super::CliError;
use crate::actors::ActorConfig;
use crate::settings;
use crate::serve::{self, LogicFactory, ServeConfig};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Directory of templates (repeat for more; searched in order).
    #[arg(long = "templates", value_name = "DIR", required = true)]
    templates: Vec<PathBuf>,
    /// The views file (JSON): name, route, template, state and optional Python handler of each view.
    #[arg(long, value_name = "FILE")]
    views: PathBuf,
    /// Address to listen on (port 0 picks a free one; the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8000")]
    addr: SocketAddr,
    /// Largest WebSocket frame or POST body accepted, in bytes.
    #[arg(long, default_value_t = settings::MAX_FRAME_BYTES)]
    max_frame_bytes: usize,
    /// An origin (`https://example.com`) whose pages may open the WebSocket
    /// besides the server's own; repeat for more.
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
    /// The key session cookies and resume tokens are signed with (default: a
    /// random key per process, so neither outlives it).
    #[arg(long, env = "WASMLIVE_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Seconds a first paint's view waits for its client to claim it.
    /// Default: `first_paint_seconds` of the settings reference.
    #[arg(long, value_parser = super::positive_seconds)]
    first_paint_seconds: Option<std::time::Duration>,
    /// Views one WebSocket may have mounted at once.
    #[arg(long, default_value_t = settings::MAX_VIEWS_PER_CONNECTION as u32, value_parser = clap::value_parser!(u32).range(1..))]
    max_views_per_connection: u32,
    /// Frames one WebSocket may send per second, sustained (0: no limit);
    /// past it the server reads the next frame later.
    #[arg(long, default_value_t = settings::MAX_FRAMES_PER_SECOND)]
    max_frames_per_second: u32,
    /// Redis (`redis://host:port/db`) for PubSub across processes: views'
    /// `topics` hear every process's broadcasts. Default: this process alone.
    #[arg(long, value_name = "URL", env = "WASMLIVE_REDIS_URL")]
    redis: Option<String>,
    /// Seconds a closed socket's views wait for a reconnect to resume them
    /// (0: they end with the socket).
    #[arg(long, value_name = "SECONDS", default_value_t = settings::RESUME_GRACE_SECONDS, value_parser = super::seconds_or_zero)]
    resume_grace: f64,
    /// Seconds a view's snapshot outlives its last render (with --redis):
    /// a reconnect to any process sharing the Redis and the --secret-key
    /// resumes the view from it (0: no snapshots; views resume in process).
    #[arg(long, value_name = "SECONDS", default_value_t = settings::RESUME_TTL_SECONDS, value_parser = super::seconds_or_zero)]
    resume_ttl: f64,
    #[command(flatten)]
    pub(super) runtime: super::RuntimeArgs,
}

/// `serve` with handlers from `logic` (the Python package passes its own).
pub async fn run_with(args: ServeArgs, logic: Arc<dyn LogicFactory>) -> Result<(), CliError> {
    for dir in &args.templates {
        if !dir.is_dir() {
            return Err(CliError(format!("error: --templates {}: not a directory", dir.display())));
        }
    }
    let views = serve::views::load(&args.views).map_err(|e| CliError(format!("error: {e}")))?;
    for origin in &args.allowed_origins {
        if !(origin.starts_with("http://") || origin.starts_with("https://")) || origin.trim_end_matches('/').matches('/').count() != 2 {
            return Err(CliError(format!("error: --allowed-origin {origin:?}: an origin is `http(s)://host[:port]`, without a path")));
        }
    }
    let mut config = ServeConfig::new(args.addr, args.templates, views);
    config.actors = ActorConfig::default();
    config.actors.pubsub.redis_url = args.redis;
    config.actors.resume_grace = settings::seconds(args.resume_grace);
    config.actors.resume_ttl = settings::seconds(args.resume_ttl);
    if config.actors.pubsub.redis_url.is_some() && args.resume_ttl > 0.0 && args.secret_key.is_none() {
        eprintln!(
            "wasmlive serve: without --secret-key each process signs resume tokens with its own random key: views resume only on the process that mounted them"
        );
    }
    config.max_frame_bytes = args.max_frame_bytes;
    config.allowed_origins = args.allowed_origins;
    config.secret_key = args.secret_key;
    if let Some(wait) = args.first_paint_seconds {
        config.first_paint_wait = wait;
    }
    config.max_views_per_connection = args.max_views_per_connection as usize;
    config.max_frames_per_second = (args.max_frames_per_second > 0).then_some(args.max_frames_per_second);
    serve::run(config, logic, shutdown_signal(), |addr| {
        println!("wasmlive serve: listening on http://{addr}/ (Ctrl-C stops)");
    })
    .await
    .map_err(|e| CliError(format!("error: {e}")))
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
