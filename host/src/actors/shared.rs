//! What every actor of one system shares: configuration, the guest engine
//! and default guests, statistics, and the tracker of running actor tasks.

use super::config::ActorConfig;
use super::stats::Stats;
use crate::engine_host::{GuestEngine, HostServices, LoadError, StandaloneServices, TemplateEngine, VdomEngine};
use crate::pubsub::{PubSub, PubSubError};
use crate::resume::SnapshotStore;
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
    /// The process's PubSub, started at first use (a Redis connection only
    /// when something subscribes or publishes).
    pubsub: std::sync::Mutex<Option<PubSub>>,
    /// The runtime the actors run on (timers and PubSub start on it from any thread).
    pub runtime: tokio::runtime::Handle,
    /// Where socket views write their snapshots: with Redis configured and
    /// a resume TTL, else `None` (views resume in process only).
    pub snapshots: Option<SnapshotStore>,
}

impl Shared {
    pub fn new(config: ActorConfig) -> Result<Shared, LoadError> {
        let engine = GuestEngine::new(config.engine.clone())?;
        let snapshots = match &config.pubsub.redis_url {
            Some(url) if !config.resume_ttl.is_zero() => match SnapshotStore::start(url, config.resume_ttl) {
                Ok(store) => Some(store),
                // The same URL fails PubSub's subscribes and publishes too, each saying so.
                Err(e) => {
                    tracing::error!(error = %e, "resume snapshots are off: views resume only in the process that mounted them");
                    None
                }
            },
            _ => None,
        };
        Ok(Shared {
            snapshots,
            templates: engine.default_templates()?,
            vdom: engine.default_vdom()?,
            engine,
            services: Arc::new(StandaloneServices::default()),
            stats: Arc::new(Stats::default()),
            tracker: TaskTracker::new(),
            started: Instant::now(),
            pubsub: Default::default(),
            runtime: tokio::runtime::Handle::current(),
            config,
        })
    }

    /// The process's PubSub, started now if it was not (within the runtime).
    pub fn pubsub(&self) -> Result<PubSub, PubSubError> {
        let mut slot = self.pubsub.lock().expect("pubsub lock");
        if let Some(pubsub) = &*slot {
            return Ok(pubsub.clone());
        }
        let _runtime = self.runtime.enter();
        let pubsub = PubSub::start(&self.config.pubsub)?;
        *slot = Some(pubsub.clone());
        Ok(pubsub)
    }

    /// The PubSub's figures, if it started.
    pub fn pubsub_stats(&self) -> Option<crate::pubsub::PubSubStats> {
        self.pubsub.lock().expect("pubsub lock").as_ref().map(PubSub::stats)
    }

    /// Milliseconds since the system started: the unit of activity stamps.
    pub fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }
}
