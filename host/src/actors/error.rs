//! The actor system's one error type.

use crate::engine_host::{FaultKind, GuestFault, RenderError, TemplateError};
use thiserror::Error;

/// Why a request to an actor failed. Every failure reaches the caller.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ActorError {
    /// The actor's mailbox was full and the request asked not to wait.
    #[error("the {actor} actor's mailbox is full ({capacity} messages waiting); try again later")]
    MailboxFull { actor: &'static str, capacity: usize },
    /// The actor has stopped (shut down, expired, or its session was removed).
    #[error("the {actor} actor has shut down")]
    Shutdown { actor: &'static str },
    /// The actor panicked while handling this request; it was restarted (sessions) or removed (views).
    #[error("the {actor} actor panicked while handling the request: {message}")]
    Panicked { actor: &'static str, message: String },
    /// No reply within the configured message timeout.
    #[error("the {actor} actor did not reply within {timeout_ms} ms")]
    Timeout { actor: &'static str, timeout_ms: u64 },
    /// No view with this id is mounted in the session.
    #[error("view not found: {0}")]
    ViewNotFound(String),
    /// Another process resumed the view (it claimed the view's snapshot):
    /// this copy closed.
    #[error("view {0} was resumed by another process; this copy is closed")]
    Moved(String),
    /// The view was mounted without a connection to push to.
    #[error("view {0} has no live connection to push to (a first paint's or the POST fallback's view shows changes at its next event)")]
    NotConnected(String),
    /// No component with this id exists in the view.
    #[error("component not found: {0}")]
    ComponentNotFound(String),
    /// The template failed to compile or render.
    #[error("template error: {0}")]
    Template(TemplateError),
    /// The host refused the VDOM guest's patches as inconsistent with the
    /// tree the client has (guest crashes are `GuestFault`s).
    #[error("vdom error: {0}")]
    Vdom(String),
    /// A guest failed; the view kept its last good state and HTML, and the
    /// guest instance was replaced.
    #[error("{0}")]
    GuestFault(GuestFault),
    /// An event handler failed or does not exist.
    #[error("{0}")]
    Handler(HandlerError),
}

impl ActorError {
    /// The kind of guest fault, if this is one.
    pub fn fault_kind(&self) -> Option<FaultKind> {
        match self {
            ActorError::GuestFault(f) => Some(f.kind),
            _ => None,
        }
    }
}

impl From<RenderError> for ActorError {
    fn from(e: RenderError) -> ActorError {
        match e {
            RenderError::Template(t) => ActorError::Template(t),
            RenderError::Fault(f) => ActorError::GuestFault(f),
            RenderError::UnknownTemplate(name) => ActorError::Template(TemplateError {
                kind: crate::engine_host::TemplateErrorKind::TemplateNotFound,
                message: format!("no template named `{name}` was added to this view"),
                template: name,
                line: 0,
                column: 0,
            }),
        }
    }
}

impl From<GuestFault> for ActorError {
    fn from(f: GuestFault) -> ActorError {
        ActorError::GuestFault(f)
    }
}

impl From<HandlerError> for ActorError {
    fn from(e: HandlerError) -> ActorError {
        ActorError::Handler(e)
    }
}

/// A failure of view or component logic.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HandlerError {
    /// The event names no handler the view declares.
    #[error("no handler for event `{event}` on {view}")]
    UnknownEvent { view: String, event: String },
    /// The parameters do not fit the handler.
    #[error("invalid parameters for `{event}`: {message}")]
    InvalidParams { event: String, message: String },
    /// The view's logic refused the event as a client's mistake (no such
    /// handler, not a handler): `kind` is the error's class name
    /// (`HandlerNotFoundError`, `EventRejectedError`).
    #[error("{message}")]
    Refused { kind: String, message: String },
    /// The handler raised. `kind` is the exception's type name (e.g. Python's
    /// `ValueError`), so the bindings can raise the same type again.
    #[error("{kind}: {message}")]
    Raised { kind: String, message: String },
}
