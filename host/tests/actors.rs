//! The actor system end to end: supervisor, sessions, views and components
//! running real guests, from Rust.

use serde_json::{Value, json};
use std::time::Duration;
use wasmlive::actors::{
    ActorConfig, ActorError, ActorSupervisor, ComponentLogic, ComponentRequest, Engines, HandlerError, LogicFuture,
    MountRequest, SessionHandle, State, TemplateSource, ToParent, ViewLogic,
};
use wasmlive::engine_host::{EngineConfig, FaultKind, Patch};

fn obj(v: Value) -> State {
    v.as_object().cloned().expect("a JSON object")
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
    session.mount(request).await.expect("mount").view_id
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
        .mount(MountRequest::new("counter", TemplateSource::Inline(COUNTER.into())).logic(Counter).params(obj(json!({"start": 5}))))
        .await
        .unwrap();
    assert_eq!(mounted.html, "<div><h1>Count: 5</h1><button>+</button></div>");
    assert_eq!((mounted.session_id.as_str(), mounted.version), ("s1", 1));
    assert_eq!(uuid::Uuid::parse_str(&mounted.view_id).unwrap().get_version_num(), 4);

    let r = session.event("increment", State::new(), Some(&mounted.view_id)).await.unwrap();
    assert_eq!(count_in(r.patches.as_deref().unwrap()), "Count: 6");
    assert_eq!((r.version, r.html), (2, None));
    session.ping().await.unwrap();

    session.unmount(&mounted.view_id).await.unwrap();
    let err = session.event("increment", State::new(), Some(&mounted.view_id)).await.unwrap_err();
    assert_eq!(err, ActorError::ViewNotFound(mounted.view_id.clone()));
    let err = session.event("increment", State::new(), None).await.unwrap_err();
    assert!(matches!(err, ActorError::ViewNotFound(_)), "{err:?}");

    session.shutdown().await.unwrap();
    assert!(matches!(session.ping().await, Err(ActorError::Shutdown { .. })));
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
    assert_eq!(session.view_ids().await.unwrap(), [first.clone(), second.clone()]);

    session.event("increment", State::new(), None).await.unwrap();
    session.event("increment", State::new(), None).await.unwrap();
    let r = session.event("increment", State::new(), Some(&second)).await.unwrap();
    assert_eq!(count_in(r.patches.as_deref().unwrap()), "Count: 1");
    let html = session.view(Some(&first)).await.unwrap().render().await.unwrap().html.unwrap();
    assert!(html.contains("Count: 2"), "{html}");
    assert_eq!(supervisor.stats().active_views, 2);
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn view_actor_update_state_render_diff_reset_and_versions() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let session = supervisor.get_or_create_session("v");
    let view_id = mount_counter(&session).await;
    let view = session.view(Some(&view_id)).await.unwrap();
    assert_eq!(view.view_id(), view_id);

    view.update_state(obj(json!({"count": 41}))).await.unwrap();
    let r = view.render_with_diff().await.unwrap();
    assert_eq!((count_in(r.patches.as_deref().unwrap()), r.version), ("Count: 41".into(), 2));
    let r = view.render_with_diff().await.unwrap();
    assert_eq!((r.patches.unwrap(), r.version), (vec![], 3));
    let r = view.render().await.unwrap();
    assert_eq!((r.html.as_deref(), r.version), (Some("<div><h1>Count: 41</h1><button>+</button></div>"), 4));
    let r = view.reset().await.unwrap();
    assert!(r.html.unwrap().contains("Count: 0"));
    assert_eq!(r.version, 5);
    // After a full render the next diff is relative to it.
    let r = session.event("increment", State::new(), None).await.unwrap();
    assert_eq!((count_in(r.patches.as_deref().unwrap()), r.version), ("Count: 1".into(), 6));
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn a_view_without_logic_merges_event_params() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let session = supervisor.get_or_create_session("m");
    let template = TemplateSource::Inline("<p>{{ greeting }}, {{ name }}</p>".into());
    let mounted = session
        .mount(MountRequest::new("plain", template).params(obj(json!({"greeting": "Hi", "name": "Ada"}))))
        .await
        .unwrap();
    assert_eq!(mounted.html, "<p>Hi, Ada</p>");
    let r = session.event("anything", obj(json!({"name": "Grace"})), None).await.unwrap();
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
        .mount(MountRequest::new("items", template).params(obj(json!({"items": [1], "total": 10}))))
        .await
        .unwrap();
    assert_eq!(mounted.html, "<ul><li>11</li></ul>");
    let r = session
        .set_state(obj(json!({"items": [1, 2], "total": 1})), Some(&mounted.view_id), wasmlive::actors::Delivery::Wait)
        .await
        .unwrap();
    assert_eq!(r.version, 2);
    assert_eq!(r.patches.as_ref().unwrap().len(), 2, "{r:?}");
    // Replaced, not merged: without `total`, `add:total` fails (Django's
    // VariableDoesNotExist for a filter argument), and the state stays.
    let err = session
        .set_state(obj(json!({"items": [3]})), None, wasmlive::actors::Delivery::FailFast)
        .await
        .unwrap_err();
    assert!(matches!(err, ActorError::Template(_)), "{err:?}");
    let html = session.view(None).await.unwrap().render().await.unwrap().html.unwrap();
    assert_eq!(html, "<ul><li>2</li><li>3</li></ul>");
    let err = session.set_state(State::new(), Some("not-a-view"), wasmlive::actors::Delivery::Wait).await.unwrap_err();
    assert_eq!(err, ActorError::ViewNotFound("not-a-view".into()));
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn handler_errors_reach_the_caller_and_leave_the_state_untouched() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let session = supervisor.get_or_create_session("h");
    mount_counter(&session).await;
    session.event("increment", State::new(), None).await.unwrap();

    let err = session.event("fail", State::new(), None).await.unwrap_err();
    assert_eq!(err, ActorError::Handler(HandlerError::Raised { kind: "ValueError".into(), message: "boom".into() }));
    let err = session.event("delete_everything", State::new(), None).await.unwrap_err();
    assert!(matches!(err, ActorError::Handler(HandlerError::UnknownEvent { ref event, .. }) if event == "delete_everything"));
    let err = session.event("add", obj(json!({"by": "x"})), None).await.unwrap_err();
    assert!(matches!(err, ActorError::Handler(HandlerError::InvalidParams { .. })), "{err:?}");

    // The failed handler's change to the state was rolled back.
    let r = session.event("increment", State::new(), None).await.unwrap();
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
    let err = session.mount(bad).await.unwrap_err();
    assert!(matches!(err, ActorError::Template(ref e) if e.line == 1), "{err:?}");
    let missing = MountRequest::new("missing", TemplateSource::Named("nope.html".into()));
    assert!(matches!(session.mount(missing).await, Err(ActorError::Template(_))));
    assert_eq!(session.view_ids().await.unwrap(), Vec::<String>::new());
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
        tasks.spawn(async move { session.event("increment", State::new(), None).await.map(|r| r.version) });
    }
    let mut versions = Vec::new();
    while let Some(result) = tasks.join_next().await {
        versions.push(result.unwrap().unwrap());
    }
    versions.sort();
    assert_eq!(versions, (2..=1_001).collect::<Vec<u64>>(), "one render per event, each version once");
    let html = session.view(Some(&view_id)).await.unwrap().render().await.unwrap().html.unwrap();
    assert!(html.contains("Count: 1000"), "{html}");
    let stats = supervisor.stats();
    assert!(stats.mailbox_high_water.session > 1, "{stats:?}");
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
                last = Some(session.event("increment", State::new(), None).await.unwrap());
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
    assert_eq!(b.view_ids().await.unwrap(), [view_id]);
    assert!(supervisor.remove_session("same").await.unwrap());
    assert!(!supervisor.remove_session("same").await.unwrap());
    assert!(matches!(a.ping().await, Err(ActorError::Shutdown { .. })));
    let c = supervisor.get_or_create_session("same");
    assert!(c.view_ids().await.unwrap().is_empty());
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
            active.ping().await.unwrap();
        } else {
            active.event("increment", State::new(), None).await.unwrap();
        }
    }
    assert!(matches!(idle.ping().await, Err(ActorError::Shutdown { .. })), "idle session should have expired");
    assert!(supervisor.session("idle").is_none());
    active.ping().await.unwrap();
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
        async move { stuck.mount(hang).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(supervisor.health_check().await, 1);
    assert!(supervisor.session("stuck").is_none());
    assert!(supervisor.session("healthy").is_some());
    healthy.ping().await.unwrap();
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
        .mount(MountRequest::new("panics", TemplateSource::Inline("x".into())).logic(PanicsOnMount))
        .await
        .unwrap_err();
    assert!(matches!(err, ActorError::Panicked { actor: "session", .. }), "{err:?}");
    // Same handle, fresh actor: it answers, its old views are gone.
    session.ping().await.unwrap();
    assert!(session.view_ids().await.unwrap().is_empty());
    mount_counter(&session).await;
    let stats = supervisor.stats();
    assert_eq!((stats.session_restarts, stats.active_sessions, stats.active_views), (1, 1, 1));
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn fail_fast_sends_report_a_full_mailbox_and_waiting_sends_get_through() {
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
    // A slow handler holds the view; the view's mailbox, then the session's, fill up.
    let slow = tokio::spawn({
        let s = session.clone();
        async move { s.event("slow", State::new(), None).await }
    });
    let mut waiting = Vec::new();
    for _ in 0..4 {
        let s = session.clone();
        waiting.push(tokio::spawn(async move { s.event("increment", State::new(), None).await }));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let err = session.try_event("increment", State::new(), None).await.unwrap_err();
    assert_eq!(err, ActorError::MailboxFull { actor: "session", capacity: 2 });
    assert!(matches!(session.ping().await, Err(ActorError::MailboxFull { .. })));
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
    let err = session.event("slow", State::new(), None).await.unwrap_err();
    assert_eq!(err, ActorError::Timeout { actor: "session", timeout_ms: 200 });
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
            tasks.spawn(async move { session.event("increment", State::new(), None).await });
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
        )
        .await
        .unwrap();
    assert_eq!(mounted.html, "<p>fine</p>");

    let err = session.event("x", obj(json!({"fault": "panic"})), Some(&mounted.view_id)).await.unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::Trap), "{err:?}");
    let err = session.event("x", obj(json!({"fault": "loop"})), Some(&mounted.view_id)).await.unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::Deadline), "{err:?}");

    // The other view never noticed; the faulty one kept its last good state and works again.
    let r = session.event("increment", State::new(), Some(&healthy)).await.unwrap();
    assert_eq!(count_in(r.patches.as_deref().unwrap()), "Count: 1");
    let r = session.event("x", obj(json!({"other": 1})), Some(&mounted.view_id)).await.unwrap();
    assert_eq!((r.patches.unwrap(), r.version), (vec![], 2));
    assert_eq!(supervisor.stats().guest_restarts, 2);
    supervisor.shutdown_all().await;
}

/// A todo-list component that tells its parent when an item is done.
struct TodoList;

impl ComponentLogic for TodoList {
    fn handle_event<'a>(
        &'a mut self,
        event: &'a str,
        params: &'a State,
        state: &'a mut State,
        parent: &'a mut ToParent,
    ) -> LogicFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            match event {
                "select" => {
                    state.insert("selected".into(), params["item"].clone());
                }
                "done" => parent.send("item_done", obj(json!({"item": params["item"].clone()}))),
                _ => return Err(HandlerError::UnknownEvent { view: "TodoList".into(), event: event.into() }),
            }
            Ok(())
        })
    }
}

/// The parent: counts finished items.
struct TodoPage;

impl ViewLogic for TodoPage {
    fn handle_event<'a>(
        &'a mut self,
        event: &'a str,
        _params: &'a State,
        state: &'a mut State,
    ) -> LogicFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event != "item_done" {
                return Err(HandlerError::UnknownEvent { view: "TodoPage".into(), event: event.into() });
            }
            let done = state.get("done").and_then(Value::as_i64).unwrap_or(0);
            state.insert("done".into(), json!(done + 1));
            Ok(())
        })
    }
}

#[tokio::test]
async fn components_render_handle_events_message_their_parent_and_go_with_their_view() {
    let supervisor = ActorSupervisor::start(config()).unwrap();
    let session = supervisor.get_or_create_session("c");
    let page = "<main><b>{{ done|default:0 }} done</b>{{ components.todos|safe }}</main>";
    let view_id = session
        .mount(MountRequest::new("page", TemplateSource::Inline(page.into())).logic(TodoPage))
        .await
        .unwrap()
        .view_id;
    let html = session
        .create_component(ComponentRequest {
            view_id: view_id.clone(),
            component_id: "todos".into(),
            template: "<ul data-selected=\"{{ selected }}\">{% for i in items %}<li>{{ i }}</li>{% endfor %}</ul>".into(),
            props: obj(json!({"items": ["a", "b"], "selected": ""})),
            logic: Some(Box::new(TodoList)),
        })
        .await
        .unwrap();
    assert_eq!(html, "<ul data-selected=\"\"><li>a</li><li>b</li></ul>");
    assert_eq!(supervisor.stats().active_components, 1);

    // A component-only change: patches inside the component's root.
    let r = session.component_event(&view_id, "todos", "select", obj(json!({"item": "b"}))).await.unwrap();
    assert_eq!(r.component_id.as_deref(), Some("todos"));
    assert_eq!(
        r.patches.unwrap(),
        vec![Patch::SetAttribute { path: vec![0], name: "data-selected".into(), value: "b".into() }]
    );
    // Props from the parent.
    let r = session.update_component_props(&view_id, "todos", obj(json!({"items": ["a", "b", "c"]}))).await.unwrap();
    assert_eq!(r.patches.unwrap(), vec![Patch::InsertChild { parent: vec![0], index: 2, html: "<li>c</li>".into(), count: 1 }]);
    // SendToParent: the parent's handler runs, and its diff (relative to the
    // page with the component as the client now has it) goes out.
    let r = session.component_event(&view_id, "todos", "done", obj(json!({"item": "a"}))).await.unwrap();
    assert_eq!(r.component_id, None);
    assert_eq!(r.patches.unwrap(), vec![Patch::SetText { path: vec![0, 0, 0], text: "1 done".into() }]);

    let err = session.component_event(&view_id, "nope", "select", State::new()).await.unwrap_err();
    assert_eq!(err, ActorError::ComponentNotFound("nope".into()));
    let err = session.component_event(&view_id, "todos", "explode", State::new()).await.unwrap_err();
    assert!(matches!(err, ActorError::Handler(HandlerError::UnknownEvent { .. })));

    session.remove_component(&view_id, "todos").await.unwrap();
    assert_eq!(supervisor.stats().active_components, 0);
    session
        .create_component(ComponentRequest {
            view_id: view_id.clone(),
            component_id: "again".into(),
            template: "<i>{{ x }}</i>".into(),
            props: obj(json!({"x": 1})),
            logic: None,
        })
        .await
        .unwrap();
    assert_eq!(supervisor.stats().active_components, 1);
    session.unmount(&view_id).await.unwrap();
    assert_eq!(supervisor.stats().active_components, 0, "components go with their view");
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
    session
        .create_component(ComponentRequest {
            view_id: view_id.clone(),
            component_id: "c".into(),
            template: "<i>{{ n }}</i>".into(),
            props: obj(json!({"n": 1})),
            logic: None,
        })
        .await
        .unwrap();
    assert_eq!(supervisor.stats().memory_releases, 0, "nothing is released at once");
    tokio::time::sleep(quiet * 10).await;
    // One release each for the quiet view and its quiet component, and no more
    // however long they stay quiet.
    assert_eq!(supervisor.stats().memory_releases, 2);
    tokio::time::sleep(quiet * 3).await;
    assert_eq!(supervisor.stats().memory_releases, 2);

    // The next event runs on fresh pages; the view is as it was.
    let rendered = session.event("increment", State::new(), Some(&view_id)).await.unwrap();
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

