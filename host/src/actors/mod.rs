//! The actor system: LiveView state in Tokio actors.
//!
//! - [`ActorSupervisor`]: the registry of sessions (on a `DashMap`); idle
//!   expiry, health checks, restart counting, orderly shutdown.
//! - [`SessionHandle`] / `SessionActor`: one per client, the registry of
//!   its views: mounts them (by UUID v4 `view_id`), looks them up,
//!   unmounts them.
//! - [`ViewHandle`] / `ViewActor`: one per mounted view; owns its state,
//!   logic, render version, live components and its own template and VDOM
//!   guest instances. Events, state and renders go straight to it.
//! - `ComponentHandle` / `ComponentActor`: one per live component, inside a
//!   view; its own state, template and tree; messages to its parent.
//! - [`Outbound`] / [`OutboundQueue`]: a connection's queue of frames its
//!   views send on their own (pushes), read beside the socket.
//! - Parked sessions: a closed connection's session, kept for the resume
//!   grace so that a reconnect takes its views back ([`ViewHandle::reattach`]).
//! - [`ViewLogic`] / [`ComponentLogic`]: event handlers, in Rust or (through
//!   the bindings) in Python; [`MergeParams`] is the fallback.
//! - [`ActorConfig`], [`ActorError`], [`StatsSnapshot`].
//!
//! Every actor is a handle/actor pair: a private message enum with a
//! [`reply`](self) per request, a cloneable handle holding the mailbox's
//! sender, and a `run` loop spawned when the handle is made. Mailboxes are
//! bounded (100 / 50 / 20 by default). A handle has one method per request,
//! taking a [`Delivery`]: wait for space (backpressure) or fail fast with
//! `MailboxFull`. It gives a [`Pending`] answer once delivered (requests
//! delivered one after the other are handled in that order), which awaited
//! gives the answer. Requests are answered in order, failures included:
//! nothing is only logged.
//!
//! ```
//! use wasmlive::actors::{ActorConfig, ActorSupervisor, Delivery, Event, MountRequest, TemplateSource};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let supervisor = ActorSupervisor::start(ActorConfig::default())?;
//! let session = supervisor.get_or_create_session("user-1");
//! let template = TemplateSource::Inline("<p>Count: {{ count }}</p>".into());
//! let params = json!({"count": 0}).as_object().unwrap().clone();
//! let request = MountRequest::new("counter", template).params(params);
//! let mounted = session.mount(request, Delivery::Wait).await?.await?;
//! assert_eq!(mounted.html, "<p>Count: 0</p>");
//!
//! // Without logic, an event merges its params into the state.
//! let update = json!({"count": 1}).as_object().unwrap().clone();
//! let rendered = mounted.view.event(Event::new("set", update), Delivery::Wait).await?.await?;
//! assert_eq!(rendered.patches.unwrap().len(), 1);
//! assert_eq!(rendered.version, 2);
//! supervisor.shutdown_all().await;
//! # Ok(()) }
//! ```

mod component;
mod config;
mod error;
mod info;
mod logic;
mod outbound;
mod parked;
mod rendered;
mod reply;
mod requests;
mod session;
mod shared;
mod stats;
mod supervisor;
mod trim;
mod view;

pub use config::ActorConfig;
pub use error::{ActorError, HandlerError};
pub use logic::{ComponentLogic, Handled, LogicFuture, MergeParams, Record, State, ToParent, ViewLogic, merge};
pub use outbound::{OUTBOUND_FRAMES, Outbound, OutboundQueue, Pushed, around, outbound};
pub use reply::{Answer, Delivery, Pending};
pub use rendered::{ClientEvent, MAX_EVENT_NAME};
pub use requests::{ComponentEvent, ComponentProps, ComponentRequest, Event, Update};
pub use session::{MountRequest, Mounted, Resumable, SessionHandle, TemplateSource};
pub use stats::{LatencySummary, MailboxHighWater, MessageKind, ResumeRefusal, ResumeStats, ResumedFrom, StatsSnapshot};
pub use supervisor::{ActorSupervisor, ShutdownReport};
pub use info::{INBOX_CAPACITY, Info, InfoError, MAX_TIMERS};
pub use view::{Engines, Rendered, Timer, ViewHandle, WeakViewHandle};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    /// Every mailbox keeps a block of 32 slots of its message type for as
    /// long as its actor lives: a byte here is 32 bytes per session or view.
    #[test]
    fn mailbox_messages_stay_small() {
        assert!(std::mem::size_of::<reply::Reply<()>>() <= 24);
        assert!(std::mem::size_of::<session::SessionMsg>() <= 48);
        assert!(std::mem::size_of::<view::ViewMsg>() <= 40);
    }

    #[test]
    fn handles_are_send_and_sync() {
        assert_send_sync::<ActorSupervisor>();
        assert_send_sync::<SessionHandle>();
        assert_send_sync::<ViewHandle>();
        assert_send_sync::<ActorError>();
    }
}

