//! PubSub: messages published to a topic from anywhere — a view, a Django
//! view, a task, a script, another process — and delivered to this
//! process's subscribers once each and in order.
//!
//! [`PubSub`] is the one entry: [`PubSub::publish`] and
//! [`PubSub::subscribe`], and presence ([`PubSub::track`],
//! [`PubSub::presence`]: `presence.rs`). Without a Redis URL it serves one process (the
//! same API and guarantees); with one, every process on that Redis shares
//! the topics (see `redis.rs` for how holes are filled). Subscribers are
//! never waited for: each takes a [`Notice`] at once or says it is gone
//! ([`Subscriber`]).

mod error;
mod hub;
mod message;
mod presence;
mod redis;

pub use error::PubSubError;
pub(crate) use redis::{managed, redacted, within};
pub use hub::Subscriber;
pub use message::{MAX_TOPIC_BYTES, Message, Notice, Seq, check_payload, check_topic};
pub use presence::{ALIVE_FOR, HEARTBEAT, Tracked};

use hub::Hub;
use self::redis::{Command, RedisBackplane};
use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};

/// The epoch of a one-process PubSub (it has no data to lose but its own).
const LOCAL_EPOCH: &str = "local";

/// How a process's PubSub is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubSubConfig {
    /// `redis://…`; `None`: this process alone.
    pub redis_url: Option<String>,
    /// Messages kept per topic to fill holes from (Redis trims to about this many).
    pub stream_len: usize,
    /// The largest message, in bytes of JSON.
    pub max_message_bytes: usize,
}

impl Default for PubSubConfig {
    fn default() -> Self {
        PubSubConfig { redis_url: None, stream_len: crate::settings::PUBSUB_STREAM_LEN, max_message_bytes: crate::settings::PUBSUB_MAX_MESSAGE_BYTES }
    }
}

/// A process's PubSub (cloneable: every clone is the same one).
#[derive(Clone)]
pub struct PubSub {
    inner: Arc<Inner>,
}

struct Inner {
    hub: Arc<Hub>,
    backplane: Backplane,
    max_message_bytes: usize,
    stream_len: usize,
    published: std::sync::atomic::AtomicU64,
    presence: presence::Presence,
    /// Where untracking a dropped member runs.
    runtime: tokio::runtime::Handle,
}

enum Backplane {
    /// One process: topics here.
    Local(Mutex<HashMap<Arc<str>, LocalTopic>>),
    Redis(RedisBackplane),
}

/// A topic of a one-process PubSub: its counter, and its last messages
/// (while it has subscribers) for a view that fell behind to catch up from.
#[derive(Default)]
struct LocalTopic {
    n: u64,
    recent: std::collections::VecDeque<Arc<Message>>,
}

/// What the process's PubSub has done.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PubSubStats {
    /// `"local"`, or Redis's URL (without its password).
    pub backplane: String,
    /// Whether the subscriber connection is up (always, locally).
    pub connected: bool,
    pub published: u64,
    /// Messages handed to this process's subscribers (one per subscriber and message).
    pub delivered: u64,
    /// Messages received twice and skipped.
    pub duplicates: u64,
    /// Holes that could not be filled, and the messages known lost in them.
    pub gaps: u64,
    pub missed: u64,
    /// Topics with subscribers here.
    pub topics: usize,
}

/// A subscription; dropping it unsubscribes.
pub struct Subscription {
    pubsub: PubSub,
    topic: Arc<str>,
    id: u64,
}

impl Subscription {
    pub fn topic(&self) -> &str {
        &self.topic
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let inner = &self.pubsub.inner;
        if inner.hub.remove(&self.topic, self.id)
            && let Backplane::Redis(redis) = &inner.backplane
        {
            let _ = redis.commands.send(Command::Unsubscribe(self.topic.clone()));
        }
    }
}

impl PubSub {
    /// Start the process's PubSub (within a Tokio runtime). With Redis it
    /// starts even when Redis is down: it connects when it can, and
    /// publishing says it is unreachable meanwhile.
    pub fn start(config: &PubSubConfig) -> Result<PubSub, PubSubError> {
        let hub = Arc::new(Hub::default());
        let backplane = match &config.redis_url {
            Some(url) => Backplane::Redis(RedisBackplane::start(url, config.stream_len, hub.clone())?),
            None => Backplane::Local(Mutex::default()),
        };
        Ok(PubSub {
            inner: Arc::new(Inner {
                hub,
                backplane,
                max_message_bytes: config.max_message_bytes,
                stream_len: config.stream_len.max(1),
                published: Default::default(),
                presence: Default::default(),
                runtime: tokio::runtime::Handle::current(),
            }),
        })
    }

    /// Publish `payload` (JSON text) to `topic`; its place in the topic.
    /// Fails, having published nothing, when the topic or the payload is
    /// refused or Redis is unreachable.
    pub async fn publish(&self, topic: &str, payload: &str) -> Result<Seq, PubSubError> {
        check_topic(topic)?;
        let payload = check_payload(payload, self.inner.max_message_bytes)?;
        let seq = match &self.inner.backplane {
            Backplane::Redis(redis) => redis.publish(topic, &payload).await?,
            Backplane::Local(topics) => {
                // The counter and the delivery under one lock: numbers reach subscribers in order.
                let mut topics = topics.lock().expect("topics lock");
                let topic: Arc<str> = topic.into();
                let entry = topics.entry(topic.clone()).or_default();
                entry.n += 1;
                let seq = Seq { epoch: LOCAL_EPOCH.into(), n: entry.n };
                if self.inner.hub.subscribers(&topic) > 0 {
                    let message = Arc::new(Message { topic, seq: seq.clone(), payload: payload.into() });
                    if entry.recent.len() == self.inner.stream_len {
                        entry.recent.pop_front();
                    }
                    entry.recent.push_back(message.clone());
                    self.inner.hub.deliver(message);
                } else {
                    entry.recent.clear();
                }
                seq
            }
        };
        self.inner.published.fetch_add(1, Relaxed);
        Ok(seq)
    }

    /// Deliver `topic`'s messages from now on to `subscriber`, until the
    /// subscription is dropped. Done once Redis has confirmed it: every
    /// message published after this returns is delivered. (With Redis down
    /// it returns at once — after the first attempt to connect, which it
    /// waits for —; the subscription is made when Redis is back, and
    /// what was published meanwhile is not this subscriber's.)
    pub async fn subscribe(&self, topic: &str, subscriber: Arc<dyn Subscriber>) -> Result<Subscription, PubSubError> {
        check_topic(topic)?;
        let topic: Arc<str> = topic.into();
        let (id, first) = self.inner.hub.add(&topic, subscriber);
        let subscription = Subscription { pubsub: self.clone(), topic: topic.clone(), id };
        match &self.inner.backplane {
            Backplane::Redis(redis) if first => {
                // A process with subscribers removes dead processes' members of their topics.
                self.start_heartbeat();
                let (confirmed, confirmation) = tokio::sync::oneshot::channel();
                let _ = redis.commands.send(Command::Subscribe(topic.clone(), confirmed));
                if redis.connected.load(Relaxed) || !redis.tried.load(Relaxed) {
                    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), confirmation).await;
                }
            }
            Backplane::Local(topics) if first => {
                let n = topics.lock().expect("topics lock").get(&topic).map_or(0, |t| t.n);
                self.inner.hub.start_at(&topic, Seq { epoch: LOCAL_EPOCH.into(), n });
            }
            _ => {}
        }
        Ok(subscription)
    }

    /// What a subscriber that fell behind missed: `topic`'s messages from
    /// `from` on (`from` itself included), as kept in its stream, led by a
    /// [`Notice::Gap`] when the oldest of them are no longer kept (or the
    /// backplane restarted without its data since `from`).
    pub async fn since(&self, topic: &str, from: &Seq) -> Result<Vec<Notice>, PubSubError> {
        let topic: Arc<str> = topic.into();
        let (epoch, last, messages) = match &self.inner.backplane {
            Backplane::Redis(redis) => redis.since(&topic, from.n, self.inner.stream_len).await?,
            Backplane::Local(topics) => {
                let topics = topics.lock().expect("topics lock");
                let (last, recent) = match topics.get(&topic) {
                    Some(t) => (t.n, t.recent.iter().filter(|m| m.seq.n >= from.n).cloned().collect()),
                    None => (0, Vec::new()),
                };
                (Arc::from(LOCAL_EPOCH), last, recent)
            }
        };
        let mut notices = Vec::with_capacity(messages.len() + 1);
        let kept_from = messages.first().map_or(last + 1, |m| m.seq.n);
        if epoch != from.epoch {
            notices.push(Notice::Gap { topic: topic.clone(), missed: None });
        } else if kept_from > from.n && last >= from.n {
            notices.push(Notice::Gap { topic: topic.clone(), missed: Some(kept_from - from.n) });
        }
        notices.extend(messages.into_iter().map(Notice::Message));
        Ok(notices)
    }

    /// Whether messages reach this process now (always, locally).
    pub fn is_connected(&self) -> bool {
        match &self.inner.backplane {
            Backplane::Local(_) => true,
            Backplane::Redis(redis) => redis.connected.load(Relaxed),
        }
    }

    pub fn stats(&self) -> PubSubStats {
        let hub = &self.inner.hub.stats;
        PubSubStats {
            backplane: match &self.inner.backplane {
                Backplane::Local(_) => "local".into(),
                Backplane::Redis(redis) => redis.url().to_string(),
            },
            connected: self.is_connected(),
            published: self.inner.published.load(Relaxed),
            delivered: hub.delivered.load(Relaxed),
            duplicates: hub.duplicates.load(Relaxed),
            gaps: hub.gaps.load(Relaxed),
            missed: hub.missed.load(Relaxed),
            topics: self.inner.hub.topics().len(),
        }
    }
}
