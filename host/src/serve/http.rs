//! The HTTP side: pages (first paint), the client script, the POST
//! fallback, and the WebSocket handshake's Origin check.

use super::{App, cookie, first_paint, page, socket};
use crate::actors::{Delivery, MountRequest, TemplateSource};
use crate::protocol::{self, ServerFrame, Status, Transport, WireError};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

/// The JS client, the same file the Django app serves.
const CLIENT_JS: &str = include_str!("../../../bindings/python/wasmlive/static/wasmlive/client.js");
/// Views a browser session keeps from first paints (each reload mounts
/// one); older ones are unmounted.
const MAX_HTTP_VIEWS: usize = 8;

pub(crate) fn router(app: Arc<App>) -> Router {
    // Bodies up to four times max_frame_bytes are read and refused by the
    // protocol (its error frame, 413), as over the socket; larger ones
    // while they are read (413 too).
    let body_limit = axum::extract::DefaultBodyLimit::max(app.frame_limits.max_frame_bytes.saturating_mul(4));
    Router::new()
        .route("/static/wasmlive/client.js", get(client_js))
        .route("/ws/live/", get(websocket))
        .fallback(page_or_event)
        .layer(body_limit)
        .with_state(app)
}

async fn client_js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], CLIENT_JS)
}

async fn websocket(State(app): State<Arc<App>>, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN) {
        if !origin_allowed(origin.to_str().unwrap_or(""), &headers, &app.allowed_origins) {
            tracing::info!(origin = ?origin, "WebSocket refused: not the site's own origin (--allowed-origin adds one)");
            return (StatusCode::FORBIDDEN, "this origin may not open the WebSocket\n").into_response();
        }
    }
    let http_session = signed_session(&app, &headers).map(|sid| format!("http-{sid}"));
    // Frames up to max_frame_bytes are answered; larger ones, up to four
    // times that, get an error frame and the connection stays; past it the
    // protocol closes the connection (1009).
    upgrade
        .max_message_size(app.frame_limits.max_frame_bytes.saturating_mul(4))
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_upgrade(move |ws| socket::serve(app, ws, http_session))
}

/// How much of a socket's read buffer tungstenite zero-fills before each
/// read, data or not (snapview/tungstenite-rs#547): at its default of
/// 128 KiB, every wake of a socket's loop (each batch of pushes) cost a
/// 128 KiB `memset`, a fifth of a server's CPU in the fan-out benchmark.
/// A client's frames are small; a larger one is read in several reads.
const READ_BUFFER_BYTES: usize = 8 << 10;

/// Whether a page at `origin` may open the WebSocket: the server's own
/// origin (scheme, host and port of the handshake's `Host`), or one of `allowed`.
fn origin_allowed(origin: &str, headers: &HeaderMap, allowed: &[String]) -> bool {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    if allowed.iter().any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(&origin)) {
        return true;
    }
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
    // `serve` speaks plain HTTP: its own pages are http://Host (behind a TLS
    // proxy, list the public origin with --allowed-origin).
    normal(&origin) == normal(&format!("http://{}", host.trim().to_ascii_lowercase()))
}

/// `scheme://host:port` with the default port spelled out.
fn normal(origin: &str) -> Option<String> {
    let (scheme, rest) = origin.split_once("://")?;
    let default = match scheme {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
        return None;
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || rest.starts_with('[') => (h, p),
        _ => (rest, default),
    };
    Some(format!("{scheme}://{host}:{port}"))
}

/// The browser's session id from its signed cookie.
fn signed_session(app: &App, headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .filter(|(k, _)| *k == cookie::NAME)
        .find_map(|(_, v)| app.cookies.verify(v))
}

async fn page_or_event(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            let message = format!("frame larger than {} bytes ({})", app.frame_limits.max_frame_bytes, e.body_text());
            let frame = ServerFrame::error(&WireError::invalid(message), None, None).to_text();
            return (e.status(), [(header::CONTENT_TYPE, "application/json")], frame).into_response();
        }
    };
    let path = uri.path();
    let Some(view) = app.views.iter().find(|v| v.route == path).cloned() else {
        if path == "/" && method == Method::GET {
            return Html(page::index(&app.views)).into_response();
        }
        return (StatusCode::NOT_FOUND, format!("no view is served at {path}\n")).into_response();
    };
    let found = signed_session(&app, &headers);
    // A POST never creates a session: only a first paint needs one.
    if method == Method::POST {
        return post_event(&app, found.as_deref(), &body).await;
    }
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "GET or POST\n").into_response();
    }
    let new = found.is_none();
    let sid = found.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let mut response = first_paint(&app, &view, &sid).await;
    if new {
        let cookie = format!("{}={}; Path=/; HttpOnly; SameSite=Lax", cookie::NAME, app.cookies.sign(&sid));
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

async fn first_paint(app: &App, view: &super::ViewEntry, sid: &str) -> Response {
    let name = format!("http-{sid}");
    let session = app.supervisor.get_or_create_session(&name);
    let logic = match app.logic_for(view) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(view = %view.name, error = %e, "cannot make the view's handler");
            return (StatusCode::INTERNAL_SERVER_ERROR, "the view's handler is not available (the server log says why)\n").into_response();
        }
    };
    let mut request = MountRequest::new(view.name.clone(), TemplateSource::Named(view.template.clone()))
        .params(view.state.clone())
        .services(app.services.clone());
    request.logic = logic;
    match async { session.mount(request, Delivery::Wait).await?.await }.await {
        Ok(mounted) => {
            for (s, old) in app.first_paints.add(&name, &mounted.view_id) {
                first_paint::drop_view(&app.supervisor, &s, &old).await;
            }
            if let Ok(ids) = async { session.view_ids(Delivery::Wait).await?.await }.await {
                for old in ids.iter().take(ids.len().saturating_sub(MAX_HTTP_VIEWS)) {
                    if let Ok(unmounted) = session.unmount(old, Delivery::Wait).await {
                        let _ = unmounted.await;
                    }
                }
            }
            Html(page::render(view, &mounted.view_id, &mounted.html)).into_response()
        }
        Err(e) => {
            tracing::error!(view = %view.name, error = %e, "first paint failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered (the server log says why)\n").into_response()
        }
    }
}

async fn post_event(app: &App, sid: Option<&str>, body: &[u8]) -> Response {
    let reply = |status: Status, frame: ServerFrame| {
        let status = StatusCode::from_u16(status.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, [(header::CONTENT_TYPE, "application/json")], frame.to_text()).into_response()
    };
    let frame = match protocol::parse(body, Transport::Post, &app.frame_limits) {
        Ok(frame) => frame,
        Err(refusal) => return reply(refusal.error.status, refusal.frame()),
    };
    let view_id = frame.view_id.clone().unwrap_or_default();
    let name = sid.map(|s| format!("http-{s}"));
    let Some((name, session)) = name.and_then(|n| app.supervisor.session(&n).map(|s| (n, s))) else {
        return reply(Status::NotFound, ServerFrame::error(&protocol::not_in_session(&view_id), Some(view_id), frame.reference));
    };
    if !async { session.view_ids(Delivery::Wait).await?.await }.await.is_ok_and(|ids| ids.contains(&view_id)) {
        return reply(Status::NotFound, ServerFrame::error(&protocol::not_in_session(&view_id), Some(view_id), frame.reference));
    }
    // Any frame for a first paint's view claims it.
    app.first_paints.claim(&name, &view_id);
    let connection = socket::Connection::new(session, Some(name), None);
    let (status, answer) = socket::answer(app, &connection, frame).await;
    reply(status, answer)
}
