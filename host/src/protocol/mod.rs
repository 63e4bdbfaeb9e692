//! The wire protocol (docs/reference/protocol.md), written once for every
//! transport: `wasmlive serve`'s WebSocket and POST fallback, and the
//! Django consumer and POST fallback through the Python bindings.
//!
//! A transport reads bytes and hands them to [`parse`], which checks them
//! (size, JSON, field types, event names, params) and gives a typed
//! [`ClientFrame`] or the [`Refusal`] to answer. The transport then does
//! what the frame asks (mount through its own view registry; events,
//! resyncs and pings through its session) and answers with a
//! [`ServerFrame`], built and serialized only here. A failure becomes an
//! `error` frame through [`WireError`], which also names the HTTP status
//! the POST fallback answers with.

mod client;
mod server;
mod wire;

pub use client::{ClientFrame, EventFrame, FrameLimits, MountFrame, NOT_TEXT, Refusal, Request, ResumeFrame, Transport, not_in_session, parse};
pub use server::{Debug as DebugDetails, ServerFrame};
pub use wire::{Status, WireError};
