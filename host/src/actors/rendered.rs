//! What a render gives: the patches (or whole HTML), the version, and the
//! events the view sends the client with it.

use crate::engine_host::Patch;
use serde::Serialize;
use serde_json::Value;

/// What a render sends to the client: patches when the view was shown
/// before, full HTML on first render (or when asked for HTML).
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// Full HTML, when there is no earlier tree to diff against.
    pub html: Option<String>,
    /// Patches from the HTML the client has to the new HTML.
    pub patches: Option<Vec<Patch>>,
    /// The view's render version after this render (one more per render).
    pub version: u64,
    /// Set when the patches apply inside this component's root only.
    pub component_id: Option<String>,
    /// Events for the client, dispatched once the render is applied.
    pub events: Vec<ClientEvent>,
}

/// A server → client event (`push_event`): the JS client dispatches it as
/// a DOM `CustomEvent` named `wasmlive:NAME` on the view's root, with the
/// payload as its `detail`, after the render it came with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientEvent {
    pub name: String,
    pub payload: Value,
}

/// Longest client event name.
pub const MAX_EVENT_NAME: usize = 64;

impl ClientEvent {
    /// An event named `name` (1–64 ASCII letters, digits, `_`, `-`, `:` or
    /// `.`: it becomes part of a DOM event type), or why not.
    pub fn new(name: &str, payload: Value) -> Result<ClientEvent, String> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.');
        if name.is_empty() || name.len() > MAX_EVENT_NAME || !name.chars().all(allowed) {
            return Err(format!(
                "a client event's name must be 1 to {MAX_EVENT_NAME} ASCII letters, digits, `_`, `-`, `:` or `.`, not {name:?}"
            ));
        }
        Ok(ClientEvent { name: name.to_string(), payload })
    }
}
