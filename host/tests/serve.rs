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
        let mut child = serve_command(templates, views)
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
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws/live/", self.addr)).await.expect("connect");
        let mut client = Client { ws };
        let hello = client.recv().await;
        assert_eq!(hello["type"], "connected", "{hello}");
        client
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
        (json!({"type": "event", "event": "set", "params": [1], "view_id": view_id}).to_string(), "ValueError"),
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
