//! What a client may send, read and checked once for every transport.

use super::server::ServerFrame;
use super::wire::{Status, WireError};
use crate::params::{self, LIFECYCLE, ParamLimits};
use serde_json::{Map, Value};

/// Which way a frame came: frame types and required fields differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A WebSocket text frame: `mount`, `resume`, `event`, `resync`, `ping`.
    Socket,
    /// A POSTed body: `event` (the default type), `resync`, `claim`, each for a `view_id`.
    Post,
}

/// The limits a frame is read within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Largest frame, in bytes of UTF-8.
    pub max_frame_bytes: usize,
    /// Limits on mount and event params.
    pub params: ParamLimits,
}

/// A frame as read: its `ref` (echoed in the answer), its `view_id`, and what it asks.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientFrame {
    pub reference: Option<Value>,
    /// The view the frame is for (an event without one goes to the session's first view).
    pub view_id: Option<String>,
    pub request: Request,
}

/// What a frame asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Mount(MountFrame),
    Event(EventFrame),
    /// The view's whole HTML again (`html_update`).
    Resync,
    /// Whether the session answers (`pong`).
    Ping,
    /// Keep a first paint's view past `first_paint_seconds` (POST only).
    Claim,
    /// Take a view back after a reconnect, without mounting it (socket only).
    Resume(ResumeFrame),
}

/// A `resume` frame: the view's token from its `mounted` frame, and the version the client shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ResumeFrame {
    pub token: String,
    pub version: u64,
}

/// A `mount` frame.
#[derive(Debug, Clone, PartialEq)]
pub struct MountFrame {
    /// The view's registered path (Django) or name (`serve`).
    pub view: String,
    /// Params within the limits; which keys a view accepts is its transport's rule.
    pub params: Map<String, Value>,
    /// The page's `data-signed-params` (the URL's arguments, signed).
    pub signed_params: Option<String>,
    /// The first paint's view id, dropped once this mount succeeds.
    pub claim: Option<String>,
    /// The page's path.
    pub url: Option<String>,
}

impl MountFrame {
    /// The answer when no view may be mounted as `view`.
    pub fn unknown_view(view: &str) -> WireError {
        no_view(format!("{view:?}"))
    }
}

/// `shown`: the view as the client wrote it.
fn no_view(mut shown: String) -> WireError {
    shown.truncate(shown.floor_char_boundary(120));
    WireError::refused("LookupError", format!("no view may be mounted as {shown}")).with_status(Status::NotFound)
}

/// The answer when `view_id` is not mounted in the browser's session a POST comes from.
pub fn not_in_session(view_id: &str) -> WireError {
    let mut shown = format!("{view_id:?}");
    shown.truncate(shown.floor_char_boundary(120));
    let message = format!("view {shown} is not mounted in this browser's session (expired, or never painted here): reload the page");
    WireError::refused("ViewNotFoundError", message).with_status(Status::NotFound)
}

/// An `event` frame: a handler's name with params, for a view or one of its components.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFrame {
    pub name: String,
    pub params: Map<String, Value>,
    pub component_id: Option<String>,
}

/// A frame refused: the error to answer, with the frame's `ref` and `view_id` when they were valid.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub error: WireError,
    pub reference: Option<Value>,
    pub view_id: Option<String>,
}

impl Refusal {
    /// The `error` frame that answers it.
    pub fn frame(&self) -> ServerFrame {
        ServerFrame::error(&self.error, self.view_id.clone(), self.reference.clone())
    }
}

/// The answer to a binary WebSocket frame (the protocol is JSON text).
pub const NOT_TEXT: &str = "frames must be JSON text";

const NOT_A_FRAME: &str = "invalid frame: a frame is a JSON object with a string \"type\"";

/// Read one frame: at most `max_frame_bytes` bytes of UTF-8, strict JSON
/// (no `NaN`, nesting the parser takes), an object with a string `type`
/// (on POST, `event` by default), a `ref` a client may echo, the fields of
/// its type with their types, an event name that may be a handler's, and
/// params within the limits.
pub fn parse(data: &[u8], transport: Transport, limits: &FrameLimits) -> Result<ClientFrame, Refusal> {
    let refuse = |error: WireError| Refusal { error, reference: None, view_id: None };
    if data.len() > limits.max_frame_bytes {
        let error = WireError::invalid(format!("frame larger than {} bytes", limits.max_frame_bytes)).with_status(Status::TooLarge);
        return Err(refuse(error));
    }
    let mut fields = match serde_json::from_slice::<Value>(data) {
        Ok(Value::Object(fields)) => fields,
        Ok(_) => return Err(refuse(WireError::invalid(NOT_A_FRAME))),
        Err(e) if e.to_string().starts_with("recursion limit") => return Err(refuse(WireError::invalid("invalid frame: it nests too deep"))),
        Err(e) => return Err(refuse(WireError::invalid(not_json(data, &e)))),
    };
    let reference = reference(fields.remove("ref")).map_err(refuse)?;
    let mut refusal = Refusal { error: WireError::invalid(""), reference, view_id: None };
    let mut fields = Fields(&mut fields);
    let kind = match (fields.take("type"), transport) {
        (None, Transport::Post) => "event".to_string(),
        (Some(Value::String(kind)), _) => kind,
        _ => return Err(Refusal { error: WireError::invalid(NOT_A_FRAME), ..refusal }),
    };
    let checked = (|| {
        let view_id = fields.string("view_id")?;
        let component_id = fields.string("component_id")?;
        refusal.view_id.clone_from(&view_id);
        if transport == Transport::Post && view_id.is_none() {
            return Err(WireError::invalid("a POSTed frame needs the string \"view_id\" of the page's view"));
        }
        let request = match (kind.as_str(), transport) {
            ("event", _) => {
                let Some(Value::String(name)) = fields.take("event") else {
                    return Err(WireError::invalid("an event frame needs a string \"event\""));
                };
                if let Some(why) = refuse_event(&name) {
                    return Err(WireError::refused("EventRejectedError", why));
                }
                if component_id.is_some() && view_id.is_none() {
                    return Err(WireError::invalid("a component event needs its view_id"));
                }
                Request::Event(EventFrame { name, params: fields.params(limits.params)?, component_id })
            }
            ("resync", _) => Request::Resync,
            ("ping", Transport::Socket) => Request::Ping,
            ("mount", Transport::Socket) => {
                let view = match fields.take("view") {
                    Some(Value::String(view)) => view,
                    other => return Err(no_view(other.map_or_else(|| "nothing".into(), |v| v.to_string()))),
                };
                Request::Mount(MountFrame {
                    view,
                    params: fields.params(limits.params)?,
                    signed_params: fields.string("signed_params")?,
                    claim: fields.string("claim")?,
                    url: fields.string("url")?,
                })
            }
            ("claim", Transport::Post) => Request::Claim,
            ("resume", Transport::Socket) => {
                if view_id.is_none() {
                    return Err(WireError::invalid("a resume frame needs the string \"view_id\" of the view to resume"));
                }
                let Some(token) = fields.string("token")? else {
                    return Err(WireError::invalid("a resume frame needs the string \"token\" its view was mounted with"));
                };
                let Some(version) = fields.take("version").and_then(|v| v.as_u64()) else {
                    return Err(WireError::invalid("a resume frame needs \"version\", the version the client shows (an integer ≥ 0)"));
                };
                Request::Resume(ResumeFrame { token, version })
            }
            (other, Transport::Socket) => return Err(WireError::invalid(format!("unknown frame type {other:?}"))),
            (other, Transport::Post) => {
                return Err(WireError::invalid(format!("unknown frame type {other:?} (POST takes event, resync or claim)")));
            }
        };
        Ok((view_id, request))
    })();
    match checked {
        Ok((view_id, request)) => Ok(ClientFrame { reference: refusal.reference, view_id, request }),
        Err(error) => Err(Refusal { error, ..refusal }),
    }
}

/// Why `data` is not JSON, naming the non-JSON constants a JavaScript or
/// Python encoder may write (`NaN`, `Infinity`), which no browser reads back.
fn not_json(data: &[u8], e: &serde_json::Error) -> String {
    let line = data.split(|b| *b == b'\n').nth(e.line().saturating_sub(1)).unwrap_or_default();
    let at = &line[e.column().saturating_sub(1).min(line.len())..];
    let at = at.strip_prefix(b"-").unwrap_or(at);
    match ["NaN", "Infinity"].into_iter().find(|c| at.starts_with(c.as_bytes())) {
        Some(constant) => format!("invalid frame: {constant} is not JSON"),
        None => format!("invalid frame: {e}"),
    }
}

/// Why `name` cannot be an event, or `None`.
fn refuse_event(name: &str) -> Option<String> {
    params::refuse_event_name(name).or_else(|| LIFECYCLE.contains(&name).then(|| format!("`{name}` is a lifecycle method, not an event")))
}

/// The frame's `ref` when it is one a client may echo: an integer within
/// ±2^53 (what JavaScript reads exactly) or a string of at most 64 characters.
fn reference(value: Option<Value>) -> Result<Option<Value>, WireError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= 64 => Ok(Some(Value::String(s))),
        Some(Value::Number(n)) if n.as_i64().is_some_and(|i| i.unsigned_abs() <= 1 << 53) => Ok(Some(Value::Number(n))),
        Some(_) => Err(WireError::invalid("invalid frame: \"ref\" must be an integer within ±2**53 or a string of at most 64 characters")),
    }
}

/// A frame's fields, taken out one by one.
struct Fields<'a>(&'a mut Map<String, Value>);

impl Fields<'_> {
    fn take(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name).filter(|v| !v.is_null())
    }

    /// A field that is a string when present.
    fn string(&mut self, name: &str) -> Result<Option<String>, WireError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(WireError::invalid(format!("\"{name}\" must be a string"))),
        }
    }

    /// `params`: an object within `limits` (absent or null: none).
    fn params(&mut self, limits: ParamLimits) -> Result<Map<String, Value>, WireError> {
        let params = match self.take("params") {
            None => Map::new(),
            Some(Value::Object(params)) => params,
            Some(_) => return Err(WireError::refused("InvalidParamsError", "params must be an object")),
        };
        params::check(&params, limits).map_err(|e| WireError::refused("InvalidParamsError", e))?;
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: FrameLimits = FrameLimits { max_frame_bytes: 1000, params: ParamLimits { depth: 8, items: 1000, bytes: 1 << 16 } };

    fn socket(text: &str) -> Result<ClientFrame, Refusal> {
        parse(text.as_bytes(), Transport::Socket, &LIMITS)
    }

    fn refused(text: &str, transport: Transport) -> (String, String) {
        let r = parse(text.as_bytes(), transport, &LIMITS).expect_err(text);
        (r.error.class, r.error.message)
    }

    #[test]
    fn an_event_is_read_with_its_ref_view_and_params() {
        let f = socket(r#"{"type":"event","event":"inc","params":{"by":2},"view_id":"v1","ref":7}"#).unwrap();
        assert_eq!(f.reference, Some(Value::from(7)));
        assert_eq!(f.view_id.as_deref(), Some("v1"));
        let Request::Event(e) = f.request else { panic!("{f:?}") };
        assert_eq!((e.name.as_str(), e.params["by"].as_i64(), e.component_id), ("inc", Some(2), None));
    }

    #[test]
    fn a_post_body_is_an_event_by_default_and_needs_a_view_id() {
        let f = parse(br#"{"event":"inc","view_id":"v"}"#, Transport::Post, &LIMITS).unwrap();
        assert!(matches!(f.request, Request::Event(_)));
        assert!(refused(r#"{"event":"inc"}"#, Transport::Post).1.contains("view_id"));
        assert!(refused(r#"{"type":"ping","view_id":"v"}"#, Transport::Post).1.contains("POST takes"));
        assert!(refused(r#"{"type":"claim"}"#, Transport::Socket).1.contains("unknown frame type"));
    }

    #[test]
    fn malformed_frames_are_value_errors_that_keep_a_valid_ref() {
        for text in ["[1]", "nope", "{\"type\": 1}", "{\"ref\": 1}", "{\"type\":\"ping\",\"x\":1e400}"] {
            assert_eq!(refused(text, Transport::Socket).0, "ValueError", "{text}");
        }
        for (text, constant) in [("{\"type\":\"ping\",\"x\":NaN}", "NaN"), ("{\"type\":\"ping\",\n\"x\": -Infinity}", "Infinity")] {
            assert_eq!(refused(text, Transport::Socket).1, format!("invalid frame: {constant} is not JSON"));
        }
        let deep = format!("{{\"type\":\"ping\",\"p\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(refused(&deep, Transport::Socket).1, "invalid frame: it nests too deep");
        let big = format!("{{\"type\":\"ping\",\"pad\":\"{}\"}}", "x".repeat(1000));
        let r = socket(&big).unwrap_err();
        assert_eq!(r.error.status, Status::TooLarge);
        let r = socket(r#"{"type":"event","event":"x","view_id":3,"ref":"a"}"#).unwrap_err();
        assert_eq!((r.error.message.as_str(), r.reference), ("\"view_id\" must be a string", Some(Value::from("a"))));
        for bad in [r#"true"#, r#"1.5"#, r#"9007199254740993"#, r#"{}"#] {
            let r = socket(&format!(r#"{{"type":"ping","ref":{bad}}}"#)).unwrap_err();
            assert!(r.error.message.contains("\"ref\""), "{bad}");
            assert_eq!(r.reference, None);
        }
        assert!(socket(&format!(r#"{{"type":"ping","ref":"{}"}}"#, "é".repeat(64))).is_ok());
    }

    #[test]
    fn event_names_and_params_are_checked_before_any_view_sees_them() {
        let t = Transport::Socket;
        assert_eq!(refused(r#"{"type":"event","event":"_secret"}"#, t).0, "EventRejectedError");
        assert_eq!(refused(r#"{"type":"event","event":"mount"}"#, t).0, "EventRejectedError");
        assert_eq!(refused(r#"{"type":"event","event":"x","params":[1]}"#, t).0, "InvalidParamsError");
        assert_eq!(refused(r#"{"type":"event","event":"x","params":{"$safe":"<b>"}}"#, t).0, "InvalidParamsError");
        assert_eq!(refused(r#"{"type":"event","event":"x","component_id":"c"}"#, t).1, "a component event needs its view_id");
        assert_eq!(refused(r#"{"type":"event"}"#, t).1, "an event frame needs a string \"event\"");
    }

    #[test]
    fn a_resume_names_its_view_token_and_version() {
        let f = socket(r#"{"type":"resume","view_id":"v1","token":"t","version":6,"ref":2}"#).unwrap();
        assert_eq!(f.view_id.as_deref(), Some("v1"));
        assert_eq!(f.request, Request::Resume(ResumeFrame { token: "t".into(), version: 6 }));
        assert!(refused(r#"{"type":"resume","token":"t","version":1}"#, Transport::Socket).1.contains("view_id"));
        assert!(refused(r#"{"type":"resume","view_id":"v","version":1}"#, Transport::Socket).1.contains("token"));
        assert!(refused(r#"{"type":"resume","view_id":"v","token":"t","version":-1}"#, Transport::Socket).1.contains("version"));
        assert!(refused(r#"{"type":"resume","view_id":"v","token":7,"version":1}"#, Transport::Socket).1.contains("token"));
        assert!(refused(r#"{"type":"resume","view_id":"v","token":"t","version":1}"#, Transport::Post).1.contains("POST takes"));
    }

    #[test]
    fn a_mount_names_its_view_with_a_string() {
        let f = socket(r#"{"type":"mount","view":"app.Counter","params":{"n":1},"claim":"v0","url":"/c/"}"#).unwrap();
        let Request::Mount(m) = f.request else { panic!() };
        assert_eq!((m.view.as_str(), m.claim.as_deref(), m.url.as_deref()), ("app.Counter", Some("v0"), Some("/c/")));
        let (class, message) = refused(r#"{"type":"mount","view":["x"]}"#, Transport::Socket);
        assert_eq!((class.as_str(), message.as_str()), ("LookupError", "no view may be mounted as [\"x\"]"));
        assert_eq!(refused(r#"{"type":"mount","view":"v","url":5}"#, Transport::Socket).1, "\"url\" must be a string");
    }
}
