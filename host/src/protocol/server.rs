//! Every frame the server sends, serialized only here.

use super::wire::WireError;
use crate::actors::{ClientEvent, Rendered};
use crate::engine_host::Patch;
use serde::Serialize;
use serde_json::Value;

/// A frame from the server to the client.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// Once, when the socket opens.
    Connected { session_id: String },
    /// After a `mount`. `ref` is always there (null when the mount had none).
    Mounted {
        view_id: String,
        html: String,
        version: u64,
        session_id: String,
        #[serde(rename = "ref")]
        reference: Option<Value>,
        /// What the view's `mount` sent with `push_event`.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        events: Vec<ClientEvent>,
        /// What a `resume` frame sends after a reconnect to take the view back.
        #[serde(skip_serializing_if = "Option::is_none")]
        resume_token: Option<String>,
    },
    /// After a `resume`, when the client shows the view's latest render: it
    /// keeps its DOM (and what the user typed). A client that is behind
    /// gets an `html_update` instead.
    Resumed {
        view_id: String,
        version: u64,
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<Value>,
    },
    /// After a `resume` that found nothing to take back (whatever the reason:
    /// a bad token gets the same answer as a view that is gone); the client mounts.
    ResumeFailed {
        view_id: String,
        reason: String,
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<Value>,
    },
    /// Patches to the HTML the client has. Without `ref`, the server sent it on its own (a push).
    Patch {
        patches: Vec<Patch>,
        version: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        view_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        component_id: Option<String>,
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<Value>,
        /// Events for the client, dispatched once the frame is applied.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        events: Vec<ClientEvent>,
    },
    /// The view's whole HTML (a resync, or a render with no tree to diff against).
    HtmlUpdate {
        html: String,
        version: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        view_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        component_id: Option<String>,
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<Value>,
        /// Events for the client, dispatched once the frame is applied.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        events: Vec<ClientEvent>,
    },
    /// After a `ping`. `ref` is always there.
    Pong { #[serde(rename = "ref")] reference: Option<Value> },
    /// After a POSTed `claim`.
    Claimed { view_id: String, #[serde(rename = "ref", skip_serializing_if = "Option::is_none")] reference: Option<Value> },
    /// A frame that could not be served; the connection stays open.
    Error {
        error: String,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        view_id: Option<String>,
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<Value>,
        /// Under Django's `DEBUG`, for what a view's own code raised.
        #[serde(skip_serializing_if = "Option::is_none")]
        debug: Option<Debug>,
    },
}

/// What the DEBUG overlay shows of an exception a view's code raised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Debug {
    pub exception: String,
    pub view: Option<String>,
    pub event: Option<String>,
    /// The last frames: `{file, line, function, code}` each.
    pub traceback: Vec<Value>,
}

impl ServerFrame {
    /// A render as the answer to a frame (`reference`: its ref) or as a push (`None`).
    pub fn rendered(r: Rendered, view_id: Option<String>, reference: Option<Value>) -> ServerFrame {
        let Rendered { html, patches, version, component_id, events } = r;
        match html {
            Some(html) => ServerFrame::HtmlUpdate { html, version, view_id, component_id, reference, events },
            None => ServerFrame::Patch { patches: patches.unwrap_or_default(), version, view_id, component_id, reference, events },
        }
    }

    /// The answer to a `resume` that found nothing to take back, for every
    /// reason alike (no such view, its grace over, a bad token), on every
    /// transport: a client cannot tell a forged token from a view that is gone.
    pub fn resume_failed(view_id: String, reference: Option<Value>) -> ServerFrame {
        let reason = "no such view to resume here (it ended, or never lived in this process): mount it".into();
        ServerFrame::ResumeFailed { view_id, reason, reference }
    }

    /// The `error` frame for `error`.
    pub fn error(error: &WireError, view_id: Option<String>, reference: Option<Value>) -> ServerFrame {
        ServerFrame::Error {
            error: error.class.clone(),
            message: error.message.clone(),
            kind: error.kind.map(str::to_string),
            view_id,
            reference,
            debug: None,
        }
    }

    /// The view and version a render frame is at (`None` for other frames).
    pub fn rendered_at(&self) -> Option<(&str, u64)> {
        match self {
            ServerFrame::Patch { view_id: Some(v), version, .. } | ServerFrame::HtmlUpdate { view_id: Some(v), version, .. } => Some((v, *version)),
            _ => None,
        }
    }

    /// The frame as JSON text.
    pub fn to_text(&self) -> String {
        // Only strings, numbers and JSON values: serializing cannot fail.
        serde_json::to_string(self).expect("a server frame is JSON")
    }
}
