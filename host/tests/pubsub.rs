//! PubSub against a real `redis-server` (each test starts its own on a free
//! loopback port and stops it): every subscriber gets each message once and
//! in order across subscriber connections, Redis restarts and kills, and a
//! Redis that is down says so.

mod common;

use common::redis::RedisServer;
use common::until_connected;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmlive::pubsub::{Notice, PubSub, PubSubConfig, PubSubError, Subscriber};

/// Notices as a subscriber got them.
#[derive(Default)]
struct Inbox(Mutex<Vec<Notice>>);

impl Subscriber for Inbox {
    fn notify(&self, notice: &Notice) -> bool {
        self.0.lock().unwrap().push(notice.clone());
        true
    }
}

impl Inbox {
    /// The payloads received, in order.
    fn payloads(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|n| match n {
                Notice::Message(m) => Some(m.payload.to_string()),
                Notice::Gap { .. } => None,
            })
            .collect()
    }

    fn gaps(&self) -> Vec<Option<u64>> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|n| match n {
                Notice::Gap { missed, .. } => Some(*missed),
                Notice::Message(_) => None,
            })
            .collect()
    }

    /// Wait until `count` payloads came (or 10 s went by).
    async fn wait_for(&self, count: usize) -> Vec<String> {
        for _ in 0..1000 {
            if self.payloads().len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.payloads()
    }
}

fn numbered(range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("{{\"i\":{i}}}")).collect()
}

fn on(url: &str) -> PubSub {
    PubSub::start(&PubSubConfig { redis_url: Some(url.into()), ..PubSubConfig::default() }).unwrap()
}

/// A connected PubSub on `url` with a subscriber to `topic` (confirmed by Redis).
async fn subscribed(url: &str, topic: &str) -> (PubSub, Arc<Inbox>, wasmlive::pubsub::Subscription) {
    let pubsub = on(url);
    until_connected(&pubsub).await;
    let inbox = Arc::new(Inbox::default());
    let subscription = pubsub.subscribe(topic, inbox.clone()).await.unwrap();
    (pubsub, inbox, subscription)
}

/// Publish once Redis takes it again (the publisher reconnects on its own;
/// until then each try is an `Unreachable` error).
async fn publish_when_back(pubsub: &PubSub, topic: &str, payload: &str) {
    for _ in 0..200 {
        match pubsub.publish(topic, payload).await {
            Ok(_) => return,
            Err(PubSubError::Unreachable { .. }) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => panic!("{e}"),
        }
    }
    panic!("Redis did not take a publish again");
}

/// Publish every payload.
async fn publish_all(pubsub: &PubSub, topic: &str, payloads: &[String]) {
    for p in payloads {
        pubsub.publish(topic, p).await.unwrap();
    }
}

#[tokio::test]
async fn in_one_process_without_redis_the_same_guarantees() {
    let pubsub = PubSub::start(&PubSubConfig::default()).unwrap();
    pubsub.publish("news", "{\"before\":true}").await.unwrap();
    let inbox = Arc::new(Inbox::default());
    let subscription = pubsub.subscribe("news", inbox.clone()).await.unwrap();
    publish_all(&pubsub, "news", &numbered(0..50)).await;
    assert_eq!(inbox.payloads(), numbered(0..50), "from the subscription on, in order, once");
    drop(subscription);
    pubsub.publish("news", "{\"after\":true}").await.unwrap();
    assert_eq!(inbox.payloads().len(), 50, "nothing after the subscription is dropped");
    let stats = pubsub.stats();
    assert_eq!((stats.backplane.as_str(), stats.published, stats.delivered, stats.topics), ("local", 52, 50, 0));
    // Refused before anything is sent.
    assert!(matches!(pubsub.publish("news", "{oops").await, Err(PubSubError::NotJson { .. })));
    assert!(matches!(pubsub.publish("bad topic", "1").await, Err(PubSubError::InvalidTopic { .. })));
    let big = format!("\"{}\"", "x".repeat(70_000));
    assert!(matches!(pubsub.publish("news", &big).await, Err(PubSubError::TooLarge { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_subscriber_connections_on_one_redis_get_every_message_once_in_order() {
    let redis = RedisServer::start();
    let (a, in_a, _sa) = subscribed(&redis.url(), "room").await;
    let (b, in_b, _sb) = subscribed(&redis.url(), "room").await;
    let _other = b.subscribe("other", Arc::new(Inbox::default())).await.unwrap();
    // Published from both, one after the other: one order for everyone.
    for (i, payload) in numbered(0..300).iter().enumerate() {
        let publisher = if i % 2 == 0 { &a } else { &b };
        publisher.publish("room", payload).await.unwrap();
    }
    assert_eq!(in_a.wait_for(300).await, numbered(0..300));
    assert_eq!(in_b.wait_for(300).await, numbered(0..300));
    assert_eq!(b.stats().delivered, 300, "the other topic got nothing");
    assert!(in_a.gaps().is_empty() && in_b.gaps().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_loses_nothing() {
    let mut redis = RedisServer::start_persistent();
    let publisher = on(&redis.url());
    let (subscriber, inbox, _s) = subscribed(&redis.url(), "feed").await;
    publish_all(&publisher, "feed", &numbered(0..100)).await;
    assert_eq!(inbox.wait_for(100).await.len(), 100);

    // A restart (SIGTERM; the data on disk): publishing says Redis is down
    // while it is, and subscribers come back and miss nothing.
    redis.stop();
    let down = publisher.publish("feed", "{\"while\":\"down\"}").await.unwrap_err();
    let text = down.to_string();
    assert!(text.contains(&redis.url()) && text.contains("not published"), "{text}");
    redis.restart();
    for payload in numbered(100..200) {
        publish_when_back(&publisher, "feed", &payload).await;
    }
    assert_eq!(inbox.wait_for(200).await, numbered(0..200), "each message once, in order, across the restart");
    assert!(inbox.gaps().is_empty());
    assert_eq!(subscriber.stats().missed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_without_its_data_is_a_gap_told_once_and_later_messages_arrive() {
    let mut redis = RedisServer::start();
    let publisher = on(&redis.url());
    let (subscriber, inbox, _s) = subscribed(&redis.url(), "feed").await;
    publish_all(&publisher, "feed", &numbered(0..10)).await;
    assert_eq!(inbox.wait_for(10).await.len(), 10);
    redis.kill();
    redis.restart();
    publish_when_back(&publisher, "feed", "{\"i\":10}").await;
    publish_all(&publisher, "feed", &numbered(11..20)).await;
    assert_eq!(inbox.wait_for(20).await, numbered(0..20));
    assert_eq!(inbox.gaps(), vec![None], "the lost data set is one gap, its size unknown");
    assert_eq!(subscriber.stats().gaps, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_at_start_is_an_error_naming_it_and_delivery_starts_when_it_comes() {
    let port = common::redis::free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let publisher = on(&url);
    let subscriber = on(&url);
    let inbox = Arc::new(Inbox::default());
    // Down: the subscription is the process's, made when Redis comes.
    let _s = subscriber.subscribe("late", inbox.clone()).await.unwrap();
    let e = publisher.publish("late", "{}").await.unwrap_err();
    assert!(matches!(&e, PubSubError::Unreachable { url: u, .. } if *u == url), "{e:?}");
    assert!(!subscriber.is_connected() && !subscriber.stats().connected);
    let _redis = RedisServer::start_on(port);
    let started = std::time::Instant::now();
    until_connected(&subscriber).await;
    assert!(started.elapsed() < Duration::from_secs(2), "reconnected in {:?}", started.elapsed());
    // Once subscribed there (the reconnect subscribes before it reports connected), a publish reaches it.
    publish_when_back(&publisher, "late", "{\"ok\":1}").await;
    assert_eq!(inbox.wait_for(1).await, vec!["{\"ok\":1}".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holes_in_the_live_feed_are_filled_from_the_stream_and_what_fell_out_of_it_is_a_counted_gap() {
    let redis = RedisServer::start();
    let (pubsub, inbox, _s) = subscribed(&redis.url(), "t").await;
    pubsub.publish("t", "{\"i\":1}").await.unwrap();
    assert_eq!(inbox.wait_for(1).await.len(), 1);
    // Messages 2..=51 reach the stream but not the live feed (as when the
    // subscriber connection was cut off), and the stream keeps only 10.
    let client = redis::Client::open(redis.url()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    for i in 2..=51u32 {
        let _: () = redis::pipe()
            .cmd("INCR")
            .arg("wl:n:{t}")
            .ignore()
            .cmd("XADD")
            .arg("wl:s:{t}")
            .arg(format!("0-{i}"))
            .arg("m")
            .arg(format!("{{\"i\":{i}}}"))
            .ignore()
            .query_async(&mut raw)
            .await
            .unwrap();
    }
    let _: () = redis::cmd("XTRIM").arg("wl:s:{t}").arg("MAXLEN").arg(10).query_async(&mut raw).await.unwrap();
    // The next live message shows the hole: what the stream still has comes first, the rest is a gap.
    pubsub.publish("t", "{\"i\":52}").await.unwrap();
    let mut expected = vec!["{\"i\":1}".to_string()];
    expected.extend(numbered(42..53));
    assert_eq!(inbox.wait_for(12).await, expected);
    assert_eq!(inbox.gaps(), vec![Some(40)]);
    let stats = pubsub.stats();
    assert_eq!((stats.gaps, stats.missed, stats.delivered), (1, 40, 12));
    // Something else on our channel is not a message: ignored, counted nowhere, nothing breaks.
    let _: () = redis::cmd("PUBLISH").arg("wl:p:{t}").arg("not ours").query_async(&mut raw).await.unwrap();
    pubsub.publish("t", "{\"i\":53}").await.unwrap();
    assert_eq!(inbox.wait_for(13).await.last().map(String::as_str), Some("{\"i\":53}"));
}
