//! What a failure looks like on the wire: its class name, message and kind,
//! and the HTTP status the POST fallback answers it with.

use crate::actors::{ActorError, HandlerError};

/// The HTTP status of an answer on the POST fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 200: answered.
    Ok,
    /// 400: the client sent something refused.
    BadRequest,
    /// 404: no such view in this browser's session.
    NotFound,
    /// 413: the body is over `max_frame_bytes`.
    TooLarge,
    /// 500: the server failed (a view's code raised, a guest faulted).
    Failed,
}

impl Status {
    /// The status code.
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::BadRequest => 400,
            Status::NotFound => 404,
            Status::TooLarge => 413,
            Status::Failed => 500,
        }
    }
}

/// A failure as the client sees it: the `error`, `message` and `kind`
/// fields of an `error` frame. `class` is the Python exception's name
/// (the bindings raise the class of that name, so a client sees the same
/// name under Django and `serve`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    pub class: String,
    pub message: String,
    /// A guest fault's kind (`trap`, `deadline`…) or a template error's (`syntax`…).
    pub kind: Option<&'static str>,
    pub status: Status,
}

impl WireError {
    /// An error of `class` a client caused (400).
    pub fn refused(class: &str, message: impl Into<String>) -> WireError {
        WireError { class: class.into(), message: message.into(), kind: None, status: Status::BadRequest }
    }

    /// A frame that is not one the protocol reads (`ValueError`, 400).
    pub fn invalid(message: impl Into<String>) -> WireError {
        WireError::refused("ValueError", message)
    }

    /// With another status.
    pub fn with_status(mut self, status: Status) -> WireError {
        self.status = status;
        self
    }

    /// The name of the exception class an actor error is, on the wire and in Python.
    pub fn class_of(e: &ActorError) -> &str {
        match e {
            ActorError::MailboxFull { .. } => "MailboxFullError",
            ActorError::Shutdown { .. } => "ActorShutdownError",
            ActorError::Panicked { .. } => "ActorPanicError",
            ActorError::Timeout { .. } => "ActorTimeoutError",
            // Not here any more: another process has it.
            ActorError::ViewNotFound(_) | ActorError::Moved(_) => "ViewNotFoundError",
            ActorError::ComponentNotFound(_) => "ComponentNotFoundError",
            ActorError::NotConnected(_) => "NotConnectedError",
            ActorError::Template(_) => "TemplateError",
            ActorError::Vdom(_) => "VdomError",
            ActorError::GuestFault(_) => "GuestFaultError",
            ActorError::Handler(HandlerError::UnknownEvent { .. }) => "HandlerNotFoundError",
            ActorError::Handler(HandlerError::InvalidParams { .. }) => "InvalidParamsError",
            ActorError::Handler(HandlerError::Raised { kind, .. } | HandlerError::Refused { kind, .. }) => kind,
        }
    }
}

impl From<&ActorError> for WireError {
    fn from(e: &ActorError) -> WireError {
        let message = match e {
            ActorError::Handler(HandlerError::Raised { message, .. } | HandlerError::Refused { message, .. }) => message.clone(),
            other => other.to_string(),
        };
        let kind = match e {
            ActorError::GuestFault(f) => Some(f.kind.name()),
            ActorError::Template(t) => Some(t.kind.name()),
            _ => None,
        };
        let status = match e {
            ActorError::ViewNotFound(_) | ActorError::Moved(_) | ActorError::ComponentNotFound(_) => Status::NotFound,
            ActorError::Handler(HandlerError::UnknownEvent { .. } | HandlerError::InvalidParams { .. } | HandlerError::Refused { .. }) => {
                Status::BadRequest
            }
            _ => Status::Failed,
        };
        WireError { class: WireError::class_of(e).to_string(), message, kind, status }
    }
}
