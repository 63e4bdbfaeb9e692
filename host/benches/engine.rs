//! Measurements behind the engine host's design choices, each a ratio of
//! two options in the same run:
//!
//! - `context/*`: passing a render context into a guest as JSON text vs as
//!   a flattened WIT value list (host-side encoding included) — why
//!   `templates.render` takes JSON;
//! - `cold-view/*` and `render/*`: instance allocation on demand vs pooled —
//!   first render of a fresh view, and a render on a warm one;
//! - `diff-100-rows/*`: the VDOM guest with its lean parser vs built with
//!   html5ever, diffing the 100-row table of the benchmark suite (every price
//!   changed, 10 rows moved, 5 inserted, 5 removed), parse included;
//! - after the timings, resident memory per warm view instance under each
//!   allocator, and per VDOM instance under each parser, printed as tables.
//!
//! Run: `cargo bench -p wasmlive --bench engine`.

use criterion::{BenchmarkId, Criterion, criterion_group};
use serde_json::{Value, json};
use std::hint::black_box;
use std::sync::Arc;
use wasmlive::engine_host::{Allocator, EngineConfig, GuestEngine, HostServices, StandaloneServices, TemplateInstance};
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

mod probe {
    wasmtime::component::bindgen!({
        path: ["../wit", "../tests/guests/wit"],
        world: "wasmlive:fixtures/context-probe",
    });
}
use probe::exports::wasmlive::fixtures::probe::Value as Flat;

/// A context like the 100-row table of the benchmark suite.
fn table_context(rows: usize) -> Value {
    let rows: Vec<Value> = (0..rows)
        .map(|i| {
            json!({
                "id": i, "name": format!("Product number {i}"), "price": 9.99 + i as f64,
                "in_stock": i % 3 != 0, "tags": ["new", "sale", "eco"],
            })
        })
        .collect();
    json!({"title": "Inventory", "user": {"name": "Ada", "is_staff": true}, "rows": rows})
}

fn flatten(value: &Value, out: &mut Vec<Flat>) {
    match value {
        Value::Null => out.push(Flat::Null),
        Value::Bool(b) => out.push(Flat::Boolean(*b)),
        Value::Number(n) => out.push(match n.as_i64() {
            Some(i) => Flat::Integer(i),
            None => Flat::Float(n.as_f64().unwrap_or(0.0)),
        }),
        Value::String(s) => out.push(Flat::Text(s.clone())),
        Value::Array(a) => {
            out.push(Flat::Array(a.len() as u32));
            a.iter().for_each(|v| flatten(v, out));
        }
        Value::Object(o) => {
            out.push(Flat::Object(o.len() as u32));
            for (k, v) in o {
                out.push(Flat::Key(k.clone()));
                flatten(v, out);
            }
        }
    }
}

fn context_passing(c: &mut Criterion) {
    let engine = Engine::default();
    let component = Component::new(&engine, wasmlive_fixtures::CONTEXT_PROBE).unwrap();
    let mut store = Store::new(&engine, ());
    let probe = probe::ContextProbe::instantiate(&mut store, &component, &Linker::new(&engine)).unwrap();
    let api = probe.wasmlive_fixtures_probe();
    let mut group = c.benchmark_group("context");
    for rows in [10, 100] {
        let context = table_context(rows);
        let mut flat = Vec::new();
        flatten(&context, &mut flat);
        let expected = api.call_take_json(&mut store, &context.to_string()).unwrap();
        assert_eq!(api.call_take_values(&mut store, &flat).unwrap(), expected);
        group.bench_with_input(BenchmarkId::new("json", rows), &context, |b, ctx| {
            b.iter(|| {
                let text = serde_json::to_string(ctx).unwrap();
                black_box(api.call_take_json(&mut store, &text).unwrap())
            })
        });
        group.bench_with_input(BenchmarkId::new("values", rows), &context, |b, ctx| {
            b.iter(|| {
                let mut flat = Vec::new();
                flatten(ctx, &mut flat);
                black_box(api.call_take_values(&mut store, &flat).unwrap())
            })
        });
    }
    group.finish();
}

const COUNTER: &str = "<div><h1>Count: {{ count }}</h1>{% for r in rows %}<p>{{ r.name }} {{ r.price }}</p>{% endfor %}</div>";

fn engines() -> [(&'static str, GuestEngine); 2] {
    let pooled = EngineConfig {
        allocator: Allocator::Pooling { max_instances: 2_000 },
        ..EngineConfig::default()
    };
    [
        ("on-demand", GuestEngine::new(EngineConfig::default()).unwrap()),
        ("pooling", GuestEngine::new(pooled).unwrap()),
    ]
}

fn services() -> Arc<dyn HostServices> {
    Arc::new(StandaloneServices::default())
}

async fn warm_view(engine: &GuestEngine) -> TemplateInstance {
    let mut view = engine.default_templates().unwrap().instance(services(), engine.config().default_limits);
    view.add_template("counter", COUNTER).await.unwrap();
    view.render("counter", r#"{"count": 0, "rows": []}"#).await.unwrap();
    view
}

fn allocators(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let context = table_context(10).to_string();
    let mut cold = c.benchmark_group("cold-view");
    for (name, engine) in engines() {
        let templates = engine.default_templates().unwrap();
        cold.bench_function(name, |b| {
            b.to_async(&rt).iter(|| async {
                let mut view = templates.instance(services(), engine.config().default_limits);
                view.add_template("counter", COUNTER).await.unwrap();
                black_box(view.render("counter", &context).await.unwrap())
            })
        });
    }
    cold.finish();
    let mut warm = c.benchmark_group("render");
    for (name, engine) in engines() {
        let mut view = rt.block_on(warm_view(&engine));
        warm.bench_function(name, |b| {
            b.iter(|| black_box(rt.block_on(view.render("counter", &context)).unwrap()))
        });
    }
    warm.finish();
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

/// Resident memory per warm view instance, 1,000 views per allocator.
fn memory_per_instance() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    println!("\nmemory per warm template instance (1,000 views each):");
    println!("| allocator | RSS per instance |");
    println!("|---|---|");
    for (name, engine) in engines() {
        let views = rt.block_on(async {
            warm_view(&engine).await; // compile the component before measuring
            let before = rss_bytes();
            let mut views = Vec::new();
            for _ in 0..1_000 {
                views.push(warm_view(&engine).await);
            }
            println!("| {name} | {} KiB |", (rss_bytes() - before) / 1_000 / 1024);
            views
        });
        drop(views);
    }
}

/// The 100-row table before and after an update: every price changed, 10
/// rows moved, 5 inserted, 5 removed. Rows carry `data-key`.
pub fn table_pair() -> (String, String) {
    let row = |id: usize, price: f64| {
        format!(
            "\n    <tr data-key=\"{id}\" class=\"{}\"><td>{id}</td><td>Product {id}</td><td>{price:.2}</td><td><button @click=\"buy\">Buy</button></td></tr>",
            if id % 2 == 0 { "even" } else { "odd" }
        )
    };
    let table = |rows: &[(usize, f64)]| {
        let body: String = rows.iter().map(|&(id, price)| row(id, price)).collect();
        format!("<table>\n  <tbody>{body}\n  </tbody>\n</table>")
    };
    let before: Vec<(usize, f64)> = (0..100).map(|i| (i, 10.0 + i as f64)).collect();
    let mut after: Vec<(usize, f64)> = before
        .iter()
        .filter(|(id, _)| !(20..25).contains(id))
        .map(|&(id, price)| (id, price * 1.1))
        .collect();
    let moved: Vec<(usize, f64)> = after.drain(60..70).collect();
    for (i, row) in moved.into_iter().enumerate() {
        after.insert(i * 7, row);
    }
    for id in 100..105 {
        after.insert(id - 50, (id, 1.0 + id as f64));
    }
    (table(&before), table(&after))
}

fn diffs(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let engine = GuestEngine::new(EngineConfig::default()).unwrap();
    let (before, after) = table_pair();
    // Kept for peers measured from other languages (the djust comparison).
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(dir.join("diff-100-rows-before.html"), &before).unwrap();
    std::fs::write(dir.join("diff-100-rows-after.html"), &after).unwrap();
    println!("the 100-row pair is in {}", dir.display());
    let mut group = c.benchmark_group("diff-100-rows");
    for (name, vdom) in [
        ("lean", engine.default_vdom().unwrap()),
        ("html5ever", engine.load_vdom("html5ever", wasmlive_fixtures::VDOM_HTML5EVER).unwrap()),
    ] {
        let mut instance = vdom.instance(services(), engine.config().default_limits);
        let patches = rt.block_on(async {
            instance.reset(&before).await.unwrap();
            instance.diff(&after).await.unwrap()
        });
        println!("diff-100-rows/{name}: {} patches", patches.len());
        group.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    instance.reset(&before).await.unwrap();
                    black_box(instance.diff(&after).await.unwrap())
                })
            })
        });
    }
    group.finish();
}

/// Resident memory per VDOM instance holding the 100-row table, per parser.
fn memory_per_vdom_instance() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let engine = GuestEngine::new(EngineConfig::default()).unwrap();
    let (before, after) = table_pair();
    println!("\nmemory per VDOM instance after one diff of the 100-row table (1,000 instances each):");
    println!("| parser | PSS per instance |");
    println!("|---|---|");
    for (name, vdom) in [
        ("lean", engine.default_vdom().unwrap()),
        ("html5ever", engine.load_vdom("html5ever", wasmlive_fixtures::VDOM_HTML5EVER).unwrap()),
    ] {
        let kept = rt.block_on(async {
            let before_pss = wasmlive::bench::pss_bytes();
            let mut kept = Vec::new();
            for _ in 0..1_000 {
                let mut v = vdom.instance(services(), engine.config().default_limits);
                v.reset(&before).await.unwrap();
                v.diff(&after).await.unwrap();
                kept.push(v);
            }
            println!("| {name} | {} KiB |", (wasmlive::bench::pss_bytes() - before_pss) / 1_000 / 1024);
            kept
        });
        drop(kept);
    }
}

criterion_group!(benches, context_passing, allocators, diffs);

fn main() {
    benches();
    memory_per_instance();
    memory_per_vdom_instance();
    Criterion::default().configure_from_args().final_summary();
}
