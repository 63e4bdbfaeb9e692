//! Every setting's default, once. The Rust configurations' `Default`s
//! ([`ActorConfig`](crate::actors::ActorConfig), the guest limits,
//! [`ParamLimits`](crate::params::ParamLimits), `serve`'s config and its
//! flags) read these constants; the Django app's `LIVEVIEW_CONFIG`
//! defaults are [`DEFAULTS`] (`wasmlive._host.setting_defaults()`); and
//! docs/reference/settings.md is checked against them (test_docs.py).

/// Seconds without a message before a session is shut down.
pub const ACTOR_TTL_SECONDS: u64 = 3600;
/// Seconds between looks for idle sessions.
pub const CLEANUP_INTERVAL: u64 = 60;
/// Seconds between pings of every session.
pub const HEALTH_CHECK_INTERVAL: u64 = 30;
/// Seconds a session has to answer a ping.
pub const HEALTH_CHECK_TIMEOUT: u64 = 5;
/// Mailboxes: a session's, a view's, a component's.
pub const SESSION_MAILBOX: usize = 100;
pub const VIEW_MAILBOX: usize = 50;
pub const COMPONENT_MAILBOX: usize = 20;
/// Seconds a caller waits for an actor's answer.
pub const MESSAGE_TIMEOUT: u64 = 30;
/// Seconds a shutdown waits for actors to drain.
pub const SHUTDOWN_TIMEOUT: u64 = 10;
/// Seconds idle before a view gives back its guests' call-time memory.
pub const RELEASE_MEMORY_AFTER: f64 = 1.0;
/// Limits of one guest instance.
pub const GUEST_MEMORY_BYTES: usize = 64 << 20;
pub const GUEST_DEADLINE: f64 = 1.0;
pub const GUEST_OUTPUT_BYTES: usize = 16 << 20;
/// Faults in a row before a view's guest is quarantined, and for how long.
pub const GUEST_QUARANTINE_AFTER: u32 = 3;
pub const GUEST_QUARANTINE_SECONDS: f64 = 5.0;
pub const GUEST_QUARANTINE_MAX_SECONDS: f64 = 60.0;
/// Limits of a client's params.
pub const MAX_PARAM_DEPTH: usize = 8;
pub const MAX_PARAM_ITEMS: usize = 1000;
pub const MAX_PARAM_BYTES: usize = 256 << 10;
/// Largest frame a server reads.
pub const MAX_FRAME_BYTES: usize = 1 << 20;
/// Views one connection may have mounted.
pub const MAX_VIEWS_PER_CONNECTION: usize = 100;
/// Frames one connection may send per second, sustained.
pub const MAX_FRAMES_PER_SECOND: u32 = 200;
/// Seconds a first paint waits to be claimed, and how many may wait.
pub const FIRST_PAINT_SECONDS: f64 = 30.0;
pub const MAX_UNCLAIMED_FIRST_PAINTS: usize = 10_000;
/// Microseconds the asyncio thread waits for a fast answer before parking.
pub const BRIDGE_SPIN_US: u64 = 200;
/// Microseconds an idle Tokio worker spins before parking (with two cores or more).
pub const WORKER_SPIN_US: u64 = 100;
/// Seconds between Django's `close_old_connections()` in the consumer.
pub const DB_CLEANUP_INTERVAL: f64 = 1.0;
/// Messages Redis keeps per topic to fill a subscriber's holes from.
pub const PUBSUB_STREAM_LEN: usize = 1000;
/// The largest PubSub message, in bytes of JSON.
pub const PUBSUB_MAX_MESSAGE_BYTES: usize = 64 << 10;
/// Seconds a session whose connection closed waits for a reconnect to resume it.
pub const RESUME_GRACE_SECONDS: f64 = 30.0;
/// Seconds a view's snapshot outlives its last render (resume on another process).
pub const RESUME_TTL_SECONDS: f64 = 1800.0;

/// A default as the Python side sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Default {
    Bool(bool),
    Int(i64),
    Float(f64),
    /// `None`: computed at startup (the meaning says how).
    Computed,
    EmptyList,
    EmptyDict,
}

/// Every `LIVEVIEW_CONFIG` key with its default, in the reference's order.
pub const DEFAULTS: &[(&str, Default)] = &[
    ("use_actors", Default::Bool(true)),
    ("actor_ttl_seconds", Default::Int(ACTOR_TTL_SECONDS as i64)),
    ("cleanup_interval", Default::Int(CLEANUP_INTERVAL as i64)),
    ("health_check_interval", Default::Int(HEALTH_CHECK_INTERVAL as i64)),
    ("health_check_timeout", Default::Int(HEALTH_CHECK_TIMEOUT as i64)),
    ("session_channel_capacity", Default::Int(SESSION_MAILBOX as i64)),
    ("view_channel_capacity", Default::Int(VIEW_MAILBOX as i64)),
    ("component_channel_capacity", Default::Int(COMPONENT_MAILBOX as i64)),
    ("message_timeout", Default::Int(MESSAGE_TIMEOUT as i64)),
    ("shutdown_timeout", Default::Int(SHUTDOWN_TIMEOUT as i64)),
    ("release_memory_after", Default::Float(RELEASE_MEMORY_AFTER)),
    ("guest_memory_bytes", Default::Int(GUEST_MEMORY_BYTES as i64)),
    ("guest_deadline", Default::Float(GUEST_DEADLINE)),
    ("guest_output_bytes", Default::Int(GUEST_OUTPUT_BYTES as i64)),
    ("engine_limits", Default::EmptyDict),
    ("guest_quarantine_after", Default::Int(GUEST_QUARANTINE_AFTER as i64)),
    ("guest_quarantine_seconds", Default::Float(GUEST_QUARANTINE_SECONDS)),
    ("guest_quarantine_max_seconds", Default::Float(GUEST_QUARANTINE_MAX_SECONDS)),
    ("max_param_depth", Default::Int(MAX_PARAM_DEPTH as i64)),
    ("max_param_items", Default::Int(MAX_PARAM_ITEMS as i64)),
    ("max_param_bytes", Default::Int(MAX_PARAM_BYTES as i64)),
    ("max_frame_bytes", Default::Int(MAX_FRAME_BYTES as i64)),
    ("allowed_views", Default::EmptyList),
    ("max_views_per_connection", Default::Int(MAX_VIEWS_PER_CONNECTION as i64)),
    ("max_frames_per_second", Default::Int(MAX_FRAMES_PER_SECOND as i64)),
    ("first_paint_seconds", Default::Float(FIRST_PAINT_SECONDS)),
    ("max_unclaimed_first_paints", Default::Int(MAX_UNCLAIMED_FIRST_PAINTS as i64)),
    ("bridge_spin_us", Default::Int(BRIDGE_SPIN_US as i64)),
    ("worker_spin_us", Default::Computed),
    ("db_cleanup_interval", Default::Float(DB_CLEANUP_INTERVAL)),
    ("handler_threads", Default::Computed),
    ("pubsub", Default::EmptyDict),
];

/// Seconds as a `Duration` (for the `f64` defaults).
pub fn seconds(s: f64) -> std::time::Duration {
    std::time::Duration::from_secs_f64(s)
}
