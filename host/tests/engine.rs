//! The engine host against real components: the embedded default guests and
//! the fixture guests of `tests/guests/`, all called through wasmtime.

mod common;

use common::{limits, services};
use std::sync::Arc;
use std::time::Duration;
use wasmlive::engine_host::{
    EngineConfig, FaultKind, GuestEngine, GuestLimits, LoadError, NodeKind, Patch, RenderError,
    TemplateErrorKind, TemplateInstance,
};

fn engine() -> GuestEngine {
    GuestEngine::new(EngineConfig::default()).expect("engine")
}


fn faulty(engine: &GuestEngine) -> TemplateInstance {
    engine
        .load_templates("faulty", wasmlive_fixtures::FAULTY)
        .expect("faulty fixture loads")
        .instance(services(), limits())
}

#[tokio::test]
async fn default_template_guest_compiles_and_renders() {
    let engine = engine();
    let mut t = engine.default_templates().unwrap().instance(services(), limits());
    t.add_template("page.html", "<h1>{{ title|upper }}</h1>{% for r in rows %}<i>{{ r }}</i>{% endfor %}")
        .await
        .unwrap();
    let html = t
        .render("page.html", r#"{"title": "a & b", "rows": [1, "<x>"]}"#)
        .await
        .unwrap();
    assert_eq!(html, "<h1>A &amp; B</h1><i>1</i><i>&lt;x&gt;</i>");
    assert_eq!(t.template_names().collect::<Vec<_>>(), ["page.html"]);
}

#[tokio::test]
async fn template_errors_are_located_and_typed() {
    let engine = engine();
    let mut t = engine.default_templates().unwrap().instance(services(), limits());
    let err = t.add_template("bad.html", "ok\n  {% nosuchtag %}").await.unwrap_err();
    let RenderError::Template(e) = err else { panic!("expected a template error, got {err:?}") };
    assert_eq!((e.kind, e.template.as_str(), e.line, e.column), (TemplateErrorKind::UnknownTag, "bad.html", 2, 3));
    assert!(e.to_string().starts_with("bad.html:2:3: Invalid block tag"), "{e}");

    t.add_template("ok.html", "{{ x }}").await.unwrap();
    let err = t.render("ok.html", "[not an object]").await.unwrap_err();
    assert!(matches!(err, RenderError::Template(ref e) if e.kind == TemplateErrorKind::InvalidContext), "{err:?}");
    let err = t.render("never-added.html", "{}").await.unwrap_err();
    assert_eq!(err, RenderError::UnknownTemplate("never-added.html".into()));
    // A template error is not a fault: the instance is still the same one.
    assert_eq!(t.faults(), 0);
}

#[tokio::test]
async fn default_vdom_guest_parses_diffs_serializes_and_flattens() {
    let engine = engine();
    let mut v = engine.default_vdom().unwrap().instance(services(), limits());
    v.reset("<div id=a><p>Count: <b>1</b></p></div>").await.unwrap();
    let patches = v.diff("<div id=b><p>Count: <b>2</b></p><hr></div>").await.unwrap();
    assert_eq!(
        patches,
        vec![
            Patch::SetAttribute { path: vec![0], name: "id".into(), value: "b".into() },
            Patch::SetText { path: vec![0, 0, 1, 0], text: "2".into() },
            Patch::InsertChild { parent: vec![0], index: 1, html: "<hr>".into(), count: 1 },
        ]
    );
    assert_eq!(v.to_html().await.unwrap(), "<div id=\"b\"><p>Count: <b>2</b></p><hr></div>");
    assert_eq!(v.html(), "<div id=b><p>Count: <b>2</b></p><hr></div>");
    let nodes = v.nodes().await.unwrap();
    let summary: Vec<(Option<u32>, NodeKind, &str, &str)> =
        nodes.iter().map(|n| (n.parent, n.kind, n.name.as_str(), n.data.as_str())).collect();
    assert_eq!(
        summary,
        vec![
            (None, NodeKind::Element, "div", ""),
            (Some(0), NodeKind::Element, "p", ""),
            (Some(1), NodeKind::Text, "", "Count: "),
            (Some(1), NodeKind::Element, "b", ""),
            (Some(3), NodeKind::Text, "", "2"),
            (Some(0), NodeKind::Element, "hr", ""),
        ]
    );
    assert_eq!(nodes[0].attributes, vec![("id".to_string(), "b".to_string())]);
}

#[tokio::test]
async fn patches_serialize_to_tagged_json() {
    let engine = engine();
    let mut v = engine.default_vdom().unwrap().instance(services(), limits());
    let patches = v.diff("<p>x</p>").await.unwrap();
    let json = serde_json::to_string(&patches).unwrap();
    assert_eq!(json, r#"[{"op":"insert-child","parent":[],"index":0,"html":"<p>x</p>","count":1}]"#);
}

#[tokio::test]
async fn a_panic_is_a_trap_with_its_message_and_the_next_call_runs_fresh() {
    let engine = engine();
    let mut t = faulty(&engine);
    t.add_template("t", "still alive").await.unwrap();
    let err = t.render("t", r#"{"fault":"panic"}"#).await.unwrap_err();
    let RenderError::Fault(fault) = err else { panic!("expected a fault, got {err:?}") };
    assert_eq!(fault.kind, FaultKind::Trap);
    assert!(fault.message.contains("deliberate panic"), "{}", fault.message);
    assert_eq!(fault.component, "faulty");
    // The template is recompiled on a fresh instance from the kept source.
    assert_eq!(t.render("t", "{}").await.unwrap(), "still alive");
    assert_eq!(t.faults(), 1);
}

#[tokio::test]
async fn a_looping_guest_is_stopped_by_the_deadline() {
    let engine = engine();
    let mut t = faulty(&engine);
    t.add_template("t", "ok").await.unwrap();
    let err = t.render("t", r#"{"fault":"loop"}"#).await.unwrap_err();
    assert!(matches!(err, RenderError::Fault(ref f) if f.kind == FaultKind::Deadline), "{err:?}");
    assert_eq!(t.render("t", "{}").await.unwrap(), "ok");
}

#[tokio::test]
async fn memory_growth_past_the_cap_is_a_memory_limit_fault() {
    let engine = engine();
    let mut t = faulty(&engine);
    t.add_template("t", "ok").await.unwrap();
    let err = t.render("t", r#"{"fault":"grow"}"#).await.unwrap_err();
    let RenderError::Fault(fault) = err else { panic!("expected a fault, got {err:?}") };
    assert_eq!(fault.kind, FaultKind::MemoryLimit, "{fault}");
    assert!(fault.message.contains(&format!("the limit is {}", 32 << 20)), "{}", fault.message);
    assert_eq!(t.render("t", "{}").await.unwrap(), "ok");
}

#[tokio::test]
async fn runaway_recursion_is_a_stack_overflow() {
    let engine = engine();
    let mut t = faulty(&engine);
    t.add_template("t", "ok").await.unwrap();
    let err = t.render("t", r#"{"fault":"recurse"}"#).await.unwrap_err();
    assert!(matches!(err, RenderError::Fault(ref f) if f.kind == FaultKind::StackOverflow), "{err:?}");
    assert_eq!(t.render("t", "{}").await.unwrap(), "ok");
}

#[tokio::test]
async fn output_over_the_limit_is_invalid_output() {
    let engine = engine();
    let mut t = engine.default_templates().unwrap().instance(
        services(),
        GuestLimits { output_bytes: 64, ..limits() },
    );
    t.add_template("big", "{% for x in xs %}0123456789{% endfor %}").await.unwrap();
    let err = t.render("big", r#"{"xs": [1,2,3,4,5,6,7,8,9,10]}"#).await.unwrap_err();
    assert!(matches!(err, RenderError::Fault(ref f) if f.kind == FaultKind::InvalidOutput), "{err:?}");
    assert_eq!(t.render("big", r#"{"xs": [1]}"#).await.unwrap(), "0123456789");
}

#[tokio::test]
async fn a_vdom_fault_keeps_the_last_good_tree() {
    let engine = engine();
    let mut v = engine
        .default_vdom()
        .unwrap()
        .instance(services(), GuestLimits { output_bytes: 32, ..limits() });
    v.reset("<p>a</p>").await.unwrap();
    let big = format!("<p>{}</p>", "x".repeat(100));
    let err = v.diff(&big).await.unwrap_err();
    assert_eq!(err.kind, FaultKind::InvalidOutput);
    assert_eq!(v.html(), "<p>a</p>");
    // The fresh instance rebuilt the tree from the last good HTML.
    assert_eq!(v.diff("<p>b</p>").await.unwrap(), vec![Patch::SetText { path: vec![0, 0], text: "b".into() }]);
    assert_eq!(v.faults(), 1);
}

/// A guest stuck until its deadline yields at every epoch tick, so even on a
/// single-threaded runtime the other views' calls all finish first.
#[tokio::test(flavor = "current_thread")]
async fn a_stuck_guest_does_not_stall_other_views() {
    let engine = engine();
    let mut stuck = engine
        .load_templates("faulty", wasmlive_fixtures::FAULTY)
        .unwrap()
        .instance(services(), GuestLimits { deadline: Duration::from_secs(3), ..limits() });
    stuck.add_template("t", "ok").await.unwrap();
    let mut healthy = engine.default_templates().unwrap().instance(services(), limits());
    healthy.add_template("t", "{{ n }}").await.unwrap();

    let finished = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = finished.clone();
    let stuck_call = async move {
        let result = stuck.render("t", r#"{"fault":"loop"}"#).await;
        log.lock().unwrap().push("stuck");
        result
    };
    let log = finished.clone();
    let healthy_calls = async move {
        for n in 0..10 {
            let html = healthy.render("t", &format!(r#"{{"n": {n}}}"#)).await.unwrap();
            assert_eq!(html, n.to_string());
            tokio::task::yield_now().await;
        }
        log.lock().unwrap().push("healthy");
    };
    let (stuck_result, ()) = tokio::join!(stuck_call, healthy_calls);
    assert!(matches!(stuck_result, Err(RenderError::Fault(ref f)) if f.kind == FaultKind::Deadline));
    assert_eq!(*finished.lock().unwrap(), ["healthy", "stuck"]);
}

#[test]
fn loading_a_component_without_the_worlds_export_fails_clearly() {
    let engine = engine();
    let err = engine.load_templates("vdom-as-templates", wasmlive::guests::VDOM).err().unwrap();
    assert!(matches!(err, LoadError::MissingExport { ref missing, .. } if missing == "wasmlive:engine/templates@0.1.0"), "{err:?}");
    assert!(err.to_string().contains("does not implement the template-engine world"), "{err}");
    let err = engine.load_vdom("templates-as-vdom", wasmlive::guests::TEMPLATES).err().unwrap();
    assert!(err.to_string().contains("lacks the export `wasmlive:engine/vdom@0.1.0`"), "{err}");
}

#[test]
fn loading_a_component_with_a_forbidden_import_fails_clearly() {
    let engine = engine();
    let err = engine.load_templates("forbidden", wasmlive_fixtures::FORBIDDEN_IMPORT).err().unwrap();
    let LoadError::ForbiddenImport { import, allowed, .. } = &err else { panic!("{err:?}") };
    assert_eq!(import, "wasmlive:fixtures/secrets");
    assert!(allowed.contains("wasmlive:engine/loader@0.1.0"), "{allowed}");
    // A template engine's imports are too much for a vdom guest.
    let err = engine.load_vdom("templates-as-vdom", wasmlive::guests::TEMPLATES).err().unwrap();
    assert!(matches!(err, LoadError::ForbiddenImport { .. } | LoadError::MissingExport { .. }), "{err:?}");
}

#[test]
fn garbage_is_not_a_component() {
    let engine = engine();
    let err = engine.load_templates("garbage", b"\0asm not really").err().unwrap();
    assert!(matches!(err, LoadError::Invalid { .. }), "{err:?}");
    let err = engine.load_templates("empty", b"").err().unwrap();
    assert!(err.to_string().contains("is not a valid WebAssembly component"), "{err}");
}

#[test]
fn components_are_compiled_once_per_process() {
    let engine = engine();
    let a = engine.default_templates().unwrap();
    let b = engine.load_templates("same bytes, other name", wasmlive::guests::TEMPLATES).unwrap();
    engine.default_vdom().unwrap();
    assert_eq!(engine.compiled_components(), 2);
    assert_eq!((a.name(), b.name()), ("guest-templates", "same bytes, other name"));
}

#[tokio::test]
async fn pooling_allocator_runs_the_same_guests() {
    let config = EngineConfig {
        allocator: wasmlive::engine_host::Allocator::Pooling { max_instances: 8 },
        ..EngineConfig::default()
    };
    let engine = GuestEngine::new(config).unwrap();
    let mut t = engine.default_templates().unwrap().instance(services(), limits());
    t.add_template("t", "{{ a }}").await.unwrap();
    assert_eq!(t.render("t", r#"{"a": 1}"#).await.unwrap(), "1");
}

/// The equivalent of `wasm-tools component wit` on the embedded components:
/// each implements exactly its world of `wit/`, exporting every function and
/// importing nothing the host does not provide.
#[test]
fn embedded_components_implement_the_worlds_in_wit() {
    use wasmlive::engine_host::World;
    let engine = engine();
    for (bytes, world) in [
        (wasmlive::guests::TEMPLATES, World::TemplateEngine),
        (wasmlive::guests::VDOM, World::VdomEngine),
    ] {
        let info = engine.inspect(world.name(), bytes).unwrap();
        assert_eq!(info.worlds, vec![world], "{info:?}");
        let (interface, functions) = world.required_export();
        let expected_export = format!("{interface}@{}", wasmlive::engine_host::PACKAGE_VERSION);
        let exported: Vec<&str> = info.exports.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(exported, [expected_export.as_str()]);
        for f in functions {
            assert!(info.exports[0].1.iter().any(|g| g == f), "{world:?} lacks {f}: {info:?}");
        }
        for import in &info.imports {
            let base = import.split('@').next().unwrap();
            assert!(world.provided_imports().contains(&base), "{world:?} imports {import}");
        }
    }
}

/// When the host cannot create another instance (here: a pool of one), the
/// caller gets an `instantiation` fault and the instance that exists works on.
#[tokio::test]
async fn running_out_of_instance_slots_is_an_instantiation_fault() {
    let config = EngineConfig {
        allocator: wasmlive::engine_host::Allocator::Pooling { max_instances: 1 },
        ..EngineConfig::default()
    };
    let engine = GuestEngine::new(config).unwrap();
    let templates = engine.default_templates().unwrap();
    let mut first = templates.instance(services(), limits());
    first.add_template("t", "{{ a }}").await.unwrap();
    let mut second = templates.instance(services(), limits());
    let err = second.add_template("t", "{{ a }}").await.unwrap_err();
    assert!(matches!(err, RenderError::Fault(ref f) if f.kind == FaultKind::Instantiation), "{err:?}");
    assert_eq!(first.render("t", r#"{"a": 2}"#).await.unwrap(), "2");
    drop(first);
    second.add_template("t", "{{ a }}").await.unwrap();
    assert_eq!(second.render("t", r#"{"a": 3}"#).await.unwrap(), "3");
}

/// A view's template and VDOM instances share one store. A fault in one
/// drops the store; the other is rebuilt from what the host kept and goes on
/// as if nothing happened.
#[tokio::test]
async fn instances_sharing_a_store_recover_together_from_a_neighbours_fault() {
    use wasmlive::engine_host::GuestStore;
    let engine = engine();
    let store = GuestStore::new(&engine, services(), limits());
    let mut t = engine.load_templates("faulty", wasmlive_fixtures::FAULTY).unwrap().instance_in(&store);
    let mut v = engine.default_vdom().unwrap().instance_in(&store);
    t.add_template("t", "<p>a</p>").await.unwrap();
    v.reset(&t.render("t", "{}").await.unwrap()).await.unwrap();

    let err = t.render("t", r#"{"fault":"panic"}"#).await.unwrap_err();
    assert!(matches!(err, RenderError::Fault(ref f) if f.kind == FaultKind::Trap), "{err:?}");
    // The VDOM instance died with the store; it rebuilds its tree from the last good HTML.
    assert_eq!(v.diff("<p>b</p>").await.unwrap(), vec![Patch::SetText { path: vec![0, 0], text: "b".into() }]);
    assert_eq!(t.render("t", "{}").await.unwrap(), "<p>a</p>");
    assert_eq!((t.faults(), v.faults()), (1, 0), "only the guest that failed counts a fault");
}

/// Both VDOM guests — the default lean parser and the html5ever build —
/// build the browser's tree: here the implied `<tbody>` and fostered text.
#[tokio::test]
async fn both_vdom_parsers_build_the_browsers_table() {
    let engine = engine();
    let html5 = engine.load_vdom("vdom-html5ever", wasmlive_fixtures::VDOM_HTML5EVER).unwrap();
    let mut browserlike = html5.instance(services(), limits());
    let mut lean = engine.default_vdom().unwrap().instance(services(), limits());
    for v in [&mut browserlike, &mut lean] {
        v.reset("<table>x<tr><td>a</td></tr></table>").await.unwrap();
        assert_eq!(v.to_html().await.unwrap(), "x<table><tbody><tr><td>a</td></tr></tbody></table>");
    }
    // Both diff keyed lists with moves.
    for v in [&mut browserlike, &mut lean] {
        v.reset("<ul><li data-key=1>a</li><li data-key=2>b</li></ul>").await.unwrap();
        let patches = v.diff("<ul><li data-key=2>b</li><li data-key=1>a</li></ul>").await.unwrap();
        assert_eq!(patches, vec![Patch::MoveChild { parent: vec![0], from: 1, to: 0, count: 1 }]);
    }
}

/// Random markup through the real guests (both parsers): no trap, no fault.
/// The deadline is generous: this is about correctness, and a loaded CI
/// machine (tests run in parallel) must not turn it into a timing test.
#[tokio::test]
async fn random_markup_never_traps_the_vdom_guests() {
    const SOUP: &[&str] = &[
        "<", ">", "</", "/>", "<p>", "<table>", "<tr>", "<td>", "<li data-key=1>", "<li data-key=2>", "<select>",
        "<option>", "<svg>", "<math>", "<template>", "<script>", "</script>", "<textarea>", "<!--", "-->", "&",
        "&amp;", "&#", "x", "é", "\"", "'", "=", " ", "\n", "<b>", "</b>", "<i>", "</p>", "<div @click=\"a\">", "\0",
    ];
    let engine = engine();
    let mut seed: u64 = 0x5eed;
    let mut next = move |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    for vdom in [
        engine.default_vdom().unwrap(),
        engine.load_vdom("html5ever", wasmlive_fixtures::VDOM_HTML5EVER).unwrap(),
    ] {
        let mut v = vdom.instance(services(), GuestLimits { deadline: Duration::from_secs(10), ..limits() });
        // Deep nesting stays within the guest's stack (trees are capped at
        // Chromium's depth, 512).
        for deep in ["<div>".repeat(5_000), "<b><i><p>".repeat(2_000), "<table><td>".repeat(2_000)] {
            v.diff(&deep).await.unwrap_or_else(|f| panic!("{f} on deep nesting"));
        }
        for _ in 0..400 {
            let html: String = (0..next(200)).map(|_| SOUP[next(SOUP.len())]).collect();
            v.diff(&html).await.unwrap_or_else(|f| panic!("{f} on {html:?}"));
        }
        assert_eq!(v.faults(), 0);
    }
}
