//! The host's wire protocol (`wasmlive::protocol`) for the Django
//! transports: `read_frame` reads and checks a client's frame as `serve`
//! does, and every frame the consumer and the POST fallback send is built
//! by the host. consumer.py and http.py only accept, receive and send.

use crate::convert;
use crate::errors;
use crate::pyview::QueuedEvent;
use crate::system;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use serde_json::Value;
use wasmlive::protocol::{self, ClientFrame, DebugDetails, FrameLimits, Request, ServerFrame, Transport};

/// A client's frame as the host read it (`read_frame`): its type, `ref`,
/// `view_id` and fields, with params already checked and kept as JSON for
/// the view (`SessionActorHandle.answer`).
#[pyclass(module = "wasmlive._host", name = "Frame", frozen)]
pub struct Frame {
    pub frame: ClientFrame,
}

/// Read one frame (text or bytes) as the protocol says: at most
/// `max_frame_bytes` bytes, strict JSON, field types, event names and
/// params within the configured limits. `post`: a POSTed body (type
/// `event` by default; `event`, `resync` or `claim`, each for a `view_id`).
/// A refused frame raises the class a client sees (`ValueError`,
/// `InvalidParamsError`, `EventRejectedError`, `LookupError`…) with `ref`,
/// `view_id` and `status` (the HTTP status) set for the answer.
#[pyfunction]
#[pyo3(signature = (data, max_frame_bytes, post=false))]
pub fn read_frame(py: Python<'_>, data: &Bound<'_, PyAny>, max_frame_bytes: usize, post: bool) -> PyResult<Frame> {
    let limits = FrameLimits { max_frame_bytes, params: system::settings().params };
    let transport = if post { Transport::Post } else { Transport::Socket };
    let parsed = if let Ok(bytes) = data.cast::<PyBytes>() {
        protocol::parse(bytes.as_bytes(), transport, &limits)
    } else if let Ok(text) = data.cast::<PyString>() {
        match text.to_str() {
            Ok(text) => protocol::parse(text.as_bytes(), transport, &limits),
            // Lone surrogates: text no UTF-8 encoder takes.
            Err(_) => return Err(PyValueError::new_err("invalid frame: not UTF-8")),
        }
    } else {
        return Err(PyValueError::new_err(protocol::NOT_TEXT));
    };
    match parsed {
        Ok(frame) => Ok(Frame { frame }),
        Err(refusal) => {
            let error = errors::of_class(py, &refusal.error.class, refusal.error.message.clone());
            let value = error.value(py);
            value.setattr("ref", refusal.reference.as_ref().map(|r| convert::to_py(py, r)).transpose()?)?;
            value.setattr("view_id", refusal.view_id.as_deref())?;
            value.setattr("status", refusal.error.status.code())?;
            Err(error)
        }
    }
}

/// An `error` frame's text. Python describes the exception (errors.py);
/// the frame's shape is the host's.
#[pyfunction]
#[pyo3(signature = (error, message, kind=None, reference=None, view_id=None, debug=None))]
pub fn error_frame(
    error: String,
    message: String,
    kind: Option<String>,
    reference: Option<&Bound<'_, PyAny>>,
    view_id: Option<String>,
    debug: Option<&Bound<'_, PyDict>>,
) -> PyResult<String> {
    let reference = json_of(reference)?;
    let debug = match debug {
        None => None,
        Some(d) => {
            let text = |key: &str| -> PyResult<Option<String>> {
                Ok(d.get_item(key)?.filter(|v| !v.is_none()).map(|v| v.str().map(|s| s.to_string())).transpose()?)
            };
            let traceback = match d.get_item("traceback")? {
                Some(t) => match convert::to_json(&t, 0)? {
                    Value::Array(frames) => frames,
                    _ => Vec::new(),
                },
                None => Vec::new(),
            };
            Some(DebugDetails { exception: text("exception")?.unwrap_or_default(), view: text("view")?, event: text("event")?, traceback })
        }
    };
    Ok(ServerFrame::Error { error, message, kind, view_id, reference, debug }.to_text())
}

/// The error (a `ViewNotFoundError`, status 404) for a POST naming a view
/// not mounted in its browser's session, for the caller to raise.
#[pyfunction]
pub fn not_in_session(py: Python<'_>, view_id: &str) -> PyResult<Py<PyAny>> {
    let wire = protocol::not_in_session(view_id);
    let error = errors::of_class(py, &wire.class, wire.message);
    let value = error.value(py);
    value.setattr("status", wire.status.code())?;
    value.setattr("view_id", view_id)?;
    Ok(value.clone().into_any().unbind())
}

/// The `connected` frame a socket opens with.
#[pyfunction]
pub fn connected_frame(session_id: String) -> String {
    ServerFrame::Connected { session_id }.to_text()
}

fn json_of(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Value>> {
    match value {
        Some(v) if !v.is_none() => Ok(Some(convert::to_json(v, 0)?)),
        _ => Ok(None),
    }
}

#[pymethods]
impl Frame {
    /// `mount`, `resume`, `event`, `resync`, `ping` or `claim`.
    #[getter(r#type)]
    fn kind(&self) -> &'static str {
        match &self.frame.request {
            Request::Mount(_) => "mount",
            Request::Event(_) => "event",
            Request::Resync => "resync",
            Request::Ping => "ping",
            Request::Claim => "claim",
            Request::Resume(_) => "resume",
        }
    }

    /// The `ref` the answer echoes, or None.
    #[getter(r#ref)]
    fn reference(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match &self.frame.reference {
            Some(r) => convert::to_py(py, r),
            None => Ok(py.None()),
        }
    }

    #[getter]
    fn view_id(&self) -> Option<&str> {
        self.frame.view_id.as_deref()
    }

    /// A mount's view path.
    #[getter]
    fn view(&self) -> Option<&str> {
        self.mount().map(|m| m.view.as_str())
    }

    /// A mount's or an event's params, as a new dict.
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        match &self.frame.request {
            Request::Mount(m) => convert::dict(py, &m.params).map(Some),
            Request::Event(e) => convert::dict(py, &e.params).map(Some),
            _ => Ok(None),
        }
    }

    /// An event's handler name.
    #[getter]
    fn event(&self) -> Option<&str> {
        match &self.frame.request {
            Request::Event(e) => Some(&e.name),
            _ => None,
        }
    }

    #[getter]
    fn component_id(&self) -> Option<&str> {
        match &self.frame.request {
            Request::Event(e) => e.component_id.as_deref(),
            _ => None,
        }
    }

    #[getter]
    fn signed_params(&self) -> Option<&str> {
        self.mount().and_then(|m| m.signed_params.as_deref())
    }

    #[getter]
    fn claim(&self) -> Option<&str> {
        self.mount().and_then(|m| m.claim.as_deref())
    }

    #[getter]
    fn url(&self) -> Option<&str> {
        self.mount().and_then(|m| m.url.as_deref())
    }

    /// The `mounted` frame answering this mount: `mounted` is what
    /// mounting gave (`{"view_id", "html", "version", "session_id"}`,
    /// and `"events"` when its `mount` pushed some).
    fn mounted(&self, mounted: &Bound<'_, PyDict>) -> PyResult<String> {
        let field = |key: &str| -> PyResult<Bound<'_, PyAny>> {
            mounted.get_item(key)?.ok_or_else(|| PyValueError::new_err(format!("a mount gives {key:?}")))
        };
        Ok(ServerFrame::Mounted {
            view_id: field("view_id")?.extract()?,
            html: field("html")?.extract()?,
            version: field("version")?.extract()?,
            session_id: field("session_id")?.extract()?,
            reference: self.frame.reference.clone(),
            events: match mounted.get_item("events")? {
                Some(events) => events.try_iter()?.map(|e| Ok(e?.cast::<QueuedEvent>()?.get().0.clone())).collect::<PyResult<_>>()?,
                None => Vec::new(),
            },
            // The Channels transport shuts a view down with its socket: nothing to resume yet.
            resume_token: None,
        }
        .to_text())
    }

    /// The `claimed` frame answering this claim.
    fn claimed(&self) -> String {
        ServerFrame::Claimed { view_id: self.frame.view_id.clone().unwrap_or_default(), reference: self.frame.reference.clone() }.to_text()
    }

    fn __repr__(&self) -> String {
        format!("<Frame {} view_id={:?}>", self.kind(), self.frame.view_id)
    }
}

impl Frame {
    fn mount(&self) -> Option<&protocol::MountFrame> {
        match &self.frame.request {
            Request::Mount(m) => Some(m),
            _ => None,
        }
    }
}
