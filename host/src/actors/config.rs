//! The one configuration of the actor system, with the seed's defaults.

use crate::engine_host::{EngineConfig, GuestLimits};
use crate::pubsub::PubSubConfig;
use crate::settings;
use std::time::Duration;

/// Everything the actor system can be tuned by. `Default` gives the seed's
/// values; every field can be set.
#[derive(Debug, Clone)]
pub struct ActorConfig {
    /// A session with no message for this long is shut down. Default: 3600 s.
    pub session_ttl: Duration,
    /// How often idle sessions are looked for. Default: 60 s.
    pub cleanup_interval: Duration,
    /// How often every session is pinged. Default: 30 s.
    pub health_check_interval: Duration,
    /// A session that does not answer a ping within this is removed. Default: 5 s.
    pub health_check_timeout: Duration,
    /// Session mailbox size: events from one connection. Default: 100.
    pub session_mailbox: usize,
    /// View mailbox size. Default: 50.
    pub view_mailbox: usize,
    /// Component mailbox size. Default: 20.
    pub component_mailbox: usize,
    /// Longest a caller waits for an actor's reply (queueing included)
    /// before getting `ActorError::Timeout`. Default: 30 s.
    pub message_timeout: Duration,
    /// Longest `shutdown_all` waits for actors to drain. Default: 10 s.
    pub shutdown_timeout: Duration,
    /// Engine-wide guest settings (allocator, stack, epoch tick).
    pub engine: EngineConfig,
    /// Limits of each guest instance a view or component owns.
    pub guest_limits: GuestLimits,
    /// Where views' topics are shared: Redis, or this process alone (the default).
    pub pubsub: PubSubConfig,
    /// How long a session whose connection closed is kept for a reconnect
    /// to resume its views in memory (`ActorSupervisor::park_session`);
    /// zero shuts it down at once. Default: 30 s.
    pub resume_grace: Duration,
    /// How long a view's snapshot outlives its last render, for a reconnect
    /// to another process to resume it (`crate::resume`). Snapshots are
    /// written only with Redis configured (`pubsub.redis_url`); zero writes
    /// none. Default: 1800 s.
    pub resume_ttl: Duration,
}

impl Default for ActorConfig {
    fn default() -> Self {
        ActorConfig {
            session_ttl: Duration::from_secs(settings::ACTOR_TTL_SECONDS),
            cleanup_interval: Duration::from_secs(settings::CLEANUP_INTERVAL),
            health_check_interval: Duration::from_secs(settings::HEALTH_CHECK_INTERVAL),
            health_check_timeout: Duration::from_secs(settings::HEALTH_CHECK_TIMEOUT),
            session_mailbox: settings::SESSION_MAILBOX,
            view_mailbox: settings::VIEW_MAILBOX,
            component_mailbox: settings::COMPONENT_MAILBOX,
            message_timeout: Duration::from_secs(settings::MESSAGE_TIMEOUT),
            shutdown_timeout: Duration::from_secs(settings::SHUTDOWN_TIMEOUT),
            engine: EngineConfig::default(),
            guest_limits: GuestLimits::default(),
            pubsub: PubSubConfig::default(),
            resume_grace: settings::seconds(settings::RESUME_GRACE_SECONDS),
            resume_ttl: settings::seconds(settings::RESUME_TTL_SECONDS),
        }
    }
}
