//! Time one template render through the embedded template guest in wasmtime,
//! as the host does it for a view: compile once, then render with a JSON
//! context. Used by `benches/render_table_peers.py`, which runs Django and
//! djust on the same template in the same run.
//!
//! `cargo run --release -p wasmlive --example render_table -- TEMPLATE CONTEXT.json [CALLS] [REPEATS]`
//! prints one JSON object: the per-call time of each repeat in µs and the output.

use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmlive::engine_host::{EngineConfig, GuestEngine, GuestLimits, StandaloneServices};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [template, context, rest @ ..] = args.as_slice() else {
        eprintln!("usage: render_table TEMPLATE CONTEXT.json [CALLS] [REPEATS]");
        std::process::exit(2);
    };
    let calls: u32 = rest.first().map_or(2_000, |s| s.parse().expect("CALLS is a number"));
    let repeats: u32 = rest.get(1).map_or(5, |s| s.parse().expect("REPEATS is a number"));
    let source = std::fs::read_to_string(template).expect("read the template");
    let context = std::fs::read_to_string(context).expect("read the context");

    // WASMLIVE_MEMORY_RESERVATION_MIB=4096 measures the engine with 4 GiB
    // reservations, where compiled guests need no bounds checks.
    let mut config = EngineConfig::default();
    if let Some(mib) = std::env::var("WASMLIVE_MEMORY_RESERVATION_MIB").ok().and_then(|v| v.parse::<u64>().ok()) {
        config.memory_reservation = mib << 20;
        if mib >= 4096 {
            config.memory_guard_size = 32 << 20;
        }
    }
    let engine = GuestEngine::new(config).expect("engine");
    let limits = GuestLimits { memory_bytes: 64 << 20, deadline: Duration::from_secs(10), output_bytes: 16 << 20 };
    let mut view = engine.default_templates().expect("default guest").instance(Arc::new(StandaloneServices::default()), limits);
    view.add_template("table.html", &source).await.expect("the template compiles");
    let output = view.render("table.html", &context).await.expect("the template renders");
    for _ in 0..calls / 10 {
        view.render("table.html", &context).await.expect("warm-up render");
    }
    let mut per_call_us = Vec::new();
    for _ in 0..repeats {
        let start = Instant::now();
        for _ in 0..calls {
            std::hint::black_box(view.render("table.html", &context).await.expect("render"));
        }
        per_call_us.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(calls));
    }
    println!("{}", serde_json::json!({ "per_call_us": per_call_us, "output": output }));
}
