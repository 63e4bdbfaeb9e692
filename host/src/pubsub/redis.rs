//! The Redis backplane: a message is numbered, kept in its topic's stream
//! and published in one atomic script; each process holds one subscriber
//! connection, subscribes once per topic, and fills every hole in what it
//! received (a reconnect, a Redis restart, a late subscription) from the
//! stream, so that its hub delivers each message once and in order.
//!
//! Keys, for topic `T`: `wl:s:{T}` the stream (entries `0-n`, field `m`),
//! `wl:n:{T}` its counter, channel `wl:p:{T}`; `wl:epoch` names the data
//! set (a Redis that lost its data starts a new one).

use super::PubSubError;
use super::hub::{Hub, Placement};
use super::message::{Message, Seq};
use futures_util::StreamExt;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;
use tokio::sync::{Mutex, mpsc};

const EPOCH_KEY: &str = "wl:epoch";

/// Publishing: the counter, the stream and the channel move together.
const PUBLISH: &str = r"
redis.call('SET', KEYS[3], ARGV[3], 'NX')
local epoch = redis.call('GET', KEYS[3])
local n = redis.call('INCR', KEYS[4])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '0-' .. n, 'm', ARGV[2])
redis.call('PUBLISH', KEYS[2], epoch .. ' ' .. n .. ' ' .. ARGV[2])
return {epoch, n}
";

/// How long a command may take before Redis counts as unreachable (the
/// snapshot store's too).
const TIMEOUT: Duration = Duration::from_secs(2);
/// The longest wait between two attempts to reconnect.
const MAX_BACKOFF: Duration = Duration::from_millis(500);

fn stream_key(topic: &str) -> String {
    format!("wl:s:{{{topic}}}")
}

fn counter_key(topic: &str) -> String {
    format!("wl:n:{{{topic}}}")
}

fn channel(topic: &str) -> String {
    format!("wl:p:{{{topic}}}")
}

/// The topic a channel is for.
fn topic_of(channel: &str) -> Option<&str> {
    channel.strip_prefix("wl:p:{")?.strip_suffix('}')
}

/// A connection to `client` that reconnects by itself, made within
/// [`TIMEOUT`]; else why not.
pub(crate) async fn managed(client: &redis::Client) -> Result<ConnectionManager, String> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(TIMEOUT))
        .set_response_timeout(Some(TIMEOUT))
        .set_number_of_retries(1);
    within(ConnectionManager::new_with_config(client.clone(), config)).await
}

/// `query`'s answer within [`TIMEOUT`]; else why not.
pub(crate) async fn within<T>(query: impl Future<Output = redis::RedisResult<T>>) -> Result<T, String> {
    match tokio::time::timeout(TIMEOUT, query).await {
        Ok(answer) => answer.map_err(|e| e.to_string()),
        Err(_) => Err("no answer within 2 s".into()),
    }
}

/// `url` without its password, for messages and logs.
pub(crate) fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}***{}", &url[..scheme + 3], &url[at..]),
        _ => url.to_string(),
    }
}

pub(crate) enum Command {
    /// Subscribe; the sender is told once Redis has confirmed it (dropped
    /// unanswered when Redis is down: the next connection subscribes).
    Subscribe(Arc<str>, tokio::sync::oneshot::Sender<()>),
    Unsubscribe(Arc<str>),
}

pub(crate) struct RedisBackplane {
    client: redis::Client,
    url: String,
    stream_len: usize,
    publisher: Mutex<Option<ConnectionManager>>,
    script: redis::Script,
    pub commands: mpsc::UnboundedSender<Command>,
    pub connected: Arc<AtomicBool>,
    /// Whether the first attempt to connect is over (until then a
    /// subscription waits for it: a process's first subscriber must not
    /// miss what is published right after it subscribed).
    pub tried: Arc<AtomicBool>,
}

impl RedisBackplane {
    /// Open the backplane and start its subscriber task; Redis need not be
    /// up yet (the task keeps trying, and publishing says it is down).
    pub fn start(url: &str, stream_len: usize, hub: Arc<Hub>) -> Result<RedisBackplane, PubSubError> {
        let shown = redacted(url);
        let client = redis::Client::open(url).map_err(|e| PubSubError::InvalidUrl { url: shown.clone(), reason: e.to_string() })?;
        let (commands, rx) = mpsc::unbounded_channel();
        let connected = Arc::new(AtomicBool::new(false));
        let tried = Arc::new(AtomicBool::new(false));
        tokio::spawn(subscriber(client.clone(), shown.clone(), hub, rx, connected.clone(), tried.clone()));
        Ok(RedisBackplane {
            client,
            url: shown,
            stream_len,
            publisher: Mutex::new(None),
            script: redis::Script::new(PUBLISH),
            commands,
            connected,
            tried,
        })
    }

    /// The URL, without its password.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn unreachable(&self, e: impl std::fmt::Display) -> PubSubError {
        PubSubError::Unreachable { url: self.url.clone(), reason: e.to_string() }
    }

    /// The publishing connection, made at first use.
    async fn connection(&self) -> Result<ConnectionManager, PubSubError> {
        let mut publisher = self.publisher.lock().await;
        if publisher.is_none() {
            *publisher = Some(managed(&self.client).await.map_err(|e| self.unreachable(e))?);
        }
        Ok(publisher.clone().expect("a publisher connection"))
    }

    /// `topic`'s epoch, its last number, and its stream's messages from
    /// number `from` on (at most `count`).
    pub async fn since(&self, topic: &Arc<str>, from: u64, count: usize) -> Result<(Arc<str>, u64, Vec<Arc<Message>>), PubSubError> {
        let mut connection = self.connection().await?;
        let mut pipe = redis::pipe();
        let query = pipe
            .get(EPOCH_KEY)
            .get(counter_key(topic))
            .xrange_count(stream_key(topic), format!("0-{from}"), "+", count)
            .query_async::<(Option<String>, Option<u64>, redis::streams::StreamRangeReply)>(&mut connection);
        let (epoch, last, range) = within(query).await.map_err(|e| self.unreachable(e))?;
        let epoch: Arc<str> = epoch.unwrap_or_default().into();
        let messages = range
            .ids
            .into_iter()
            .filter_map(|entry| {
                let n = stream_n(&entry.id)?;
                let payload = entry.get::<String>("m")?;
                Some(Arc::new(Message { topic: topic.clone(), seq: Seq { epoch: epoch.clone(), n }, payload: payload.into() }))
            })
            .collect();
        Ok((epoch, last.unwrap_or(0), messages))
    }

    /// Run one command (or pipeline) on the publishing connection, within [`TIMEOUT`].
    async fn query<T: redis::FromRedisValue>(&self, pipe: &redis::Pipeline) -> Result<T, PubSubError> {
        let mut connection = self.connection().await?;
        within(pipe.query_async::<T>(&mut connection)).await.map_err(|e| self.unreachable(e))
    }

    /// Presence: set `member`'s entry in `key`.
    pub async fn hset(&self, key: &str, member: &str, entry: &str) -> Result<(), PubSubError> {
        self.query::<()>(redis::pipe().hset(key, member, entry).ignore()).await
    }

    /// Presence: remove `member` from `key`; whether this call removed it.
    pub async fn hdel(&self, key: &str, member: &str) -> Result<bool, PubSubError> {
        let (removed,): (u64,) = self.query(redis::pipe().hdel(key, member)).await?;
        Ok(removed == 1)
    }

    /// Presence: every member of each of `keys` with its entry, in one round trip.
    pub async fn hgetall_many(&self, keys: &[String]) -> Result<Vec<Vec<(String, String)>>, PubSubError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.hgetall(key);
        }
        self.query(&pipe).await
    }

    /// Presence: which of `processes` are alive.
    pub async fn alive(&self, processes: &[String]) -> Result<Vec<String>, PubSubError> {
        if processes.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for process in processes {
            pipe.exists(super::presence::alive_key(process));
        }
        let found: Vec<bool> = self.query(&pipe).await?;
        Ok(processes.iter().zip(found).filter(|(_, alive)| *alive).map(|(p, _)| p.clone()).collect())
    }

    /// Presence: this process is alive for `ttl` more, with these members
    /// (`(key, member, entry)`) written again.
    pub async fn heartbeat(&self, alive: &str, ttl: Duration, members: &[(String, String, String)]) -> Result<(), PubSubError> {
        let mut pipe = redis::pipe();
        pipe.set_options(alive, 1, redis::SetOptions::default().with_expiration(redis::SetExpiry::PX(ttl.as_millis() as u64))).ignore();
        for (key, member, entry) in members {
            pipe.hset(key, member, entry).ignore();
        }
        self.query::<()>(&pipe).await
    }

    /// Publish a checked payload; its place in the topic.
    pub async fn publish(&self, topic: &str, payload: &str) -> Result<Seq, PubSubError> {
        let mut connection = self.connection().await?;
        let candidate = uuid::Uuid::new_v4().simple().to_string();
        let mut invocation = self.script.key(stream_key(topic));
        invocation.key(channel(topic)).key(EPOCH_KEY).key(counter_key(topic)).arg(self.stream_len).arg(payload).arg(candidate);
        let invoked = invocation.invoke_async::<(String, u64)>(&mut connection);
        let (epoch, n) = within(invoked).await.map_err(|e| self.unreachable(e))?;
        Ok(Seq { epoch: epoch.into(), n })
    }
}

/// The process's subscriber connection: (re)connects, (re)subscribes,
/// reads the live feed, and fills holes from the streams.
async fn subscriber(
    client: redis::Client,
    url: String,
    hub: Arc<Hub>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    connected: Arc<AtomicBool>,
    tried: Arc<AtomicBool>,
) {
    let mut backoff = Duration::from_millis(50);
    let mut reported = false;
    loop {
        let ended = session(&client, &hub, &mut commands, &connected, &tried).await;
        tried.store(true, Relaxed);
        match ended {
            Ended::Closed => return,
            Ended::Lost(reason) => {
                connected.store(false, Relaxed);
                if !reported {
                    tracing::error!(url = %url, %reason, "Redis is unreachable: messages are not delivered to this process until it is back");
                    reported = true;
                }
            }
            Ended::Served => {
                reported = false;
                backoff = Duration::from_millis(50);
            }
        }
        // Subscriptions asked for meanwhile are the hub's; the next session makes them.
        while let Ok(command) = commands.try_recv() {
            drop(command);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

enum Ended {
    /// The backplane was dropped.
    Closed,
    /// Redis could not be reached, or the connection broke before it served.
    Lost(String),
    /// A connection served, then broke.
    Served,
}

async fn session(
    client: &redis::Client,
    hub: &Arc<Hub>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    connected: &AtomicBool,
    tried: &AtomicBool,
) -> Ended {
    let opened = async {
        let pubsub = client.get_async_pubsub().await?;
        let reader = client.get_multiplexed_async_connection().await?;
        Ok::<_, redis::RedisError>((pubsub, reader))
    };
    let (pubsub, mut reader) = match tokio::time::timeout(TIMEOUT, opened).await {
        Ok(Ok(opened)) => opened,
        Ok(Err(e)) => return Ended::Lost(e.to_string()),
        Err(_) => return Ended::Lost("no answer within 2 s".into()),
    };
    let (mut sink, mut feed) = pubsub.split();
    // Every topic subscribed here, then what was published while this process was away.
    for (topic, _) in hub.topics() {
        if let Err(e) = subscribe(&mut sink, &mut reader, hub, &topic).await {
            return Ended::Lost(e.to_string());
        }
        if let Err(e) = catch_up(&mut reader, hub, &topic).await {
            return Ended::Lost(e.to_string());
        }
    }
    connected.store(true, Relaxed);
    tried.store(true, Relaxed);
    tracing::info!("connected to Redis");
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                None => return Ended::Closed,
                Some(Command::Subscribe(topic, confirmed)) => {
                    if let Err(e) = subscribe(&mut sink, &mut reader, hub, &topic).await {
                        return Ended::Served.or_lost(e);
                    }
                    let _ = confirmed.send(());
                }
                Some(Command::Unsubscribe(topic)) => {
                    if hub.subscribers(&topic) == 0 && sink.unsubscribe(channel(&topic)).await.is_err() {
                        return Ended::Served;
                    }
                }
            },
            message = feed.next() => {
                let Some(message) = message else { return Ended::Served };
                let Some(topic) = topic_of(message.get_channel_name()) else { continue };
                let Some((seq, payload)) = parse(message.get_payload_bytes()) else {
                    tracing::warn!(channel = message.get_channel_name(), "a message on a wasmlive channel was not one of ours; ignored");
                    continue;
                };
                let topic: Arc<str> = topic.into();
                if let Err(e) = arrived(&mut reader, hub, &topic, seq, payload).await {
                    return Ended::Served.or_lost(e);
                }
            }
        }
    }
}

impl Ended {
    fn or_lost(self, e: redis::RedisError) -> Ended {
        tracing::warn!(error = %e, "the Redis connection broke; reconnecting");
        self
    }
}

/// Subscribe to `topic`, having read where it stands first: a message
/// published between the two is a hole the next message shows.
async fn subscribe(sink: &mut redis::aio::PubSubSink, reader: &mut MultiplexedConnection, hub: &Hub, topic: &Arc<str>) -> redis::RedisResult<()> {
    if hub.subscribers(topic) == 0 {
        return Ok(());
    }
    let at = standing(reader, topic).await?;
    hub.start_at(topic, at);
    sink.subscribe(channel(topic)).await
}

/// Where `topic` stands in Redis now.
async fn standing(reader: &mut MultiplexedConnection, topic: &str) -> redis::RedisResult<Seq> {
    let (epoch, n): (Option<String>, Option<u64>) = redis::pipe().get(EPOCH_KEY).get(counter_key(topic)).query_async(reader).await?;
    Ok(Seq { epoch: epoch.unwrap_or_default().into(), n: n.unwrap_or(0) })
}

/// After a reconnect: what `topic` got while this process was away.
async fn catch_up(reader: &mut MultiplexedConnection, hub: &Hub, topic: &Arc<str>) -> redis::RedisResult<()> {
    let now = standing(reader, topic).await?;
    match hub.at(topic) {
        Some(at) if (at.epoch == now.epoch || at.epoch.is_empty()) && now.n > at.n => {
            refill(reader, hub, topic, &now.epoch, at.n + 1, now.n).await
        }
        Some(at) if at.epoch != now.epoch && !at.epoch.is_empty() => {
            hub.gap(topic, None, Seq { epoch: now.epoch.clone(), n: 0 });
            refill(reader, hub, topic, &now.epoch, 1, now.n).await
        }
        _ => Ok(()),
    }
}

/// A live message: delivered, skipped, or delivered after what it shows was missed.
async fn arrived(reader: &mut MultiplexedConnection, hub: &Hub, topic: &Arc<str>, seq: Seq, payload: &str) -> redis::RedisResult<()> {
    match hub.place(topic, &seq) {
        Placement::Unwanted => return Ok(()),
        Placement::Seen => {
            hub.seen();
            return Ok(());
        }
        Placement::Next => {}
        Placement::After { from, to } => refill(reader, hub, topic, &seq.epoch, from, to).await?,
        Placement::NewEpoch => {
            hub.gap(topic, None, Seq { epoch: seq.epoch.clone(), n: 0 });
            if seq.n > 1 {
                refill(reader, hub, topic, &seq.epoch, 1, seq.n - 1).await?;
            }
        }
    }
    hub.deliver(Arc::new(Message { topic: topic.clone(), seq, payload: payload.into() }));
    Ok(())
}

/// Deliver messages `from..=to` of `topic` from its stream; those that
/// fell out of it (the oldest) are one gap, told before the rest.
async fn refill(reader: &mut MultiplexedConnection, hub: &Hub, topic: &Arc<str>, epoch: &Arc<str>, from: u64, to: u64) -> redis::RedisResult<()> {
    if from > to {
        return Ok(());
    }
    let reply: redis::streams::StreamRangeReply = reader.xrange(stream_key(topic), format!("0-{from}"), format!("0-{to}")).await?;
    let first = reply.ids.first().and_then(|e| stream_n(&e.id)).unwrap_or(to + 1);
    if first > from {
        hub.gap(topic, Some(first - from), Seq { epoch: epoch.clone(), n: first - 1 });
    }
    for entry in reply.ids {
        let (Some(n), Some(payload)) = (stream_n(&entry.id), entry.get::<String>("m")) else { continue };
        let seq = Seq { epoch: epoch.clone(), n };
        if hub.place(topic, &seq) == Placement::Next {
            hub.deliver(Arc::new(Message { topic: topic.clone(), seq, payload: payload.into() }));
        }
    }
    Ok(())
}

/// `n` of a stream entry id `0-n`.
fn stream_n(id: &str) -> Option<u64> {
    id.strip_prefix("0-")?.parse().ok()
}

/// A live message's `epoch n payload`.
fn parse(bytes: &[u8]) -> Option<(Seq, &str)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let (epoch, rest) = text.split_once(' ')?;
    let (n, payload) = rest.split_once(' ')?;
    Some((Seq { epoch: epoch.into(), n: n.parse().ok()? }, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_frames() {
        assert_eq!(topic_of(&channel("chat:lobby")), Some("chat:lobby"));
        assert_eq!(topic_of("other"), None);
        assert_eq!(stream_n("0-42"), Some(42));
        assert_eq!(stream_n("1700000000000-0"), None);
        let (seq, payload) = parse(b"e1 7 {\"a\": 1}").unwrap();
        assert_eq!((seq.epoch.as_ref(), seq.n, payload), ("e1", 7, "{\"a\": 1}"));
        assert!(parse(b"garbage").is_none());
        assert!(parse(b"e1 x {}").is_none());
        assert_eq!(redacted("redis://user:secret@db:6379/0"), "redis://***@db:6379/0");
        assert_eq!(redacted("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }
}
