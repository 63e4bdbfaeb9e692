//! Views told from outside their requests: the messages of the topics they
//! subscribe to (in one process, and across two supervisors on a real
//! `redis-server`), gaps, and their timers. Each message reaches a view once
//! and in order, a batch is rendered once and pushed, a view that falls
//! behind catches up from the stream, and nothing is left at unmount.

mod common;

use common::obj;
use common::redis::RedisServer;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmlive::actors::{
    ActorConfig, ActorSupervisor, Delivery, Handled, HandlerError, Info, LogicFuture, MountRequest, Mounted, OutboundQueue, State,
    TemplateSource, ViewLogic, outbound,
};
use wasmlive::pubsub::PubSubConfig;

/// Records every message it handles (`i` of each), and how many batches;
/// the first batch is slow, so the view falls behind.
#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<Value>>>,
    gaps: Arc<Mutex<Vec<Option<u64>>>>,
    batches: Arc<Mutex<usize>>,
    slow_first: Option<Duration>,
}

impl ViewLogic for Recorder {
    fn handle_event<'a>(&'a mut self, event: &'a str, _: &'a State, _: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        let event = event.to_string();
        Box::pin(async move { Err(HandlerError::UnknownEvent { view: "recorder".into(), event }) })
    }

    fn handle_info<'a>(&'a mut self, infos: &'a [Info], state: &'a mut State) -> LogicFuture<'a, Result<Handled, HandlerError>> {
        Box::pin(async move {
            let first = {
                let mut batches = self.batches.lock().unwrap();
                *batches += 1;
                *batches == 1
            };
            if first && let Some(pause) = self.slow_first {
                tokio::time::sleep(pause).await;
            }
            for info in infos {
                match info {
                    Info::Message { payload, .. } | Info::Timer { payload } => {
                        self.seen.lock().unwrap().push(serde_json::from_str(payload).unwrap());
                    }
                    Info::Gap { missed, .. } => self.gaps.lock().unwrap().push(*missed),
                }
            }
            state.insert("n".into(), json!(self.seen.lock().unwrap().len()));
            Ok(Handled::Now)
        })
    }
}

async fn mount(supervisor: &ActorSupervisor, logic: Option<Recorder>, connected: bool) -> (Mounted, Option<OutboundQueue>) {
    let session = supervisor.get_or_create_session(&uuid());
    let mut request = MountRequest::new("v", TemplateSource::Inline("<p>{{ n }}</p>".into())).params(obj(json!({"n": 0})));
    if let Some(logic) = logic {
        request = request.logic(logic);
    }
    let mut queue = None;
    if connected {
        let (out, q) = outbound(64);
        request = request.outbound(out);
        queue = Some(q);
    }
    (session.mount(request, Delivery::Wait).await.unwrap().await.unwrap(), queue)
}

fn uuid() -> String {
    format!("s{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos())
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_only_view_merges_its_topics_messages_and_pushes_their_render() {
    let supervisor = ActorSupervisor::start(ActorConfig::default()).unwrap();
    let (mounted, queue) = mount(&supervisor, None, true).await;
    let mut queue = queue.unwrap();
    assert!(mounted.view.subscribe("counter").await.unwrap());
    assert_eq!(mounted.view.topics(), vec!["counter".to_string()]);
    let pubsub = supervisor.pubsub().unwrap();
    pubsub.publish("counter", r#"{"n": 7}"#).await.unwrap();
    let pushed = tokio::time::timeout(Duration::from_secs(5), queue.recv()).await.unwrap().unwrap();
    assert_eq!(pushed.view_id, mounted.view_id);
    assert_eq!(pushed.rendered.version, 2);
    assert!(format!("{:?}", pushed.rendered.patches).contains("\"7\""), "{:?}", pushed.rendered.patches);
    // Unsubscribed: later messages do not reach it.
    assert!(mounted.view.unsubscribe("counter"));
    pubsub.publish("counter", r#"{"n": 8}"#).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(queue.try_recv().is_none());
    assert_eq!(supervisor.stats().view_subscriptions, 0);
    supervisor.shutdown_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_that_falls_behind_catches_up_from_the_stream_once_and_in_order() {
    let supervisor = ActorSupervisor::start(ActorConfig::default()).unwrap();
    let slow = Recorder { slow_first: Some(Duration::from_millis(300)), ..Default::default() };
    let quick = Recorder::default();
    let (slow_view, _q1) = mount(&supervisor, Some(slow.clone()), true).await;
    let (quick_view, _q2) = mount(&supervisor, Some(quick.clone()), true).await;
    for view in [&slow_view.view, &quick_view.view] {
        view.subscribe("feed").await.unwrap();
    }
    let pubsub = supervisor.pubsub().unwrap();
    let total = 900;
    pubsub.publish("feed", r#"{"i": 0}"#).await.unwrap();
    until("the slow view's first batch", || *slow.batches.lock().unwrap() == 1).await;
    for i in 1..total {
        pubsub.publish("feed", &format!(r#"{{"i": {i}}}"#)).await.unwrap();
    }
    // The quick view is not held up by the slow one.
    until("the quick view", || quick.seen.lock().unwrap().len() == total).await;
    assert!(slow.seen.lock().unwrap().len() < total, "the slow view was still in its first batch");
    until("the slow view", || slow.seen.lock().unwrap().len() >= total).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let expected: Vec<Value> = (0..total).map(|i| json!({"i": i})).collect();
    assert_eq!(*slow.seen.lock().unwrap(), expected, "every message once, in order");
    assert_eq!(*quick.seen.lock().unwrap(), expected);
    assert!(slow.gaps.lock().unwrap().is_empty());
    assert!(supervisor.stats().views_lagged >= 1, "the slow view lagged and caught up from the stream");
    assert!(*quick.batches.lock().unwrap() < total, "queued messages are handled as batches, one render each");
    supervisor.shutdown_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_too_far_behind_is_told_of_the_gap_and_gets_what_follows() {
    let config = ActorConfig { pubsub: PubSubConfig { stream_len: 100, ..Default::default() }, ..Default::default() };
    let supervisor = ActorSupervisor::start(config).unwrap();
    let slow = Recorder { slow_first: Some(Duration::from_millis(300)), ..Default::default() };
    let (view, _q) = mount(&supervisor, Some(slow.clone()), true).await;
    view.view.subscribe("feed").await.unwrap();
    let pubsub = supervisor.pubsub().unwrap();
    pubsub.publish("feed", r#"{"i": 0}"#).await.unwrap();
    until("the first batch", || *slow.batches.lock().unwrap() == 1).await;
    // 256 queue, the rest dropped; the stream keeps only the last 100.
    for i in 1..1000 {
        pubsub.publish("feed", &format!(r#"{{"i": {i}}}"#)).await.unwrap();
    }
    until("the last message", || slow.seen.lock().unwrap().last() == Some(&json!({"i": 999}))).await;
    let seen: Vec<i64> = slow.seen.lock().unwrap().iter().map(|v| v["i"].as_i64().unwrap()).collect();
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order, never twice");
    let gaps = slow.gaps.lock().unwrap().clone();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(seen.len() as u64 + gaps[0].unwrap(), 1000, "what it got and what it was told it missed add up");
    supervisor.shutdown_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_fire_cancel_and_end_with_their_view() {
    let supervisor = ActorSupervisor::start(ActorConfig::default()).unwrap();
    let recorder = Recorder::default();
    let (mounted, _q) = mount(&supervisor, Some(recorder.clone()), true).await;
    let view = &mounted.view;
    view.send_after(0.02, r#""once""#).unwrap().unwrap();
    let every = view.send_every(0.01, r#""tick""#).unwrap().unwrap();
    let never = view.send_after(0.05, r#""never""#).unwrap().unwrap();
    assert!(never.cancel());
    assert!(!never.cancel(), "cancelled once");
    until("ticks", || recorder.seen.lock().unwrap().iter().filter(|v| *v == "tick").count() >= 3).await;
    assert!(every.cancel());
    tokio::time::sleep(Duration::from_millis(80)).await;
    let seen = recorder.seen.lock().unwrap().clone();
    assert_eq!(seen.iter().filter(|v| *v == "once").count(), 1);
    assert!(!seen.contains(&json!("never")));
    let ticks = seen.iter().filter(|v| *v == "tick").count();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(recorder.seen.lock().unwrap().iter().filter(|v| *v == "tick").count(), ticks, "no tick after cancel");
    // Bad intervals and payloads say so.
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(view.send_every(bad, "1").unwrap_err().to_string().contains("above 0"), "{bad}");
    }
    assert!(view.send_after(1.0, "{nope").unwrap_err().to_string().contains("not JSON"));
    // Timers and subscriptions end with the view, however many came and went.
    for _ in 0..200 {
        let (m, _q) = mount(&supervisor, None, true).await;
        m.view.send_every(10.0, "1").unwrap().unwrap();
        m.view.send_after(10.0, "1").unwrap().unwrap();
        m.view.subscribe("churn").await.unwrap();
        let session = supervisor.session(&m.session_id).unwrap();
        session.unmount(&m.view_id, Delivery::Wait).await.unwrap().await.unwrap();
    }
    view.send_every(10.0, "1").unwrap().unwrap();
    let session = supervisor.session(&mounted.session_id).unwrap();
    session.unmount(&mounted.view_id, Delivery::Wait).await.unwrap().await.unwrap();
    until("timers and subscriptions gone", || {
        let stats = supervisor.stats();
        stats.timers == 0 && stats.view_subscriptions == 0
    })
    .await;
    assert_eq!(supervisor.pubsub().unwrap().stats().topics, 0);
    assert!(view.send_after(1.0, "1").is_err(), "an unmounted view starts no timer");
    supervisor.shutdown_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_without_a_connection_neither_subscribes_nor_runs_timers() {
    let supervisor = ActorSupervisor::start(ActorConfig::default()).unwrap();
    let (mounted, _) = mount(&supervisor, None, false).await;
    assert!(!mounted.view.is_connected());
    assert!(!mounted.view.subscribe("t").await.unwrap());
    assert!(mounted.view.send_every(1.0, "1").unwrap().is_none());
    assert!(mounted.view.subscribe("bad topic").await.unwrap_err().to_string().contains("invalid topic"));
    let stats = supervisor.stats();
    assert_eq!((stats.view_subscriptions, stats.timers), (0, 0));
    supervisor.shutdown_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_of_two_supervisors_on_one_redis_get_each_others_messages_across_a_restart() {
    let mut redis = RedisServer::start_persistent();
    let url = redis.url();
    let config = || ActorConfig { pubsub: PubSubConfig { redis_url: Some(url.clone()), ..Default::default() }, ..Default::default() };
    let (a, b) = (ActorSupervisor::start(config()).unwrap(), ActorSupervisor::start(config()).unwrap());
    let (on_a, on_b) = (Recorder::default(), Recorder::default());
    let (view_a, _qa) = mount(&a, Some(on_a.clone()), true).await;
    let (view_b, _qb) = mount(&b, Some(on_b.clone()), true).await;
    view_a.view.subscribe("room").await.unwrap();
    view_b.view.subscribe("room").await.unwrap();
    for i in 0..50 {
        let from = if i % 2 == 0 { &a } else { &b };
        from.pubsub().unwrap().publish("room", &format!(r#"{{"i": {i}}}"#)).await.unwrap();
    }
    redis.stop();
    redis.restart();
    let mut published = 50;
    while published < 100 {
        // Publishing may fail while Redis comes back: it says so, and nothing was published.
        match a.pubsub().unwrap().publish("room", &format!(r#"{{"i": {published}}}"#)).await {
            Ok(_) => published += 1,
            Err(e) => {
                assert!(e.to_string().contains("not published"), "{e}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    let expected: Vec<Value> = (0..100).map(|i| json!({"i": i})).collect();
    for recorder in [&on_a, &on_b] {
        until("all 100", || recorder.seen.lock().unwrap().len() >= 100).await;
        assert_eq!(*recorder.seen.lock().unwrap(), expected);
    }
    assert_eq!(a.stats().pubsub.unwrap().backplane, url);
    a.shutdown_all().await;
    b.shutdown_all().await;
}
