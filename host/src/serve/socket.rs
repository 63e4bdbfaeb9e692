//! One WebSocket connection: one session actor, the JSON protocol.

use super::App;
use crate::actors::{ActorError, HandlerError, MountRequest, Rendered, SessionHandle, State, TemplateSource};
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

/// Answer an `event`, `resync` or `ping` frame (over the socket or POST).
pub(crate) async fn answer(session: &SessionHandle, frame: &Value) -> (Outcome, Value) {
    let reference = frame.get("ref");
    let view_id = frame.get("view_id").and_then(Value::as_str);
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
            if name.is_empty() || name.starts_with('_') || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return (
                    Outcome::Refused,
                    error_frame("EventRejectedError", &format!("`{}` is not a valid event name", name.escape_default()), reference, view_id),
                );
            }
            let params: State = match frame.get("params") {
                None | Some(Value::Null) => State::new(),
                Some(Value::Object(m)) => m.clone(),
                Some(_) => return refused("event params must be an object", reference, view_id),
            };
            match (frame.get("component_id").and_then(Value::as_str), view_id) {
                (Some(component), Some(view)) => session.component_event(view, component, name, params).await,
                (Some(_), None) => return refused("a component event needs its view_id", reference, view_id),
                (None, _) => session.event(name, params, view_id).await,
            }
        }
        other => return refused(&format!("unknown frame type {other:?}"), reference, view_id),
    };
    match result {
        Ok(r) => (Outcome::Ok, rendered_frame(r, view_id, reference)),
        Err(e) => (outcome_of(&e), error_for(&e, reference, view_id)),
    }
}

async fn mount(app: &App, session: &SessionHandle, frame: &Value) -> Value {
    let reference = frame.get("ref");
    let Some(view) = frame.get("view").and_then(Value::as_str).and_then(|n| app.view(n)) else {
        let name = frame.get("view").map(Value::to_string).unwrap_or_default();
        return error_frame("LookupError", &format!("no view may be mounted as {name}"), reference, None);
    };
    let logic = match app.logic_for(view) {
        Ok(l) => l,
        Err(e) => return error_frame("WasmliveError", &e, reference, None),
    };
    let mut state = view.state.clone();
    if let Some(Value::Object(params)) = frame.get("params") {
        crate::actors::merge(params, &mut state);
    }
    let mut request = MountRequest::new(view.name.clone(), TemplateSource::Named(view.template.clone()))
        .params(state)
        .services(app.services.clone());
    request.logic = logic;
    match session.mount(request).await {
        Ok(m) => json!({"type": "mounted", "view_id": m.view_id, "html": m.html, "version": m.version, "session_id": m.session_id, "ref": reference}),
        Err(e) => error_for(&e, reference, None),
    }
}

/// Handle one text frame; the reply to send.
async fn frame(app: &App, session: &SessionHandle, text: &str) -> Value {
    let frame: Value = match serde_json::from_str(text) {
        Ok(f @ Value::Object(_)) => f,
        Ok(_) => return error_frame("ValueError", "invalid frame: a frame is a JSON object with a string \"type\"", None, None),
        Err(e) => return error_frame("ValueError", &format!("invalid frame: {e}"), None, None),
    };
    match frame.get("type").and_then(Value::as_str) {
        Some("mount") => mount(app, session, &frame).await,
        Some(_) => answer(session, &frame).await.1,
        None => error_frame("ValueError", "invalid frame: a frame is a JSON object with a string \"type\"", frame.get("ref"), None),
    }
}

/// Serve one connection until it closes or the server stops.
pub(crate) async fn serve(app: Arc<App>, mut ws: WebSocket) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let session_id = format!("ws-{id}");
    let session = app.supervisor.get_or_create_session(&session_id);
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
        let reply = match message {
            Some(Ok(Message::Text(text))) => frame(&app, &session, &text).await,
            Some(Ok(Message::Binary(_))) => error_frame("ValueError", "frames must be JSON text", None, None),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_))) | None => break,
            Some(Err(e)) => {
                tracing::debug!(error = %e, "websocket error");
                // Too large, or broken: say so if the socket still works, then close.
                let _ = ws.send(Message::Text(error_frame("ValueError", &format!("frame refused: {e}"), None, None).to_string().into())).await;
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
