//! Counters, gauges, latency histograms and mailbox high-water marks of the
//! actor system: lock-free, updated on the hot path, read by `snapshot`.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

/// The kinds of request whose latency is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Mount,
    Event,
    Unmount,
    Ping,
    Render,
    UpdateState,
    ComponentEvent,
    ComponentUpdate,
    /// Messages a view was told (PubSub, timers), handled as one batch.
    Info,
}

impl MessageKind {
    const ALL: [MessageKind; 9] = [
        MessageKind::Mount,
        MessageKind::Event,
        MessageKind::Unmount,
        MessageKind::Ping,
        MessageKind::Render,
        MessageKind::UpdateState,
        MessageKind::ComponentEvent,
        MessageKind::ComponentUpdate,
        MessageKind::Info,
    ];
}

/// Live statistics, shared by every actor of one system.
#[derive(Default)]
pub struct Stats {
    pub(crate) sessions: Gauge,
    pub(crate) views: Gauge,
    pub(crate) components: Gauge,
    pub(crate) sessions_created: AtomicU64,
    pub(crate) sessions_expired: AtomicU64,
    pub(crate) sessions_unhealthy: AtomicU64,
    pub(crate) session_restarts: AtomicU64,
    pub(crate) messages: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) guest_restarts: AtomicU64,
    pub(crate) guest_refusals: AtomicU64,
    latencies: [Histogram; MessageKind::ALL.len()],
    pub(crate) session_mailbox: Mailbox,
    pub(crate) view_mailbox: Mailbox,
    pub(crate) component_mailbox: Mailbox,
    /// What views were told (PubSub, timers).
    pub(crate) inbox: super::info::InboxStats,
}

impl Stats {
    /// Record one handled request of `kind` that took `elapsed`.
    pub(crate) fn record(&self, kind: MessageKind, elapsed: Duration, ok: bool) {
        self.messages.fetch_add(1, Relaxed);
        if !ok {
            self.errors.fetch_add(1, Relaxed);
        }
        self.latencies[kind as usize].record(elapsed);
    }

    /// A consistent-enough copy of every figure.
    pub fn snapshot(&self) -> StatsSnapshot {
        let latency = MessageKind::ALL
            .iter()
            .filter_map(|&kind| {
                let h = &self.latencies[kind as usize];
                (h.count() > 0).then(|| (kind, h.summary()))
            })
            .collect();
        StatsSnapshot {
            active_sessions: self.sessions.get(),
            active_views: self.views.get(),
            active_components: self.components.get(),
            sessions_created: self.sessions_created.load(Relaxed),
            sessions_expired: self.sessions_expired.load(Relaxed),
            sessions_unhealthy: self.sessions_unhealthy.load(Relaxed),
            session_restarts: self.session_restarts.load(Relaxed),
            messages_processed: self.messages.load(Relaxed),
            errors: self.errors.load(Relaxed),
            guest_restarts: self.guest_restarts.load(Relaxed),
            guest_refusals: self.guest_refusals.load(Relaxed),
            memory_releases: 0,
            view_subscriptions: self.inbox.subscriptions.load(Relaxed),
            timers: self.inbox.timers.load(Relaxed),
            views_lagged: self.inbox.lagged.load(Relaxed),
            pubsub: None,
            resumes: Default::default(),
            latency,
            mailbox_high_water: MailboxHighWater {
                session: self.session_mailbox.high_water(),
                view: self.view_mailbox.high_water(),
                component: self.component_mailbox.high_water(),
            },
        }
    }
}

/// A count of live things that goes up and down.
#[derive(Default)]
pub(crate) struct Gauge(AtomicI64);

impl Gauge {
    pub fn inc(&self) {
        self.0.fetch_add(1, Relaxed);
    }
    pub fn dec(&self) {
        self.0.fetch_sub(1, Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Relaxed).max(0) as u64
    }
}

/// Decrements a gauge when dropped: an actor holds one for as long as it
/// lives, so the gauge is right however the actor ends (even by panic).
pub(crate) struct Alive {
    stats: Arc<Stats>,
    pick: fn(&Stats) -> &Gauge,
}

impl Alive {
    pub fn new(stats: Arc<Stats>, pick: fn(&Stats) -> &Gauge) -> Alive {
        pick(&stats).inc();
        Alive { stats, pick }
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        (self.pick)(&self.stats).dec();
    }
}

/// The high-water mark of one kind of mailbox (messages waiting at once).
#[derive(Clone, Default)]
pub(crate) struct Mailbox(Arc<AtomicUsize>);

impl Mailbox {
    pub fn observe(&self, queued: usize) {
        self.0.fetch_max(queued, Relaxed);
    }
    pub fn high_water(&self) -> usize {
        self.0.load(Relaxed)
    }
}

/// Log-linear latency histogram: 8 sub-buckets per power of two of
/// nanoseconds, so quantiles are within 12.5 % of the truth.
struct Histogram {
    buckets: Vec<AtomicU64>,
    total: AtomicU64,
}

const SUB_BITS: u32 = 3;

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: (0..(64 << SUB_BITS)).map(|_| AtomicU64::new(0)).collect(),
            total: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    fn index(ns: u64) -> usize {
        if ns < (1 << SUB_BITS) {
            return ns as usize;
        }
        let exp = 63 - ns.leading_zeros();
        let sub = (ns >> (exp - SUB_BITS)) & ((1 << SUB_BITS) - 1);
        (((exp - SUB_BITS + 1) << SUB_BITS) as u64 + sub) as usize
    }

    /// The upper bound (ns) of bucket `i`.
    fn upper(i: usize) -> u64 {
        if i < (1 << SUB_BITS) {
            return i as u64;
        }
        let exp = (i >> SUB_BITS) as u32 + SUB_BITS - 1;
        let sub = (i & ((1 << SUB_BITS) - 1)) as u64;
        ((1u64 << SUB_BITS) + sub + 1) << (exp - SUB_BITS)
    }

    fn record(&self, elapsed: Duration) {
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.buckets[Self::index(ns)].fetch_add(1, Relaxed);
        self.total.fetch_add(1, Relaxed);
    }

    fn count(&self) -> u64 {
        self.total.load(Relaxed)
    }

    fn summary(&self) -> LatencySummary {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        let quantile = |q: f64| -> f64 {
            let rank = ((total as f64) * q).ceil().max(1.0) as u64;
            let mut seen = 0;
            for (i, c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return Self::upper(i) as f64 / 1_000.0;
                }
            }
            0.0
        };
        LatencySummary {
            count: total,
            p50_us: quantile(0.50),
            p95_us: quantile(0.95),
            p99_us: quantile(0.99),
        }
    }
}

/// Latency quantiles of one message kind, in microseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50_us: f64,
    pub p95_us: f64,
    pub p99_us: f64,
}

/// The most messages ever waiting at once in a mailbox of each kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MailboxHighWater {
    pub session: usize,
    pub view: usize,
    pub component: usize,
}

/// A copy of the statistics, as `get_actor_stats()` reports them (all
/// zeros by default: no system running).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatsSnapshot {
    pub active_sessions: u64,
    pub active_views: u64,
    pub active_components: u64,
    pub sessions_created: u64,
    pub sessions_expired: u64,
    /// Sessions removed because they did not answer a health-check ping.
    pub sessions_unhealthy: u64,
    /// Session actors restarted after a panic.
    pub session_restarts: u64,
    pub messages_processed: u64,
    pub errors: u64,
    /// Guest instances replaced after a fault.
    pub guest_restarts: u64,
    /// Guest calls refused because the guest was in quarantine
    /// ([`QuarantinePolicy`](crate::engine_host::QuarantinePolicy)).
    pub guest_refusals: u64,
    /// Times a view's or component's guests, idle for
    /// [`EngineConfig::release_memory_after`](crate::engine_host::EngineConfig::release_memory_after),
    /// gave memory back (the engine counts them).
    pub memory_releases: u64,
    /// Topics views subscribe to now, counted once per view and topic.
    pub view_subscriptions: u64,
    /// Views' timers running now (`send_after`, `send_every`).
    pub timers: u64,
    /// Times a view fell behind its topics and caught up from their streams.
    pub views_lagged: u64,
    /// The process's PubSub, once started.
    pub pubsub: Option<crate::pubsub::PubSubStats>,
    /// Sessions kept for a reconnect, and the views resumed from them.
    pub resumes: ResumeStats,
    pub latency: BTreeMap<MessageKind, LatencySummary>,
    pub mailbox_high_water: MailboxHighWater,
}

/// Why a resume was refused. The client is told only that there is nothing
/// to resume (a bad token must look like a missing view); the statistics
/// tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResumeRefusal {
    /// The token is not one this server signed for this view and browser
    /// (tampered, another user's, or signed with another key).
    Token,
    /// No such view is kept: its grace ran out, another reconnect took it,
    /// or it lived in another process.
    NotFound,
    /// The connection already has views of its own session, or the
    /// token's session is still connected here.
    InUse,
    /// The stored snapshot belongs to another session or browser.
    Binding,
    /// The stored snapshot could not be read (another format, corrupt, too large).
    Unreadable,
    /// The snapshot store (Redis) did not answer.
    Unavailable,
    /// The view could not be started from its snapshot: its logic refused
    /// the state (a `state_version` it cannot migrate), the views file no
    /// longer has it, or its template failed.
    Restore,
}

impl ResumeRefusal {
    pub(crate) const ALL: [ResumeRefusal; 7] = [
        ResumeRefusal::Token,
        ResumeRefusal::NotFound,
        ResumeRefusal::InUse,
        ResumeRefusal::Binding,
        ResumeRefusal::Unreadable,
        ResumeRefusal::Unavailable,
        ResumeRefusal::Restore,
    ];
}

/// Where a resumed view came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumedFrom {
    /// A session of this process, kept for its resume grace.
    Process,
    /// A snapshot another process (or this one, before a restart) wrote.
    Snapshot,
}

/// What the resumes did so far (`StatsSnapshot::resumes`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResumeStats {
    /// Sessions parked now, waiting for their connection to come back.
    pub parked: u64,
    /// Views resumed from a parked session of this process.
    pub in_process: u64,
    /// Views resumed from their snapshot (written by another process, or by this one before it restarted).
    pub across_processes: u64,
    /// Parked sessions shut down when their grace ran out.
    pub expired: u64,
    /// Resumes refused, by reason.
    pub refused: BTreeMap<ResumeRefusal, u64>,
    /// The snapshot store's figures, when snapshots are on.
    pub snapshots: Option<crate::resume::StoreStats>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_bound_their_values() {
        for ns in [0u64, 1, 7, 8, 9, 15, 16, 100, 1_000, 12_345, 1 << 40] {
            let i = Histogram::index(ns);
            assert!(Histogram::upper(i) > ns || (ns < 8 && Histogram::upper(i) == ns), "{ns} in bucket {i}");
            if ns >= 8 {
                assert!(Histogram::upper(i) as f64 <= ns as f64 * 1.126 + 1.0, "{ns}: {}", Histogram::upper(i));
            }
        }
    }

    #[test]
    fn quantiles_come_from_the_recorded_distribution() {
        let h = Histogram::default();
        for us in 1..=100 {
            h.record(Duration::from_micros(us));
        }
        let s = h.summary();
        assert_eq!(s.count, 100);
        assert!((45.0..=57.0).contains(&s.p50_us), "{s:?}");
        assert!((94.0..=108.0).contains(&s.p99_us), "{s:?}");
    }
}
