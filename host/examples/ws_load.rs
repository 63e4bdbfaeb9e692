//! The end-to-end benchmark's load generator (benches/e2e.py): N concurrent
//! WebSocket clients, each mounting the counter view and then sending one
//! event at a time and waiting for its answer, for a fixed time. Prints one
//! JSON object: events, seconds, events/s and latency percentiles (µs).
//!
//! ```text
//! cargo run --release -p wasmlive --example ws_load -- --url ws://127.0.0.1:8000/ws/live/ \
//!     --view demo.views.CounterView --clients 100 --seconds 5 [--protocol djust --page /counter/]
//! ```
//!
//! It is Rust and runs on one thread so that, pinned to a core of its own,
//! it measures the server and not itself: the Python client it replaced
//! (websockets' asyncio client) topped out near 7,000 round trips per
//! second on one core, about what `wasmlive serve` answered. `--protocol
//! djust` speaks djust 1.2.6's frames (`connect`, `mount` with its `url`,
//! events without a view id); both answer an event with a frame carrying
//! its `ref`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Barrier, watch};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

#[derive(Clone, Copy, ValueEnum)]
enum Protocol {
    Wasmlive,
    Djust,
}

#[derive(Parser, Clone)]
struct Args {
    /// The server's WebSocket URL.
    #[arg(long)]
    url: String,
    /// The view to mount.
    #[arg(long)]
    view: String,
    #[arg(long, default_value_t = 1)]
    clients: usize,
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    #[arg(long, default_value = "increment")]
    event: String,
    /// Send `{"count": n}` params (template-only views merge params into their state).
    #[arg(long)]
    counting: bool,
    #[arg(long, value_enum, default_value = "wasmlive")]
    protocol: Protocol,
    /// The page URL djust's mount frame names.
    #[arg(long, default_value = "/")]
    page: String,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

/// What one client measured.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<f64>,
    errors: Vec<Value>,
}

async fn client(args: Arc<Args>, mounted: Arc<Barrier>, mut go: watch::Receiver<Option<Instant>>) -> Result<Tally, Error> {
    let mut request = args.url.as_str().into_client_request()?;
    let origin = args.url.replacen("ws://", "http://", 1);
    let origin = origin.split("/ws/").next().unwrap_or_default().to_owned();
    request.headers_mut().insert("Origin", HeaderValue::from_str(&origin)?);
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    let (greeting, mount, mounted_type) = match args.protocol {
        Protocol::Wasmlive => ("connected", json!({"type": "mount", "view": args.view, "params": {}, "ref": 0}), "mounted"),
        Protocol::Djust => (
            "connect",
            json!({"type": "mount", "view": args.view, "params": {}, "url": args.page, "has_prerendered": false}),
            "mount",
        ),
    };
    let hello = next_json(&mut ws).await?;
    if hello["type"] != greeting {
        return Err(format!("expected a {greeting:?} frame first, got {hello}").into());
    }
    ws.send(Message::text(mount.to_string())).await?;
    let view_id = loop {
        let frame = next_json(&mut ws).await?;
        if frame["type"] == mounted_type {
            break frame.get("view_id").and_then(Value::as_str).map(str::to_owned);
        }
        if frame["type"] == "error" {
            return Err(format!("mount failed: {frame}").into());
        }
    };
    mounted.wait().await;
    let stop_at = loop {
        if let Some(at) = *go.borrow_and_update() {
            break at;
        }
        go.changed().await?;
    };
    let mut tally = Tally::default();
    let mut n: u64 = 0;
    while Instant::now() < stop_at {
        n += 1;
        let params = if args.counting { json!({"count": n}) } else { json!({}) };
        let mut frame = json!({"type": "event", "event": args.event, "params": params, "ref": n});
        if let Some(id) = &view_id {
            frame["view_id"] = json!(id);
        }
        let start = Instant::now();
        ws.send(Message::text(frame.to_string())).await?;
        // The frame answering this ref (a server may send others in between).
        let reply = loop {
            let reply = next_json(&mut ws).await?;
            if reply["ref"] == json!(n) {
                break reply;
            }
        };
        tally.latencies_us.push(start.elapsed().as_secs_f64() * 1e6);
        if !matches!(reply["type"].as_str(), Some("patch" | "html_update")) {
            tally.errors.push(reply);
        }
    }
    ws.close(None).await.ok();
    Ok(tally)
}

async fn next_json<S>(ws: &mut S) -> Result<Value, Error>
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text)?),
            Some(Ok(Message::Close(close))) => return Err(format!("server closed the socket: {close:?}").into()),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => return Err("server closed the socket".into()),
        }
    }
}

fn main() -> Result<(), Error> {
    let args = Arc::new(Args::parse());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        // Every client connects and mounts first; the clock starts when all have.
        let mounted = Arc::new(Barrier::new(args.clients + 1));
        let (go, go_rx) = watch::channel(None);
        let tasks: Vec<_> = (0..args.clients)
            .map(|_| tokio::spawn(client(args.clone(), mounted.clone(), go_rx.clone())))
            .collect();
        tokio::select! {
            _ = mounted.wait() => {}
            _ = tokio::time::sleep(Duration::from_secs(120)) => {
                for task in tasks.into_iter().filter(|t| t.is_finished()) {
                    task.await??;
                }
                return Err("clients did not all mount within 120 s".into());
            }
        }
        let start = Instant::now();
        go.send(Some(start + Duration::from_secs_f64(args.seconds)))?;
        let mut latencies = Vec::new();
        let mut errors = Vec::new();
        for task in tasks {
            let tally = task.await??;
            latencies.extend(tally.latencies_us);
            errors.extend(tally.errors);
        }
        let elapsed = start.elapsed().as_secs_f64();
        latencies.sort_by(f64::total_cmp);
        let pct = |p: f64| latencies.get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1))).copied();
        let mean = (!latencies.is_empty()).then(|| latencies.iter().sum::<f64>() / latencies.len() as f64);
        println!(
            "{}",
            json!({
                "clients": args.clients,
                "events": latencies.len(),
                "seconds": elapsed,
                "events_per_s": latencies.len() as f64 / elapsed,
                "p50_us": pct(0.50),
                "p95_us": pct(0.95),
                "p99_us": pct(0.99),
                "mean_us": mean,
                "errors": errors.len(),
                "first_error": errors.first(),
                "load_generator": "rust",
            })
        );
        Ok(())
    })
}
