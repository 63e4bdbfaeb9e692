//! Where snapshots are kept: Redis, one hash per view, written behind the
//! view's renders by one writer task per process and claimed atomically by
//! whichever process a reconnect reaches.
//!
//! Key `wl:v:{view_id}`, fields `owner` (the process holding the view),
//! `gen` (how many times it was claimed), `bind` (whom it belongs to: its
//! socket session and browser, checked before a claim takes anything) and
//! `snap` (the [`Snapshot`] JSON); it expires `resume_ttl` after its last write. A save succeeds
//! only for the owner at its generation: once another process claimed the
//! view, the old owner's next save is refused and its copy closes
//! ([`Holder::moved`]). Saves are coalesced per view (a view that renders
//! faster than Redis answers writes only its latest) and pipelined across
//! views, so a render never waits for Redis.

use super::snapshot::{Snapshot, SnapshotRefused};
use crate::pubsub::{managed, redacted, within};
use indexmap::IndexMap;
use redis::aio::ConnectionManager;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// A save: written only by the owner at its generation.
const SAVE: &str = r"
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and (owner ~= ARGV[1] or redis.call('HGET', KEYS[1], 'gen') ~= ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'gen', ARGV[2], 'snap', ARGV[3], 'bind', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
";

/// A claim: the next generation is the claimer's, with the snapshot;
/// generation 0 when the view belongs to someone else (nothing changes).
const CLAIM: &str = r"
local snap = redis.call('HGET', KEYS[1], 'snap')
if not snap then return false end
if redis.call('HGET', KEYS[1], 'bind') ~= ARGV[3] then return {0, ''} end
local gen = redis.call('HINCRBY', KEYS[1], 'gen', 1)
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {gen, snap}
";

/// Whether the caller still owns the view at its generation (no snapshot: yes).
const HOLDS: &str = r"
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then return 1 end
if owner == ARGV[1] and redis.call('HGET', KEYS[1], 'gen') == ARGV[2] then return 1 end
return 0
";

/// The wait before a batch that failed is tried again.
const RETRY: Duration = Duration::from_millis(250);

fn key(view_id: &str) -> String {
    format!("wl:v:{{{view_id}}}")
}

/// Whom a view belongs to, as the `bind` field has it (`["ws-…", "browser"]`).
fn bind(session_id: &str, browser: Option<&str>) -> String {
    serde_json::to_string(&(session_id, browser)).expect("strings are JSON")
}

/// What a refused save tells: the view it was for now lives elsewhere.
pub trait Holder: Send + Sync {
    /// Another process claimed the view: close this copy.
    fn moved(&self);
}

/// A snapshot store failure, said so that an operator can act on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("invalid Redis URL {url} for resume snapshots: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("cannot reach Redis at {url} for resume snapshots: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the stored snapshot of view {view_id} was refused: {why}")]
    Refused { view_id: String, why: SnapshotRefused },
}

/// A view claimed from the store: its snapshot, and the generation its
/// saves must carry from now on.
#[derive(Debug)]
pub struct Claimed {
    pub view_id: String,
    pub generation: u64,
    pub snapshot: Snapshot,
}

/// What a claim found.
#[derive(Debug)]
pub enum Claim {
    /// The view is this process's now.
    Taken(Claimed),
    /// No snapshot of the view (never written, or past its TTL).
    Missing,
    /// The snapshot belongs to another session or browser.
    BoundElsewhere,
}

struct Save {
    generation: u64,
    json: String,
    bind: String,
    holder: Arc<dyn Holder>,
}

/// The figures of the snapshot store (`StatsSnapshot::resumes`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StoreStats {
    /// Snapshots written.
    pub saved: u64,
    /// Saves that Redis did not take (unreachable; tried again while no later one replaced them).
    pub save_failures: u64,
    /// Saves refused because another process had claimed the view (its copy here closed).
    pub moved: u64,
    /// Views claimed from the store by this process.
    pub claimed: u64,
    /// Saves waiting for the writer now.
    pub pending: u64,
}

/// The handle to the process's snapshot store and its writer task.
#[derive(Clone)]
pub struct SnapshotStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    url: String,
    /// This process, as the `owner` field names it.
    owner: String,
    ttl: Duration,
    connection: tokio::sync::Mutex<Option<ConnectionManager>>,
    pending: Mutex<IndexMap<String, Save>>,
    wake: Arc<Notify>,
    writing: AtomicBool,
    reported: AtomicBool,
    saved: AtomicU64,
    save_failures: AtomicU64,
    moved: AtomicU64,
    claimed: AtomicU64,
}

impl SnapshotStore {
    /// A store on Redis at `url` whose snapshots live `ttl` past their last
    /// write; its writer task starts on the current runtime. Redis need not
    /// be up yet.
    pub fn start(url: &str, ttl: Duration) -> Result<SnapshotStore, StoreError> {
        let shown = redacted(url);
        let client = redis::Client::open(url).map_err(|e| StoreError::InvalidUrl { url: shown.clone(), reason: e.to_string() })?;
        let inner = Arc::new(Inner {
            client,
            url: shown,
            owner: uuid::Uuid::new_v4().simple().to_string(),
            ttl,
            connection: Default::default(),
            pending: Default::default(),
            wake: Arc::new(Notify::new()),
            writing: AtomicBool::new(false),
            reported: AtomicBool::new(false),
            saved: AtomicU64::new(0),
            save_failures: AtomicU64::new(0),
            moved: AtomicU64::new(0),
            claimed: AtomicU64::new(0),
        });
        tokio::spawn(write(Arc::downgrade(&inner)));
        Ok(SnapshotStore { inner })
    }

    /// Queue view `view_id`'s snapshot; it replaces one of the same view
    /// still waiting. `holder` hears if the save is refused.
    pub fn save(&self, view_id: &str, generation: u64, snapshot: &Snapshot, holder: Arc<dyn Holder>) {
        let save = Save { generation, json: snapshot.to_json(), bind: bind(&snapshot.session_id, snapshot.browser.as_deref()), holder };
        self.inner.pending.lock().expect("pending lock").insert(view_id.to_string(), save);
        self.inner.wake.notify_one();
    }

    /// Take view `view_id` over for socket session `session_id` of
    /// `browser`: its snapshot, unless there is none or it belongs to
    /// another (which leaves it as it was).
    pub async fn claim(&self, view_id: &str, session_id: &str, browser: Option<&str>) -> Result<Claim, StoreError> {
        let script = redis::Script::new(CLAIM);
        let mut invocation = script.key(key(view_id));
        invocation.arg(&self.inner.owner).arg(self.inner.ttl.as_millis() as u64).arg(bind(session_id, browser));
        let mut connection = self.inner.connection().await?;
        let claimed: Option<(u64, String)> = self.inner.timed(invocation.invoke_async(&mut connection)).await?;
        let (generation, json) = match claimed {
            None => return Ok(Claim::Missing),
            Some((0, _)) => return Ok(Claim::BoundElsewhere),
            Some(claimed) => claimed,
        };
        self.inner.claimed.fetch_add(1, Relaxed);
        let snapshot = Snapshot::from_json(&json).map_err(|why| StoreError::Refused { view_id: view_id.to_string(), why })?;
        Ok(Claim::Taken(Claimed { view_id: view_id.to_string(), generation, snapshot }))
    }

    /// Whether this process still owns view `view_id` at `generation`
    /// (checked before a copy kept here is resumed).
    pub async fn holds(&self, view_id: &str, generation: u64) -> Result<bool, StoreError> {
        let script = redis::Script::new(HOLDS);
        let mut invocation = script.key(key(view_id));
        invocation.arg(&self.inner.owner).arg(generation);
        let mut connection = self.inner.connection().await?;
        let holds: u8 = self.inner.timed(invocation.invoke_async(&mut connection)).await?;
        Ok(holds == 1)
    }

    /// Wait (at most `within`) until every queued save was written or given up.
    pub async fn flush(&self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while (!self.inner.pending.lock().expect("pending lock").is_empty() || self.inner.writing.load(Relaxed))
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// The URL, without its password.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    pub fn stats(&self) -> StoreStats {
        let i = &self.inner;
        StoreStats {
            saved: i.saved.load(Relaxed),
            save_failures: i.save_failures.load(Relaxed),
            moved: i.moved.load(Relaxed),
            claimed: i.claimed.load(Relaxed),
            pending: i.pending.lock().expect("pending lock").len() as u64,
        }
    }
}

impl Inner {
    fn unreachable(&self, reason: impl std::fmt::Display) -> StoreError {
        StoreError::Unreachable { url: self.url.clone(), reason: reason.to_string() }
    }

    async fn timed<T>(&self, query: impl Future<Output = redis::RedisResult<T>>) -> Result<T, StoreError> {
        within(query).await.map_err(|e| self.unreachable(e))
    }

    /// The store's connection, made at first use.
    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = &*slot {
            return Ok(connection.clone());
        }
        let made = managed(&self.client).await.map_err(|e| self.unreachable(e))?;
        Ok(slot.insert(made).clone())
    }

    /// Write `batch` in one round trip: for each save, whether it was taken.
    async fn write(&self, batch: &[(String, Save)]) -> Result<Vec<bool>, StoreError> {
        let script = redis::Script::new(SAVE);
        let ttl = self.ttl.as_millis() as u64;
        let mut pipe = redis::pipe();
        pipe.load_script(&script).ignore();
        for (view_id, save) in batch {
            let mut invocation = script.key(key(view_id));
            invocation.arg(&self.owner).arg(save.generation).arg(&save.json).arg(ttl).arg(&save.bind);
            pipe.invoke_script(&invocation);
        }
        let mut connection = self.connection().await?;
        let taken: Vec<u8> = self.timed(pipe.query_async(&mut connection)).await?;
        Ok(taken.into_iter().map(|t| t == 1).collect())
    }
}

/// The writer: everything queued, in one pipeline, again and again. Ends
/// when the store is dropped.
async fn write(inner: std::sync::Weak<Inner>) {
    loop {
        let Some(store) = inner.upgrade() else { return };
        let batch: Vec<(String, Save)> = {
            let mut pending = store.pending.lock().expect("pending lock");
            store.writing.store(!pending.is_empty(), Relaxed);
            pending.drain(..).collect()
        };
        if batch.is_empty() {
            let wake = store.wake.clone();
            drop(store);
            // Woken by a save, or now and then to see whether the store is gone.
            let _ = tokio::time::timeout(Duration::from_secs(1), wake.notified()).await;
            continue;
        }
        match store.write(&batch).await {
            Ok(taken) => {
                store.reported.store(false, Relaxed);
                for ((view_id, save), taken) in batch.into_iter().zip(taken) {
                    if taken {
                        store.saved.fetch_add(1, Relaxed);
                    } else {
                        store.moved.fetch_add(1, Relaxed);
                        tracing::info!(%view_id, "the view was resumed by another process: this copy closes");
                        save.holder.moved();
                    }
                }
            }
            Err(e) => {
                store.save_failures.fetch_add(batch.len() as u64, Relaxed);
                if !store.reported.swap(true, Relaxed) {
                    tracing::error!(error = %e, "resume snapshots are not being written: a view resumed on another process comes back as of its last snapshot written");
                }
                // Tried again, unless a later save of the same view came meanwhile.
                {
                    let mut pending = store.pending.lock().expect("pending lock");
                    for (view_id, save) in batch {
                        pending.entry(view_id).or_insert(save);
                    }
                }
                store.writing.store(false, Relaxed);
                drop(store);
                tokio::time::sleep(RETRY).await;
                continue;
            }
        }
        store.writing.store(false, Relaxed);
    }
}
