//! `wasmlive bench`

use super::CliError;
use crate::bench::{self, BenchOptions};
use clap::Args;
use std::io::{IsTerminal, Write};

#[derive(Debug, Args)]
pub(super) struct BenchArgs {
    /// Sessions mounted for the memory-per-session measurement.
    #[arg(long, default_value_t = 10_000)]
    sessions: usize,
    /// Events sent by the single-actor benchmark.
    #[arg(long, default_value_t = 20_000)]
    events: usize,
    /// Print one JSON object with the results instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    pub(super) runtime: super::RuntimeArgs,
}

pub(super) async fn run(args: BenchArgs) -> Result<(), CliError> {
    if args.sessions == 0 || args.events == 0 {
        return Err(CliError("error: --sessions and --events must be at least 1".into()));
    }
    let options = BenchOptions {
        sessions: args.sessions,
        events: args.events,
        ..BenchOptions::default()
    };
    let mut progress = Progress::new();
    let results = bench::run(&options, |stage| progress.start(stage))
        .await
        .map_err(|e| CliError(format!("error: {e}")))?;
    progress.finish();
    if args.json {
        println!("{}", serde_json::to_string(&results)?);
        return Ok(());
    }
    println!("| benchmark | result |");
    println!("|---|---|");
    println!("| message round trip | {:.2} µs |", results.round_trip_us);
    println!("| single actor | {:.0} events/s |", results.single_actor_events_per_s);
    println!("| {} concurrent sessions | {:.0} events/s |", options.concurrent_sessions, results.concurrent_events_per_s);
    println!("| mount latency p50 / p99 | {:.0} / {:.0} µs |", results.mount_p50_us, results.mount_p99_us);
    let kib = |bytes: u64| bytes as f64 / 1024.0;
    println!(
        "| memory per idle session ({} sessions), PSS / RSS | {:.1} / {:.1} KiB |",
        results.sessions,
        kib(results.pss_per_session_bytes),
        kib(results.rss_per_session_bytes)
    );
    Ok(())
}

/// The stages as a progress bar on a terminal, one line each otherwise
/// (logs and CI).
struct Progress {
    terminal: bool,
    done: usize,
}

impl Progress {
    fn new() -> Progress {
        Progress { terminal: std::io::stderr().is_terminal(), done: 0 }
    }

    fn start(&mut self, stage: bench::Stage) {
        let total = bench::Stage::ALL.len();
        let index = bench::Stage::ALL.iter().position(|s| *s == stage).unwrap_or(self.done);
        self.done = index;
        if self.terminal {
            let width = 30;
            let filled = width * index / total;
            eprint!("\r\x1b[2K[{}{}] {}/{} {}", "#".repeat(filled), " ".repeat(width - filled), index + 1, total, stage.label());
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("running: {} ({}/{})", stage.label(), index + 1, total);
        }
    }

    fn finish(&mut self) {
        if self.terminal {
            eprintln!("\r\x1b[2K[{}] done", "#".repeat(30));
        }
    }
}
