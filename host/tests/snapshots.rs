//! Views resumed from their snapshots on a real `redis-server`: two actor
//! systems stand for two processes. A view's renders write its snapshot
//! behind them; the other system claims it and carries it on without
//! `mount` — state, tree, version, topics and the messages it missed — and
//! the first owner's next save is refused, which closes its copy. What
//! comes back from Redis is checked, never trusted.

mod common;

use common::obj;
use common::redis::RedisServer;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;
use wasmlive::actors::{
    ActorConfig, ActorError, ActorSupervisor, Delivery, Event, HandlerError, LogicFuture, MergeParams, MountRequest, Mounted, OutboundQueue,
    Resumable, SessionHandle, State, TemplateSource, ViewLogic, outbound,
};
use wasmlive::pubsub::PubSubConfig;
use wasmlive::resume::{Claim, Claimed, StoreError};

const TEMPLATE: &str = "<div><p>{{ count }}</p><i>{{ news }}</i></div>";

fn config(redis: &RedisServer) -> ActorConfig {
    ActorConfig { pubsub: PubSubConfig { redis_url: Some(redis.url()), ..PubSubConfig::default() }, ..ActorConfig::default() }
}

/// Counts its mounts; `add` adds `by` to `count`.
#[derive(Clone, Default)]
struct Counter {
    mounts: Arc<AtomicUsize>,
}

impl ViewLogic for Counter {
    fn mount<'a>(&'a mut self, params: &'a State, state: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        self.mounts.fetch_add(1, SeqCst);
        wasmlive::actors::merge(params, state);
        Box::pin(async { Ok(()) })
    }

    fn handle_event<'a>(&'a mut self, event: &'a str, params: &'a State, state: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event != "add" {
                return Err(HandlerError::UnknownEvent { view: "counter".into(), event: event.into() });
            }
            let now = state["count"].as_i64().unwrap() + params["by"].as_i64().unwrap();
            state.insert("count".into(), json!(now));
            Ok(())
        })
    }
}

fn request(logic: &Counter, template: &str) -> (MountRequest, OutboundQueue) {
    let (out, queue) = outbound(16);
    let mut request = MountRequest::new("counter", TemplateSource::Inline(template.into())).logic(logic.clone()).outbound(out);
    request.resumable = Some(Resumable { browser: Some("browser-1".into()) });
    (request, queue)
}

async fn add(view: &Mounted, by: i64) -> Result<u64, ActorError> {
    let event = Event::new("add", obj(json!({"by": by})));
    Ok(view.view.event(event, Delivery::Wait).await?.await?.version)
}

/// The snapshot of `view_id` as Redis has it, once it is at `version` (5 s at most).
async fn stored_at(redis: &RedisServer, view_id: &str, version: u64) -> serde_json::Value {
    stored_when(redis, view_id, |s| s["version"] == version).await
}

/// The snapshot of `view_id` as Redis has it, once `ready` says so (5 s at most).
async fn stored_when(redis: &RedisServer, view_id: &str, ready: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let mut last = String::new();
    for _ in 0..500 {
        last = redis.cli(&["HGET", &format!("wl:v:{{{view_id}}}"), "snap"]);
        if let Ok(snapshot) = serde_json::from_str::<serde_json::Value>(last.trim())
            && ready(&snapshot)
        {
            return snapshot;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the snapshot of {view_id} did not come; the last was {last}");
}

async fn claim(supervisor: &ActorSupervisor, view_id: &str) -> Claimed {
    match supervisor.snapshots().expect("snapshots on").claim(view_id, "ws-a", Some("browser-1")).await.unwrap() {
        Claim::Taken(claimed) => claimed,
        other => panic!("not claimed: {other:?}"),
    }
}

async fn restore(session: &SessionHandle, logic: &Counter, template: &str, claimed: Claimed) -> Result<(Mounted, OutboundQueue), ActorError> {
    let (mut request, queue) = request(logic, template);
    request.resume = Some(claimed);
    Ok((session.mount(request, Delivery::Wait).await?.await?, queue))
}

#[tokio::test]
async fn another_system_carries_the_view_on_without_mount_and_the_old_copy_closes() {
    let redis = RedisServer::start();
    let (first, second) = (ActorSupervisor::start(config(&redis)).unwrap(), ActorSupervisor::start(config(&redis)).unwrap());
    let (logic_a, logic_b) = (Counter::default(), Counter::default());
    let (request_a, _queue_a) = request(&logic_a, TEMPLATE);
    let a = first.get_or_create_session("ws-a").mount(request_a.params(obj(json!({"count": 0, "news": "-"}))), Delivery::Wait).await.unwrap().await.unwrap();
    for _ in 0..5 {
        add(&a, 2).await.unwrap();
    }
    let stored = stored_at(&redis, &a.view_id, 6).await;
    assert_eq!(stored["record"], json!({"count": 10, "news": "-"}));
    assert_eq!(stored["html"], "<div><p>10</p><i>-</i></div>");
    assert!(!redis.cli(&["TTL", &format!("wl:v:{{{}}}", a.view_id)]).trim().starts_with('-'), "it expires");

    // Someone else's session or browser claims nothing, and changes nothing.
    let store = second.snapshots().unwrap();
    assert!(matches!(store.claim(&a.view_id, "ws-b", Some("browser-1")).await.unwrap(), Claim::BoundElsewhere));
    assert!(matches!(store.claim(&a.view_id, "ws-a", Some("browser-2")).await.unwrap(), Claim::BoundElsewhere));
    assert!(matches!(store.claim("no-such-view", "ws-a", Some("browser-1")).await.unwrap(), Claim::Missing));

    let session_b = second.get_or_create_session("ws-a");
    let (b, _queue_b) = restore(&session_b, &logic_b, TEMPLATE, claim(&second, &a.view_id).await).await.unwrap();
    assert_eq!((b.view_id.as_str(), b.version, logic_b.mounts.load(SeqCst)), (a.view_id.as_str(), 6, 0));
    // The client shows version 6: nothing to send; the next event is 7, from the state of record.
    assert!(b.view.reattach(None, 6, Delivery::Wait).await.unwrap().await.unwrap().is_none());
    let rendered = b.view.event(Event::new("add", obj(json!({"by": 1}))), Delivery::Wait).await.unwrap().await.unwrap();
    assert_eq!(rendered.version, 7);
    let patches = serde_json::to_value(rendered.patches.unwrap()).unwrap();
    assert_eq!(patches, json!([{"op": "set-text", "path": [0, 0, 0], "text": "11"}]), "diffed against the client's tree");
    stored_at(&redis, &a.view_id, 7).await;

    // The first owner renders once more: its save is refused and its copy closes.
    add(&a, 100).await.unwrap();
    let mut closed = false;
    for _ in 0..500 {
        if matches!(add(&a, 1).await, Err(ActorError::Shutdown { .. })) {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(closed, "the stale copy closed");
    let snapshots = first.stats().resumes.snapshots.unwrap();
    assert!(snapshots.moved >= 1, "{snapshots:?}");
    assert_eq!(stored_at(&redis, &a.view_id, 7).await["record"]["count"], 11, "the stale save never landed");
    assert_eq!(second.stats().resumes.snapshots.unwrap().claimed, 1);
    first.shutdown_all().await;
    second.shutdown_all().await;
}

#[tokio::test]
async fn a_copy_kept_in_process_is_not_resumed_once_another_system_claimed_it() {
    let redis = RedisServer::start();
    let (first, second) = (ActorSupervisor::start(config(&redis)).unwrap(), ActorSupervisor::start(config(&redis)).unwrap());
    let logic = Counter::default();
    let (request_a, _queue_a) = request(&logic, TEMPLATE);
    let a = first.get_or_create_session("ws-a").mount(request_a.params(obj(json!({"count": 0, "news": "-"}))), Delivery::Wait).await.unwrap().await.unwrap();
    stored_at(&redis, &a.view_id, 1).await;
    let (_b, _queue_b) = restore(&second.get_or_create_session("ws-a"), &logic, TEMPLATE, claim(&second, &a.view_id).await).await.unwrap();
    // Its client comes back to the first system, which still has its copy: refused, and closed.
    let moved = a.view.reattach(None, 1, Delivery::Wait).await.unwrap().await;
    assert_eq!(moved.unwrap_err(), ActorError::Moved(a.view_id.clone()));
    assert!(matches!(add(&a, 1).await, Err(ActorError::Shutdown { .. })));
    first.shutdown_all().await;
    second.shutdown_all().await;
}

#[tokio::test]
async fn a_template_changed_since_gives_patches_and_what_was_missed_in_a_topic_is_replayed() {
    let redis = RedisServer::start();
    let (first, second) = (ActorSupervisor::start(config(&redis)).unwrap(), ActorSupervisor::start(config(&redis)).unwrap());
    let logic = Counter::default();
    let (out, _queue) = outbound(16);
    let mut request_a = MountRequest::new("board", TemplateSource::Inline(TEMPLATE.into())).logic(MergeParams).outbound(out);
    request_a.resumable = Some(Resumable { browser: Some("browser-1".into()) });
    let a = first.get_or_create_session("ws-a").mount(request_a.params(obj(json!({"count": 0, "news": "-"}))), Delivery::Wait).await.unwrap().await.unwrap();
    assert!(a.view.subscribe("snap-news").await.unwrap());
    // A subscription alone is written down too (no render needed).
    stored_when(&redis, &a.view_id, |s| s["topics"][0]["topic"] == "snap-news" && s["topics"][0]["last"].is_null()).await;
    let pubsub = first.pubsub().unwrap();
    common::until_connected(&pubsub).await;
    pubsub.publish("snap-news", r#"{"news": "one"}"#).await.unwrap();
    let stored = stored_at(&redis, &a.view_id, 2).await;
    assert_eq!(stored["topics"][0]["topic"], "snap-news");
    assert_eq!(stored["topics"][0]["last"][1], 1);
    // The first system is gone; two messages come while nobody has the view.
    first.shutdown_all().await;
    pubsub.publish("snap-news", r#"{"news": "two"}"#).await.unwrap();
    pubsub.publish("snap-news", r#"{"news": "three"}"#).await.unwrap();

    let changed = "<div><p>{{ count }}</p><b>{{ news }}</b></div>";
    let (b, mut queue_b) = restore(&second.get_or_create_session("ws-a"), &logic, changed, claim(&second, &a.view_id).await).await.unwrap();
    assert_eq!(b.version, 2);
    // What it missed is handled once, in order, and pushed as patches.
    let pushed = tokio::time::timeout(Duration::from_secs(5), queue_b.recv()).await.expect("a push").expect("open");
    assert!(pushed.rendered.html.is_none() && pushed.rendered.version == 3, "{pushed:?}");
    let stored = stored_when(&redis, &a.view_id, |s| s["record"]["news"] == "three").await;
    assert_eq!((stored["version"].as_u64(), stored["html"].as_str()), (Some(3), Some("<div><p>0</p><b>three</b></div>")));
    assert_eq!(stored["topics"][0]["last"][1], 3, "each message once, in order");
    second.shutdown_all().await;

    // Rendered elsewhere with another template, at the client's version: patches, not "resumed".
    let third = ActorSupervisor::start(config(&redis)).unwrap();
    let version = 3;
    let (c, _queue_c) = restore(&third.get_or_create_session("ws-a"), &logic, TEMPLATE, claim(&third, &a.view_id).await).await.unwrap();
    let diffed = c.view.reattach(None, version, Delivery::Wait).await.unwrap().await.unwrap().expect("a render for the new template");
    assert!(diffed.html.is_none() && diffed.patches.is_some() && diffed.version == version + 1, "{diffed:?}");
    third.shutdown_all().await;
}

#[tokio::test]
async fn a_state_pushed_while_the_client_is_away_is_in_the_snapshot() {
    let redis = RedisServer::start();
    let supervisor = ActorSupervisor::start(config(&redis)).unwrap();
    let logic = Counter::default();
    let (request, queue) = request(&logic, TEMPLATE);
    let m = supervisor.get_or_create_session("ws-a").mount(request.params(obj(json!({"count": 0, "news": "-"}))), Delivery::Wait).await.unwrap().await.unwrap();
    // The socket is gone: the first push renders (version 2, the client never gets it), later ones only change the state.
    drop(queue);
    m.view.push(obj(json!({"count": 1, "news": "-"})), Delivery::Wait).await.unwrap().await.unwrap();
    stored_at(&redis, &m.view_id, 2).await;
    m.view.push(obj(json!({"count": 2, "news": "later"})), Delivery::Wait).await.unwrap().await.unwrap();
    let stored = stored_when(&redis, &m.view_id, |s| s["record"]["count"] == 2).await;
    assert_eq!((stored["version"].as_u64(), stored["record"]["news"].as_str()), (Some(2), Some("later")));
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn what_redis_hands_back_is_checked_before_anything_uses_it() {
    let redis = RedisServer::start();
    let supervisor = ActorSupervisor::start(config(&redis)).unwrap();
    let store = supervisor.snapshots().unwrap();
    let bind = r#"["ws-a","browser-1"]"#;
    for (view_id, snap) in [
        ("garbage", "not json at all"),
        ("format-9", r#"{"format": 9}"#),
        ("pickle", r#"{"format": 1, "py/reduce": "os.system"}"#),
    ] {
        redis.cli(&["HSET", &format!("wl:v:{{{view_id}}}"), "snap", snap, "owner", "x", "gen", "1", "bind", bind]);
        match store.claim(view_id, "ws-a", Some("browser-1")).await {
            Err(StoreError::Refused { view_id: refused, .. }) => assert_eq!(refused, view_id),
            other => panic!("{view_id}: {other:?}"),
        }
    }
    // A session resuming such a view gets the refusal, not a view.
    assert_eq!(supervisor.stats().resumes.snapshots.unwrap().claimed, 3);
    supervisor.shutdown_all().await;

    // Redis gone: a claim says where it could not reach, and renders go on without it.
    let mut redis = redis;
    let supervisor = ActorSupervisor::start(config(&redis)).unwrap();
    redis.kill();
    let store = supervisor.snapshots().unwrap();
    let e = store.claim("any", "ws-a", None).await.unwrap_err();
    assert!(matches!(&e, StoreError::Unreachable { url, .. } if url.starts_with("redis://127.0.0.1:")), "{e}");
    let logic = Counter::default();
    let (request, _queue) = request(&logic, TEMPLATE);
    let m = supervisor.get_or_create_session("ws-a").mount(request.params(obj(json!({"count": 0, "news": "-"}))), Delivery::Wait).await.unwrap().await.unwrap();
    assert_eq!(add(&m, 1).await.unwrap(), 2);
    for _ in 0..500 {
        if supervisor.stats().resumes.snapshots.unwrap().save_failures > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(supervisor.stats().resumes.snapshots.unwrap().save_failures > 0, "the failed saves are counted");
    supervisor.shutdown_all().await;
}
