//! Differential test: every case of `tests/templates/cases.py` rendered by
//! the real Django (run from the project's virtualenv) and by this engine,
//! natively. Outputs must be byte-identical; where Django fails to compile
//! a template we must fail with Django's message; where it fails to render
//! we must fail too.
//!
//! `WASMLIVE_CASES=substring` runs only the matching cases.

mod support;

use guest_templates::Template;
use support::django::{assert_no_failures, check, django_cases, stub_host};

#[test]
fn renders_byte_identical_to_django() {
    let cases = django_cases();
    let mut failures = Vec::new();
    for case in &cases {
        let host = stub_host(case);
        let source = case["template"].as_str().expect("template");
        let ours = Template::compile("main.html", source)
            .and_then(|t| t.render_json(case["context"].as_str().expect("context"), &host))
            .map_err(|e| e.message);
        failures.extend(check(case, ours));
    }
    assert_no_failures(&failures, cases.len());
}
