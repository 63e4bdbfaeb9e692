//! The differential test of `guest-templates/tests/django.rs`, through the
//! real component in wasmtime: every case of `tests/templates/cases.py`,
//! rendered by Django and by the embedded template guest, byte for byte.
//! The guest's host imports are answered like the native test's stub host.

#[path = "../../guest-templates/tests/support/django.rs"]
mod django;

use django::{assert_no_failures, check, django_cases, stub_host};
use guest_templates::{Host, StubHost};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmlive::engine_host::{DateTime, EngineConfig, GuestEngine, GuestLimits, HostServices, RenderError};

/// Host services answered by the current case's stub host.
struct CaseServices(Mutex<StubHost>);

impl HostServices for CaseServices {
    fn load_template(&self, name: &str) -> Result<String, String> {
        self.0.lock().unwrap().load_template(name)
    }
    fn reverse_url(&self, view_name: &str, args: &[String], kwargs: &[(String, String)]) -> Result<String, String> {
        self.0.lock().unwrap().reverse_url(view_name, args, kwargs)
    }
    fn static_url(&self, path: &str) -> Result<String, String> {
        self.0.lock().unwrap().static_url(path)
    }
    fn translate(&self, message: &str, context: Option<&str>) -> String {
        self.0.lock().unwrap().translate(message, context)
    }
    fn translate_plural(&self, singular: &str, plural: &str, count: i64, context: Option<&str>) -> String {
        self.0.lock().unwrap().translate_plural(singular, plural, count, context)
    }
    fn current_language(&self) -> String {
        self.0.lock().unwrap().current_language()
    }
    fn now(&self) -> DateTime {
        let n = self.0.lock().unwrap().now();
        DateTime {
            year: n.date.year,
            month: n.date.month,
            day: n.date.day,
            hour: n.time.hour,
            minute: n.time.minute,
            second: n.time.second,
            microsecond: n.time.microsecond,
            utc_offset_seconds: n.offset.unwrap_or(0),
            time_zone: n.tzname.unwrap_or_default(),
        }
    }
}

#[tokio::test]
async fn the_component_renders_byte_identical_to_django() {
    let cases = django_cases();
    let services = Arc::new(CaseServices(Mutex::new(StubHost::default())));
    let engine = GuestEngine::new(EngineConfig::default()).expect("engine");
    let limits = GuestLimits { memory_bytes: 64 << 20, deadline: Duration::from_secs(5), output_bytes: 4 << 20 };
    let mut instance = engine.default_templates().expect("default guest").instance(services.clone(), limits);
    let mut failures = Vec::new();
    for case in &cases {
        *services.0.lock().unwrap() = stub_host(case);
        let source = case["template"].as_str().expect("template");
        let context = case["context"].as_str().expect("context");
        let ours = match instance.add_template("main.html", source).await {
            Ok(()) => instance.render("main.html", context).await,
            Err(e) => Err(e),
        };
        let ours = ours.map_err(|e| match e {
            RenderError::Template(t) => t.message,
            other => format!("not a template error: {other}"),
        });
        failures.extend(check(case, ours));
    }
    assert_no_failures(&failures, cases.len());
}
