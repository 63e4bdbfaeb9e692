//! `wasmlive serve`: LiveViews over HTTP and WebSocket without Django.
//!
//! The same protocol and the same JS client as the Django integration
//! (`docs/python.md`): a GET paints a view's page (it works without
//! JavaScript), the client then mounts it over `/ws/live/` and sends
//! events; POSTs to the page are the HTTP fallback.
//!
//! - [`views`]: the views file.
//! - `http`: pages, the client script, the POST fallback, the Origin check.
//! - `socket`: one WebSocket connection, one session actor.
//! - `page`: the page around a view's HTML.
//! - `cookie`: the signed session cookie.
//! - `first_paint`: first paints dropped when no client claims them.
//!
//! What a client may send is checked as under Django
//! ([`crate::params`]; docs/guides/security.md).
//!
//! Handlers come from a [`LogicFactory`]: the standalone binary has none
//! (views merge event params into their state, the seed's fallback); the
//! Python package supplies one that runs `@event_handler` methods.

mod cookie;
mod first_paint;
mod http;
mod page;
mod socket;
pub mod views;

use crate::actors::{ActorConfig, ActorSupervisor, ViewLogic};
use crate::params::ParamLimits;
use crate::protocol::FrameLimits;
use crate::settings;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use crate::engine_host::{HostServices, StandaloneServices};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
pub use views::ViewEntry;

/// Makes the logic of views that name a handler.
pub trait LogicFactory: Send + Sync + 'static {
    /// Whether `view`'s handler can be had, checked once at startup.
    fn check(&self, view: &ViewEntry) -> Result<(), String>;
    /// Logic for a new mount of `view`, whose `handler` is `Some`.
    fn create(&self, view: &ViewEntry) -> Result<Box<dyn ViewLogic>, String>;
}

/// The standalone binary's factory: it has no Python.
pub struct NoPython;

impl LogicFactory for NoPython {
    fn check(&self, view: &ViewEntry) -> Result<(), String> {
        self.create(view).map(|_| ())
    }

    fn create(&self, view: &ViewEntry) -> Result<Box<dyn ViewLogic>, String> {
        Err(format!(
            "view {:?} names the Python handler {:?}, and this wasmlive binary has no Python: run `python -m wasmlive serve …` from the wasmlive Python package",
            view.name,
            view.handler.as_deref().unwrap_or_default()
        ))
    }
}

/// What `serve` needs.
pub struct ServeConfig {
    pub addr: SocketAddr,
    pub template_dirs: Vec<PathBuf>,
    pub views: Vec<ViewEntry>,
    pub actors: ActorConfig,
    /// Largest WebSocket frame or POST body accepted, in bytes.
    pub max_frame_bytes: usize,
    /// Limits on a client's event and mount params.
    pub params: ParamLimits,
    /// Origins (`scheme://host[:port]`) whose pages may open a WebSocket,
    /// besides the server's own (the handshake's `Host`).
    pub allowed_origins: Vec<String>,
    /// The key session cookies are signed with; `None`: a random one per process.
    pub secret_key: Option<String>,
    /// How long a first paint waits for a client to claim it.
    pub first_paint_wait: Duration,
    /// Unclaimed first paints kept; past it the oldest are dropped.
    pub max_unclaimed_first_paints: usize,
    /// Views one WebSocket may have mounted at once.
    pub max_views_per_connection: usize,
    /// Frames one WebSocket may send per second, sustained (bursts of as
    /// many); past it the next frame is read later. `None`: no limit.
    pub max_frames_per_second: Option<u32>,
}

impl ServeConfig {
    /// A config with the defaults for everything but where and what to serve.
    pub fn new(addr: SocketAddr, template_dirs: Vec<PathBuf>, views: Vec<ViewEntry>) -> ServeConfig {
        ServeConfig {
            addr,
            template_dirs,
            views,
            actors: ActorConfig::default(),
            max_frame_bytes: settings::MAX_FRAME_BYTES,
            params: ParamLimits::default(),
            allowed_origins: Vec::new(),
            secret_key: None,
            first_paint_wait: settings::seconds(settings::FIRST_PAINT_SECONDS),
            max_unclaimed_first_paints: settings::MAX_UNCLAIMED_FIRST_PAINTS,
            max_views_per_connection: settings::MAX_VIEWS_PER_CONNECTION,
            max_frames_per_second: Some(settings::MAX_FRAMES_PER_SECOND),
        }
    }
}

/// Shared by every request.
pub(crate) struct App {
    supervisor: Arc<ActorSupervisor>,
    services: Arc<dyn HostServices>,
    views: Vec<ViewEntry>,
    logic: Arc<dyn LogicFactory>,
    frame_limits: FrameLimits,
    allowed_origins: Vec<String>,
    cookies: cookie::CookieSigner,
    first_paints: Arc<first_paint::FirstPaints>,
    max_views_per_connection: usize,
    max_frames_per_second: Option<u32>,
    /// Since the start: frames held back by the rate, mounts refused by the cap.
    throttled_frames: AtomicU64,
    refused_mounts: AtomicU64,
    /// Cancelled at shutdown: connections close.
    stopping: CancellationToken,
}

impl App {
    /// What the limits did so far, as the Django app's `limit_stats()` counts it.
    fn limit_stats(&self) -> [(&'static str, u64); 6] {
        let paints = &self.first_paints;
        [
            ("throttled_frames", self.throttled_frames.load(Relaxed)),
            ("refused_mounts", self.refused_mounts.load(Relaxed)),
            ("unclaimed_first_paints", paints.unclaimed() as u64),
            ("claimed_first_paints", paints.claimed.load(Relaxed)),
            ("expired_first_paints", paints.expired.load(Relaxed)),
            ("evicted_first_paints", paints.evicted.load(Relaxed)),
        ]
    }

    fn log_limits(&self) {
        let stats = self.limit_stats();
        let line: Vec<String> = stats.iter().map(|(k, v)| format!("{k}={v}")).collect();
        tracing::info!("limits: {}", line.join(" "));
    }

    fn view(&self, name: &str) -> Option<&ViewEntry> {
        self.views.iter().find(|v| v.name == name)
    }

    fn logic_for(&self, view: &ViewEntry) -> Result<Option<Box<dyn ViewLogic>>, String> {
        match &view.handler {
            Some(_) => self.logic.create(view).map(Some),
            None => Ok(None),
        }
    }
}

/// Log the limits' counts every minute in which they changed (and at
/// shutdown): `serve`'s `limit_stats()`, until #30's metrics endpoint.
async fn report_limits(app: Arc<App>) {
    let mut last = app.limit_stats();
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(60)) => {}
            () = app.stopping.cancelled() => return,
        }
        let now = app.limit_stats();
        if now != last {
            app.log_limits();
            last = now;
        }
    }
}

/// Bind, serve until `shutdown` resolves, then close every connection and
/// drain every session. `ready` gets the bound address (port 0 picks one).
pub async fn run(
    config: ServeConfig,
    logic: Arc<dyn LogicFactory>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), String> {
    let supervisor = ActorSupervisor::start(config.actors).map_err(|e| format!("cannot start the actor system: {e}"))?;
    let services: Arc<dyn HostServices> = Arc::new(StandaloneServices::with_template_dirs(config.template_dirs.clone()));
    // Every template must load, and every handler be available, before we listen.
    for v in &config.views {
        services
            .load_template(&v.template)
            .map_err(|e| format!("view {:?}: {e}", v.name))?;
        if v.handler.is_some() {
            logic.check(v)?;
        }
    }
    let app = Arc::new(App {
        supervisor: supervisor.clone(),
        services,
        views: config.views,
        logic,
        frame_limits: FrameLimits { max_frame_bytes: config.max_frame_bytes, params: config.params },
        allowed_origins: config.allowed_origins,
        cookies: cookie::CookieSigner::new(config.secret_key.as_deref()),
        first_paints: Arc::new(first_paint::FirstPaints::new(config.first_paint_wait, config.max_unclaimed_first_paints)),
        max_views_per_connection: config.max_views_per_connection,
        max_frames_per_second: config.max_frames_per_second,
        throttled_frames: AtomicU64::new(0),
        refused_mounts: AtomicU64::new(0),
        stopping: CancellationToken::new(),
    });
    tokio::spawn(app.first_paints.clone().sweep(supervisor.clone(), app.stopping.clone()));
    tokio::spawn(report_limits(app.clone()));
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    // Frames go out as written: with Nagle's algorithm a second answer waits
    // for the peer's delayed ACK of the first (40 ms a pair, measured by the
    // fuzz test, which sends a frame and a ping back to back).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    ready(bound);
    let stopping = app.stopping.clone();
    let router = http::router(app.clone());
    let server = axum::serve(listener, router).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: closing connections, draining sessions");
        stopping.cancel();
    });
    server.await.map_err(|e| format!("the server failed: {e}"))?;
    app.log_limits();
    let report = supervisor.shutdown_all().await;
    tracing::info!(sessions = report.sessions, drained = report.drained, "stopped");
    if !report.drained {
        return Err(format!("{} sessions did not drain in time", report.sessions));
    }
    Ok(())
}
