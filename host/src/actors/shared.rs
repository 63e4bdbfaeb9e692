//! What every actor of one system shares: configuration, the guest engine
//! and default guests, statistics, and the tracker of running actor tasks.

use super::config::ActorConfig;
use super::stats::Stats;
use crate::engine_host::{GuestEngine, HostServices, LoadError, StandaloneServices, TemplateEngine, VdomEngine};
use std::sync::Arc;
use std::time::Instant;
use tokio_util::task::TaskTracker;

pub(crate) struct Shared {
    pub config: ActorConfig,
    pub engine: GuestEngine,
    /// The default guests, compiled once for every view that names no other.
    pub templates: TemplateEngine,
    pub vdom: VdomEngine,
    /// Host services for views that bring none (templates from no directory).
    pub services: Arc<dyn HostServices>,
    pub stats: Arc<Stats>,
    /// Every actor task, so shutdown can wait until all of them are done.
    pub tracker: TaskTracker,
    /// Reference point for activity timestamps (stored as milliseconds since).
    pub started: Instant,
}

impl Shared {
    pub fn new(config: ActorConfig) -> Result<Shared, LoadError> {
        let engine = GuestEngine::new(config.engine.clone())?;
        Ok(Shared {
            templates: engine.default_templates()?,
            vdom: engine.default_vdom()?,
            engine,
            services: Arc::new(StandaloneServices::default()),
            stats: Arc::new(Stats::default()),
            tracker: TaskTracker::new(),
            started: Instant::now(),
            config,
        })
    }

    /// Milliseconds since the system started: the unit of activity stamps.
    pub fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }
}
