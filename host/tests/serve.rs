//! `wasmlive serve` run as a process, driven by a real WebSocket client and
//! plain HTTP over loopback.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn serve_command(templates: &Path, views: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wasmlive"));
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--templates"])
        .arg(templates)
        .arg("--views")
        .arg(views);
    cmd
}

/// A running `wasmlive serve` on a free port, killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(templates: &Path, views: &Path) -> Server {
        Server::start_with(templates, views, &[])
    }

    fn start_with(templates: &Path, views: &Path, args: &[&str]) -> Server {
        let mut child = serve_command(templates, views)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run wasmlive serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Server { child, addr }
    }

    fn example() -> Server {
        let root = workspace().join("examples/serve");
        Server::start(&root.join("templates"), &root.join("views.json"))
    }

    async fn connect(&self) -> Client {
        self.connect_with(&[]).await.expect("connect")
    }

    /// A WebSocket with these extra handshake headers (`Origin`, `Cookie`).
    async fn connect_with(&self, headers: &[(&str, &str)]) -> Result<Client, tokio_tungstenite::tungstenite::Error> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{}/ws/live/", self.addr).into_client_request()?;
        for (name, value) in headers {
            let name: tokio_tungstenite::tungstenite::http::HeaderName = name.parse().unwrap();
            request.headers_mut().insert(name, value.parse().unwrap());
        }
        let (ws, _) = tokio_tungstenite::connect_async(request).await?;
        let mut client = Client { ws };
        let hello = client.recv().await;
        assert_eq!(hello["type"], "connected", "{hello}");
        Ok(client)
    }

    /// A raw HTTP/1.1 request; the status and the whole response text.
    fn http(&self, method: &str, path: &str, cookie: Option<&str>, body: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{cookie}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).unwrap();
        let status = out.split(' ').nth(1).unwrap().parse().unwrap();
        (status, out)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Client {
    ws: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

impl Client {
    async fn send(&mut self, frame: Value) {
        self.ws.send(Message::Text(frame.to_string().into())).await.unwrap();
    }

    async fn recv(&mut self) -> Value {
        let msg = tokio::time::timeout(Duration::from_secs(10), self.ws.next()).await.expect("a frame in time");
        match msg {
            Some(Ok(Message::Text(t))) => serde_json::from_str(&t).unwrap(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    async fn mount(&mut self, view: &str) -> Value {
        self.send(json!({"type": "mount", "view": view, "ref": 0})).await;
        let m = self.recv().await;
        assert_eq!(m["type"], "mounted", "{m}");
        m
    }
}

#[tokio::test]
async fn mount_event_patch_resync_and_reconnect() {
    let server = Server::example();
    let mut client = server.connect().await;
    let m = client.mount("greeter").await;
    assert!(m["html"].as_str().unwrap().contains("Hello, world!"), "{m}");
    let view_id = m["view_id"].as_str().unwrap().to_string();
    client.send(json!({"type": "event", "event": "set", "params": {"name": "Ada"}, "view_id": view_id, "ref": 1})).await;
    let p = client.recv().await;
    assert_eq!(p["type"], "patch");
    assert_eq!(p["ref"], 1);
    assert_eq!(p["version"], 2);
    assert_eq!(p["patches"], json!([{"op": "set-text", "path": [0, 1, 0], "text": "Hello, Ada!"}]));
    // Keyed rows: a reorder is a move.
    let items = json!([{"id": 2, "text": "second"}, {"id": 1, "text": "first"}]);
    client.send(json!({"type": "event", "event": "set", "params": {"items": items}, "view_id": view_id, "ref": 2})).await;
    let p = client.recv().await;
    assert_eq!(p["patches"][0]["op"], "move-child", "{p}");
    client.send(json!({"type": "resync", "view_id": view_id, "ref": 3})).await;
    let full = client.recv().await;
    assert_eq!(full["type"], "html_update");
    assert!(full["html"].as_str().unwrap().contains("Hello, Ada!"));
    client.send(json!({"type": "ping", "ref": 4})).await;
    assert_eq!(client.recv().await, json!({"type": "pong", "ref": 4}));
    drop(client);
    // A reconnect is a new session: it mounts afresh.
    let mut again = server.connect().await;
    let m = again.mount("greeter").await;
    assert!(m["html"].as_str().unwrap().contains("Hello, world!"));
}

#[tokio::test]
async fn bad_frames_get_errors_and_the_connection_carries_on() {
    let server = Server::example();
    let mut client = server.connect().await;
    let m = client.mount("greeter").await;
    let view_id = m["view_id"].as_str().unwrap().to_string();
    for (frame, error) in [
        ("{nope".to_string(), "ValueError"),
        ("[1]".to_string(), "ValueError"),
        (json!({"type": "teleport"}).to_string(), "ValueError"),
        (json!({"type": "mount", "view": "nope"}).to_string(), "LookupError"),
        (json!({"type": "event", "event": "_private", "view_id": view_id}).to_string(), "EventRejectedError"),
        (json!({"type": "event", "event": "set", "params": [1], "view_id": view_id}).to_string(), "InvalidParamsError"),
        (json!({"type": "event", "event": "set", "view_id": "not-a-view"}).to_string(), "ViewNotFoundError"),
    ] {
        client.ws.send(Message::Text(frame.clone().into())).await.unwrap();
        let reply = client.recv().await;
        assert_eq!(reply["type"], "error", "{frame}: {reply}");
        assert_eq!(reply["error"], error, "{frame}: {reply}");
    }
    client.send(json!({"type": "event", "event": "set", "params": {"name": "still here"}, "view_id": view_id, "ref": 9})).await;
    assert_eq!(client.recv().await["patches"][0]["text"], "Hello, still here!");
}

#[test]
fn first_paint_the_client_script_and_the_post_fallback() {
    let server = Server::example();
    let (status, page) = server.http("GET", "/", None, "");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<h1>Hello, world!</h1>") && page.contains("data-view=\"greeter\""), "{page}");
    let cookie = page
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let view_id = page.split("data-view-id=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let body = json!({"event": "set", "params": {"name": "Grace"}, "view_id": view_id, "ref": 1}).to_string();
    let (status, reply) = server.http("POST", "/", Some(&cookie), &body);
    assert_eq!(status, 200, "{reply}");
    assert!(reply.contains(r#""text":"Hello, Grace!""#), "{reply}");
    // Another browser cannot reach that view.
    let (status, reply) = server.http("POST", "/", None, &body);
    assert_eq!(status, 404, "{reply}");
    let (status, js) = server.http("GET", "/static/wasmlive/client.js", None, "");
    assert_eq!(status, 200);
    assert!(js.contains("export function applyPatches"));
    assert_eq!(server.http("GET", "/nowhere", None, "").0, 404);
    // Reloads do not pile up views: the oldest of the browser's are unmounted.
    let ids: Vec<String> = (0..10)
        .map(|_| {
            let page = server.http("GET", "/", Some(&cookie), "").1;
            page.split("data-view-id=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
        })
        .collect();
    let post = |id: &str| server.http("POST", "/", Some(&cookie), &json!({"event": "set", "params": {}, "view_id": id}).to_string()).0;
    assert_eq!(post(&ids[0]), 404);
    assert_eq!(post(&ids[9]), 200);
}

#[tokio::test]
async fn sigterm_with_clients_connected_closes_them_and_exits_cleanly() {
    let mut server = Server::example();
    let mut client = server.connect().await;
    client.mount("greeter").await;
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    // The client is told the server is going away.
    let msg = tokio::time::timeout(Duration::from_secs(10), client.ws.next()).await.expect("a close in time");
    assert!(matches!(msg, Some(Ok(Message::Close(Some(ref f)))) if u16::from(f.code) == 1001), "{msg:?}");
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

fn refused(templates: &Path, views: &Path) -> String {
    let out: Output = serve_command(templates, views).output().unwrap();
    assert!(!out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn views_files_with_errors_are_refused_with_every_problem() {
    let dir = std::env::temp_dir().join(format!("wasmlive-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let views = dir.join("views.json");
    std::fs::write(&views, r#"{"views": [{"name": "a", "route": "nope", "template": "x.html"}, {"name": "a", "route": "/", "template": "x.html"}]}"#).unwrap();
    let err = refused(&dir, &views);
    assert!(err.contains("`route` must be a path") && err.contains("already named \"a\""), "{err}");
    // A template that does not exist is found before listening.
    std::fs::write(&views, r#"{"views": [{"name": "a", "route": "/", "template": "missing.html"}]}"#).unwrap();
    assert!(refused(&dir, &views).contains("missing.html"));
    // A Python handler needs the Python package.
    std::fs::write(dir.join("t.html"), "<p>{{ x }}</p>").unwrap();
    std::fs::write(&views, r#"{"views": [{"name": "a", "route": "/", "template": "t.html", "handler": "app:View"}]}"#).unwrap();
    assert!(refused(&dir, &views).contains("has no Python"));
    // Bad arguments: one clear line.
    let err = refused(&dir.join("not-a-dir"), &views);
    assert!(err.contains("not a directory"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

// A hostile client (the security issue's holes, each reproduced).

fn cookie_of(response: &str) -> String {
    response
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string()
}

fn view_id_of(page: &str) -> String {
    page.split("data-view-id=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
}

/// A views file with the greeter and a room that declares one mount param.
fn hostile_site() -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("wasmlive-hostile-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(workspace().join("examples/serve/templates/greeter.html"), dir.join("greeter.html")).unwrap();
    std::fs::write(dir.join("room.html"), "<p>room: {{ room }}</p>").unwrap();
    let views = dir.join("views.json");
    let greeter = std::fs::read_to_string(workspace().join("examples/serve/views.json")).unwrap();
    let mut file: Value = serde_json::from_str(&greeter).unwrap();
    file["views"].as_array_mut().unwrap().push(json!({"name": "room", "route": "/room/", "template": "room.html", "state": {"room": "lobby"}, "mount_params": ["room"]}));
    std::fs::write(&views, file.to_string()).unwrap();
    (dir, views)
}

#[tokio::test]
async fn a_client_cannot_forge_tagged_values_call_lifecycle_names_or_pass_the_limits() {
    let server = Server::example();
    let mut client = server.connect().await;
    let view_id = client.mount("greeter").await["view_id"].as_str().unwrap().to_string();
    let xss = json!({"$safe": "<img src=x onerror=alert(document.domain)>"});
    for (frame, error, why) in [
        (json!({"type": "event", "event": "set", "params": {"name": xss}, "view_id": view_id}), "InvalidParamsError", "reserved for the server's tagged values"),
        (json!({"type": "event", "event": "set", "params": {"items": [{"id": 1, "text": xss}]}, "view_id": view_id}), "InvalidParamsError", "tagged values"),
        (json!({"type": "event", "event": "mount", "params": {"name": "x"}, "view_id": view_id}), "EventRejectedError", "lifecycle"),
        (json!({"type": "event", "event": "render", "view_id": view_id}), "EventRejectedError", "lifecycle"),
        (json!({"type": "event", "event": "set", "params": {"a": [[[[[[[[[[1]]]]]]]]]]}, "view_id": view_id}), "InvalidParamsError", "deeper than 8"),
        (json!({"type": "event", "event": "set", "params": {"s": "x".repeat(300 << 10)}, "view_id": view_id}), "InvalidParamsError", "bytes of text"),
        (json!({"type": "event", "event": "set", "view_id": 5}), "ValueError", "\"view_id\" must be a string"),
        (json!({"type": "event", "event": "set", "view_id": view_id, "component_id": [1]}), "ValueError", "\"component_id\" must be a string"),
        (json!({"type": "ping", "ref": {"a": 1}}), "ValueError", "\"ref\" must be"),
        (json!({"type": "mount", "view": "greeter", "params": {"name": "<b>x</b>"}}), "InvalidParamsError", "takes no mount param \"name\""),
    ] {
        client.send(frame.clone()).await;
        let reply = client.recv().await;
        assert_eq!((reply["type"].as_str(), reply["error"].as_str()), (Some("error"), Some(error)), "{frame}: {reply}");
        assert!(reply["message"].as_str().unwrap().contains(why), "{frame}: {reply}");
    }
    // Nothing was merged: the state is as the last good event left it, and text is escaped.
    client.send(json!({"type": "event", "event": "set", "params": {"name": "<img src=x>"}, "view_id": view_id, "ref": 1})).await;
    let patch = client.recv().await;
    assert_eq!(patch["patches"][0]["text"], "Hello, <img src=x>!", "{patch}");
    client.send(json!({"type": "resync", "view_id": view_id, "ref": 2})).await;
    let html = client.recv().await["html"].as_str().unwrap().to_string();
    assert!(html.contains("Hello, &lt;img src=x&gt;!") && !html.contains("onerror"), "{html}");
}

#[tokio::test]
async fn mount_params_set_only_declared_keys_and_mounts_stop_at_the_cap() {
    let (dir, views) = hostile_site();
    let server = Server::start_with(&dir, &views, &["--max-views-per-connection", "5"]);
    let mut client = server.connect().await;
    client.send(json!({"type": "mount", "view": "room", "params": {"room": "kitchen"}, "ref": 0})).await;
    let m = client.recv().await;
    assert!(m["html"].as_str().unwrap().contains("room: kitchen"), "{m}");
    client.send(json!({"type": "mount", "view": "room", "params": {"room": "a", "other": 1}, "ref": 1})).await;
    let refused = client.recv().await;
    assert!(refused["message"].as_str().unwrap().contains("it takes: room"), "{refused}");
    let answers: Vec<Value> = {
        let mut out = Vec::new();
        for i in 0..6 {
            client.send(json!({"type": "mount", "view": "greeter", "ref": 10 + i})).await;
            out.push(client.recv().await);
        }
        out
    };
    assert_eq!(answers.iter().filter(|a| a["type"] == "mounted").count(), 4, "{answers:?}");
    let last = &answers[5];
    assert_eq!(last["error"], "LimitExceededError", "{last}");
    assert!(last["message"].as_str().unwrap().contains("5 views mounted"), "{last}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_origin_must_be_the_sites_own_or_allowed() {
    let server = Server::start_with(&workspace().join("examples/serve/templates"), &workspace().join("examples/serve/views.json"), &["--allowed-origin", "https://app.example.com"]);
    let own = format!("http://{}", server.addr);
    assert!(server.connect_with(&[("origin", &own)]).await.is_ok());
    assert!(server.connect_with(&[("origin", "https://app.example.com")]).await.is_ok());
    let port = server.addr.rsplit(':').next().unwrap();
    for foreign in ["http://evil.example", &format!("https://{}", server.addr), &format!("http://localhost:{port}"), "null"] {
        let refused = server.connect_with(&[("origin", foreign)]).await;
        assert!(matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 403), "{foreign}: {refused:?}");
    }
}

#[tokio::test]
async fn oversized_and_broken_frames_get_an_answer_and_a_close_frame_not_a_dropped_socket() {
    let server = Server::example();
    let mut client = server.connect().await;
    let view_id = client.mount("greeter").await["view_id"].as_str().unwrap().to_string();
    // Over max_frame_bytes (1 MiB) in bytes, though not in characters: an error, and the connection lives.
    let big = json!({"type": "ping", "pad": "\u{1F600}".repeat(300_000)}).to_string();
    assert!(big.chars().count() < 1 << 20 && big.len() > 1 << 20);
    client.ws.send(Message::Text(big.into())).await.unwrap();
    let reply = client.recv().await;
    assert!(reply["message"].as_str().unwrap().contains("larger than 1048576 bytes"), "{reply}");
    client.send(json!({"type": "event", "event": "set", "params": {"name": "still"}, "view_id": view_id, "ref": 1})).await;
    assert_eq!(client.recv().await["patches"][0]["text"], "Hello, still!");
    // Past four times the limit the protocol ends the connection, with a close frame.
    client.ws.send(Message::Text("x".repeat(5 << 20).into())).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(10), client.ws.next()).await.expect("a close in time");
    assert!(matches!(closed, Some(Ok(Message::Close(Some(ref f)))) if u16::from(f.code) == 1009), "{closed:?}");
    // A text frame that is not UTF-8 fails the connection (RFC 6455) with 1007.
    let mut client = server.connect().await;
    let frame = tokio_tungstenite::tungstenite::protocol::frame::Frame::message(vec![b'{', 0xff, b'}'], tokio_tungstenite::tungstenite::protocol::frame::coding::OpCode::Data(tokio_tungstenite::tungstenite::protocol::frame::coding::Data::Text), true);
    client.ws.send(Message::Frame(frame)).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(10), client.ws.next()).await.expect("a close in time");
    assert!(matches!(closed, Some(Ok(Message::Close(Some(ref f)))) if u16::from(f.code) == 1007), "{closed:?}");
}

#[tokio::test]
async fn cookies_are_signed_posts_create_no_session_and_unclaimed_first_paints_go() {
    let server = Server::start_with(&workspace().join("examples/serve/templates"), &workspace().join("examples/serve/views.json"), &["--first-paint-seconds", "0.5"]);
    let (_, page) = server.http("GET", "/", None, "");
    let cookie = cookie_of(&page);
    let value = cookie.split_once('=').unwrap().1;
    assert!(value.contains('.'), "signed: {cookie}");
    // A cookie the client made up, or changed, names no session.
    let unsigned = format!("wasmlive_session={}", value.split('.').next().unwrap());
    let claimed = view_id_of(&page);
    let claim = json!({"type": "claim", "view_id": claimed, "ref": 1}).to_string();
    assert_eq!(server.http("POST", "/", Some(&unsigned), &claim).0, 404);
    let (status, reply) = server.http("POST", "/", None, &claim);
    assert!(status == 404 && reply.contains("reload the page") && !reply.to_ascii_lowercase().contains("set-cookie"), "{reply}");
    // Claimed by the HTTP-transport client: it outlives the wait.
    let (status, reply) = server.http("POST", "/", Some(&cookie), &claim);
    assert!(status == 200 && reply.contains(r#""type":"claimed""#), "{reply}");
    let unclaimed = view_id_of(&server.http("GET", "/", Some(&cookie), "").1);
    // Claimed by a WebSocket mount: dropped at once.
    let by_socket = view_id_of(&server.http("GET", "/", Some(&cookie), "").1);
    let mut client = server.connect_with(&[("cookie", &cookie)]).await.unwrap();
    client.send(json!({"type": "mount", "view": "greeter", "claim": by_socket, "ref": 0})).await;
    assert_eq!(client.recv().await["type"], "mounted");
    std::thread::sleep(Duration::from_millis(1500));
    let post = |id: &str| server.http("POST", "/", Some(&cookie), &json!({"event": "set", "params": {"name": "x"}, "view_id": id}).to_string());
    assert_eq!(post(&claimed).0, 200);
    assert_eq!(post(&unclaimed).0, 404, "unclaimed first paints are dropped");
    assert_eq!(post(&by_socket).0, 404, "the socket's mount replaced it");
}

#[tokio::test]
async fn frames_past_the_rate_are_held_back_not_lost_and_counted() {
    let root = workspace().join("examples/serve");
    let mut server = {
        let mut cmd = serve_command(&root.join("templates"), &root.join("views.json"));
        cmd.args(["--max-frames-per-second", "20", "--max-views-per-connection", "1"]).env("WASMLIVE_LOG", "wasmlive=info");
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.split("http://").nth(1).and_then(|r| r.split('/').next()).unwrap().to_string();
        Server { child, addr }
    };
    let mut client = server.connect().await;
    let started = std::time::Instant::now();
    for i in 0..60 {
        client.send(json!({"type": "ping", "ref": i})).await;
    }
    let mut refs = Vec::new();
    for _ in 0..60 {
        refs.push(client.recv().await["ref"].as_i64().unwrap());
    }
    assert_eq!(refs, (0..60).collect::<Vec<_>>(), "every frame answered, in order");
    // 20 at once (a second's burst), the other 40 at 20 a second.
    assert!(started.elapsed() >= Duration::from_millis(1500), "{:?}", started.elapsed());
    client.mount("greeter").await;
    client.send(json!({"type": "mount", "view": "greeter", "ref": 1})).await;
    assert_eq!(client.recv().await["error"], "LimitExceededError");
    // The counts are logged at shutdown (and every minute they change).
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let mut log = String::new();
    server.child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    let line = log.lines().find(|l| l.contains("limits:")).unwrap_or_else(|| panic!("no limits line in {log}"));
    let count = |key: &str| -> u64 { line.split(&format!("{key}=")).nth(1).and_then(|r| r.split(' ').next()).unwrap().trim().parse().unwrap() };
    assert!(count("throttled_frames") >= 35, "{line}");
    assert_eq!(count("refused_mounts"), 1, "{line}");
}
