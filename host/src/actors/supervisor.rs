//! The actor supervisor: the registry of sessions and their caretaker.
//!
//! It creates sessions on demand, expires idle ones (idle meaning no
//! message of any kind for `session_ttl`), pings every session and removes
//! those that do not answer, counts the sessions restarted after a panic
//! (see `session::supervise`), parks the sessions whose connection closed
//! for the resume grace (see [`super::parked`]), and shuts everything down
//! in order.
//! No DashMap guard is ever held across an `.await`: handles are cloned
//! out first.

use super::config::ActorConfig;
use super::error::ActorError;
use super::parked::Parked;
use super::reply::Delivery;
use super::session::SessionHandle;
use super::shared::Shared;
use super::stats::{ResumeRefusal, ResumeStats, ResumedFrom, StatsSnapshot};
use super::trim::Trimmer;
use crate::engine_host::{GuestEngine, LoadError, TemplateEngine, VdomEngine};
use dashmap::DashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a resume waits for a session that is still connected to be parked.
const PARKING_WAIT: Duration = Duration::from_secs(2);

/// Owns every session of one actor system. Create it inside a Tokio runtime.
pub struct ActorSupervisor {
    shared: Arc<Shared>,
    sessions: Arc<DashMap<String, SessionHandle>>,
    /// Cancels the cleanup and health-check tasks.
    stop: CancellationToken,
    background: Mutex<Vec<JoinHandle<()>>>,
    /// Gives freed memory back once enough sessions have ended.
    trimmer: Arc<Trimmer>,
    /// Sessions whose connection closed, within their resume grace.
    parked: Arc<Parked>,
}

/// What `shutdown_all` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Sessions shut down.
    pub sessions: usize,
    /// Whether every actor task finished within `shutdown_timeout`.
    pub drained: bool,
}

impl ActorSupervisor {
    /// Start a supervisor: compile the default guests and start the
    /// cleanup and health-check tasks.
    pub fn start(config: ActorConfig) -> Result<Arc<ActorSupervisor>, LoadError> {
        let shared = Arc::new(Shared::new(config)?);
        let supervisor = Arc::new(ActorSupervisor {
            shared,
            sessions: Arc::new(DashMap::new()),
            stop: CancellationToken::new(),
            background: Mutex::new(Vec::new()),
            trimmer: Arc::default(),
            parked: Arc::default(),
        });
        let cleanup = every(&supervisor, supervisor.shared.config.cleanup_interval, |s| {
            Box::pin(async move {
                s.cleanup_idle().await;
            })
        });
        let health = every(&supervisor, supervisor.shared.config.health_check_interval, |s| {
            Box::pin(async move {
                s.health_check().await;
            })
        });
        let trim = every(&supervisor, Duration::from_secs(1), |s| {
            Box::pin(async move {
                s.trimmer.trim_if_due().await;
            })
        });
        supervisor.background.lock().unwrap().extend([cleanup, health, trim]);
        Ok(supervisor)
    }

    /// The configuration in force.
    pub fn config(&self) -> &ActorConfig {
        &self.shared.config
    }

    /// The guest engine shared by every view (to load other engines for a view).
    pub fn engine(&self) -> &GuestEngine {
        &self.shared.engine
    }

    /// The default template and VDOM engines.
    pub fn default_engines(&self) -> (TemplateEngine, VdomEngine) {
        (self.shared.templates.clone(), self.shared.vdom.clone())
    }

    /// The session with this id, started if there is none (or if the old one stopped).
    pub fn get_or_create_session(&self, session_id: &str) -> SessionHandle {
        if let Some(handle) = self.sessions.get(session_id) {
            if !handle.is_closed() {
                return handle.clone();
            }
        }
        let mut entry = self.sessions.entry(session_id.to_string()).or_insert_with(|| {
            SessionHandle::start(self.shared.clone(), session_id)
        });
        if entry.is_closed() {
            *entry = SessionHandle::start(self.shared.clone(), session_id);
        }
        entry.clone()
    }

    /// The session with this id, if there is one.
    pub fn session(&self, session_id: &str) -> Option<SessionHandle> {
        self.sessions.get(session_id).map(|h| h.clone())
    }

    /// Shut a session down and forget it; `false` if there was none.
    pub async fn remove_session(&self, session_id: &str) -> Result<bool, ActorError> {
        let Some((_, handle)) = self.sessions.remove(session_id) else {
            return Ok(false);
        };
        self.trimmer.sessions_ended(1);
        match stop(&handle).await {
            Ok(()) | Err(ActorError::Shutdown { .. }) => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// The connection of this session closed: keep the session for the
    /// resume grace (`ActorConfig::resume_grace`), so that a reconnect to
    /// this process takes its views back ([`ActorSupervisor::resume_session`]);
    /// shut it down once the grace runs out. A grace of zero shuts it down now.
    pub async fn park_session(&self, session_id: &str) -> Result<(), ActorError> {
        let grace = self.shared.config.resume_grace;
        if grace.is_zero() || self.stop.is_cancelled() {
            return self.remove_session(session_id).await.map(drop);
        }
        let Some((_, session)) = self.sessions.remove(session_id) else {
            return Ok(());
        };
        let generation = self.parked.park(session);
        let (parked, trimmer, stopping, id) = (self.parked.clone(), self.trimmer.clone(), self.stop.clone(), session_id.to_string());
        tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(grace) => {}
                // shutdown_all stops the parked sessions itself.
                () = stopping.cancelled() => return,
            }
            if let Some(session) = parked.expire(&id, generation) {
                trimmer.sessions_ended(1);
                if let Err(e) = stop(&session).await {
                    tracing::debug!(session = %id, error = %e, "a parked session had stopped already");
                }
            }
        });
        Ok(())
    }

    /// Take a parked session back for a new connection: registered again
    /// under its id, its views as they are now. `None` when no session of
    /// that id is parked (its grace ran out, another connection took it).
    /// A session still connected is waited for a moment: a client can be
    /// back on a new socket before the server has read its old one's close.
    pub async fn resume_session(&self, session_id: &str) -> Option<SessionHandle> {
        let deadline = tokio::time::Instant::now() + PARKING_WAIT;
        loop {
            if let Some(session) = self.parked.take(session_id) {
                if session.is_closed() {
                    return None;
                }
                self.sessions.insert(session_id.to_string(), session.clone());
                return Some(session);
            }
            if !self.sessions.contains_key(session_id) || tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Count a view's resume: done and from where, or refused and why.
    pub fn record_resume(&self, outcome: Result<ResumedFrom, ResumeRefusal>) {
        match outcome {
            Ok(from) => self.parked.count_resumed(from),
            Err(why) => self.parked.count_refused(why),
        }
    }

    /// A new session of id `session_id` for a connection resuming views of
    /// that socket session from their snapshots; `None` while a session of
    /// that id is still here (connected, or parked).
    pub fn adopt_session(&self, session_id: &str) -> Option<SessionHandle> {
        if self.parked.contains(session_id) {
            return None;
        }
        match self.sessions.entry(session_id.to_string()) {
            dashmap::Entry::Occupied(_) => None,
            dashmap::Entry::Vacant(slot) => Some(slot.insert(SessionHandle::start(self.shared.clone(), session_id)).clone()),
        }
    }

    /// The process's snapshot store, when views keep snapshots.
    pub fn snapshots(&self) -> Option<&crate::resume::SnapshotStore> {
        self.shared.snapshots.as_ref()
    }

    /// How many sessions are registered.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Shut down sessions idle for longer than the TTL; returns how many.
    pub async fn cleanup_idle(&self) -> usize {
        let ttl_ms = self.shared.config.session_ttl.as_millis() as u64;
        let now = self.shared.now_ms();
        let idle = |h: &SessionHandle| now.saturating_sub(h.last_activity_ms()) > ttl_ms;
        let candidates: Vec<String> = self
            .sessions
            .iter()
            .filter(|e| idle(e.value()))
            .map(|e| e.key().clone())
            .collect();
        let mut expired = Vec::new();
        for id in candidates {
            // Checked again under the shard lock: activity may have come since.
            if let Some((_, handle)) = self.sessions.remove_if(&id, |_, h| idle(h)) {
                expired.push(handle);
            }
        }
        let count = expired.len();
        self.shared.stats.sessions_expired.fetch_add(count as u64, Relaxed);
        self.trimmer.sessions_ended(count);
        futures_util::future::join_all(expired.iter().map(stop)).await;
        if count > 0 {
            tracing::info!(count, "expired idle sessions");
        }
        count
    }

    /// Ping every session; remove those that do not answer within the
    /// health-check timeout. A full mailbox counts as busy, not dead.
    /// Returns how many were removed.
    pub async fn health_check(&self) -> usize {
        let handles: Vec<SessionHandle> = self.sessions.iter().map(|e| e.value().clone()).collect();
        let timeout = self.shared.config.health_check_timeout;
        let results = futures_util::future::join_all(handles.into_iter().map(|h| async move {
            let answer = tokio::time::timeout(timeout, async { h.ping(Delivery::FailFast).await?.await }).await;
            let healthy = matches!(answer, Ok(Ok(())) | Ok(Err(ActorError::MailboxFull { .. })));
            (h, healthy)
        }))
        .await;
        let mut removed = 0;
        for (handle, healthy) in results {
            if healthy {
                continue;
            }
            if self.sessions.remove_if(handle.session_id(), |_, h| h.same(&handle)).is_some() {
                removed += 1;
                tracing::warn!(session = handle.session_id(), "session did not answer a ping; removed");
                // It may still be alive but stuck: tell it to stop when it can.
                let handle = handle.clone();
                self.shared.tracker.spawn(async move {
                    let _ = stop(&handle).await;
                });
            }
        }
        self.shared.stats.sessions_unhealthy.fetch_add(removed as u64, Relaxed);
        removed
    }

    /// The process's PubSub (started now if nothing used it yet): publish
    /// from anywhere the supervisor is; views subscribe through their handles.
    pub fn pubsub(&self) -> Result<crate::pubsub::PubSub, crate::pubsub::PubSubError> {
        self.shared.pubsub()
    }

    /// The statistics of this actor system.
    pub fn stats(&self) -> StatsSnapshot {
        StatsSnapshot {
            memory_releases: self.shared.engine.memory_releases(),
            pubsub: self.shared.pubsub_stats(),
            resumes: ResumeStats { snapshots: self.shared.snapshots.as_ref().map(crate::resume::SnapshotStore::stats), ..self.parked.stats() },
            ..self.shared.stats.snapshot()
        }
    }

    /// Stop the background tasks, shut every session down after the
    /// requests already queued (each session drains its views the same
    /// way), and wait until no actor task is left. The supervisor is done
    /// afterwards; start a new one to serve again.
    pub async fn shutdown_all(&self) -> ShutdownReport {
        self.stop.cancel();
        let background: Vec<JoinHandle<()>> = self.background.lock().unwrap().drain(..).collect();
        for task in background {
            let _ = task.await;
        }
        let ids: Vec<String> = self.sessions.iter().map(|e| e.key().clone()).collect();
        let mut handles: Vec<SessionHandle> = ids.iter().filter_map(|id| self.sessions.remove(id).map(|(_, h)| h)).collect();
        handles.extend(self.parked.drain());
        let count = handles.len();
        futures_util::future::join_all(handles.iter().map(stop)).await;
        drop(handles);
        // The views' last snapshots, for the processes that resume them.
        if let Some(store) = &self.shared.snapshots {
            store.flush(self.shared.config.shutdown_timeout).await;
        }
        self.shared.tracker.close();
        let drained = tokio::time::timeout(self.shared.config.shutdown_timeout, self.shared.tracker.wait())
            .await
            .is_ok();
        tracing::info!(sessions = count, drained, "actor system shut down");
        ShutdownReport { sessions: count, drained }
    }
}

/// Run `task` every `period` until the supervisor stops or is dropped.
fn every(
    supervisor: &Arc<ActorSupervisor>,
    period: Duration,
    task: fn(Arc<ActorSupervisor>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
) -> JoinHandle<()> {
    let weak = Arc::downgrade(supervisor);
    let stop = supervisor.stop.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await; // the first tick is immediate
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = ticks.tick() => {
                    let Some(supervisor) = weak.upgrade() else { break };
                    task(supervisor).await;
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn enough_ended_sessions_trim_the_allocator_and_a_few_do_not() {
        let supervisor = ActorSupervisor::start(ActorConfig::default()).unwrap();
        for i in 0..5 {
            supervisor.get_or_create_session(&format!("s{i}"));
            supervisor.remove_session(&format!("s{i}")).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(supervisor.trimmer.trims(), 0, "five sessions are not worth a trim");
        for i in 0..40 {
            supervisor.get_or_create_session(&format!("t{i}"));
            supervisor.remove_session(&format!("t{i}")).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(supervisor.trimmer.trims(), 1);
        supervisor.shutdown_all().await;
    }
}

/// Ask a session to stop, after the requests already queued, and wait until it has.
async fn stop(handle: &SessionHandle) -> Result<(), ActorError> {
    handle.shutdown(Delivery::Wait).await?.await
}
