//! Presence against a real `redis-server` (and in one process): members
//! tracked from two PubSubs are listed by both, joins and leaves reach the
//! topic's subscribers as presence messages, a dropped member leaves, a
//! dead process's members are swept out by a live one (a real process
//! killed: tests/python/test_pubsub.py), and a Redis that lost its data has
//! the members back within a beat.

mod common;

use common::redis::RedisServer;
use common::until_connected;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmlive::pubsub::{ALIVE_FOR, HEARTBEAT, Notice, PubSub, PubSubConfig, PubSubError, Subscriber};

#[derive(Default)]
struct Told(Mutex<Vec<Value>>);

impl Subscriber for Told {
    fn notify(&self, notice: &Notice) -> bool {
        if let Notice::Message(m) = notice {
            self.0.lock().unwrap().push(serde_json::from_str(&m.payload).unwrap());
        }
        true
    }
}

impl Told {
    async fn until(&self, count: usize, within: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + within;
        while self.0.lock().unwrap().len() < count && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.0.lock().unwrap().clone()
    }
}

fn on(url: Option<String>) -> PubSub {
    PubSub::start(&PubSubConfig { redis_url: url, ..PubSubConfig::default() }).unwrap()
}

fn members(listed: &std::collections::BTreeMap<String, String>) -> Vec<(String, Value)> {
    listed.iter().map(|(k, v)| (k.clone(), serde_json::from_str(v).unwrap())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_of_two_processes_are_listed_by_both_and_their_changes_told() {
    let redis = RedisServer::start();
    let (a, b) = (on(Some(redis.url())), on(Some(redis.url())));
    until_connected(&a).await;
    let told = Arc::new(Told::default());
    let _s = b.subscribe("room", told.clone()).await.unwrap();
    let alice = a.track("room", "alice", r#"{"name":"Alice"}"#).await.unwrap();
    let _bob = b.track("room", "bob", r#"{"name":"Bob"}"#).await.unwrap();
    for pubsub in [&a, &b] {
        let listed = pubsub.presence("room").await.unwrap();
        assert_eq!(members(&listed), vec![("alice".into(), json!({"name": "Alice"})), ("bob".into(), json!({"name": "Bob"}))]);
    }
    drop(alice);
    let messages = told.until(3, Duration::from_secs(10)).await;
    assert_eq!(
        messages,
        vec![
            json!({"presence": {"joins": {"alice": {"name": "Alice"}}, "leaves": {}}}),
            json!({"presence": {"joins": {"bob": {"name": "Bob"}}, "leaves": {}}}),
            json!({"presence": {"joins": {}, "leaves": {"alice": {"name": "Alice"}}}}),
        ]
    );
    assert_eq!(members(&b.presence("room").await.unwrap()), vec![("bob".into(), json!({"name": "Bob"}))]);
    assert!(a.presence("elsewhere").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_processs_members_are_swept_out_by_a_live_one_and_garbage_is_skipped() {
    let redis = RedisServer::start();
    let watcher = on(Some(redis.url()));
    until_connected(&watcher).await;
    let told = Arc::new(Told::default());
    let _s = watcher.subscribe("lobby", told.clone()).await.unwrap();
    let _frank = watcher.track("lobby", "frank", "{}").await.unwrap();
    // What a process that died left: its member, its alive key long gone;
    // and an entry that is not one of ours.
    redis.cli(&["HSET", "wl:pr:{lobby}", "carol", r#"{"p":"dead-process","m":{"n":1}}"#]);
    redis.cli(&["HSET", "wl:pr:{lobby}", "junk", "not json"]);
    // Within a beat, the watcher (it subscribes to the topic) sweeps it out.
    let messages = told.until(2, HEARTBEAT * 2).await;
    assert_eq!(messages.last(), Some(&json!({"presence": {"joins": {}, "leaves": {"carol": {"n": 1}}}})), "{messages:?}");
    assert_eq!(members(&watcher.presence("lobby").await.unwrap()), vec![("frank".into(), json!({}))]);
    assert_eq!(redis.cli(&["HEXISTS", "wl:pr:{lobby}", "carol"]).trim(), "0");
    // This process says it is alive, for ALIVE_FOR after each beat.
    let alive = redis.cli(&["KEYS", "wl:alive:*"]);
    let key = alive.trim();
    let ttl: u64 = redis.cli(&["PTTL", key]).trim().parse().unwrap();
    assert!(ttl > 0 && ttl <= ALIVE_FOR.as_millis() as u64, "{key}: {ttl} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_lost_its_data_has_the_members_back_within_a_beat() {
    let mut redis = RedisServer::start();
    let a = on(Some(redis.url()));
    until_connected(&a).await;
    let _dave = a.track("hall", "dave", "{}").await.unwrap();
    redis.kill();
    let down = a.presence("hall").await.unwrap_err();
    assert!(matches!(down, PubSubError::Unreachable { .. }), "{down}");
    redis.restart();
    let mut back = false;
    for _ in 0..((HEARTBEAT.as_millis() * 3 / 100) as usize) {
        if let Ok(listed) = a.presence("hall").await
            && listed.contains_key("dave")
        {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "the member was not written again");
}

#[tokio::test]
async fn in_one_process_the_same_and_bad_input_refused() {
    let pubsub = on(None);
    let told = Arc::new(Told::default());
    let _s = pubsub.subscribe("solo", told.clone()).await.unwrap();
    let erin = pubsub.track("solo", "erin", r#"{"x":[1,2]}"#).await.unwrap();
    assert_eq!(members(&pubsub.presence("solo").await.unwrap()), vec![("erin".into(), json!({"x": [1, 2]}))]);
    // Tracked again: the meta is replaced, one member still.
    pubsub.track("solo", "erin", r#"{"x":3}"#).await.unwrap().superseded();
    assert_eq!(members(&pubsub.presence("solo").await.unwrap()), vec![("erin".into(), json!({"x": 3}))]);
    drop(erin);
    let messages = told.until(3, Duration::from_secs(5)).await;
    assert_eq!(messages[2], json!({"presence": {"joins": {}, "leaves": {"erin": {"x": 3}}}}));
    assert!(pubsub.presence("solo").await.unwrap().is_empty());
    assert!(matches!(pubsub.track("bad topic", "m", "{}").await, Err(PubSubError::InvalidTopic { .. })));
    assert!(matches!(pubsub.track("t", "", "{}").await, Err(PubSubError::InvalidTopic { .. })));
    assert!(matches!(pubsub.track("t", "m", "{nope").await, Err(PubSubError::NotJson { .. })));
    assert!(matches!(pubsub.presence("").await, Err(PubSubError::InvalidTopic { .. })));
}
