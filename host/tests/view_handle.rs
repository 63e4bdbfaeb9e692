//! Requests that go to a view's actor directly (the handle `mount` returns)
//! count as its session's activity: a busy view's session does not expire.

use serde_json::json;
use std::time::Duration;
use wasmlive::actors::{ActorConfig, ActorSupervisor, Delivery, Event, MountRequest, TemplateSource};

#[tokio::test]
async fn events_sent_straight_to_a_view_keep_its_session_alive() {
    let config = ActorConfig {
        session_ttl: Duration::from_millis(400),
        cleanup_interval: Duration::from_millis(50),
        ..ActorConfig::default()
    };
    let supervisor = ActorSupervisor::start(config).unwrap();
    let session = supervisor.get_or_create_session("busy");
    let template = TemplateSource::Inline("<p>{{ n }}</p>".into());
    let mounted = session.mount(MountRequest::new("v", template), Delivery::Wait).await.unwrap().await.unwrap();
    for n in 0..10 {
        let params = json!({"n": n}).as_object().cloned().unwrap();
        let rendered = mounted.view.event(Event::new("set", params), Delivery::Wait).await.unwrap().await.unwrap();
        assert_eq!(rendered.version, n + 2);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(supervisor.session("busy").is_some(), "a second of events straight to the view: the session is not idle");
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(supervisor.session("busy").is_none(), "idle past its TTL: expired");
    supervisor.shutdown_all().await;
}
