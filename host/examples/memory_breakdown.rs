//! Where a mounted session's memory goes: mounts N counter sessions (one
//! event each, as `wasmlive bench` measures them) and prints, per session,
//! the growth of the host heap (live bytes, counted by a wrapping global
//! allocator) and of each kind of memory mapping in `/proc/self/smaps`
//! (RSS, PSS, private dirty), so a change meant to save memory can be
//! aimed and checked. Then the same for a view's guests alone, phase by
//! phase, with the time each phase takes (what a mount costs).
//!
//! ```text
//! cargo run --release -p wasmlive --example memory_breakdown -- [SESSIONS]
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicIsize, Ordering};

use std::sync::Arc;

use wasmlive::actors::{ActorConfig, ActorSupervisor, Delivery, Event, State};
use wasmlive::bench::counter::TEMPLATE as COUNTER;
use wasmlive::bench::counter_request;
use wasmlive::engine_host::{EngineConfig, GuestEngine, GuestLimits, GuestStore, HostServices, StandaloneServices};

/// The system allocator, counting live bytes.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// (rss, pss, private dirty) in KiB per kind of mapping.
type Usage = BTreeMap<String, [i64; 3]>;

fn mappings() -> Usage {
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("/proc/self/smaps (Linux only)");
    let mut usage = Usage::new();
    let mut kind = String::new();
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        if first.contains('-') && first.chars().next().is_some_and(|c| c.is_ascii_hexdigit()) {
            let range: Vec<u64> = first.split('-').map(|x| u64::from_str_radix(x, 16).unwrap_or(0)).collect();
            let size_kib = (range[1] - range[0]) / 1024;
            let perms = fields.next().unwrap_or_default().to_owned();
            let path = fields.nth(3).unwrap_or("").to_owned();
            kind = if path.contains("memfd") {
                "guest memory image (memfd, copy-on-write)".into()
            } else if path.is_empty() {
                let bucket = match size_kib {
                    0..=64 => "<= 64 KiB",
                    65..=1024 => "64 KiB - 1 MiB",
                    1025..=4096 => "1 - 4 MiB (fiber stacks)",
                    _ => "> 4 MiB (linear memories, malloc arenas)",
                };
                format!("anonymous {perms} {bucket}")
            } else {
                path
            };
            continue;
        }
        let index = match first {
            "Rss:" => 0,
            "Pss:" => 1,
            "Private_Dirty:" => 2,
            _ => continue,
        };
        let kib: i64 = fields.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        usage.entry(kind.clone()).or_default()[index] += kib;
    }
    usage
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sessions: usize = std::env::args().nth(1).map_or(Ok(2000), |s| s.parse())?;
    let supervisor = ActorSupervisor::start(ActorConfig::default())?;
    let warm = supervisor.get_or_create_session("warm");
    let view = warm.mount(counter_request(), Delivery::Wait).await?.await?.view;
    view.event(Event::new("increment", State::new()), Delivery::Wait).await?.await?;
    let (heap_before, maps_before) = (LIVE.load(Ordering::Relaxed), mappings());
    // In phases, so the host heap's growth can be told apart.
    let heap_kib = |since: isize| (LIVE.load(Ordering::Relaxed) - since) as f64 / 1024.0 / sessions as f64;
    let handles: Vec<_> = (0..sessions).map(|i| supervisor.get_or_create_session(&format!("s{i}"))).collect();
    tokio::task::yield_now().await;
    let created = heap_kib(heap_before);
    let before_mount = LIVE.load(Ordering::Relaxed);
    let mut views = Vec::with_capacity(handles.len());
    for session in &handles {
        views.push(session.mount(counter_request(), Delivery::Wait).await?.await?.view);
    }
    let mounted = heap_kib(before_mount);
    let before_event = LIVE.load(Ordering::Relaxed);
    for view in &views {
        view.event(Event::new("increment", State::new()), Delivery::Wait).await?.await?;
    }
    let evented = heap_kib(before_event);
    let (heap_after, maps_after) = (LIVE.load(Ordering::Relaxed), mappings());
    println!("{sessions} sessions; per session:");
    println!(
        "host heap, live bytes: {:.1} KiB (session actor {created:.1}, mount {mounted:.1}, first event {evented:.1})",
        (heap_after - heap_before) as f64 / 1024.0 / sessions as f64
    );
    print_mappings("mappings, as soon as the last event is answered", &maps_before, &maps_after, sessions);
    // Then once every view has been quiet long enough to release its idle memory.
    if let Some(quiet) = supervisor.config().engine.release_memory_after {
        tokio::time::sleep(quiet * 2).await;
        let title = format!("mappings, after {quiet:?} without a guest call");
        print_mappings(&title, &maps_before, &mappings(), sessions);
    }
    drop(handles);
    supervisor.shutdown_all().await;
    guests_alone(sessions).await
}

/// Each kind of mapping's growth per session between two readings.
fn print_mappings(title: &str, before: &Usage, after: &Usage, sessions: usize) {
    let per = |kib: i64| kib as f64 / sessions as f64;
    println!("{title:<58} {:>9} {:>9} {:>9}", "RSS KiB", "PSS KiB", "priv.dirty");
    let mut total = [0f64; 3];
    for (kind, now) in after {
        let then = before.get(kind).copied().unwrap_or_default();
        let delta: Vec<f64> = (0..3).map(|i| per(now[i] - then[i])).collect();
        if delta.iter().any(|d| d.abs() >= 0.05) {
            println!("  {kind:<56} {:>9.1} {:>9.1} {:>9.1}", delta[0], delta[1], delta[2]);
            for i in 0..3 {
                total[i] += delta[i];
            }
        }
    }
    println!("  {:<56} {:>9.1} {:>9.1} {:>9.1}", "total", total[0], total[1], total[2]);
}

/// The host heap a view's guests take without the actors: one store each,
/// a template instance that compiled and rendered the counter, a VDOM
/// instance that parsed it and diffed one change.
async fn guests_alone(views: usize) -> Result<(), Box<dyn std::error::Error>> {
    let engine = GuestEngine::new(EngineConfig::default())?;
    let (templates, vdom) = (engine.default_templates()?, engine.default_vdom()?);
    let services: Arc<dyn HostServices> = Arc::new(StandaloneServices::default());
    let context = |n: u32| format!(r#"{{"count": {n}}}"#);
    let mut kept = Vec::with_capacity(views);
    let phase = |what: &str, since: &mut (isize, std::time::Instant)| {
        let now = (LIVE.load(Ordering::Relaxed), std::time::Instant::now());
        let kib = (now.0 - since.0) as f64 / 1024.0 / views as f64;
        let us = (now.1 - since.1).as_secs_f64() * 1e6 / views as f64;
        println!("  {what:<44} {kib:>6.1} KiB {us:>8.1} µs");
        *since = (now.0, std::time::Instant::now());
    };
    let mut since = (LIVE.load(Ordering::Relaxed), std::time::Instant::now());
    println!("host heap and time per view, guests alone:");
    let stores: Vec<_> = (0..views).map(|_| GuestStore::new(&engine, services.clone(), GuestLimits::default())).collect();
    phase("GuestStore (not yet created)", &mut since);
    let mut instances: Vec<_> = stores.iter().map(|s| (templates.instance_in(s), vdom.instance_in(s))).collect();
    phase("two instance handles (not yet instantiated)", &mut since);
    for (t, _) in &mut instances {
        t.add_template("counter", COUNTER).await?;
    }
    phase("store + template instance + compiled template", &mut since);
    let mut htmls = Vec::with_capacity(views);
    for (t, _) in &mut instances {
        htmls.push(t.render("counter", &context(0)).await?);
    }
    phase("first render (+ the HTML kept here)", &mut since);
    for ((_, v), html) in instances.iter_mut().zip(&htmls) {
        v.reset(html).await?;
    }
    phase("VDOM instance + parsed tree", &mut since);
    for (t, v) in &mut instances {
        let html = t.render("counter", &context(1)).await?;
        v.diff(&html).await?;
    }
    phase("one render + diff", &mut since);
    kept.push(instances);
    Ok(())
}
