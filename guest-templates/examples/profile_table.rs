//! Render the benchmark's 100-row table natively in a loop, for profiling
//! the engine without wasmtime: `cargo run --release -p guest-templates --example profile_table [CALLS]`.

use guest_templates::{StubHost, Template};
use std::time::Instant;

const TEMPLATE: &str = r#"<table>{% for row in rows %}
<tr data-key="{{ row.id }}" class="{% if row.active %}on{% else %}off{% endif %}"><td>{{ row.name|upper }}</td><td>{{ row.price|floatformat:2 }}</td><td>{{ row.tags|join:", "|default:"none" }}</td></tr>{% endfor %}
</table>"#;

fn main() {
    let calls: u32 = std::env::args().nth(1).map_or(5_000, |s| s.parse().expect("CALLS"));
    let rows: Vec<String> = (0..100)
        .map(|i| {
            let tags = if i % 3 != 0 { r#"["a", "b"]"# } else { "[]" };
            format!(r#"{{"id": {i}, "name": "Item <{i}>", "price": {}, "tags": {tags}, "active": {}}}"#, f64::from(i) * 1.25_f64.max(0.0) + if i == 0 { 0.0 } else { 0.0 }, i % 2 == 0)
        })
        .collect();
    let context = format!(r#"{{"rows": [{}]}}"#, rows.join(", "));
    let template = Template::compile("table.html", TEMPLATE).expect("compiles");
    let host = StubHost::default();
    let start = Instant::now();
    let mut bytes = 0;
    for _ in 0..calls {
        bytes += template.render_json(&context, &host).expect("renders").len();
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / f64::from(calls);
    println!("{per:.1} µs per render ({bytes} bytes total)");
}
