//! The sandbox's promises, against real misbehaving guests (`tests/guests/`):
//! a second engine swapped in for one view, every fault contained and
//! typed, malformed patches refused, per-engine limits, quarantine of a
//! guest that keeps faulting, and deny-all WASI for guests that import it.

mod common;

use common::{limits, obj, services};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmlive::actors::{ActorConfig, ActorSupervisor, Delivery, Engines, Event, MountRequest, TemplateSource};
use wasmlive::engine_host::{
    EngineConfig, FaultKind, GuestEngine, GuestLimits, Patch, QuarantinePolicy, RenderError,
    TemplateErrorKind, World,
};


fn fault_kind(result: Result<String, RenderError>) -> FaultKind {
    match result {
        Err(RenderError::Fault(f)) => f.kind,
        other => panic!("expected a fault, got {other:?}"),
    }
}

#[tokio::test]
async fn a_second_template_engine_serves_one_view_beside_the_default_in_one_session() {
    let supervisor = ActorSupervisor::start(ActorConfig::default()).unwrap();
    let mustache = supervisor.engine().load_templates("mustache", wasmlive_fixtures::MUSTACHE).unwrap();
    let (_, vdom) = supervisor.default_engines();
    let session = supervisor.get_or_create_session("two-engines");
    let django = session
        .mount(MountRequest::new("django", TemplateSource::Inline("<p>{{ who|upper }}</p>".into())).params(obj(json!({"who": "ann"}))), Delivery::Wait)
        .await
        .unwrap()
        .await
        .unwrap();
    let list = "<ul>{{#items}}<li>{{name}}</li>{{/items}}{{^items}}<li>none</li>{{/items}}</ul>";
    let other = session
        .mount(
            MountRequest::new("mustache", TemplateSource::Inline(list.into()))
                .engines(Engines { templates: mustache, vdom })
                .params(obj(json!({"items": []}))),
            Delivery::Wait,
        )
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(django.html, "<p>ANN</p>");
    assert_eq!(other.html, "<ul><li>none</li></ul>");

    let set = Event::new("set", obj(json!({"items": [{"name": "<a>"}, {"name": "b"}]})));
    let r = other.view.event(set, Delivery::Wait).await.unwrap().await.unwrap();
    assert!(!r.patches.unwrap().is_empty());
    let html = |id: String| {
        let session = session.clone();
        async move { session.view(Some(&id), Delivery::Wait).await.unwrap().await.unwrap().render(Delivery::Wait).await.unwrap().await.unwrap().html.unwrap() }
    };
    assert_eq!(html(other.view_id.clone()).await, "<ul><li>&lt;a&gt;</li><li>b</li></ul>");
    let r = django.view.event(Event::new("set", obj(json!({"who": "bo"}))), Delivery::Wait).await.unwrap().await.unwrap();
    assert_eq!(r.patches.unwrap(), vec![Patch::SetText { path: vec![0, 0], text: "BO".into() }]);
    assert_eq!(html(django.view_id.clone()).await, "<p>BO</p>");
    // One compiled component per engine, however many views use it.
    assert_eq!(supervisor.engine().compiled_components(), 3);
    supervisor.shutdown_all().await;
}

#[tokio::test]
async fn the_second_engines_errors_are_typed_and_located() {
    let engine = GuestEngine::new(EngineConfig::default()).unwrap();
    let mut t = engine.load_templates("mustache", wasmlive_fixtures::MUSTACHE).unwrap().instance(services(), limits());
    let err = t.add_template("page.html", "<ul>\n  {{#items}}<li>").await.unwrap_err();
    match err {
        RenderError::Template(e) => {
            assert_eq!((e.kind, e.template.as_str(), e.line, e.column), (TemplateErrorKind::Syntax, "page.html", 2, 3));
            assert!(e.message.contains("unclosed section `items`"), "{}", e.message);
        }
        other => panic!("expected a template error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_hundred_megabytes_of_output_is_refused_and_the_next_call_works() {
    let engine = GuestEngine::new(EngineConfig::default()).unwrap();
    let faulty = engine.load_templates("faulty", wasmlive_fixtures::FAULTY).unwrap();
    // Under the default memory cap the guest cannot even build it...
    let mut t = faulty.instance(services(), limits());
    t.add_template("t", "ok").await.unwrap();
    assert_eq!(fault_kind(t.render("t", r#"{"fault":"flood"}"#).await), FaultKind::MemoryLimit);
    assert_eq!(t.render("t", "{}").await.unwrap(), "ok");
    // ...and with room to build it, the output cap refuses it.
    let roomy = faulty.with_limits(GuestLimits {
        memory_bytes: 256 << 20,
        output_bytes: 1 << 20,
        deadline: Duration::from_secs(10),
    });
    let mut t = roomy.instance(services(), limits());
    t.add_template("t", "ok").await.unwrap();
    match t.render("t", r#"{"fault":"flood"}"#).await {
        Err(RenderError::Fault(f)) => {
            assert_eq!(f.kind, FaultKind::InvalidOutput);
            assert!(f.message.contains("104857600"), "{}", f.message);
        }
        other => panic!("expected invalid output, got {other:?}"),
    }
    assert_eq!(t.render("t", "{}").await.unwrap(), "ok");
}

#[tokio::test]
async fn an_engines_own_limits_win_over_the_views() {
    let engine = GuestEngine::new(EngineConfig::default()).unwrap();
    let faulty = engine.load_templates("faulty", wasmlive_fixtures::FAULTY).unwrap();
    let strict = faulty.with_limits(GuestLimits {
        deadline: Duration::from_millis(50),
        memory_bytes: 24 << 20,
        ..limits()
    });
    assert_eq!(strict.limits().unwrap().deadline, Duration::from_millis(50));
    let generous_view = GuestLimits {
        deadline: Duration::from_secs(30),
        memory_bytes: 1 << 30,
        ..limits()
    };
    let mut t = strict.instance(services(), generous_view);
    t.add_template("t", "ok").await.unwrap();
    match t.render("t", r#"{"fault":"loop"}"#).await {
        Err(RenderError::Fault(f)) => assert!(f.message.contains("50ms"), "{}", f.message),
        other => panic!("expected a deadline fault, got {other:?}"),
    }
    // The memory cap on its own engine: growing 24 MiB on a busy machine
    // can take longer than the 50 ms deadline above, which would win.
    let capped = faulty.with_limits(GuestLimits { deadline: Duration::from_secs(10), memory_bytes: 24 << 20, ..limits() });
    let mut t = capped.instance(services(), generous_view);
    t.add_template("t", "ok").await.unwrap();
    match t.render("t", r#"{"fault":"grow"}"#).await {
        Err(RenderError::Fault(f)) => {
            assert_eq!(f.kind, FaultKind::MemoryLimit, "{}", f.message);
            assert!(f.message.contains(&(24u64 << 20).to_string()), "{}", f.message);
        }
        other => panic!("expected a memory fault, got {other:?}"),
    }
    // The same component without the override runs under the view's limits.
    assert_eq!(faulty.limits(), None);
    assert_eq!(engine.compiled_components(), 1);
}

#[tokio::test]
async fn malformed_patches_are_invalid_output_and_the_last_good_tree_stays() {
    // Four faults in a row: quarantines off, so each one runs.
    let engine = GuestEngine::new(EngineConfig {
        quarantine: QuarantinePolicy { after_faults: 0, ..QuarantinePolicy::default() },
        ..EngineConfig::default()
    })
    .unwrap();
    let vdom = engine.load_vdom("faulty-vdom", wasmlive_fixtures::FAULTY_VDOM).unwrap();
    let mut v = vdom.instance(services(), limits());
    v.reset("<p>a</p>").await.unwrap();
    for (marker, expected) in [
        ("bad-attribute", "attribute name"),
        ("zero-count", "count of 0"),
        ("deep-path", "100000 levels deep"),
    ] {
        let err = v.diff(&format!("<p>fault:{marker}</p>")).await.unwrap_err();
        assert_eq!(err.kind, FaultKind::InvalidOutput, "{marker}");
        assert!(err.message.contains(expected), "{marker}: {}", err.message);
        assert_eq!(v.html(), "<p>a</p>");
    }
    let err = v.diff("<p>fault:panic</p>").await.unwrap_err();
    assert_eq!((err.kind, err.message.contains("deliberate vdom panic")), (FaultKind::Trap, true), "{err:?}");
    // The guest's source location goes to the log, not into the fault a client may see.
    assert!(err.message.starts_with("the guest panicked: ") && !err.message.contains(".rs:"), "{err:?}");
    // This engine sends the whole root instead of fine-grained patches.
    let patches = v.diff("<p>b</p>").await.unwrap();
    assert_eq!(patches, vec![Patch::ReplaceNode { path: vec![0], html: "<p>b</p>".into() }]);
    assert_eq!(v.faults(), 4);
}

fn quarantining_engine() -> GuestEngine {
    GuestEngine::new(EngineConfig {
        quarantine: QuarantinePolicy {
            after_faults: 3,
            first: Duration::from_millis(300),
            longest: Duration::from_secs(5),
        },
        ..EngineConfig::default()
    })
    .unwrap()
}

#[tokio::test]
async fn a_view_that_keeps_faulting_is_quarantined_then_tried_again() {
    let engine = quarantining_engine();
    let faulty = engine.load_templates("faulty", wasmlive_fixtures::FAULTY).unwrap();
    let mut bad = faulty.instance(services(), limits());
    let mut neighbour = faulty.instance(services(), limits());
    bad.add_template("t", "ok").await.unwrap();
    neighbour.add_template("t", "ok").await.unwrap();
    for _ in 0..3 {
        assert_eq!(fault_kind(bad.render("t", r#"{"fault":"panic"}"#).await), FaultKind::Trap);
    }
    // Refused without running: no new instance, no fault counted.
    let faults = bad.faults();
    match bad.render("t", "{}").await {
        Err(RenderError::Fault(f)) => {
            assert_eq!(f.kind, FaultKind::Quarantined);
            assert!(f.message.contains("3 faults in a row"), "{}", f.message);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(bad.faults(), faults);
    // Another view of the same engine is not affected.
    assert_eq!(neighbour.render("t", "{}").await.unwrap(), "ok");
    // After the quarantine a trial call runs; its success ends the quarantine.
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(bad.render("t", "{}").await.unwrap(), "ok");
    assert_eq!(fault_kind(bad.render("t", r#"{"fault":"panic"}"#).await), FaultKind::Trap);
    assert_eq!(bad.render("t", "{}").await.unwrap(), "ok");
}

#[tokio::test]
async fn an_engine_whose_instances_cannot_start_is_quarantined_for_every_view() {
    let engine = quarantining_engine();
    // Limits too tight for the guest's initial memory: every start-up fails.
    let broken = engine
        .default_templates()
        .unwrap()
        .with_limits(GuestLimits { memory_bytes: 64 << 10, ..limits() });
    for _ in 0..3 {
        let mut t = broken.instance(services(), limits());
        match t.add_template("t", "ok").await {
            Err(RenderError::Fault(f)) => assert_eq!(f.kind, FaultKind::MemoryLimit, "{f:?}"),
            other => panic!("expected a start-up fault, got {other:?}"),
        }
    }
    let mut t = broken.instance(services(), limits());
    match t.add_template("t", "ok").await {
        Err(RenderError::Fault(f)) => {
            assert_eq!(f.kind, FaultKind::Quarantined);
            assert!(f.message.contains("failed to start"), "{}", f.message);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // The component itself, under sane limits, is untouched.
    let mut fine = engine.default_templates().unwrap().instance(services(), limits());
    fine.add_template("t", "{{ 1|add:1 }}").await.unwrap();
    assert_eq!(fine.render("t", "{}").await.unwrap(), "2");
}

#[tokio::test]
async fn quarantine_refusals_reach_the_caller_and_are_counted_apart_from_restarts() {
    let supervisor = ActorSupervisor::start(ActorConfig {
        engine: EngineConfig {
            quarantine: QuarantinePolicy {
                after_faults: 2,
                first: Duration::from_secs(60),
                longest: Duration::from_secs(60),
            },
            ..EngineConfig::default()
        },
        ..ActorConfig::default()
    })
    .unwrap();
    let faulty = supervisor.engine().load_templates("faulty", wasmlive_fixtures::FAULTY).unwrap();
    let (_, vdom) = supervisor.default_engines();
    let session = supervisor.get_or_create_session("q");
    let view = session
        .mount(
            MountRequest::new("faulty", TemplateSource::Inline("<p>fine</p>".into()))
                .engines(Engines { templates: faulty, vdom }),
            Delivery::Wait,
        )
        .await
        .unwrap()
        .await
        .unwrap()
        .view_id;
    for _ in 0..2 {
        let err = session.view(Some(&view), Delivery::Wait).await.unwrap().await.unwrap().event(Event::new("x", obj(json!({"fault": "panic"}))), Delivery::Wait).await.unwrap().await.unwrap_err();
        assert_eq!(err.fault_kind(), Some(FaultKind::Trap));
    }
    let err = session.view(Some(&view), Delivery::Wait).await.unwrap().await.unwrap().event(Event::new("x", obj(json!({"fault": "none"}))), Delivery::Wait).await.unwrap().await.unwrap_err();
    assert_eq!(err.fault_kind(), Some(FaultKind::Quarantined), "{err:?}");
    let stats = supervisor.stats();
    assert_eq!((stats.guest_restarts, stats.guest_refusals), (2, 1));
    supervisor.shutdown_all().await;
}

/// A `tracing` writer keeping what is logged, for the WASI output tests.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_wasi_guest_gets_nothing_and_its_output_goes_to_the_logs_capped() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let engine = GuestEngine::new(EngineConfig::default()).unwrap();
    let info = engine.inspect("wasi-probe", wasmlive_fixtures::WASI_PROBE).unwrap();
    assert!(info.imports.iter().any(|i| i.starts_with("wasi:filesystem/preopens@0.2")), "{:?}", info.imports);
    assert_eq!(info.worlds, vec![World::TemplateEngine]);

    let mut t = engine.load_templates("wasi-probe", wasmlive_fixtures::WASI_PROBE).unwrap().instance(services(), limits());
    t.add_template("t", "").await.unwrap();
    // A file the host can read, with a secret in it.
    let secret = std::env::temp_dir().join(format!("wasmlive-secret-{}", std::process::id()));
    std::fs::write(&secret, "the host's secret").unwrap();
    let asked = format!(r#"{{"read":"{}"}}"#, secret.display());
    let report = t.render("t", &asked).await.unwrap();
    std::fs::remove_file(&secret).unwrap();
    assert!(report.contains("read=no preopened directory holds it\n"), "{report}");
    assert!(!report.contains("secret"), "{report}");
    let report = t.render("t", "{}").await.unwrap();
    let expected = "preopens=\nread=-\nenvironment=0\narguments=0\ninitial-cwd=None\nwall-clock=0\nmonotonic-clock=0\ntcp-socket=access-denied\n";
    assert_eq!(report, expected);
    let logged = captured.text();
    assert!(logged.contains("hello from the guest's stdout") && logged.contains("stream=\"stdout\""), "{logged}");
    assert!(logged.contains("hello from the guest's stderr"), "{logged}");

    // A megabyte to stdout: the call succeeds, the logs keep only the budget.
    let before = logged.len();
    assert_eq!(t.render("t", r#"{"flood":true}"#).await.unwrap(), expected);
    let logged = captured.text();
    assert!(logged.contains("the rest is dropped"), "{}", &logged[before..before + 300]);
    assert!(logged.len() - before < 200 << 10, "{} bytes logged", logged.len() - before);
}

#[tokio::test]
async fn a_wasi_vdom_world_import_is_not_a_template_world_import() {
    // The forbidden fixture's import stays refused even now that WASI is granted.
    let engine = GuestEngine::new(EngineConfig::default()).unwrap();
    let err = engine.load_templates("forbidden", wasmlive_fixtures::FORBIDDEN_IMPORT).err().expect("refused");
    let message = err.to_string();
    assert!(message.contains("wasmlive:fixtures/secrets") && message.contains("WASI 0.2 (deny-all)"), "{message}");
}
