//! The differential harness shared by the native test (guest-templates) and
//! the test through wasmtime (host): runs `tests/templates/django_render.py`
//! with the project's virtualenv and compares outputs.

use guest_templates::StubHost;
use std::path::PathBuf;
use std::process::Command;

fn workspace() -> PathBuf {
    // This file is shared by crates one level below the workspace root.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The Python with Django that `scripts/install.sh` sets up.
pub fn django_cases() -> Vec<serde_json::Value> {
    let root = workspace();
    let python = std::env::var_os("WASMLIVE_PYTHON").map(PathBuf::from).unwrap_or_else(|| root.join(".venv/bin/python"));
    assert!(python.exists(), "{} is missing: run scripts/install.sh to create the virtualenv with Django", python.display());
    let mut cmd = Command::new(&python);
    cmd.arg(root.join("tests/templates/django_render.py"));
    if let Ok(only) = std::env::var("WASMLIVE_CASES") {
        cmd.arg(only);
    }
    let out = cmd.output().expect("run django_render.py");
    assert!(out.status.success(), "django_render.py failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let cases: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(!cases.is_empty(), "no cases ran");
    cases
}

pub fn stub_host(case: &serde_json::Value) -> StubHost {
    let mut host = StubHost::default().with_url("home", "/").with_url("item", "/items/{pk}/").with_url("pair", "/pair/{a}/{b}/");
    for (name, source) in case["templates"].as_object().expect("templates object") {
        host = host.with_template(name, source.as_str().expect("template source"));
    }
    host
}

/// Compare one case; `Some(description)` on a mismatch.
/// `ours` is the rendered text, or the error's message.
pub fn check(case: &serde_json::Value, ours: Result<String, String>) -> Option<String> {
    let name = case["name"].as_str().unwrap_or("?");
    let template = case["template"].as_str().unwrap_or("");
    match (&case["output"], &case["error"], ours) {
        (serde_json::Value::String(expected), _, Ok(got)) if *expected == got => None,
        (serde_json::Value::String(expected), _, Ok(got)) => {
            Some(format!("{name}: output differs\n  template: {template:?}\n  django:   {expected:?}\n  ours:     {got:?}"))
        }
        (serde_json::Value::String(expected), _, Err(e)) => {
            Some(format!("{name}: we failed where Django rendered\n  template: {template:?}\n  django:   {expected:?}\n  ours:     {e}"))
        }
        (_, err, Ok(got)) => Some(format!("{name}: Django failed but we rendered\n  template: {template:?}\n  django:   {err}\n  ours:     {got:?}")),
        (_, err, Err(e)) => {
            let compile = err["phase"] == "compile";
            let expected = err["message"].as_str().unwrap_or("");
            (compile && e != expected && err["type"] == "TemplateSyntaxError")
                .then(|| format!("{name}: compile error message differs\n  template: {template:?}\n  django:   {expected:?}\n  ours:     {e:?}"))
        }
    }
}

/// Fail with the first mismatches (`WASMLIVE_SHOW=n` shows more).
pub fn assert_no_failures(failures: &[String], total: usize) {
    let show = std::env::var("WASMLIVE_SHOW").ok().and_then(|s| s.parse().ok()).unwrap_or(40);
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Django:\n{}",
        failures.len(),
        total,
        failures.iter().take(show).map(String::as_str).collect::<Vec<_>>().join("\n")
    );
    eprintln!("{total} cases identical to Django");
}
