//! The fan-out benchmark's client (benches/fanout.py): many views over
//! WebSockets on one or more servers, then broadcasts, each timed from just
//! before it is published to the moment the last view has it. Prints one
//! JSON object.
//!
//! ```text
//! cargo run --release -p wasmlive --example ws_fanout -- --url ws://127.0.0.1:8000/ws/live/ \
//!     --url ws://127.0.0.1:8001/ws/live/ --connections 100 --views 100 --view fan \
//!     --publish redis://127.0.0.1:6379/0 --topic fan --broadcasts 20 --burst 200
//! ```
//!
//! `--protocol wasmlive` mounts `--views` views of `--view` per connection
//! and reads each view's number from its patches (a view shows `{{ n }}`);
//! `--protocol channels` holds one group member per connection, which
//! forwards `{"n": …}`. Broadcasts are published on Redis through
//! wasmlive's PubSub (`--publish redis://…`: what `wasmlive.broadcast`
//! does) or POSTed to a server that publishes them (`--publish
//! http://host:port/path`, with `n=…`: channels_redis's `group_send`). A view
//! counts as having broadcast k once it shows k or later (wasmlive renders
//! several queued messages once).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Protocol {
    Wasmlive,
    Channels,
}

#[derive(Parser, Clone)]
struct Args {
    /// A server's WebSocket URL (repeat: connections go round robin).
    #[arg(long, required = true)]
    url: Vec<String>,
    #[arg(long, default_value_t = 10)]
    connections: usize,
    /// Views per connection (wasmlive).
    #[arg(long, default_value_t = 1)]
    views: usize,
    /// The view to mount (wasmlive).
    #[arg(long, default_value = "fan")]
    view: String,
    #[arg(long, value_enum, default_value = "wasmlive")]
    protocol: Protocol,
    /// `redis://…` (publish through wasmlive's PubSub) or `http://host:port/path` (POST `n=…`).
    #[arg(long)]
    publish: String,
    #[arg(long, default_value = "fan")]
    topic: String,
    /// Broadcasts timed one at a time.
    #[arg(long, default_value_t = 20)]
    broadcasts: u64,
    /// Broadcasts then published back to back (sustained rate).
    #[arg(long, default_value_t = 200)]
    burst: u64,
    /// Seconds a broadcast may take before the views that lack it count as lost.
    #[arg(long, default_value_t = 20.0)]
    timeout: f64,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

/// How far every view has got.
struct Progress {
    /// Views that have reached broadcast k (index k).
    reached: Vec<AtomicU64>,
    /// When the last view reached k, in µs since `start`.
    done_at: Vec<AtomicU64>,
    total: u64,
    start: Instant,
    /// Messages a view went past without a frame of its own (wasmlive:
    /// rendered together with a later one; channels_redis: dropped).
    skipped: AtomicU64,
}

impl Progress {
    /// A view went from showing `from` to `to`.
    fn advance(&self, from: u64, to: u64) {
        let to = to.min(self.reached.len() as u64 - 1);
        if to > from + 1 {
            self.skipped.fetch_add(to - from - 1, Relaxed);
        }
        for k in from + 1..=to {
            if self.reached[k as usize].fetch_add(1, Relaxed) + 1 == self.total {
                self.done_at[k as usize].store(self.start.elapsed().as_micros() as u64, Relaxed);
            }
        }
    }

    fn done(&self, k: u64) -> Option<u64> {
        Some(self.done_at[k as usize].load(Relaxed)).filter(|t| *t > 0)
    }
}

/// The number a frame shows, per view id ("" for a channels connection).
fn numbers(protocol: Protocol, frame: &Value) -> Vec<(String, u64)> {
    match protocol {
        Protocol::Channels => frame.get("n").and_then(Value::as_u64).map(|n| vec![(String::new(), n)]).unwrap_or_default(),
        Protocol::Wasmlive => {
            let view = frame.get("view_id").and_then(Value::as_str).unwrap_or_default().to_string();
            let text = match frame.get("type").and_then(Value::as_str) {
                Some("patch") => frame["patches"].as_array().and_then(|p| p.iter().rev().find_map(|p| p.get("text")?.as_str().map(str::to_string))),
                Some("html_update") => frame["html"].as_str().map(|h| h.chars().filter(char::is_ascii_digit).collect()),
                _ => None,
            };
            text.and_then(|t| t.trim().parse().ok()).map(|n| vec![(view, n)]).unwrap_or_default()
        }
    }
}

async fn connection(args: Arc<Args>, i: usize, progress: Arc<Progress>, ready: Arc<tokio::sync::Barrier>) -> Result<(), Error> {
    let url = &args.url[i % args.url.len()];
    let mut request = url.as_str().into_client_request()?;
    let origin = url.replacen("ws://", "http://", 1);
    let origin = origin.split('/').take(3).collect::<Vec<_>>().join("/");
    request.headers_mut().insert("Origin", HeaderValue::from_str(&origin)?);
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    let mut shown: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    if args.protocol == Protocol::Wasmlive {
        let connected: Value = serde_json::from_str(ws.next().await.ok_or("closed")??.to_text()?)?;
        assert_eq!(connected["type"], "connected", "{connected}");
        for v in 0..args.views {
            ws.send(Message::text(json!({"type": "mount", "view": args.view, "ref": v}).to_string())).await?;
            loop {
                let frame: Value = serde_json::from_str(ws.next().await.ok_or("closed")??.to_text()?)?;
                if frame["type"] == "mounted" {
                    shown.insert(frame["view_id"].as_str().unwrap_or_default().to_string(), 0);
                    break;
                }
                if frame["type"] == "error" {
                    return Err(format!("mount refused: {frame}").into());
                }
            }
        }
    } else {
        shown.insert(String::new(), 0);
    }
    ready.wait().await;
    while let Some(message) = ws.next().await {
        let Ok(text) = message?.into_text() else { continue };
        let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
        for (view, n) in numbers(args.protocol, &frame) {
            let from = shown.get(&view).copied().unwrap_or(0);
            if n > from {
                shown.insert(view, n);
                progress.advance(from, n);
            }
        }
    }
    Ok(())
}

/// Publishes broadcast `n`.
enum Publisher {
    PubSub(wasmlive::pubsub::PubSub),
    Http { addr: String, path: String },
}

impl Publisher {
    async fn publish(&self, topic: &str, n: u64) -> Result<(), Error> {
        match self {
            Publisher::PubSub(pubsub) => {
                pubsub.publish(topic, &json!({"n": n}).to_string()).await?;
            }
            Publisher::Http { addr, path } => {
                let body = format!("n={n}");
                let mut stream = tokio::net::TcpStream::connect(addr).await?;
                let request = format!(
                    "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(request.as_bytes()).await?;
                let mut answer = String::new();
                stream.read_to_string(&mut answer).await?;
                if !answer.starts_with("HTTP/1.1 200") {
                    return Err(format!("the publish endpoint answered {}", answer.lines().next().unwrap_or_default()).into());
                }
            }
        }
        Ok(())
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Arc::new(Args::parse());
    let views = if args.protocol == Protocol::Wasmlive { args.connections * args.views } else { args.connections };
    let last = args.broadcasts + args.burst;
    let progress = Arc::new(Progress {
        reached: (0..=last).map(|_| AtomicU64::new(0)).collect(),
        done_at: (0..=last).map(|_| AtomicU64::new(0)).collect(),
        total: views as u64,
        start: Instant::now(),
        skipped: AtomicU64::new(0),
    });
    let publisher = if args.publish.starts_with("redis://") {
        let config = wasmlive::pubsub::PubSubConfig { redis_url: Some(args.publish.clone()), ..Default::default() };
        Publisher::PubSub(wasmlive::pubsub::PubSub::start(&config)?)
    } else {
        let rest = args.publish.strip_prefix("http://").ok_or("--publish is redis://… or http://…")?;
        let (addr, path) = rest.split_once('/').ok_or("--publish http://host:port/path")?;
        Publisher::Http { addr: addr.to_string(), path: format!("/{path}") }
    };
    let ready = Arc::new(tokio::sync::Barrier::new(args.connections + 1));
    let mounting = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..args.connections {
        let (args, progress, ready) = (args.clone(), progress.clone(), ready.clone());
        tasks.push(tokio::spawn(async move {
            if let Err(e) = connection(args, i, progress, ready.clone()).await {
                // A view short from the start would make every figure wrong: stop.
                eprintln!("connection {i}: {e}");
                std::process::exit(1);
            }
        }));
        // Connecting all at once would be a connection storm, not the benchmark.
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    ready.wait().await;
    let mounted_seconds = mounting.elapsed().as_secs_f64();
    // Subscriptions settle (the last view's subscription confirmed by Redis).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let timeout = Duration::from_secs_f64(args.timeout);
    let mut latencies_ms = Vec::new();
    let mut lost = 0u64;
    for k in 1..=args.broadcasts {
        let sent = progress.start.elapsed().as_micros() as u64;
        publisher.publish(&args.topic, k).await?;
        let deadline = Instant::now() + timeout;
        while progress.done(k).is_none() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        match progress.done(k) {
            Some(done) => latencies_ms.push((done - sent) as f64 / 1000.0),
            None => lost += progress.total - progress.reached[k as usize].load(Relaxed),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Sustained: back to back, until the last view has the last one.
    let burst_start = Instant::now();
    for k in args.broadcasts + 1..=last {
        publisher.publish(&args.topic, k).await?;
    }
    let published_seconds = burst_start.elapsed().as_secs_f64();
    let deadline = Instant::now() + timeout;
    while progress.done(last).is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let burst_seconds = burst_start.elapsed().as_secs_f64();
    // Views that never showed some broadcast of the burst (wasmlive renders a
    // batch once: a view that shows the last number missed nothing).
    let burst_lost: u64 = progress.total - progress.reached[last as usize].load(Relaxed);
    latencies_ms.sort_by(f64::total_cmp);
    let report = json!({
        "views": views,
        "connections": args.connections,
        "mount_seconds": mounted_seconds,
        "broadcasts": args.broadcasts,
        "latency_ms": latencies_ms,
        "p50_ms": percentile(&latencies_ms, 0.5),
        "p99_ms": percentile(&latencies_ms, 0.99),
        "lost": lost,
        "burst": args.burst,
        "burst_published_seconds": published_seconds,
        "burst_seconds": burst_seconds,
        "burst_per_second": if progress.done(last).is_some() { args.burst as f64 / burst_seconds } else { 0.0 },
        "burst_views_short": burst_lost,
        "burst_skipped": progress.skipped.load(Relaxed),
    });
    println!("{report}");
    for t in tasks {
        t.abort();
    }
    Ok(())
}
