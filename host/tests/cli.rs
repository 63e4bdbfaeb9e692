//! The `wasmlive` binary, run as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn wasmlive(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasmlive"))
        .args(args)
        .current_dir(workspace())
        .stdin(Stdio::null())
        .output()
        .expect("run wasmlive")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wasmlive-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn render_prints_the_example() {
    let out = wasmlive(&["render", "examples/hello/page.html", "--context", "examples/hello/context.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = stdout(&out);
    assert!(html.contains("<h1>Hello, Ada &lt;admin&gt;!</h1>"), "{html}");
    assert!(html.contains("<li class=\"first\">Tea: 3.5</li>"), "{html}");
    assert!(html.contains("<p>No note.</p>"), "{html}");
}

#[test]
fn render_reads_the_context_from_stdin() {
    let dir = temp_dir("stdin");
    std::fs::write(dir.join("t.html"), "[{{ x }}]").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmlive"))
        .args(["render", dir.join("t.html").to_str().unwrap(), "--context", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(br#"{"x": "<y>"}"#).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), "[&lt;y&gt;]");
}

#[test]
fn render_errors_name_file_line_and_column() {
    let dir = temp_dir("errors");
    let template = dir.join("bad.html");
    std::fs::write(&template, "line one\n  {{ x|nosuchfilter }}").unwrap();
    let out = wasmlive(&["render", template.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).trim(), format!("{}:2:3: Invalid filter: 'nosuchfilter'", template.display()));
}

#[test]
fn render_rejects_a_context_that_is_not_an_object() {
    let dir = temp_dir("context");
    std::fs::write(dir.join("t.html"), "x").unwrap();
    std::fs::write(dir.join("c.json"), "[1, 2]").unwrap();
    let out = wasmlive(&["render", dir.join("t.html").to_str().unwrap(), "-c", dir.join("c.json").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("the context must be a JSON object, not an array"), "{}", stderr(&out));
}

#[test]
fn missing_files_are_reported_not_panicked_on() {
    let out = wasmlive(&["render", "no/such/template.html"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: cannot read no/such/template.html"), "{}", stderr(&out));
    let out = wasmlive(&["diff", "examples/hello/before.html", "no-such.html"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no-such.html"), "{}", stderr(&out));
}

#[test]
fn a_component_that_is_not_a_template_engine_is_refused() {
    let dir = temp_dir("engine");
    let vdom = dir.join("vdom.wasm");
    std::fs::write(&vdom, wasmlive::guests::VDOM).unwrap();
    std::fs::write(dir.join("t.html"), "x").unwrap();
    let out = wasmlive(&["render", dir.join("t.html").to_str().unwrap(), "--engine", vdom.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("does not implement the template-engine world"), "{}", stderr(&out));
}

#[test]
fn diff_prints_patches_readably_and_as_json() {
    let out = wasmlive(&["diff", "examples/hello/before.html", "examples/hello/after.html"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(
        lines,
        [
            "set-text /0/0/0 \"Count: 2\"",
            "insert-child /0/1[1] <li>Scones</li>",
            "set-attribute /0/2 class=\"inc busy\"",
        ]
    );
    let out = wasmlive(&["diff", "examples/hello/before.html", "examples/hello/after.html", "--json"]);
    let patches: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(patches.as_array().unwrap().len(), 3);
    assert_eq!(patches[1]["op"], "insert-child");
    assert_eq!(patches[1]["parent"], serde_json::json!([0, 1]));

    let same = wasmlive(&["diff", "examples/hello/before.html", "examples/hello/before.html"]);
    assert_eq!(stdout(&same).trim(), "no changes");
}

#[test]
fn bad_arguments_are_a_usage_error() {
    let out = wasmlive(&["render"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("Usage"), "{}", stderr(&out));
    let out = wasmlive(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bench_prints_every_figure_as_json() {
    let out = wasmlive(&["bench", "--sessions", "20", "--events", "50", "--json", "--worker-threads", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let figures: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["round_trip_us", "single_actor_events_per_s", "concurrent_events_per_s", "mount_p50_us", "mount_p99_us"] {
        let value = figures[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {figures}"));
        assert!(value > 0.0, "{key} = {value}");
    }
    // Over 20 sessions the memory figures can round to zero; they must be there.
    for key in ["rss_per_session_bytes", "pss_per_session_bytes"] {
        assert!(figures[key].is_u64(), "{key} missing in {figures}");
    }
    assert_eq!(figures["sessions"], 20);
    assert_eq!(figures["worker_threads"], 2, "--worker-threads 2 was asked for");
    assert!(figures["mount_p99_us"].as_f64() >= figures["mount_p50_us"].as_f64());
    assert!(stderr(&out).contains("running: memory per session"), "{}", stderr(&out));
}

#[test]
fn bench_rejects_zero_work() {
    let out = wasmlive(&["bench", "--sessions", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--sessions and --events must be at least 1"), "{}", stderr(&out));
    let out = wasmlive(&["bench", "--events", "many"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn runtime_flags_out_of_range_are_a_usage_error() {
    for flags in [["--worker-threads", "0"], ["--worker-spin-us", "100001"], ["--worker-spin-us", "-5"]] {
        let out = wasmlive(&["bench", flags[0], flags[1]]);
        assert_eq!(out.status.code(), Some(2), "{flags:?}");
        assert!(stderr(&out).contains(flags[1]), "{}", stderr(&out));
    }
}

#[test]
fn check_reports_every_error_located_and_fails() {
    let dir = temp_dir("check");
    std::fs::create_dir_all(dir.join("sub/.hidden")).unwrap();
    std::fs::write(dir.join("a.html"), "{% if x %}\n  {% frob %}{% endif %}").unwrap();
    std::fs::write(dir.join("sub/b.html"), "{% extends 'base.html' %}{% block a %}{{ ok|upper }}{% endblock %}").unwrap();
    std::fs::write(dir.join("sub/c.txt"), "x\n{{ a|nope }}").unwrap();
    std::fs::write(dir.join("sub/notes.md"), "{% not a template %}").unwrap();
    std::fs::write(dir.join("sub/.hidden/d.html"), "{% bad %}").unwrap();
    std::fs::write(dir.join("latin1.html"), b"caf\xe9").unwrap();
    let out = wasmlive(&["check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(|l| l.replace(dir.to_str().unwrap(), "DIR")).collect();
    assert_eq!(
        lines,
        [
            "DIR/a.html:2:3: Invalid block tag on line 2: 'frob', expected 'elif', 'else' or 'endif'. Did you forget to register or load this tag?",
            "DIR/latin1.html:0:0: not UTF-8 text",
            "DIR/sub/c.txt:2:1: Invalid filter: 'nope'",
        ]
    );
    assert!(stderr(&out).contains("checked 4 templates: 3 errors"), "{}", stderr(&out));

    // Clean templates pass; a file named directly is checked whatever its extension.
    let out = wasmlive(&["check", dir.join("sub/b.html").to_str().unwrap(), "--ext", "md", dir.join("sub").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("notes.md:1:1: Invalid block tag on line 1: 'not'"), "{}", stdout(&out));
    let out = wasmlive(&["check", dir.join("sub/b.html").to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("checked 1 template: no errors"), "{}", stderr(&out));

    let out = wasmlive(&["check", dir.join("missing").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
}

#[test]
fn inspect_names_the_world_and_what_the_host_refuses() {
    let dir = temp_dir("inspect");
    let templates = dir.join("templates.wasm");
    std::fs::write(&templates, wasmlive::guests::TEMPLATES).unwrap();
    let out = wasmlive(&["inspect", templates.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("implements: template-engine"), "{text}");
    assert!(text.contains("  wasmlive:engine/django@0.1.0"), "{text}");
    assert!(text.contains("    [static]template.compile"), "{text}");
    assert!(text.contains("as vdom-engine:\n  refused:"), "{text}");
    assert!(text.contains("  import not provided: wasmlive:engine/loader@0.1.0"), "{text}");

    let forbidden = dir.join("forbidden.wasm");
    std::fs::write(&forbidden, wasmlive_fixtures::FORBIDDEN_IMPORT).unwrap();
    let out = wasmlive(&["inspect", forbidden.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["implements"], serde_json::json!([]));
    assert_eq!(json["worlds"]["template-engine"]["refused_imports"], serde_json::json!(["wasmlive:fixtures/secrets"]));
    assert!(json["worlds"]["template-engine"]["problem"].as_str().unwrap().contains("wasmlive:fixtures/secrets"));

    let core = dir.join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let out = wasmlive(&["inspect", core.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("core WebAssembly module"), "{}", stderr(&out));
    let junk = dir.join("junk.wasm");
    std::fs::write(&junk, b"hello").unwrap();
    let out = wasmlive(&["inspect", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: `"), "{}", stderr(&out));
    assert!(stderr(&out).contains("is not WebAssembly"), "{}", stderr(&out));
    // A README is one line of error, not a dump of byte arrays.
    let out = wasmlive(&["inspect", "README.md"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("`README.md` is not WebAssembly"), "{}", stderr(&out));
    // Bytes that start like WebAssembly but break later: still one line.
    std::fs::write(&junk, b"\0asm\x0d\0\x01\0garbage").unwrap();
    let out = wasmlive(&["inspect", junk.to_str().unwrap()]);
    assert_eq!((out.status.code(), stderr(&out).lines().count()), (Some(1), 1), "{}", stderr(&out));
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let dir = temp_dir("pipe");
    let row = |prefix: &str| format!("<ul>{}</ul>", (0..5000).map(|i| format!("<li>{prefix}{i}</li>")).collect::<String>());
    std::fs::write(dir.join("a.html"), row("")).unwrap();
    std::fs::write(dir.join("b.html"), row("x")).unwrap();
    // `wasmlive diff a b | head -1`: the reader goes after one line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmlive"))
        .args(["diff", dir.join("a.html").to_str().unwrap(), dir.join("b.html").to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked") && !err.contains("backtrace") && err.is_empty(), "{err}");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(13), "ended by SIGPIPE, as `head` expects: {:?}", out.status);
}

#[test]
fn bench_draws_a_progress_bar_on_a_terminal() {
    // `script` runs the command on a pseudo-terminal, as a user's shell would.
    let bin = env!("CARGO_BIN_EXE_wasmlive");
    let out = Command::new("script")
        .args(["-qec", &format!("{bin} bench --sessions 5 --events 20"), "/dev/null"])
        .current_dir(workspace())
        .stdin(Stdio::null())
        .output()
        .expect("run script");
    assert!(out.status.success(), "{}", stderr(&out));
    let screen = stdout(&out);
    assert!(screen.contains("5/5 memory per session") && screen.contains("] done"), "{screen}");
    assert!(screen.contains("[######") && screen.contains("| single actor |"), "{screen}");
    assert!(!screen.contains("running:"), "no plain lines on a terminal: {screen}");
}

#[test]
fn render_and_diff_swap_in_another_engine_under_the_limits_given() {
    let dir = temp_dir("engine");
    let mustache = dir.join("mustache.wasm");
    let faulty = dir.join("faulty.wasm");
    let full_html = dir.join("faulty-vdom.wasm");
    std::fs::write(&mustache, wasmlive_fixtures::MUSTACHE).unwrap();
    std::fs::write(&faulty, wasmlive_fixtures::FAULTY).unwrap();
    std::fs::write(&full_html, wasmlive_fixtures::FAULTY_VDOM).unwrap();
    std::fs::write(dir.join("t.html"), "{{#xs}}<i>{{.}}</i>{{/xs}}").unwrap();
    std::fs::write(dir.join("ctx.json"), r#"{"xs":["a","<b>"],"fault":"loop"}"#).unwrap();
    let (t, ctx) = (dir.join("t.html"), dir.join("ctx.json"));
    let (t, ctx) = (t.to_str().unwrap(), ctx.to_str().unwrap());

    let out = wasmlive(&["render", t, "--context", ctx, "--engine", mustache.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "<i>a</i><i>&lt;b&gt;</i>");

    // The faulty engine loops on this context: the deadline given stops it.
    let out = wasmlive(&["render", t, "--context", ctx, "--engine", faulty.to_str().unwrap(), "--guest-deadline", "0.05"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("deadline exceeded") && stderr(&out).contains("50ms"), "{}", stderr(&out));
    let out = wasmlive(&["render", t, "--context", ctx, "--engine", mustache.to_str().unwrap(), "--guest-output", "8"]);
    assert!(stderr(&out).contains("over the 8-byte output limit"), "{}", stderr(&out));

    std::fs::write(dir.join("old.html"), "<p>a</p>").unwrap();
    std::fs::write(dir.join("new.html"), "<p>b</p>").unwrap();
    let (old, new) = (dir.join("old.html"), dir.join("new.html"));
    let out = wasmlive(&["diff", old.to_str().unwrap(), new.to_str().unwrap(), "--json", "--engine", full_html.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(r#""op":"replace-node""#), "{}", stdout(&out));

    for bad in ["--guest-deadline=-1", "--guest-memory=0", "--guest-output=lots"] {
        let out = wasmlive(&["render", t, bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let flag = bad.split('=').next().unwrap();
        assert!(stderr(&out).contains(flag), "{}", stderr(&out));
    }
}

#[test]
fn inspect_marks_wasi_imports_as_linked_deny_all() {
    let dir = temp_dir("wasi");
    let probe = dir.join("wasi-probe.wasm");
    std::fs::write(&probe, wasmlive_fixtures::WASI_PROBE).unwrap();
    let out = wasmlive(&["inspect", probe.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("implements: template-engine"), "{text}");
    assert!(text.contains("wasi:filesystem/preopens@0.2.12  (WASI: linked deny-all)"), "{text}");
    let out = wasmlive(&["inspect", probe.to_str().unwrap(), "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["wasi_imports"].as_array().unwrap().iter().any(|i| i == "wasi:cli/environment@0.2.12"), "{json}");
}
