//! Frames a view sends on its own: a push reaches its connection's queue at
//! the view's next version; a full queue makes the view stale, and its next
//! render, pushed or answered, is its whole HTML.

mod common;

use common::obj;
use serde_json::json;
use wasmlive::actors::{ActorConfig, ActorError, ActorSupervisor, Delivery, Event, MountRequest, Pushed, State, TemplateSource, around, outbound};
use wasmlive::engine_host::Patch;

fn text_of(pushed: &Pushed) -> String {
    match pushed.rendered.patches.as_deref() {
        Some([Patch::SetText { text, .. }]) => text.clone(),
        other => panic!("one set-text, not {other:?}"),
    }
}

#[tokio::test]
async fn pushes_queue_at_the_next_version_and_a_full_queue_costs_one_whole_render() {
    let supervisor = ActorSupervisor::start(ActorConfig::default()).unwrap();
    let session = supervisor.get_or_create_session("pushes");
    let (out, mut queue) = outbound(2);
    let template = || TemplateSource::Inline("<p>{{ n }}</p>".into());
    let mounted = session.mount(MountRequest::new("v", template()).params(obj(json!({"n": 0}))).outbound(out), Delivery::Wait).await.unwrap().await.unwrap();
    let view = mounted.view.clone();
    for n in 1..=4 {
        view.push(obj(json!({"n": n})), Delivery::Wait).await.unwrap().await.unwrap();
    }
    // Two fit; the third goes stale, the fourth only sets the state.
    let (a, b) = (queue.try_recv().unwrap(), queue.try_recv().unwrap());
    assert_eq!((a.rendered.version, text_of(&a), b.rendered.version, text_of(&b)), (2, "1".into(), 3, "2".into()));
    assert_eq!(a.view_id, mounted.view_id);
    assert!(queue.try_recv().is_none());
    // Drained: the stale view is asked for its HTML, which comes through the queue.
    assert_eq!(queue.take_stale(), vec![mounted.view_id.clone()]);
    view.refresh(Delivery::Wait).await.unwrap().await.unwrap();
    let whole = queue.try_recv().unwrap();
    assert_eq!((whole.rendered.html.as_deref(), whole.rendered.version), (Some("<p>4</p>"), 5));
    // Fresh again: patches.
    view.push(obj(json!({"n": 5})), Delivery::Wait).await.unwrap().await.unwrap();
    let next = queue.try_recv().unwrap();
    assert_eq!((next.rendered.version, text_of(&next)), (6, "5".into()));
    assert!(queue.take_stale().is_empty());
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn a_stale_views_next_answer_is_its_whole_html_and_answers_sort_between_pushes() {
    let supervisor = ActorSupervisor::start(ActorConfig::default()).unwrap();
    let session = supervisor.get_or_create_session("stale");
    let (out, mut queue) = outbound(1);
    let template = TemplateSource::Inline("<p>{{ n }}</p>".into());
    let mounted = session.mount(MountRequest::new("v", template).params(obj(json!({"n": 0}))).outbound(out), Delivery::Wait).await.unwrap().await.unwrap();
    mounted.view.push(obj(json!({"n": 1})), Delivery::Wait).await.unwrap().await.unwrap();
    mounted.view.push(obj(json!({"n": 2})), Delivery::Wait).await.unwrap().await.unwrap(); // the queue is full: stale
    let answer = session.view(Some(&mounted.view_id), Delivery::Wait).await.unwrap().await.unwrap().event(Event::new("set", obj(json!({"n": 3}))), Delivery::Wait).await.unwrap().await.unwrap();
    assert_eq!((answer.html.as_deref(), answer.version), (Some("<p>3</p>"), 4), "the client missed a render: it gets the whole HTML");
    let queued: Vec<Pushed> = std::iter::from_fn(|| queue.try_recv()).collect();
    let (before, after) = around(queued, &mounted.view_id, answer.version);
    assert_eq!((before.len(), after.len()), (1, 0));
    // The answer made the view fresh: nothing to refresh.
    mounted.view.refresh(Delivery::Wait).await.unwrap().await.unwrap();
    assert!(queue.try_recv().is_none());
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn a_view_without_a_connection_cannot_push_and_says_why() {
    let supervisor = ActorSupervisor::start(ActorConfig::default()).unwrap();
    let session = supervisor.get_or_create_session("alone");
    let mounted = session.mount(MountRequest::new("v", TemplateSource::Inline("<p>x</p>".into())), Delivery::Wait).await.unwrap().await.unwrap();
    let e = mounted.view.push(State::new(), Delivery::Wait).await.unwrap().await.unwrap_err();
    assert_eq!(e, ActorError::NotConnected(mounted.view_id.clone()));
    assert!(e.to_string().contains("no live connection"), "{e}");
    // The view is unharmed.
    assert_eq!(session.view(None, Delivery::Wait).await.unwrap().await.unwrap().event(Event::new("set", obj(json!({}))), Delivery::Wait).await.unwrap().await.unwrap().version, 2);
    // Once unmounted, a weak handle no longer reaches it.
    let weak = mounted.view.downgrade();
    session.unmount(&mounted.view_id, Delivery::Wait).await.unwrap().await.unwrap();
    drop(mounted);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(weak.upgrade().is_none());
    supervisor.shutdown_all().await;
}
