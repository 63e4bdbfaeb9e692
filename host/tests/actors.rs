//! The actor system end to end: supervisor, sessions, views and components
//! running real guests, from Rust.

mod common;

use common::{ask, obj};
use serde_json::{Value, json};
use std::time::Duration;
use wasmlive::actors::{
    ActorConfig, ActorError, ActorSupervisor, ComponentRequest,
    Delivery::{FailFast, Wait},
    Engines, Event, HandlerError, LogicFuture, MountRequest, Rendered, SessionHandle, State, TemplateSource, ViewHandle, ViewLogic,
};
use wasmlive::engine_host::{EngineConfig, FaultKind, Patch};

/// A session's view (its first when `view_id` is `None`), looked up.
async fn view(session: &SessionHandle, view_id: Option<&str>) -> Result<ViewHandle, ActorError> {
    ask(session.view(view_id, Wait)).await
}

/// An event for a session's view, as a client's frame goes: looked up, then to the view.
async fn event(session: &SessionHandle, name: &str, params: State, view_id: Option<&str>) -> Result<Rendered, ActorError> {
    ask(view(session, view_id).await?.event(Event::new(name, params), Wait)).await
}

fn config() -> ActorConfig {
    ActorConfig {
        message_timeout: Duration::from_secs(10),
        ..ActorConfig::default()
    }
}

const COUNTER: &str = "<div><h1>Count: {{ count }}</h1><button>+</button></div>";

/// The seed's CounterView: declared handlers only.
struct Counter;

impl ViewLogic for Counter {
    fn mount<'a>(&'a mut self, params: &'a State, state: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        let start = params.get("start").cloned().unwrap_or(json!(0));
        state.insert("count".into(), start);
        Box::pin(async { Ok(()) })
    }

    fn handle_event<'a>(
        &'a mut self,
        event: &'a str,
        params: &'a State,
        state: &'a mut State,
    ) -> LogicFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let count = state["count"].as_i64().unwrap_or(0);
            let next = match event {
                "increment" => count + 1,
                "decrement" => count - 1,
                "add" => {
                    let by = params.get("by").and_then(Value::as_i64).ok_or_else(|| HandlerError::InvalidParams {
                        event: event.into(),
                        message: "`by` must be an integer".into(),
                    })?;
                    count + by
                }
                "fail" => {
                    state.insert("count".into(), json!(-999));
                    return Err(HandlerError::Raised { kind: "ValueError".into(), message: "boom".into() });
                }
                "slow" => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    count
                }
                _ => return Err(HandlerError::UnknownEvent { view: "Counter".into(), event: event.into() }),
            };
            state.insert("count".into(), json!(next));
            Ok(())
        })
    }
}

/// A view whose mount panics: it runs inside the session actor's task.
struct PanicsOnMount;

impl ViewLogic for PanicsOnMount {
    fn mount<'a>(&'a mut self, _: &'a State, _: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        panic!("deliberate panic in mount")
    }

    fn handle_event<'a>(&'a mut self, _: &'a str, _: &'a State, _: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        Box::pin(async { Ok(()) })
    }
}

/// A view whose mount never finishes, leaving its session unresponsive.
struct HangsOnMount;

impl ViewLogic for HangsOnMount {
    fn mount<'a>(&'a mut self, _: &'a State, _: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        Box::pin(std::future::pending())
    }

    fn handle_event<'a>(&'a mut self, _: &'a str, _: &'a State, _: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        Box::pin(async { Ok(()) })
    }
}

async fn mount_counter(session: &SessionHandle) -> String {
    let request = MountRequest::new("counter", TemplateSource::Inline(COUNTER.into())).logic(Counter);
    ask(session.mount(request, Wait)).await.expect("mount").view_id
}

fn count_in(patches: &[Patch]) -> String {
    match patches {
        [Patch::SetText { text, .. }] => text.clone(),
        other => panic!("expected one set-text, got {other:?}"),
    }
}

#[tokio::test]
async fn session_lifecycle_mount_event_unmount_ping_shutdown() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let session = supervisor.get_or_create_session("s1");
    let mounted = session
        .mount(MountRequest::new("counter", TemplateSource::Inline(COUNTER.into())).logic(Counter).params(obj(json!({"start": 5}))), Wait)
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(mounted.html, "<div><h1>Count: 5</h1><button>+</button></div>");
    assert_eq!((mounted.session_id.as_str(), mounted.version), ("s1", 1));
    assert_eq!(uuid::Uuid::parse_str(&mounted.view_id).unwrap().get_version_num(), 4);

    let r = event(&session, "increment", State::new(), Some(&mounted.view_id)).await.unwrap();
    assert_eq!(count_in(r.patches.as_deref().unwrap()), "Count: 6");
    assert_eq!((r.version, r.html), (2, None));
    ask(session.ping(Wait)).await.unwrap();

    ask(session.unmount(&mounted.view_id, Wait)).await.unwrap();
    let err = event(&session, "increment", State::new(), Some(&mounted.view_id)).await.unwrap_err();
    assert_eq!(err, ActorError::ViewNotFound(mounted.view_id.clone()));
    let err = event(&session, "increment", State::new(), None).await.unwrap_err();
    assert!(matches!(err, ActorError::ViewNotFound(_)), "{err:?}");

    ask(session.shutdown(Wait)).await.unwrap();
    assert!(matches!(ask(session.ping(Wait)).await, Err(ActorError::Shutdown { .. })));
    assert_eq!(supervisor.stats().active_views, 0);
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn several_views_per_session_and_events_without_id_go_to_the_first() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let session = supervisor.get_or_create_session("s");
    let first = mount_counter(&session).await;
    let second = mount_counter(&session).await;
    assert_ne!(first, second);
    assert_eq!(ask(session.view_ids(Wait)).await.unwrap(), [first.clone(), second.clone()]);

    event(&session, "increment", State::new(), None).await.unwrap();
    event(&session, "increment", State::new(), None).await.unwrap();
    let r = event(&session, "increment", State::new(), Some(&second)).await.unwrap();
    assert_eq!(count_in(r.patches.as_deref().unwrap()), "Count: 1");
    let html = ask(view(&session, Some(&first)).await.unwrap().render(Wait)).await.unwrap().html.unwrap();
    assert!(html.contains("Count: 2"), "{html}");
    assert_eq!(supervisor.stats().active_views, 2);
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn view_actor_update_state_render_diff_reset_and_versions() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let session = supervisor.get_or_create_session("v");
    let view_id = mount_counter(&session).await;
    let view = view(&session, Some(&view_id)).await.unwrap();
    assert_eq!(view.view_id(), view_id);

    ask(view.update_state(obj(json!({"count": 41})), Wait)).await.unwrap();
    let r = ask(view.render_with_diff(Wait)).await.unwrap();
    assert_eq!((count_in(r.patches.as_deref().unwrap()), r.version), ("Count: 41".into(), 2));
    let r = ask(view.render_with_diff(Wait)).await.unwrap();
    assert_eq!((r.patches.unwrap(), r.version), (vec![], 3));
    let r = ask(view.render(Wait)).await.unwrap();
    assert_eq!((r.html.as_deref(), r.version), (Some("<div><h1>Count: 41</h1><button>+</button></div>"), 4));
    let r = ask(view.reset(Wait)).await.unwrap();
    assert!(r.html.unwrap().contains("Count: 0"));
    assert_eq!(r.version, 5);
    // After a full render the next diff is relative to it.
    let r = event(&session, "increment", State::new(), None).await.unwrap();
    assert_eq!((count_in(r.patches.as_deref().unwrap()), r.version), ("Count: 1".into(), 6));
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn a_view_without_logic_merges_event_params() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let session = supervisor.get_or_create_session("m");
    let template = TemplateSource::Inline("<p>{{ greeting }}, {{ name }}</p>".into());
    let mounted = session
        .mount(MountRequest::new("plain", template).params(obj(json!({"greeting": "Hi", "name": "Ada"}))), Wait)
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(mounted.html, "<p>Hi, Ada</p>");
    let r = event(&session, "anything", obj(json!({"name": "Grace"})), None).await.unwrap();
    assert_eq!(count_in(r.patches.as_deref().unwrap()), "Hi, Grace");
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn set_state_replaces_the_state_and_a_failed_render_keeps_the_old_one() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let session = supervisor.get_or_create_session("s");
    let template = TemplateSource::Loaded {
        name: "items.html".into(),
        source: "<ul>{% for i in items %}<li>{{ i|add:total }}</li>{% endfor %}</ul>".into(),
    };
    let mounted = session
        .mount(MountRequest::new("items", template).params(obj(json!({"items": [1], "total": 10}))), Wait)
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(mounted.html, "<ul><li>11</li></ul>");
    let r = ask(mounted.view.set_state(obj(json!({"items": [1, 2], "total": 1})), Wait)).await.unwrap();
    assert_eq!(r.version, 2);
    assert_eq!(r.patches.as_ref().unwrap().len(), 2, "{r:?}");
    // Replaced, not merged: without `total`, `add:total` fails (Django's
    // VariableDoesNotExist for a filter argument), and the state stays.
    let err = ask(mounted.view.set_state(obj(json!({"items": [3]})), FailFast)).await.unwrap_err();
    assert!(matches!(err, ActorError::Template(_)), "{err:?}");
    let html = ask(view(&session, None).await.unwrap().render(Wait)).await.unwrap().html.unwrap();
    assert_eq!(html, "<ul><li>2</li><li>3</li></ul>");
    let err = view(&session, Some("not-a-view")).await.unwrap_err();
    assert_eq!(err, ActorError::ViewNotFound("not-a-view".into()));
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn handler_errors_reach_the_caller_and_leave_the_state_untouched() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let session = supervisor.get_or_create_session("h");
    mount_counter(&session).await;
    event(&session, "increment", State::new(), None).await.unwrap();

    let err = event(&session, "fail", State::new(), None).await.unwrap_err();
    assert_eq!(err, ActorError::Handler(HandlerError::Raised { kind: "ValueError".into(), message: "boom".into() }));
    let err = event(&session, "delete_everything", State::new(), None).await.unwrap_err();
    assert!(matches!(err, ActorError::Handler(HandlerError::UnknownEvent { ref event, .. }) if event == "delete_everything"));
    let err = event(&session, "add", obj(json!({"by": "x"})), None).await.unwrap_err();
    assert!(matches!(err, ActorError::Handler(HandlerError::InvalidParams { .. })), "{err:?}");

    // The failed handler's change to the state was rolled back.
    let r = event(&session, "increment", State::new(), None).await.unwrap();
    assert_eq!(count_in(r.patches.as_deref().unwrap()), "Count: 2");
    assert_eq!(r.version, 3, "failed events do not render");
    assert!(supervisor.stats().errors >= 3);
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn template_errors_at_mount_reach_the_caller() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let session = supervisor.get_or_create_session("t");
    let bad = MountRequest::new("bad", TemplateSource::Inline("{% if %}".into()));
    let err = ask(session.mount(bad, Wait)).await.unwrap_err();
    assert!(matches!(err, ActorError::Template(ref e) if e.line == 1), "{err:?}");
    let missing = MountRequest::new("missing", TemplateSource::Named("nope.html".into()));
    assert!(matches!(ask(session.mount(missing, Wait)).await, Err(ActorError::Template(_))));
    assert_eq!(ask(session.view_ids(Wait)).await.unwrap(), Vec::<String>::new());
    assert_eq!(supervisor.stats().active_views, 0);
    supervisor.shutdown_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_events_on_one_session_lose_no_update() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let session = supervisor.get_or_create_session("busy");
    let view_id = mount_counter(&session).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..1_000 {
        let session = session.clone();
        tasks.spawn(async move { event(&session, "increment", State::new(), None).await.map(|r| r.version) });
    }
    let mut versions = Vec::new();
    while let Some(result) = tasks.join_next().await {
        versions.push(result.unwrap().unwrap());
    }
    versions.sort();
    assert_eq!(versions, (2..=1_001).collect::<Vec<u64>>(), "one render per event, each version once");
    let html = ask(view(&session, Some(&view_id)).await.unwrap().render(Wait)).await.unwrap().html.unwrap();
    assert!(html.contains("Count: 1000"), "{html}");
    let stats = supervisor.stats();
    assert!(stats.mailbox_high_water.view > 1, "{stats:?}");
    assert!(stats.latency[&wasmlive::actors::MessageKind::Event].count >= 1_000);
    supervisor.shutdown_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_sessions() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..100 {
        let session = supervisor.get_or_create_session(&format!("user-{i}"));
        tasks.spawn(async move {
            mount_counter(&session).await;
            let mut last = None;
            for _ in 0..(i % 7 + 1) {
                last = Some(event(&session, "increment", State::new(), None).await.unwrap());
            }
            (i, count_in(last.unwrap().patches.as_deref().unwrap()))
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (i, text) = done.unwrap();
        assert_eq!(text, format!("Count: {}", i % 7 + 1));
    }
    let stats = supervisor.stats();
    assert_eq!((stats.active_sessions, stats.active_views, stats.sessions_created), (100, 100, 100));
    assert_eq!(supervisor.session_count(), 100);
    let report = supervisor.shutdown_all().await;
    assert_eq!(report.sessions, 100);
    assert!(report.drained);
}

#[tokio::test]
async fn get_or_create_returns_the_same_session_until_removed() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let a = supervisor.get_or_create_session("same");
    let view_id = mount_counter(&a).await;
    let b = supervisor.get_or_create_session("same");
    assert_eq!(ask(b.view_ids(Wait)).await.unwrap(), [view_id]);
    assert!(supervisor.remove_session("same").await.unwrap());
    assert!(!supervisor.remove_session("same").await.unwrap());
    assert!(matches!(ask(a.ping(Wait)).await, Err(ActorError::Shutdown { .. })));
    let c = supervisor.get_or_create_session("same");
    assert!(ask(c.view_ids(Wait)).await.unwrap().is_empty());
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn idle_sessions_expire_and_any_activity_refreshes_the_ttl() {
    let supervisor = ActorSupervisor::start(ActorConfig {
        session_ttl: Duration::from_millis(300),
        cleanup_interval: Duration::from_millis(50),
        ..config()
    })
    .unwrap();
    let idle = supervisor.get_or_create_session("idle");
    let active = supervisor.get_or_create_session("active");
    mount_counter(&active).await;
    // Pings and events, not mounts, keep "active" alive past several TTLs.
    for i in 0..12 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if i % 2 == 0 {
            ask(active.ping(Wait)).await.unwrap();
        } else {
            event(&active, "increment", State::new(), None).await.unwrap();
        }
    }
    assert!(matches!(ask(idle.ping(Wait)).await, Err(ActorError::Shutdown { .. })), "idle session should have expired");
    assert!(supervisor.session("idle").is_none());
    ask(active.ping(Wait)).await.unwrap();
    let stats = supervisor.stats();
    assert_eq!((stats.sessions_expired, stats.active_sessions), (1, 1));
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn health_check_removes_a_session_that_does_not_answer() {
    let supervisor = ActorSupervisor::start(ActorConfig {
        health_check_timeout: Duration::from_millis(100),
        message_timeout: Duration::from_millis(300),
        shutdown_timeout: Duration::from_millis(500),
        ..config()
    })
    .unwrap();
    let stuck = supervisor.get_or_create_session("stuck");
    let healthy = supervisor.get_or_create_session("healthy");
    let hang = MountRequest::new("hangs", TemplateSource::Inline("x".into())).logic(HangsOnMount);
    let mount = tokio::spawn({
        let stuck = stuck.clone();
        async move { ask(stuck.mount(hang, Wait)).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(supervisor.health_check().await, 1);
    assert!(supervisor.session("stuck").is_none());
    assert!(supervisor.session("healthy").is_some());
    ask(healthy.ping(Wait)).await.unwrap();
    // The caller stuck behind the hung mount gets a timeout, not silence.
    assert!(matches!(mount.await.unwrap(), Err(ActorError::Timeout { actor: "session", .. })));
    assert_eq!(supervisor.stats().sessions_unhealthy, 1);
    let report = supervisor.shutdown_all().await;
    assert!(!report.drained, "the hung session cannot drain");
}

#[tokio::test]
async fn a_panicking_session_actor_is_restarted_and_counted() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let session = supervisor.get_or_create_session("p");
    mount_counter(&session).await;
    let err = session
        .mount(MountRequest::new("panics", TemplateSource::Inline("x".into())).logic(PanicsOnMount), Wait)
        .await
        .unwrap()
        .await
        .unwrap_err();
    assert!(matches!(err, ActorError::Panicked { actor: "session", .. }), "{err:?}");
    // Same handle, fresh actor: it answers, its old views are gone.
    ask(session.ping(Wait)).await.unwrap();
    assert!(ask(session.view_ids(Wait)).await.unwrap().is_empty());
    mount_counter(&session).await;
    let stats = supervisor.stats();
    assert_eq!((stats.session_restarts, stats.active_sessions, stats.active_views), (1, 1, 1));
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn fail_fast_sends_report_a_full_mailbox_waiting_sends_get_through_and_the_session_stays_free() {
    let supervisor = ActorSupervisor::start(ActorConfig {
        session_mailbox: 2,
        view_mailbox: 1,
        message_timeout: Duration::from_secs(5),
        shutdown_timeout: Duration::from_millis(300),
        ..config()
    })
    .unwrap();
    let session = supervisor.get_or_create_session("bp");
    mount_counter(&session).await;
    let counter = view(&session, None).await.unwrap();
    let send = |name: &'static str| {
        let v = counter.clone();
        tokio::spawn(async move { ask(v.event(Event::new(name, State::new()), Wait)).await })
    };
    // A slow handler holds the view; its mailbox fills up, the rest wait for room.
    let slow = send("slow");
    let mut waiting = Vec::new();
    for _ in 0..4 {
        waiting.push(send("increment"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let err = ask(counter.event(Event::new("increment", State::new()), FailFast)).await.unwrap_err();
    assert_eq!(err, ActorError::MailboxFull { actor: "view", capacity: 1 });
    // Events do not pass through the session: a busy view does not hold it up.
    ask(session.ping(FailFast)).await.unwrap();
    assert_eq!(ask(session.view_ids(Wait)).await.unwrap().len(), 1);
    assert!(!slow.is_finished() && waiting.iter().all(|w| !w.is_finished()), "everyone waits: backpressure");
    slow.abort();
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn a_request_to_an_actor_that_does_not_answer_times_out() {
    let supervisor = ActorSupervisor::start(ActorConfig {
        message_timeout: Duration::from_millis(200),
        shutdown_timeout: Duration::from_millis(200),
        ..config()
    })
    .unwrap();
    let session = supervisor.get_or_create_session("to");
    mount_counter(&session).await;
    let err = event(&session, "slow", State::new(), None).await.unwrap_err();
    assert_eq!(err, ActorError::Timeout { actor: "view", timeout_ms: 200 });
    supervisor.shutdown_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_under_load_answers_every_caller() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let session = supervisor.get_or_create_session(&format!("load-{i}"));
        mount_counter(&session).await;
        for _ in 0..25 {
            let session = session.clone();
            tasks.spawn(async move { event(&session, "increment", State::new(), None).await });
        }
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    let report = supervisor.shutdown_all().await;
    assert!(report.drained);
    let (mut ok, mut shut) = (0, 0);
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(_) => ok += 1,
            Err(ActorError::Shutdown { .. }) => shut += 1,
            Err(other) => panic!("unexpected error during shutdown: {other:?}"),
        }
    }
    assert_eq!(ok + shut, 500);
    assert!(ok > 0, "requests queued before shutdown are drained");
    let stats = supervisor.stats();
    assert_eq!((stats.active_sessions, stats.active_views, stats.active_components), (0, 0, 0));
    assert_eq!(supervisor.session_count(), 0);
}

#[tokio::test]
async fn a_guest_fault_in_one_view_leaves_the_others_intact() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let faulty = supervisor.engine().load_templates("faulty", wasmlive_fixtures::FAULTY).unwrap();
    let (_, vdom) = supervisor.default_engines();
    let session = supervisor.get_or_create_session("f");
    let healthy = mount_counter(&session).await;
    // The faulty engine echoes its source unless the context asks for a fault.
    let mounted = session
        .mount(
            MountRequest::new("faulty", TemplateSource::Inline("<p>fine</p>".into()))
                .engines(Engines { templates: faulty, vdom })
                .params(obj(json!({"fault": "none"}))),
            Wait,
        )
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(mounted.html, "<p>fine</p>");

    let err = event(&session, "x", obj(json!({"fault": "panic"})), Some(&mounted.view_id)).await.unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::Trap), "{err:?}");
    let err = event(&session, "x", obj(json!({"fault": "loop"})), Some(&mounted.view_id)).await.unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::Deadline), "{err:?}");

    // The other view never noticed; the faulty one kept its last good state and works again.
    let r = event(&session, "increment", State::new(), Some(&healthy)).await.unwrap();
    assert_eq!(count_in(r.patches.as_deref().unwrap()), "Count: 1");
    let r = event(&session, "x", obj(json!({"other": 1})), Some(&mounted.view_id)).await.unwrap();
    assert_eq!((r.patches.unwrap(), r.version), (vec![], 2));
    assert_eq!(supervisor.stats().guest_restarts, 2);
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn after_shutdown_all_the_stats_read_zero() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    for i in 0..5 {
        let s = supervisor.get_or_create_session(&format!("z{i}"));
        mount_counter(&s).await;
    }
    assert_eq!(supervisor.stats().active_views, 5);
    let report = supervisor.shutdown_all().await;
    assert_eq!(report, wasmlive::actors::ShutdownReport { sessions: 5, drained: true });
    let stats = supervisor.stats();
    assert_eq!((stats.active_sessions, stats.active_views, stats.active_components), (0, 0, 0));
}

#[tokio::test]
async fn idle_views_and_components_release_memory_once_per_quiet_spell_and_carry_on() {
    let quiet = Duration::from_millis(100);
    let supervisor = ActorSupervisor::start(ActorConfig {
        engine: EngineConfig {
            release_memory_after: Some(quiet),
            ..EngineConfig::default()
        },
        ..config()
    })
    .unwrap();
    let session = supervisor.get_or_create_session("quiet");
    let view_id = mount_counter(&session).await;
    let view = view(&session, Some(&view_id)).await.unwrap();
    ask(view.create_component(ComponentRequest::new("c", "<i>{{ n }}</i>", obj(json!({"n": 1}))), Wait)).await.unwrap();
    assert_eq!(supervisor.stats().memory_releases, 0, "nothing is released at once");
    tokio::time::sleep(quiet * 10).await;
    // One release each for the quiet view and its quiet component, and no more
    // however long they stay quiet.
    assert_eq!(supervisor.stats().memory_releases, 2);
    tokio::time::sleep(quiet * 3).await;
    assert_eq!(supervisor.stats().memory_releases, 2);

    // The next event runs on fresh pages; the view is as it was.
    let rendered = event(&session, "increment", State::new(), Some(&view_id)).await.unwrap();
    assert_eq!(count_in(&rendered.patches.unwrap()), "Count: 1");
    tokio::time::sleep(quiet * 10).await;
    assert_eq!(supervisor.stats().memory_releases, 3, "a new quiet spell of the view");
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn without_release_memory_after_nothing_is_released() {
    let supervisor = ActorSupervisor::start(ActorConfig {
        engine: EngineConfig {
            release_memory_after: None,
            ..EngineConfig::default()
        },
        ..config()
    })
    .unwrap();
    let session = supervisor.get_or_create_session("kept");
    mount_counter(&session).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(supervisor.stats().memory_releases, 0);
    supervisor.shutdown_all().await;
}

#[test]
fn config_defaults_are_the_seeds() {
    let c = ActorConfig::default();
    assert_eq!(c.session_ttl, Duration::from_secs(3600));
    assert_eq!(c.cleanup_interval, Duration::from_secs(60));
    assert_eq!((c.health_check_interval, c.health_check_timeout), (Duration::from_secs(30), Duration::from_secs(5)));
    assert_eq!((c.session_mailbox, c.view_mailbox, c.component_mailbox), (100, 50, 20));
    assert_eq!(c.engine.release_memory_after, Some(Duration::from_secs(1)));
}

