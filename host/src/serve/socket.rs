//! One WebSocket connection: one session actor, the JSON protocol.

use super::App;
use crate::actors::{ActorError, HandlerError, MountRequest, Rendered, SessionHandle, State, TemplateSource};
use crate::params::{self, LIFECYCLE};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// How a request ended, for the HTTP fallback's status code.
pub(crate) enum Outcome {
    Ok,
    NotFound,
    Refused,
    Failed,
}

pub(crate) fn error_frame(error: &str, message: &str, reference: Option<&Value>, view_id: Option<&str>) -> Value {
    let mut f = json!({"type": "error", "error": error, "message": message});
    if let Some(r) = reference {
        f["ref"] = r.clone();
    }
    if let Some(v) = view_id {
        f["view_id"] = v.into();
    }
    f
}

/// The class name a client sees for an actor error (the Python package's names).
fn error_class(e: &ActorError) -> String {
    match e {
        ActorError::MailboxFull { .. } => "MailboxFullError".into(),
        ActorError::Shutdown { .. } => "ActorShutdownError".into(),
        ActorError::Panicked { .. } => "ActorPanicError".into(),
        ActorError::Timeout { .. } => "ActorTimeoutError".into(),
        ActorError::ViewNotFound(_) => "ViewNotFoundError".into(),
        ActorError::ComponentNotFound(_) => "ComponentNotFoundError".into(),
        ActorError::Template(_) => "TemplateError".into(),
        ActorError::Vdom(_) => "VdomError".into(),
        ActorError::GuestFault(_) => "GuestFaultError".into(),
        ActorError::Handler(HandlerError::UnknownEvent { .. }) => "HandlerNotFoundError".into(),
        ActorError::Handler(HandlerError::InvalidParams { .. }) => "InvalidParamsError".into(),
        ActorError::Handler(HandlerError::Raised { kind, .. }) => kind.clone(),
    }
}

pub(crate) fn error_for(e: &ActorError, reference: Option<&Value>, view_id: Option<&str>) -> Value {
    let message = match e {
        ActorError::Handler(HandlerError::Raised { message, .. }) => message.clone(),
        other => other.to_string(),
    };
    error_frame(&error_class(e), &message, reference, view_id)
}

fn outcome_of(e: &ActorError) -> Outcome {
    match e {
        ActorError::ViewNotFound(_) | ActorError::ComponentNotFound(_) => Outcome::NotFound,
        ActorError::Handler(HandlerError::UnknownEvent { .. } | HandlerError::InvalidParams { .. }) => Outcome::Refused,
        _ => Outcome::Failed,
    }
}

/// A render as the client's frame.
fn rendered_frame(r: Rendered, view_id: Option<&str>, reference: Option<&Value>) -> Value {
    let mut f = Map::new();
    match r.html {
        Some(html) => {
            f.insert("type".into(), "html_update".into());
            f.insert("html".into(), html.into());
        }
        None => {
            f.insert("type".into(), "patch".into());
            f.insert("patches".into(), serde_json::to_value(r.patches.unwrap_or_default()).unwrap_or_default());
        }
    }
    f.insert("version".into(), r.version.into());
    if let Some(v) = view_id {
        f.insert("view_id".into(), v.into());
    }
    if let Some(c) = r.component_id {
        f.insert("component_id".into(), c.into());
    }
    if let Some(r) = reference {
        f.insert("ref".into(), r.clone());
    }
    Value::Object(f)
}

fn refused(message: &str, reference: Option<&Value>, view_id: Option<&str>) -> (Outcome, Value) {
    (Outcome::Refused, error_frame("ValueError", message, reference, view_id))
}

/// The frame's `ref` when it is one a client may echo: an integer within
/// ±2^53 or a string of at most 64 characters.
pub(crate) fn reference_of(frame: &Value) -> Result<Option<&Value>, String> {
    match frame.get("ref") {
        None | Some(Value::Null) => Ok(None),
        Some(r @ Value::String(s)) if s.chars().count() <= 64 => Ok(Some(r)),
        Some(r @ Value::Number(n)) if n.as_i64().is_some_and(|i| i.unsigned_abs() <= 1 << 53) => Ok(Some(r)),
        Some(_) => Err("invalid frame: \"ref\" must be an integer or a string of at most 64 characters".into()),
    }
}

/// A client's params (absent or null: none), within the limits; the error frame otherwise.
fn client_params(app: &App, value: Option<&Value>, reference: Option<&Value>, view_id: Option<&str>) -> Result<State, (Outcome, Value)> {
    let params = match value {
        None | Some(Value::Null) => State::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(refused("params must be an object", reference, view_id)),
    };
    params::check(&params, app.params).map_err(|e| (Outcome::Refused, error_frame("InvalidParamsError", &e, reference, view_id)))?;
    Ok(params)
}

/// Answer an `event`, `resync` or `ping` frame (over the socket or POST).
pub(crate) async fn answer(app: &App, session: &SessionHandle, frame: &Value) -> (Outcome, Value) {
    let reference = match reference_of(frame) {
        Ok(r) => r,
        Err(e) => return refused(&e, None, None),
    };
    let view_id = match frame.get("view_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(v)) => Some(v.as_str()),
        Some(_) => return refused("\"view_id\" must be a string", reference, None),
    };
    let kind = frame.get("type").and_then(Value::as_str).unwrap_or("event");
    let result = match kind {
        "ping" => {
            return match session.ping().await {
                Ok(()) => (Outcome::Ok, json!({"type": "pong", "ref": reference})),
                Err(e) => (outcome_of(&e), error_for(&e, reference, view_id)),
            };
        }
        "resync" => match session.view(view_id).await {
            Ok(view) => view.render().await,
            Err(e) => Err(e),
        },
        "event" => {
            let Some(name) = frame.get("event").and_then(Value::as_str) else {
                return refused("an event frame needs a string \"event\"", reference, view_id);
            };
            let why = params::refuse_event_name(name)
                .or_else(|| LIFECYCLE.contains(&name).then(|| format!("`{name}` is a lifecycle method, not an event")));
            if let Some(why) = why {
                return (Outcome::Refused, error_frame("EventRejectedError", &why, reference, view_id));
            }
            let params = match client_params(app, frame.get("params"), reference, view_id) {
                Ok(p) => p,
                Err(refusal) => return refusal,
            };
            match (frame.get("component_id"), view_id) {
                (None | Some(Value::Null), _) => session.event(name, params, view_id).await,
                (Some(Value::String(component)), Some(view)) => session.component_event(view, component, name, params).await,
                (Some(Value::String(_)), None) => return refused("a component event needs its view_id", reference, view_id),
                (Some(_), _) => return refused("\"component_id\" must be a string", reference, view_id),
            }
        }
        other => return refused(&format!("unknown frame type {other:?}"), reference, view_id),
    };
    match result {
        Ok(r) => (Outcome::Ok, rendered_frame(r, view_id, reference)),
        Err(e) => (outcome_of(&e), error_for(&e, reference, view_id)),
    }
}

async fn mount(app: &App, connection: &Connection, frame: &Value) -> Value {
    let session = &connection.session;
    let reference = match reference_of(frame) {
        Ok(r) => r,
        Err(e) => return error_frame("ValueError", &e, None, None),
    };
    let Some(view) = frame.get("view").and_then(Value::as_str).and_then(|n| app.view(n)) else {
        let mut name = frame.get("view").map(Value::to_string).unwrap_or_default();
        name.truncate(name.floor_char_boundary(120));
        return error_frame("LookupError", &format!("no view may be mounted as {name}"), reference, None);
    };
    // A client's mount params set only the keys the views file declares.
    let params = match client_params(app, frame.get("params"), reference, None) {
        Ok(p) => p,
        Err((_, refusal)) => return refusal,
    };
    if let Some(key) = params.keys().find(|k| !view.mount_params.contains(k)) {
        let takes = if view.mount_params.is_empty() { "none".to_string() } else { view.mount_params.join(", ") };
        let message = format!("view {:?} takes no mount param {key:?} from a client (it takes: {takes}; declare `mount_params` in the views file)", view.name);
        return error_frame("InvalidParamsError", &message, reference, None);
    }
    match session.view_ids().await {
        Ok(ids) if ids.len() >= app.max_views_per_connection => {
            app.refused_mounts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let message = format!("this connection already has {} views mounted (--max-views-per-connection)", app.max_views_per_connection);
            return error_frame("LimitExceededError", &message, reference, None);
        }
        Ok(_) => {}
        Err(e) => return error_for(&e, reference, None),
    }
    let logic = match app.logic_for(view) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(view = %view.name, error = %e, "cannot make the view's handler");
            return error_frame("WasmliveError", "the view's handler is not available (the server log says why)", reference, None);
        }
    };
    let mut state = view.state.clone();
    crate::actors::merge(&params, &mut state);
    let mut request = MountRequest::new(view.name.clone(), TemplateSource::Named(view.template.clone()))
        .params(state)
        .services(app.services.clone());
    request.logic = logic;
    match session.mount(request).await {
        Ok(m) => {
            // The socket's view replaces the first paint's.
            if let (Some(Value::String(claim)), Some(http)) = (frame.get("claim"), &connection.http_session)
                && app.first_paints.claim(http, claim)
            {
                super::first_paint::drop_view(&app.supervisor, http, claim).await;
            }
            json!({"type": "mounted", "view_id": m.view_id, "html": m.html, "version": m.version, "session_id": m.session_id, "ref": reference})
        }
        Err(e) => error_for(&e, reference, None),
    }
}

/// One WebSocket's session, and the browser's HTTP session (from its cookie) whose first paints it may claim.
pub(crate) struct Connection {
    session: SessionHandle,
    http_session: Option<String>,
}

/// Handle one text frame; the reply to send.
async fn frame(app: &App, connection: &Connection, text: &str) -> Value {
    if text.len() > app.max_frame_bytes {
        return error_frame("ValueError", &format!("frame larger than {} bytes", app.max_frame_bytes), None, None);
    }
    let frame: Value = match serde_json::from_str(text) {
        Ok(f @ Value::Object(_)) => f,
        Ok(_) => return error_frame("ValueError", "invalid frame: a frame is a JSON object with a string \"type\"", None, None),
        Err(e) => return error_frame("ValueError", &format!("invalid frame: {e}"), None, None),
    };
    match frame.get("type").and_then(Value::as_str) {
        Some("mount") => mount(app, connection, &frame).await,
        Some(_) => answer(app, &connection.session, &frame).await.1,
        None => error_frame("ValueError", "invalid frame: a frame is a JSON object with a string \"type\"", frame.get("ref"), None),
    }
}

/// Serve one connection until it closes or the server stops.
/// `http_session`: the browser's HTTP session, from its signed cookie.
pub(crate) async fn serve(app: Arc<App>, mut ws: WebSocket, http_session: Option<String>) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let session_id = format!("ws-{id}");
    let session = app.supervisor.get_or_create_session(&session_id);
    let connection = Connection { session, http_session };
    let mut bucket = app.max_frames_per_second.map(TokenBucket::new);
    let hello = json!({"type": "connected", "session_id": id}).to_string();
    if ws.send(Message::Text(hello.into())).await.is_err() {
        return;
    }
    loop {
        let message = tokio::select! {
            m = ws.recv() => m,
            () = app.stopping.cancelled() => {
                let close = CloseFrame { code: 1001, reason: "server shutting down".into() };
                let _ = ws.send(Message::Close(Some(close))).await;
                break;
            }
        };
        if let (Some(bucket), Some(Ok(Message::Text(_) | Message::Binary(_)))) = (&mut bucket, &message)
            && bucket.take().await
        {
            app.throttled_frames.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let reply = match message {
            Some(Ok(Message::Text(text))) => frame(&app, &connection, &text).await,
            Some(Ok(Message::Binary(_))) => error_frame("ValueError", "frames must be JSON text", None, None),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_))) | None => break,
            Some(Err(e)) => {
                tracing::debug!(error = %e, "websocket error");
                // The WebSocket protocol ends the connection here (RFC 6455: a text
                // frame that is not UTF-8 fails it with 1007; past the frame cap of
                // four times max_frame_bytes, 1009): with a close frame that says why.
                let text = e.to_string();
                let code = if text.contains("UTF-8") || text.contains("utf-8") { 1007 } else { 1009 };
                let mut reason = format!("frame refused: {text}");
                reason.truncate(reason.floor_char_boundary(120));
                let _ = ws.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                break;
            }
        };
        if ws.send(Message::Text(reply.to_string().into())).await.is_err() {
            break;
        }
    }
    if let Err(e) = app.supervisor.remove_session(&session_id).await {
        tracing::debug!(error = %e, "session already gone");
    }
}

/// `max_frames_per_second` for one connection: as deep as one second's
/// frames; an empty bucket delays the next read (the client is slowed, its
/// frames wait in the socket, nothing is lost).
struct TokenBucket {
    rate: f64,
    tokens: f64,
    at: tokio::time::Instant,
}

impl TokenBucket {
    fn new(rate: u32) -> TokenBucket {
        TokenBucket { rate: f64::from(rate), tokens: f64::from(rate), at: tokio::time::Instant::now() }
    }

    /// Take a token, waiting for one if need be; whether it had to wait.
    async fn take(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.rate);
        self.at = now;
        let waited = self.tokens < 1.0;
        if waited {
            tokio::time::sleep(std::time::Duration::from_secs_f64((1.0 - self.tokens) / self.rate)).await;
            self.tokens = 1.0;
            self.at = tokio::time::Instant::now();
        }
        self.tokens -= 1.0;
        waited
    }
}
