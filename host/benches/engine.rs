//! Measurements behind the engine host's design choices, each a ratio of
//! two options in the same run:
//!
//! - `context/*`: passing a render context into a guest as JSON text vs as
//!   a flattened WIT value list (host-side encoding included) — why
//!   `templates.render` takes JSON;
//! - `cold-view/*` and `render/*`: instance allocation on demand vs pooled —
//!   first render of a fresh view, and a render on a warm one;
//! - after the timings, resident memory per warm view instance under each
//!   allocator, printed as a table.
//!
//! Run: `cargo bench -p wasmlive --bench engine`.

use criterion::{BenchmarkId, Criterion, criterion_group};
use serde_json::{Value, json};
use std::hint::black_box;
use std::sync::Arc;
use wasmlive::engine::{Allocator, EngineConfig, GuestEngine, HostServices, StandaloneServices, TemplateInstance};
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

criterion_group!(benches, context_passing, allocators);

fn main() {
    benches();
    memory_per_instance();
    Criterion::default().configure_from_args().final_summary();
}
