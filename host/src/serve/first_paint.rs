//! First paints nobody has claimed yet (the Django app's `first_paint.py`).
//!
//! A GET mounts a view for its page, in the browser's HTTP session, for
//! the POST fallback. The WebSocket client's mount claims it (it is then
//! unmounted: the socket's view replaces it); an HTTP-transport client
//! claims it with a `claim` POST. One nobody claims within the configured
//! time is unmounted, and its session with it when it has no other view,
//! so a flood of GETs costs memory for seconds, not for the session TTL.

use crate::actors::{ActorSupervisor, Delivery};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The unclaimed first paints: view id → (session id, deadline).
pub(crate) struct FirstPaints {
    views: Mutex<HashMap<String, (String, Instant)>>,
    wait: Duration,
    limit: usize,
    /// Since the start: claimed, dropped after the wait, dropped past the limit.
    pub(crate) claimed: AtomicU64,
    pub(crate) expired: AtomicU64,
    pub(crate) evicted: AtomicU64,
}

impl FirstPaints {
    pub(crate) fn new(wait: Duration, limit: usize) -> FirstPaints {
        FirstPaints {
            views: Mutex::new(HashMap::new()),
            wait,
            limit,
            claimed: AtomicU64::new(0),
            expired: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Instant)>> {
        self.views.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Note a first paint; gives the ones to drop at once (past the limit, oldest first).
    pub(crate) fn add(&self, session: &str, view_id: &str) -> Vec<(String, String)> {
        let mut views = self.lock();
        views.insert(view_id.to_string(), (session.to_string(), Instant::now() + self.wait));
        let mut evicted = Vec::new();
        while views.len() > self.limit {
            let Some(oldest) = views.iter().min_by_key(|(_, (_, at))| *at).map(|(id, _)| id.clone()) else { break };
            if let Some((s, _)) = views.remove(&oldest) {
                evicted.push((s, oldest));
            }
        }
        self.evicted.fetch_add(evicted.len() as u64, Relaxed);
        evicted
    }

    /// How many wait for a claim now.
    pub(crate) fn unclaimed(&self) -> usize {
        self.lock().len()
    }

    /// Whether `view_id` was an unclaimed first paint of `session` (it no longer is).
    pub(crate) fn claim(&self, session: &str, view_id: &str) -> bool {
        let mut views = self.lock();
        match views.get(view_id) {
            Some((s, _)) if s == session => {
                views.remove(view_id);
                self.claimed.fetch_add(1, Relaxed);
                true
            }
            _ => false,
        }
    }

    fn due(&self) -> Vec<(String, String)> {
        let now = Instant::now();
        let mut views = self.lock();
        let due: Vec<String> = views.iter().filter(|(_, (_, at))| *at <= now).map(|(id, _)| id.clone()).collect();
        self.expired.fetch_add(due.len() as u64, Relaxed);
        due.into_iter().filter_map(|id| views.remove(&id).map(|(s, _)| (s, id))).collect()
    }

    /// Drop what is due, every quarter of the wait (at most every second), until the server stops.
    pub(crate) async fn sweep(self: Arc<Self>, supervisor: Arc<ActorSupervisor>, stopping: tokio_util::sync::CancellationToken) {
        let every = (self.wait / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = stopping.cancelled() => return,
            }
            for (session, view_id) in self.due() {
                drop_view(&supervisor, &session, &view_id).await;
            }
        }
    }
}

/// Unmount `view_id` from `session`, and the session if that was its last view.
pub(crate) async fn drop_view(supervisor: &ActorSupervisor, session: &str, view_id: &str) {
    let Some(handle) = supervisor.session(session) else { return };
    if let Err(e) = async { handle.unmount(view_id, Delivery::Wait).await?.await }.await {
        tracing::debug!(error = %e, view_id, "first paint already gone");
    }
    if async { handle.view_ids(Delivery::Wait).await?.await }.await.is_ok_and(|ids| ids.is_empty())
        && let Err(e) = supervisor.remove_session(session).await
    {
        tracing::debug!(error = %e, session, "session already gone");
    }
}
