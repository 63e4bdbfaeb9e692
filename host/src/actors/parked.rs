//! Sessions whose connection closed, kept for a grace period so that a
//! reconnect to this process resumes their views in memory.
//!
//! A transport parks its session when its socket closes instead of shutting
//! it down. The session and its views keep running (timers tick, broadcasts
//! arrive; their pushes find no connection, so the client is behind when it
//! comes back). A reconnect whose resume token names the session takes it
//! back ([`Parked::take`]): at most one does, however many race. One that
//! nobody takes within the grace is shut down.

use super::session::SessionHandle;
use super::stats::{ResumeRefusal, ResumeStats, ResumedFrom};
use dashmap::DashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The registry of parked sessions, by session id.
#[derive(Default)]
pub(crate) struct Parked {
    sessions: DashMap<String, (SessionHandle, u64)>,
    /// Tells one parking of a session from a later one (its grace timer
    /// must not end a session that was taken back and parked again).
    generation: AtomicU64,
    resumed: AtomicU64,
    from_snapshots: AtomicU64,
    expired: AtomicU64,
    refused: [AtomicU64; ResumeRefusal::ALL.len()],
}

impl Parked {
    /// Keep `session`; the generation its grace timer gives to [`Parked::expire`].
    pub fn park(&self, session: SessionHandle) -> u64 {
        let generation = self.generation.fetch_add(1, Relaxed) + 1;
        self.sessions.insert(session.session_id().to_string(), (session, generation));
        generation
    }

    /// Take a parked session back (at most one caller gets it).
    pub fn take(&self, session_id: &str) -> Option<SessionHandle> {
        self.sessions.remove(session_id).map(|(_, (session, _))| session)
    }

    /// Whether a session of this id is parked.
    pub fn contains(&self, session_id: &str) -> bool {
        self.sessions.contains_key(session_id)
    }

    /// Forget the session if it is still the one parked as `generation`: its grace ran out.
    pub fn expire(&self, session_id: &str, generation: u64) -> Option<SessionHandle> {
        let (_, (session, _)) = self.sessions.remove_if(session_id, |_, (_, g)| *g == generation)?;
        self.expired.fetch_add(1, Relaxed);
        Some(session)
    }

    /// Every parked session, forgotten (at shutdown).
    pub fn drain(&self) -> Vec<SessionHandle> {
        let ids: Vec<String> = self.sessions.iter().map(|e| e.key().clone()).collect();
        ids.iter().filter_map(|id| self.take(id)).collect()
    }

    pub fn count_resumed(&self, from: ResumedFrom) {
        match from {
            ResumedFrom::Process => &self.resumed,
            ResumedFrom::Snapshot => &self.from_snapshots,
        }
        .fetch_add(1, Relaxed);
    }

    pub fn count_refused(&self, why: ResumeRefusal) {
        self.refused[why as usize].fetch_add(1, Relaxed);
    }

    pub fn stats(&self) -> ResumeStats {
        ResumeStats {
            parked: self.sessions.len() as u64,
            in_process: self.resumed.load(Relaxed),
            across_processes: self.from_snapshots.load(Relaxed),
            expired: self.expired.load(Relaxed),
            refused: ResumeRefusal::ALL
                .iter()
                .map(|&why| (why, self.refused[why as usize].load(Relaxed)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            snapshots: None,
        }
    }
}
