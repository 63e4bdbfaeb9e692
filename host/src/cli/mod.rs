//! The `wasmlive` command line: argument parsing plus one call into the
//! library per subcommand.

mod bench;
mod broadcast;
mod check;
mod diff;
mod inspect;
mod render;
mod serve;

use crate::runtime::RuntimeConfig;
use crate::engine_host::{EngineConfig, GuestEngine, GuestLimits, TemplateEngine, VdomEngine};
use clap::{Args, Parser, Subcommand};
use std::time::Duration;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
pub use crate::serve::{LogicFactory, NoPython};

/// wasmlive: Django LiveViews with state in Rust actors and rendering in
/// sandboxed WebAssembly guests.
#[derive(Debug, Parser)]
#[command(name = "wasmlive", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    /// The Tokio runtime the command asks for: `base` with the command's
    /// runtime flags (`bench` and `serve` take them) applied.
    pub fn runtime(&self, base: RuntimeConfig) -> RuntimeConfig {
        match &self.command {
            Command::Bench(args) => args.runtime.apply(base),
            Command::Serve(args) => args.runtime.apply(base),
            _ => base,
        }
    }
}

/// How the Tokio runtime the actors run on is built.
#[derive(Debug, Args)]
struct RuntimeArgs {
    /// Tokio worker threads [default: the cores this process may use]
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    worker_threads: Option<u16>,
    /// Microseconds an idle worker waits for work, yielding its core, before
    /// it parks (0: park at once) [default: 100, or 0 on one core]
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=crate::runtime::MAX_SPIN_BEFORE_PARK_US))]
    worker_spin_us: Option<u64>,
}

impl RuntimeArgs {
    fn apply(&self, mut config: RuntimeConfig) -> RuntimeConfig {
        if let Some(n) = self.worker_threads {
            config.worker_threads = Some(n.into());
        }
        if let Some(us) = self.worker_spin_us {
            config.spin_before_park = Duration::from_micros(us);
        }
        config
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render a Django template with a JSON context and print the HTML.
    Render(render::RenderArgs),
    /// Diff two HTML files and print the patches that turn the first into the second.
    Diff(diff::DiffArgs),
    /// Compile every template under the paths and report every error as file:line:col.
    Check(check::CheckArgs),
    /// Show a component's imports and exports and which wasmlive world it implements.
    Inspect(inspect::InspectArgs),
    /// Run the actor benchmark suite against the embedded guests.
    Bench(bench::BenchArgs),
    /// Serve LiveViews from a views file over HTTP and WebSocket, without Django.
    Serve(serve::ServeArgs),
    /// Publish a JSON message to a topic's views in every process on a Redis.
    Broadcast(broadcast::BroadcastArgs),
}

/// A failure to report to the user; the message is printed as is.
#[derive(Debug)]
pub struct CliError(pub String);

impl<E: std::fmt::Display> From<E> for CliError {
    fn from(e: E) -> CliError {
        CliError(e.to_string())
    }
}

/// Run the CLI with the process's arguments.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match cli.runtime(RuntimeConfig::default()).build("wasmlive-worker") {
        Ok(runtime) => runtime,
        Err(e) => return report(Err(CliError(format!("error: cannot start the Tokio runtime: {e}")))),
    };
    // Run the command as a task on a worker thread rather than on the main
    // thread: the actors it talks to then wake on the same worker instead of
    // across threads.
    let command = runtime.spawn(run(cli, Arc::new(NoPython)));
    let result = runtime
        .block_on(command)
        .unwrap_or_else(|e| Err(CliError(format!("error: the command failed: {e}"))));
    report(result)
}

/// Parse `argv` (without the program name) as the CLI's arguments.
pub fn parse(argv: impl IntoIterator<Item = String>) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("wasmlive".to_string()).chain(argv))
}

/// Run a parsed command; `logic` makes the handlers `serve` views name.
pub async fn run(cli: Cli, logic: Arc<dyn LogicFactory>) -> Result<(), CliError> {
    if !matches!(cli.command, Command::Serve(_)) {
        die_quietly_on_a_closed_pipe();
    }
    match cli.command {
        Command::Render(args) => render::run(args).await,
        Command::Diff(args) => diff::run(args).await,
        Command::Check(args) => check::run(args).await,
        Command::Inspect(args) => inspect::run(args).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Serve(args) => serve::run_with(args, logic).await,
        Command::Broadcast(args) => broadcast::run(args).await,
    }
}

/// Commands that print end quietly when their reader goes (`wasmlive diff
/// … | head`), as Unix tools do. Rust ignores SIGPIPE, so each `println!`
/// to a closed pipe would panic with a backtrace. Not for `serve`, which
/// writes to sockets whose peers may go at any time.
fn die_quietly_on_a_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Print a command's failure; its exit code.
pub fn report(result: Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError(message)) => {
            // An empty message: the command has reported already (`check`).
            if !message.is_empty() {
                eprintln!("{message}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, filtered by `WASMLIVE_LOG` or `RUST_LOG` (errors only by default).
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WASMLIVE_LOG")
                .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
                .unwrap_or_else(|_| "error".into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
}

/// The guest limits `render` and `diff` run under; defaults are the
/// engine's (docs/sandbox.md).
#[derive(Debug, Args)]
pub(crate) struct LimitArgs {
    /// Largest linear memory of the guest, in bytes. Default: 64 MiB.
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    guest_memory: Option<u64>,
    /// Longest the guest call may run, in seconds. Default: 1.
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    guest_deadline: Option<Duration>,
    /// Largest output of the guest call, in bytes. Default: 16 MiB.
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    guest_output: Option<u64>,
}

impl LimitArgs {
    pub(crate) fn limits(&self, defaults: GuestLimits) -> GuestLimits {
        GuestLimits {
            memory_bytes: self.guest_memory.map_or(defaults.memory_bytes, |b| b as usize),
            deadline: self.guest_deadline.unwrap_or(defaults.deadline),
            output_bytes: self.guest_output.map_or(defaults.output_bytes, |b| b as usize),
        }
    }
}

fn positive_seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("`{text}` is not a positive number of seconds"))
}

/// A number of seconds, zero allowed (as a float: clap shows the default as given).
fn seconds_or_zero(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| *s >= 0.0 && Duration::try_from_secs_f64(*s).is_ok())
        .ok_or_else(|| format!("`{text}` is not a number of seconds (0 or more)"))
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError(format!("error: cannot read {}: {e}", path.display())))
}

fn read_text(path: &Path) -> Result<String, CliError> {
    String::from_utf8(read(path)?).map_err(|_| CliError(format!("error: {} is not UTF-8 text", path.display())))
}

fn engine() -> Result<GuestEngine, CliError> {
    GuestEngine::new(EngineConfig::default()).map_err(|e| CliError(format!("error: {e}")))
}

fn template_engine(engine: &GuestEngine, custom: Option<&PathBuf>) -> Result<TemplateEngine, CliError> {
    let loaded = match custom {
        Some(path) => engine.load_templates(&path.display().to_string(), &read(path)?),
        None => engine.default_templates(),
    };
    loaded.map_err(|e| CliError(format!("error: {e}")))
}

fn vdom_engine(engine: &GuestEngine, custom: Option<&PathBuf>) -> Result<VdomEngine, CliError> {
    let loaded = match custom {
        Some(path) => engine.load_vdom(&path.display().to_string(), &read(path)?),
        None => engine.default_vdom(),
    };
    loaded.map_err(|e| CliError(format!("error: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_and_serve_take_runtime_flags_over_the_base() {
        let base = RuntimeConfig {
            worker_threads: Some(4),
            spin_before_park: Duration::from_micros(100),
        };
        let cli = parse(["bench", "--worker-spin-us", "0"].map(String::from)).unwrap();
        assert_eq!(cli.runtime(base.clone()), RuntimeConfig { spin_before_park: Duration::ZERO, ..base.clone() });
        let argv = ["serve", "--templates", ".", "--views", "v.json", "--worker-threads", "1"].map(String::from);
        let cli = parse(argv).unwrap();
        assert_eq!(cli.runtime(base.clone()), RuntimeConfig { worker_threads: Some(1), ..base.clone() });
        let cli = parse(["diff", "a.html", "b.html"].map(String::from)).unwrap();
        assert_eq!(cli.runtime(base.clone()), base);
    }
}
