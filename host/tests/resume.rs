//! Parked sessions: a closed connection's session waits for the resume
//! grace; a reconnect takes it back once, and its views carry on with the
//! new connection's queue — no HTML when the client is current, the whole
//! HTML when a push never reached it.

mod common;

use common::obj;
use serde_json::json;
use std::time::Duration;
use wasmlive::actors::{ActorConfig, ActorSupervisor, Delivery, MountRequest, ResumeRefusal, TemplateSource, outbound};

fn config(grace: Duration) -> ActorConfig {
    ActorConfig { resume_grace: grace, ..ActorConfig::default() }
}

#[tokio::test]
async fn a_parked_session_is_taken_back_once_and_its_view_pushes_to_the_new_connection() {
    let supervisor = ActorSupervisor::start(config(Duration::from_secs(30))).unwrap();
    let session = supervisor.get_or_create_session("ws-a");
    let (old_out, old_queue) = outbound(8);
    let request = MountRequest::new("v", TemplateSource::Inline("<p>{{ n }}</p>".into())).params(obj(json!({"n": 0}))).outbound(old_out);
    let mounted = session.mount(request, Delivery::Wait).await.unwrap().await.unwrap();
    drop(old_queue);
    supervisor.park_session("ws-a").await.unwrap();
    assert_eq!(supervisor.session_count(), 0);
    assert_eq!(supervisor.stats().resumes.parked, 1);

    // The socket is gone: a push keeps its state and leaves the view stale.
    mounted.view.push(obj(json!({"n": 1})), Delivery::Wait).await.unwrap().await.unwrap();

    let back = supervisor.resume_session("ws-a").await.expect("parked");
    assert!(back.same(&session));
    assert!(supervisor.resume_session("ws-a").await.is_none(), "taken once");
    assert_eq!((supervisor.session_count(), supervisor.stats().resumes.parked), (1, 0));
    let (new_out, mut new_queue) = outbound(8);
    // The client shows version 1; the view is at 2: it gets the whole HTML.
    let whole = mounted.view.reattach(Some(new_out.clone()), 1, Delivery::Wait).await.unwrap().await.unwrap().expect("the whole HTML");
    assert_eq!((whole.html.as_deref(), whole.version), (Some("<p>1</p>"), 3));
    // Current now: nothing to send; pushes go to the new queue as patches.
    assert!(mounted.view.reattach(Some(new_out), 3, Delivery::Wait).await.unwrap().await.unwrap().is_none());
    mounted.view.push(obj(json!({"n": 2})), Delivery::Wait).await.unwrap().await.unwrap();
    let pushed = new_queue.try_recv().expect("a push on the new connection");
    assert_eq!((pushed.rendered.version, pushed.rendered.html), (4, None));

    supervisor.record_resume(Ok(wasmlive::actors::ResumedFrom::Process));
    supervisor.record_resume(Err(ResumeRefusal::Token));
    supervisor.record_resume(Err(ResumeRefusal::Token));
    let resumes = supervisor.stats().resumes;
    assert_eq!((resumes.in_process, resumes.refused.get(&ResumeRefusal::Token).copied()), (1, Some(2)));
    assert_eq!(serde_json::to_value(&resumes).unwrap()["refused"], json!({"token": 2}));
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn a_session_nobody_takes_back_ends_with_its_grace_and_zero_grace_ends_it_at_once() {
    let supervisor = ActorSupervisor::start(config(Duration::from_millis(200))).unwrap();
    let session = supervisor.get_or_create_session("ws-b");
    let mounted = session.mount(MountRequest::new("v", TemplateSource::Inline("<p>x</p>".into())), Delivery::Wait).await.unwrap().await.unwrap();
    supervisor.park_session("ws-b").await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(supervisor.resume_session("ws-b").await.is_none());
    assert!(session.is_closed(), "its actor stopped");
    drop(mounted);
    let stats = supervisor.stats();
    assert_eq!((stats.resumes.expired, stats.resumes.parked, stats.active_views), (1, 0, 0));
    supervisor.shutdown_all().await;

    let supervisor = ActorSupervisor::start(config(Duration::ZERO)).unwrap();
    let session = supervisor.get_or_create_session("ws-c");
    supervisor.park_session("ws-c").await.unwrap();
    assert!(supervisor.resume_session("ws-c").await.is_none());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(session.is_closed());
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn a_resume_waits_a_moment_for_a_session_whose_socket_is_closing_and_shutdown_ends_parked_ones() {
    let supervisor = ActorSupervisor::start(config(Duration::from_secs(30))).unwrap();
    let session = supervisor.get_or_create_session("ws-d");
    let parking = {
        let supervisor = supervisor.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            supervisor.park_session("ws-d").await.unwrap();
        })
    };
    // Asked before the old socket's close was read: taken once it is.
    assert!(supervisor.resume_session("ws-d").await.expect("parked in time").same(&session));
    parking.await.unwrap();
    // An id nobody has is refused at once.
    let started = std::time::Instant::now();
    assert!(supervisor.resume_session("ws-nobody").await.is_none());
    assert!(started.elapsed() < Duration::from_secs(1));
    supervisor.park_session("ws-d").await.unwrap();
    let report = supervisor.shutdown_all().await;
    assert_eq!(report.sessions, 1, "the parked session is shut down too");
    assert!(session.is_closed());
}
