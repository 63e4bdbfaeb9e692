//! Presence: who is on a topic, across every process on the backplane.
//!
//! A member is tracked on a topic with a meta (JSON) and stays until it is
//! untracked (its [`Tracked`] dropped: a view unmounted, a connection
//! closed) or its process dies. Every change is published on the topic
//! itself, numbered like any message, as `{"presence": {"joins": {member:
//! meta}, "leaves": {member: meta}}}`: a topic's subscribers are told.
//!
//! With Redis, topic `T`'s members are the hash `wl:pr:{T}` (member →
//! `{"p": process, "m": meta}`), and each process that tracks keeps
//! `wl:alive:PROCESS` alive ([`HEARTBEAT`], expiring after [`ALIVE_FOR`]),
//! writing its members again each time (a Redis that lost its data has
//! them back within a beat). A member whose process is no longer alive is
//! removed by whoever reads the topic's presence next — every process
//! reads the topics it subscribes to each beat — and the one whose removal
//! took publishes its leave: a dead process's members leave within
//! `ALIVE_FOR + HEARTBEAT`.

use super::{PubSub, PubSubError, check_payload, check_topic};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// How often a process says it is alive, writes its members again and
/// looks for members of dead processes.
pub const HEARTBEAT: Duration = Duration::from_secs(3);
/// How long a process counts as alive after it last said so.
pub const ALIVE_FOR: Duration = Duration::from_secs(10);
/// Topics whose presence one beat reads per round trip.
const SWEEP_BATCH: usize = 512;

pub(crate) fn members_key(topic: &str) -> String {
    format!("wl:pr:{{{topic}}}")
}

pub(crate) fn alive_key(process: &str) -> String {
    format!("wl:alive:{process}")
}

/// This process's side of presence: its id and its members.
pub(crate) struct Presence {
    /// This process's id on the backplane (a UUID).
    pub process: String,
    /// Members tracked here: topic → member → meta (compact JSON).
    pub local: Mutex<HashMap<Arc<str>, HashMap<Arc<str>, Arc<str>>>>,
    /// Whether the heartbeat task runs (started at the first track, with Redis).
    pub beating: std::sync::atomic::AtomicBool,
}

impl Default for Presence {
    fn default() -> Self {
        Presence { process: uuid::Uuid::new_v4().simple().to_string(), local: Mutex::default(), beating: Default::default() }
    }
}

/// A member tracked on a topic; dropping it untracks it (its leave is
/// published from a task of the runtime).
pub struct Tracked {
    pubsub: PubSub,
    topic: Arc<str>,
    member: Arc<str>,
    /// Cleared when the member was tracked again: the newer one untracks.
    owns: bool,
}

impl Tracked {
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Drop this one without untracking: the member was tracked again.
    pub fn superseded(mut self) {
        self.owns = false;
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if !self.owns {
            return;
        }
        let (pubsub, topic, member) = (self.pubsub.clone(), self.topic.clone(), self.member.clone());
        self.pubsub.inner.runtime.spawn(async move {
            if let Err(e) = pubsub.untrack(&topic, &member).await {
                tracing::warn!(%topic, %member, error = %e, "a member could not be untracked now: it leaves once its process is no longer alive");
            }
        });
    }
}

/// The presence message for `joins` and `leaves` (member → meta text).
fn diff(joins: &[(&str, &str)], leaves: &[(&str, &str)]) -> String {
    let side = |members: &[(&str, &str)]| -> serde_json::Map<String, Value> {
        members.iter().map(|(m, meta)| (m.to_string(), serde_json::from_str(meta).unwrap_or(Value::Null))).collect()
    };
    serde_json::json!({"presence": {"joins": side(joins), "leaves": side(leaves)}}).to_string()
}

impl PubSub {
    /// Track `member` on `topic` with `meta` (JSON text): every process's
    /// [`PubSub::presence`] lists it, and the topic's subscribers are told
    /// of the join. Tracking it again replaces its meta (and tells again).
    pub async fn track(&self, topic: &str, member: &str, meta: &str) -> Result<Tracked, PubSubError> {
        check_topic(topic)?;
        check_topic(member).map_err(|e| match e {
            PubSubError::InvalidTopic { topic, reason } => PubSubError::InvalidTopic { topic: format!("member {topic}"), reason },
            other => other,
        })?;
        let meta = check_payload(meta, self.inner.max_message_bytes)?;
        let topic: Arc<str> = topic.into();
        let member: Arc<str> = member.into();
        if let super::Backplane::Redis(redis) = &self.inner.backplane {
            let entry = serde_json::json!({"p": self.inner.presence.process, "m": serde_json::from_str::<Value>(&meta).unwrap_or(Value::Null)});
            redis.hset(&members_key(&topic), &member, &entry.to_string()).await?;
            self.start_heartbeat();
        }
        self.inner.presence.local.lock().expect("presence lock").entry(topic.clone()).or_default().insert(member.clone(), meta.as_str().into());
        // From here the guard untracks it, also when the join cannot be told.
        let tracked = Tracked { pubsub: self.clone(), topic, member, owns: true };
        self.publish(&tracked.topic, &diff(&[(&tracked.member, &meta)], &[])).await?;
        Ok(tracked)
    }

    /// Untrack `member` from `topic`; its leave is published if it was tracked.
    pub async fn untrack(&self, topic: &str, member: &str) -> Result<(), PubSubError> {
        let meta = {
            let mut local = self.inner.presence.local.lock().expect("presence lock");
            let meta = local.get_mut(topic).and_then(|members| members.remove(member));
            if local.get(topic).is_some_and(HashMap::is_empty) {
                local.remove(topic);
            }
            meta
        };
        let Some(meta) = meta else { return Ok(()) };
        let removed = match &self.inner.backplane {
            super::Backplane::Redis(redis) => redis.hdel(&members_key(topic), member).await?,
            super::Backplane::Local(_) => true,
        };
        if removed {
            self.publish(topic, &diff(&[], &[(member, &meta)])).await?;
        }
        Ok(())
    }

    /// Who is on `topic` now, in every process: member → meta (JSON
    /// text), sorted by member. Members of processes no longer alive are
    /// removed here, and their leaves published.
    pub async fn presence(&self, topic: &str) -> Result<BTreeMap<String, String>, PubSubError> {
        check_topic(topic)?;
        if let super::Backplane::Local(_) = &self.inner.backplane {
            let local = self.inner.presence.local.lock().expect("presence lock");
            let members = local.get(topic).map(|m| m.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
            return Ok(members.unwrap_or_default());
        }
        Ok(self.read_presence(&[topic.into()]).await?.pop().unwrap_or_default())
    }

    /// [`PubSub::presence`] of several topics (with Redis), in two round
    /// trips whatever their number, and the sweep of dead processes' members.
    async fn read_presence(&self, topics: &[Arc<str>]) -> Result<Vec<BTreeMap<String, String>>, PubSubError> {
        let super::Backplane::Redis(redis) = &self.inner.backplane else { return Ok(Vec::new()) };
        let keys: Vec<String> = topics.iter().map(|t| members_key(t)).collect();
        let read = redis.hgetall_many(&keys).await?;
        // Per topic: (member, process, meta). Nothing read from Redis is
        // trusted: an entry that is not ours is skipped.
        let mut parsed: Vec<Vec<(String, String, String)>> = Vec::with_capacity(read.len());
        let mut processes: HashSet<String> = HashSet::new();
        for entries in read {
            let mut members = Vec::with_capacity(entries.len());
            for (member, entry) in entries {
                let Ok(Value::Object(entry)) = serde_json::from_str::<Value>(&entry) else { continue };
                let (Some(Value::String(process)), Some(meta)) = (entry.get("p"), entry.get("m")) else { continue };
                processes.insert(process.clone());
                members.push((member, process.clone(), meta.to_string()));
            }
            parsed.push(members);
        }
        let processes: Vec<String> = processes.into_iter().collect();
        let alive: HashSet<String> = redis.alive(&processes).await?.into_iter().collect();
        let here = &self.inner.presence.process;
        let mut listed = Vec::with_capacity(parsed.len());
        for ((topic, key), members) in topics.iter().zip(&keys).zip(parsed) {
            let mut kept = BTreeMap::new();
            for (member, process, meta) in members {
                if process == *here || alive.contains(&process) {
                    kept.insert(member, meta);
                } else if redis.hdel(key, &member).await? {
                    self.publish(topic, &diff(&[], &[(&member, &meta)])).await?;
                }
            }
            listed.push(kept);
        }
        Ok(listed)
    }

    /// With Redis: say this process is alive every [`HEARTBEAT`], write its
    /// members again, and read the presence of the topics it subscribes to
    /// (which removes dead processes' members). Stops with the PubSub.
    pub(super) fn start_heartbeat(&self) {
        if self.inner.presence.beating.swap(true, std::sync::atomic::Ordering::AcqRel) {
            return;
        }
        let weak: Weak<super::Inner> = Arc::downgrade(&self.inner);
        self.inner.runtime.spawn(async move {
            let mut reported = false;
            loop {
                let Some(inner) = weak.upgrade() else { return };
                let pubsub = PubSub { inner };
                match pubsub.beat().await {
                    Ok(()) => reported = false,
                    Err(e) if !reported => {
                        tracing::warn!(error = %e, "presence could not say this process is alive; retrying");
                        reported = true;
                    }
                    Err(_) => {}
                }
                drop(pubsub);
                tokio::time::sleep(HEARTBEAT).await;
            }
        });
    }

    async fn beat(&self) -> Result<(), PubSubError> {
        let super::Backplane::Redis(redis) = &self.inner.backplane else { return Ok(()) };
        let process = &self.inner.presence.process;
        let mine: Vec<(String, String, String)> = {
            let local = self.inner.presence.local.lock().expect("presence lock");
            local
                .iter()
                .flat_map(|(topic, members)| {
                    members.iter().map(move |(member, meta)| {
                        let entry = serde_json::json!({"p": process, "m": serde_json::from_str::<Value>(meta).unwrap_or(Value::Null)});
                        (members_key(topic), member.to_string(), entry.to_string())
                    })
                })
                .collect()
        };
        redis.heartbeat(&alive_key(process), ALIVE_FOR, &mine).await?;
        let topics: Vec<Arc<str>> = self.inner.hub.topics().into_iter().map(|(topic, _)| topic).collect();
        for chunk in topics.chunks(SWEEP_BATCH) {
            self.read_presence(chunk).await?;
        }
        Ok(())
    }
}
