//! The HTTP side: pages (first paint), the client script, the POST fallback.

use super::{App, page, socket};
use crate::actors::{ActorError, MountRequest, TemplateSource};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use std::sync::Arc;

/// The JS client, the same file the Django app serves.
const CLIENT_JS: &str = include_str!("../../../bindings/python/wasmlive/static/wasmlive/client.js");
const COOKIE: &str = "wasmlive_session";
/// Views a browser session keeps from first paints (each reload mounts
/// one); older ones are unmounted.
const MAX_HTTP_VIEWS: usize = 8;

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/static/wasmlive/client.js", get(client_js))
        .route("/ws/live/", get(websocket))
        .fallback(page_or_event)
        .with_state(app)
}

async fn client_js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], CLIENT_JS)
}

async fn websocket(State(app): State<Arc<App>>, upgrade: WebSocketUpgrade) -> Response {
    let limit = app.max_frame_bytes;
    upgrade
        .max_message_size(limit)
        .on_upgrade(move |ws| socket::serve(app, ws))
}

/// The browser's session id from its cookie, or a new one to set.
fn session_id(headers: &HeaderMap) -> (String, bool) {
    let found = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == COOKIE && uuid::Uuid::parse_str(v).is_ok())
        .map(|(_, v)| v.to_string());
    match found {
        Some(id) => (id, false),
        None => (uuid::Uuid::new_v4().to_string(), true),
    }
}

async fn page_or_event(State(app): State<Arc<App>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path();
    let Some(view) = app.views.iter().find(|v| v.route == path).cloned() else {
        if path == "/" && method == Method::GET {
            return Html(page::index(&app.views)).into_response();
        }
        return (StatusCode::NOT_FOUND, format!("no view is served at {path}\n")).into_response();
    };
    let (sid, new) = session_id(&headers);
    let mut response = match method {
        Method::GET | Method::HEAD => first_paint(&app, &view, &sid).await,
        Method::POST => post_event(&app, &sid, &body).await,
        _ => (StatusCode::METHOD_NOT_ALLOWED, "GET or POST\n").into_response(),
    };
    if new {
        let cookie = format!("{COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

async fn first_paint(app: &App, view: &super::ViewEntry, sid: &str) -> Response {
    let session = app.supervisor.get_or_create_session(&format!("http-{sid}"));
    let logic = match app.logic_for(view) {
        Ok(l) => l,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    };
    let mut request = MountRequest::new(view.name.clone(), TemplateSource::Named(view.template.clone()))
        .params(view.state.clone())
        .services(app.services.clone());
    request.logic = logic;
    match session.mount(request).await {
        Ok(mounted) => {
            if let Ok(ids) = session.view_ids().await {
                for old in ids.iter().take(ids.len().saturating_sub(MAX_HTTP_VIEWS)) {
                    let _ = session.unmount(old).await;
                }
            }
            Html(page::render(view, &mounted.view_id, &mounted.html)).into_response()
        }
        Err(e) => {
            tracing::error!(view = %view.name, error = %e, "first paint failed");
            (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response()
        }
    }
}

async fn post_event(app: &App, sid: &str, body: &[u8]) -> Response {
    let reply = |status: StatusCode, frame: Value| (status, [(header::CONTENT_TYPE, "application/json")], frame.to_string()).into_response();
    if body.len() > app.max_frame_bytes {
        return reply(StatusCode::PAYLOAD_TOO_LARGE, socket::error_frame("ValueError", "body too large", None, None));
    }
    let frame: Value = match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => Value::Object(m),
        Ok(_) => return reply(StatusCode::BAD_REQUEST, socket::error_frame("ValueError", "the body must be a JSON object", None, None)),
        Err(e) => return reply(StatusCode::BAD_REQUEST, socket::error_frame("ValueError", &format!("invalid JSON: {e}"), None, None)),
    };
    let Some(session) = app.supervisor.session(&format!("http-{sid}")) else {
        let err = ActorError::ViewNotFound("this browser session has no mounted view".into());
        return reply(StatusCode::NOT_FOUND, socket::error_for(&err, frame.get("ref"), None));
    };
    let (status, out) = socket::answer(&session, &frame).await;
    let status = match status {
        socket::Outcome::Ok => StatusCode::OK,
        socket::Outcome::NotFound => StatusCode::NOT_FOUND,
        socket::Outcome::Refused => StatusCode::BAD_REQUEST,
        socket::Outcome::Failed => StatusCode::INTERNAL_SERVER_ERROR,
    };
    reply(status, out)
}
