//! The actor benchmark suite: the seed's benchmarks (single actor, concurrent
//! sessions, mount latency) plus message round trip and memory per session,
//! run against the real actor system and guests. `wasmlive bench` runs it.

pub mod counter;

use crate::actors::{ActorConfig, ActorError, ActorSupervisor, Delivery, Event, MountRequest, Rendered, SessionHandle, State, TemplateSource, ViewHandle};
use crate::engine_host::LoadError;
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How much work each benchmark does.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Sessions mounted for the memory measurement.
    pub sessions: usize,
    /// Events sent by the single-actor benchmark.
    pub events: usize,
    /// Sessions in the concurrent benchmark (the seed uses 50).
    pub concurrent_sessions: usize,
    /// Events per session in the concurrent benchmark (the seed uses 100).
    pub events_per_session: usize,
    /// Pings in the round-trip benchmark.
    pub pings: usize,
    /// Mounts timed for the latency quantiles.
    pub mounts: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            sessions: 10_000,
            events: 20_000,
            concurrent_sessions: 50,
            events_per_session: 100,
            pings: 20_000,
            mounts: 1_000,
        }
    }
}

/// The figures, with the keys `wasmlive bench --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResults {
    pub round_trip_us: f64,
    pub single_actor_events_per_s: f64,
    pub concurrent_events_per_s: f64,
    pub mount_p50_us: f64,
    pub mount_p99_us: f64,
    /// Resident set size added per idle session (its views quiet for
    /// longer than `release_memory_after`, as most of a server's are).
    /// Overstates the real cost: every instance maps its guest's
    /// copy-on-write memory image, and RSS counts each shared page once per
    /// mapping (the kernel maps 64 KiB of it at the first read).
    pub rss_per_session_bytes: u64,
    /// Proportional set size added per idle session: shared pages divided
    /// among their users, i.e. the memory a session really adds.
    pub pss_per_session_bytes: u64,
    pub sessions: usize,
    /// Worker threads of the Tokio runtime the benchmarks ran on.
    pub worker_threads: usize,
}

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The default guests could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A request failed during a benchmark.
    #[error(transparent)]
    Actor(#[from] ActorError),
}

/// Which benchmark is running, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    RoundTrip,
    SingleActor,
    Concurrent,
    Mount,
    Memory,
}

impl Stage {
    /// Every stage, in the order `run` goes through them.
    pub const ALL: [Stage; 5] = [Stage::RoundTrip, Stage::SingleActor, Stage::Concurrent, Stage::Mount, Stage::Memory];

    pub fn label(self) -> &'static str {
        match self {
            Stage::RoundTrip => "message round trip",
            Stage::SingleActor => "single actor",
            Stage::Concurrent => "concurrent sessions",
            Stage::Mount => "mount latency",
            Stage::Memory => "memory per session",
        }
    }
}

/// The seed's counter view with its Rust handler, as every benchmark mounts it.
pub fn counter_request() -> MountRequest {
    MountRequest::new("counter", TemplateSource::Inline(counter::TEMPLATE.into())).logic(counter::Counter)
}

/// Run every benchmark in order, calling `progress` as each starts.
pub async fn run(options: &BenchOptions, mut progress: impl FnMut(Stage)) -> Result<BenchResults, BenchError> {
    let supervisor = start()?;
    progress(Stage::RoundTrip);
    let round_trip_us = round_trip(&supervisor, options.pings).await?;
    progress(Stage::SingleActor);
    let single_actor_events_per_s = single_actor(&supervisor, options.events).await?;
    progress(Stage::Concurrent);
    let concurrent_events_per_s =
        concurrent(&supervisor, options.concurrent_sessions, options.events_per_session).await?;
    progress(Stage::Mount);
    let (mount_p50_us, mount_p99_us) = mount_latency(&supervisor, options.mounts).await?;
    supervisor.shutdown_all().await;

    progress(Stage::Memory);
    let supervisor = start()?;
    let memory = memory_per_session(&supervisor, options.sessions).await?;
    supervisor.shutdown_all().await;
    Ok(BenchResults {
        round_trip_us,
        single_actor_events_per_s,
        concurrent_events_per_s,
        mount_p50_us,
        mount_p99_us,
        rss_per_session_bytes: memory.rss,
        pss_per_session_bytes: memory.pss,
        sessions: options.sessions,
        worker_threads: tokio::runtime::Handle::current().metrics().num_workers(),
    })
}

fn start() -> Result<Arc<ActorSupervisor>, LoadError> {
    ActorSupervisor::start(ActorConfig::default())
}

/// A new session with the counter view mounted: the session, and the view's handle.
async fn mounted_session(supervisor: &ActorSupervisor, id: &str) -> Result<(SessionHandle, ViewHandle), ActorError> {
    let session = supervisor.get_or_create_session(id);
    let mounted = session.mount(counter_request(), Delivery::Wait).await?.await?;
    Ok((session, mounted.view))
}

/// One counter event, answered.
async fn increment(view: &ViewHandle) -> Result<Rendered, ActorError> {
    view.event(Event::new("increment", State::new()), Delivery::Wait).await?.await
}

/// Rounds each rate is measured in; the median round is reported, so one
/// round slowed by a noisy neighbour does not make the figure.
const ROUNDS: usize = 5;

/// The median of `rounds` measurements.
async fn median_of<F, Fut>(rounds: usize, mut measure: F) -> Result<f64, ActorError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<f64, ActorError>>,
{
    let mut figures = Vec::with_capacity(rounds);
    for _ in 0..rounds.max(1) {
        figures.push(measure().await?);
    }
    figures.sort_by(f64::total_cmp);
    Ok(figures[figures.len() / 2])
}

/// Mean time of a ping through a session's mailbox and back, in µs (the
/// median of five rounds of `pings / 5`).
pub async fn round_trip(supervisor: &ActorSupervisor, pings: usize) -> Result<f64, ActorError> {
    let session = supervisor.get_or_create_session("bench-ping");
    session.ping(Delivery::Wait).await?.await?;
    let per_round = pings.div_ceil(ROUNDS);
    median_of(ROUNDS, || async {
        let started = Instant::now();
        for _ in 0..per_round {
            session.ping(Delivery::Wait).await?.await?;
        }
        Ok(per_op_us(started.elapsed(), per_round))
    })
    .await
}

/// Events per second through one session and view, each awaited before the
/// next (the median of five rounds of `events / 5`).
pub async fn single_actor(supervisor: &ActorSupervisor, events: usize) -> Result<f64, ActorError> {
    let (_session, view) = mounted_session(supervisor, "bench-single").await?;
    for _ in 0..100 {
        increment(&view).await?;
    }
    let per_round = events.div_ceil(ROUNDS);
    median_of(ROUNDS, || async {
        let started = Instant::now();
        for _ in 0..per_round {
            increment(&view).await?;
        }
        Ok(per_round as f64 / started.elapsed().as_secs_f64())
    })
    .await
}

/// Events per second over many sessions sending concurrently (the median
/// of five rounds of the seed's scenario).
pub async fn concurrent(supervisor: &ActorSupervisor, sessions: usize, per_session: usize) -> Result<f64, ActorError> {
    let mut handles = Vec::with_capacity(sessions);
    for i in 0..sessions {
        handles.push(mounted_session(supervisor, &format!("bench-concurrent-{i}")).await?);
    }
    median_of(ROUNDS, || async {
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for (_, view) in &handles {
            let view = view.clone();
            tasks.spawn(async move {
                for _ in 0..per_session {
                    increment(&view).await?;
                }
                Ok::<_, ActorError>(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.map_err(|e| ActorError::Panicked { actor: "bench", message: e.to_string() })??;
        }
        Ok((sessions * per_session) as f64 / started.elapsed().as_secs_f64())
    })
    .await
}

/// p50 and p99 of mounting the counter view in a new session, in µs.
pub async fn mount_latency(supervisor: &ActorSupervisor, mounts: usize) -> Result<(f64, f64), ActorError> {
    let mut latencies = Vec::with_capacity(mounts);
    for i in 0..mounts {
        let session = supervisor.get_or_create_session(&format!("bench-mount-{i}"));
        let started = Instant::now();
        session.mount(counter_request(), Delivery::Wait).await?.await?;
        latencies.push(started.elapsed());
        supervisor.remove_session(&format!("bench-mount-{i}")).await?;
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1];
    Ok((at(0.50).as_secs_f64() * 1e6, at(0.99).as_secs_f64() * 1e6))
}

/// Memory added per session, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionMemory {
    pub rss: u64,
    pub pss: u64,
}

/// Memory added per session with a mounted counter view that handled one
/// event (both guest instances included), measured over `sessions`
/// sessions once their views have been quiet for the supervisor's
/// `release_memory_after` (at once if that is `None`).
pub async fn memory_per_session(supervisor: &ActorSupervisor, sessions: usize) -> Result<SessionMemory, ActorError> {
    // One session first, so the components are compiled before measuring.
    let _warm = mounted_session(supervisor, "bench-memory-warm").await?;
    let (rss_before, pss_before) = (rss_bytes(), pss_bytes());
    let mut handles = Vec::with_capacity(sessions);
    for i in 0..sessions {
        let session = mounted_session(supervisor, &format!("bench-memory-{i}")).await?;
        increment(&session.1).await?;
        handles.push(session);
    }
    if let Some(quiet) = supervisor.config().engine.release_memory_after {
        // The sweeper looks every half period: released by 1.5 periods.
        tokio::time::sleep(quiet * 2).await;
    }
    let per = |after: u64, before: u64| after.saturating_sub(before) / sessions.max(1) as u64;
    Ok(SessionMemory {
        rss: per(rss_bytes(), rss_before),
        pss: per(pss_bytes(), pss_before),
    })
}

fn per_op_us(elapsed: Duration, ops: usize) -> f64 {
    elapsed.as_secs_f64() * 1e6 / ops.max(1) as f64
}

/// This process's proportional set size, from `/proc/self/smaps_rollup` (0 elsewhere).
pub fn pss_bytes() -> u64 {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// This process's resident set size, from `/proc/self/statm` (0 elsewhere).
pub fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}
