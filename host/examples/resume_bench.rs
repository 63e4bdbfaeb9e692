//! Resume against a fresh mount, at the actor level (no socket): two actor
//! systems on one Redis stand for two processes. Used by `benches/resume.py`,
//! which starts the redis-server.
//!
//! `cargo run --release -p wasmlive --example resume_bench -- REDIS_URL [VIEWS] [SECONDS]`
//! prints one JSON object:
//! - `mount_us`, `in_process_us`, `across_us`: per view, a fresh mount (in a new session), a
//!   resume of a parked session's view (take the session back, reattach),
//!   and a resume from the snapshot on the other system (claim, start
//!   without mount, reattach), each as `{"p50", "p99"}` µs;
//! - `events_per_second`: 100 clients each sending events to its own view
//!   one after the other, with snapshots `on` and `off`, and `on`'s share of `off`'s.

use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmlive::actors::{
    ActorConfig, ActorSupervisor, Delivery, Event, MountRequest, Resumable, SessionHandle, State, TemplateSource, outbound,
};
use wasmlive::pubsub::PubSubConfig;
use wasmlive::resume::Claim;

/// A list of twenty rows and a counter: a small page, as a resume carries it.
const TEMPLATE: &str = "<main><h1>{{ title }}</h1><p>count: {{ count }}</p><ul>{% for row in rows %}<li id=\"r{{ row.id }}\">{{ row.name|upper }} — {{ row.score }}</li>{% endfor %}</ul></main>";

fn params() -> State {
    let rows: Vec<Value> = (0..20).map(|i| json!({"id": i, "name": format!("row {i}"), "score": i * 7})).collect();
    json!({"title": "Resume", "count": 0, "rows": rows}).as_object().unwrap().clone()
}

fn config(redis: Option<&str>) -> ActorConfig {
    ActorConfig { pubsub: PubSubConfig { redis_url: redis.map(str::to_string), ..PubSubConfig::default() }, ..ActorConfig::default() }
}

fn request(browser: &str) -> MountRequest {
    let (out, queue) = outbound(64);
    // The queue stays open while the view lives (a socket that reads it).
    std::mem::forget(queue);
    let mut request = MountRequest::new("bench", TemplateSource::Inline(TEMPLATE.into())).params(params()).outbound(out);
    request.resumable = Some(Resumable { browser: Some(browser.into()) });
    request
}

fn summary(mut us: Vec<f64>) -> Value {
    us.sort_by(f64::total_cmp);
    let at = |q: f64| us[((us.len() as f64 - 1.0) * q).round() as usize];
    json!({"p50": at(0.5), "p99": at(0.99)})
}

async fn mount(session: &SessionHandle, browser: &str) -> wasmlive::actors::Mounted {
    session.mount(request(browser), Delivery::Wait).await.unwrap().await.unwrap()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(url) = args.first() else {
        eprintln!("usage: resume_bench REDIS_URL [VIEWS] [SECONDS]");
        std::process::exit(2);
    };
    let views: usize = args.get(1).map_or(300, |s| s.parse().expect("VIEWS is a number"));
    let seconds: f64 = args.get(2).map_or(3.0, |s| s.parse().expect("SECONDS is a number"));
    let first = ActorSupervisor::start(ActorConfig { resume_grace: Duration::from_secs(600), ..config(Some(url)) }).unwrap();
    let second = ActorSupervisor::start(config(Some(url))).unwrap();

    // A fresh mount, on the second system, in a new socket's new session (as a resume's is).
    let mut mount_us = Vec::new();
    for i in 0..views {
        let started = Instant::now();
        let session = second.get_or_create_session(&format!("fresh-{i}"));
        mount(&session, "b").await;
        mount_us.push(started.elapsed().as_secs_f64() * 1e6);
    }

    // Views on the first system, each at version 3, each session parked as a closed socket leaves it.
    let mut mounted = Vec::new();
    for i in 0..views {
        let id = format!("ws-{i}");
        let session = first.get_or_create_session(&id);
        let m = mount(&session, "b").await;
        for _ in 0..2 {
            let event = Event::new("set", json!({"count": i}).as_object().unwrap().clone());
            m.view.event(event, Delivery::Wait).await.unwrap().await.unwrap();
        }
        first.park_session(&id).await.unwrap();
        mounted.push((id, m.view_id));
    }
    if let Some(store) = first.snapshots() {
        store.flush(Duration::from_secs(30)).await;
    }

    // In process: half of them taken back where they are.
    let mut in_process_us = Vec::new();
    for (id, view_id) in &mounted[..views / 2] {
        let started = Instant::now();
        let session = first.resume_session(id).await.expect("parked");
        let view = session.view(Some(view_id), Delivery::Wait).await.unwrap().await.unwrap();
        let (out, queue) = outbound(64);
        std::mem::forget(queue);
        let rendered = view.reattach(Some(out), 3, Delivery::Wait).await.unwrap().await.unwrap();
        in_process_us.push(started.elapsed().as_secs_f64() * 1e6);
        assert!(rendered.is_none(), "the client is current");
    }

    // Across: the other half claimed by the second system and started without mount.
    let store = second.snapshots().expect("snapshots on");
    let mut across_us = Vec::new();
    for (id, view_id) in &mounted[views / 2..] {
        let started = Instant::now();
        let Claim::Taken(claimed) = store.claim(view_id, id, Some("b")).await.unwrap() else { panic!("no snapshot of {view_id}") };
        let session = second.adopt_session(id).expect("a new session");
        let mut request = request("b");
        request.resume = Some(claimed);
        let m = session.mount(request, Delivery::Wait).await.unwrap().await.unwrap();
        let rendered = m.view.reattach(None, 3, Delivery::Wait).await.unwrap().await.unwrap();
        across_us.push(started.elapsed().as_secs_f64() * 1e6);
        assert!(rendered.is_none(), "the client is current");
    }
    first.shutdown_all().await;
    second.shutdown_all().await;

    // Events per second at 100 clients, snapshots on and off.
    let mut events = serde_json::Map::new();
    for (name, redis) in [("off", None), ("on", Some(url.as_str()))] {
        let supervisor = ActorSupervisor::start(config(redis)).unwrap();
        let mut handles = Vec::new();
        for i in 0..100 {
            let session = supervisor.get_or_create_session(&format!("load-{i}"));
            handles.push(mount(&session, "b").await.view);
        }
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        let counted = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let clients: Vec<_> = handles
            .into_iter()
            .map(|view| {
                let counted = counted.clone();
                tokio::spawn(async move {
                    let mut n = 0i64;
                    while Instant::now() < deadline {
                        n += 1;
                        let event = Event::new("set", json!({"count": n}).as_object().unwrap().clone());
                        view.event(event, Delivery::Wait).await.unwrap().await.unwrap();
                        counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for client in clients {
            client.await.unwrap();
        }
        events.insert(name.into(), json!(counted.load(std::sync::atomic::Ordering::Relaxed) as f64 / seconds));
        if let Some(store) = supervisor.snapshots() {
            events.insert("saved".into(), json!(store.stats().saved));
        }
        supervisor.shutdown_all().await;
    }
    let share = events["on"].as_f64().unwrap() / events["off"].as_f64().unwrap();
    events.insert("on_share".into(), json!(share));
    let out = json!({
        "views": views,
        "mount_us": summary(mount_us),
        "in_process_us": summary(in_process_us),
        "across_us": summary(across_us),
        "events_per_second": events,
    });
    println!("{out}");
}
