//! Time the embedded VDOM guest diffing one page into another, as a view
//! does it per event (parse the new HTML, diff it against the kept tree).
//! Used by `benches/diff_table_peers.py`, which runs djust's `diff_html` on
//! the same pair in the same run.
//!
//! `cargo run --release -p wasmlive --example diff_table -- OLD.html NEW.html [CALLS] [REPEATS]`
//! prints one JSON object: the per-diff time of each repeat in µs and the
//! patches from OLD to NEW. The calls alternate OLD → NEW and NEW → OLD, so
//! every call parses one page and diffs it against the other.

use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmlive::engine_host::{EngineConfig, GuestEngine, GuestLimits, StandaloneServices};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [old, new, rest @ ..] = args.as_slice() else {
        eprintln!("usage: diff_table OLD.html NEW.html [CALLS] [REPEATS]");
        std::process::exit(2);
    };
    let calls: u32 = rest.first().map_or(1_000, |s| s.parse().expect("CALLS is a number"));
    let repeats: u32 = rest.get(1).map_or(5, |s| s.parse().expect("REPEATS is a number"));
    let old = std::fs::read_to_string(old).expect("read OLD");
    let new = std::fs::read_to_string(new).expect("read NEW");

    let engine = GuestEngine::new(EngineConfig::default()).expect("engine");
    let limits = GuestLimits { memory_bytes: 64 << 20, deadline: Duration::from_secs(10), output_bytes: 16 << 20 };
    let mut view = engine.default_vdom().expect("default guest").instance(Arc::new(StandaloneServices::default()), limits);
    view.reset(&old).await.expect("the old page parses");
    let patches = view.diff(&new).await.expect("diff");
    view.diff(&old).await.expect("diff back");
    for _ in 0..calls / 10 {
        view.diff(&new).await.expect("warm-up");
        view.diff(&old).await.expect("warm-up");
    }
    let mut per_call_us = Vec::new();
    for _ in 0..repeats {
        let start = Instant::now();
        for _ in 0..calls / 2 {
            std::hint::black_box(view.diff(&new).await.expect("diff"));
            std::hint::black_box(view.diff(&old).await.expect("diff"));
        }
        per_call_us.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(calls / 2 * 2));
    }
    println!("{}", serde_json::json!({ "per_call_us": per_call_us, "patches": patches }));
}
