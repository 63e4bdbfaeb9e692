//! Requests whose order matters (events, props and syncs of views and
//! components without Python logic), delivered at once from the calling
//! thread when they can be, or queued behind the others for one task.

use super::Session;
use super::output::{Output, rendered_to_py};
use crate::bridge::{self, Reply};
use crate::errors;
use crate::system;
use pyo3::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use wasmlive::actors::{ActorError, ComponentEvent, ComponentProps, Delivery, Event, Pending, Rendered, ViewHandle};

/// Delivers one request to its view actor, then hands its answer on.
pub(super) type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A request to a view or component without Python logic whose order
/// matters, before it is delivered.
pub(super) enum Request {
    Event(Event),
    ComponentEvent(ComponentEvent),
    UpdateProps(ComponentProps),
}

impl Request {
    async fn send(self, view: &ViewHandle, delivery: Delivery) -> Result<Pending<Rendered>, ActorError> {
        match self {
            Request::Event(event) => view.event(event, delivery).await,
            Request::ComponentEvent(event) => view.component_event(event, delivery).await,
            Request::UpdateProps(props) => view.update_component_props(props, delivery).await,
        }
    }
}

/// Deliver now, from this thread: a fail-fast delivery never waits, so it
/// is done at its first poll and needs no runtime.
fn send_now(request: Request, view: &ViewHandle) -> Result<Pending<Rendered>, ActorError> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(request.send(view, Delivery::FailFast)).poll(&mut cx) {
        std::task::Poll::Ready(sent) => sent,
        std::task::Poll::Pending => unreachable!("a fail-fast delivery waited"),
    }
}

impl Session {
    /// Send a request to `view_id`'s actor that must keep its place after
    /// this handle's earlier ones. Fast path: delivered at once from this
    /// thread and its answer polled here (no task hop, often no wake).
    /// Otherwise (a backlog, a full mailbox) it queues behind the others,
    /// delivered by one task.
    pub(super) fn ordered(&self, py: Python<'_>, request: Request, view_id: Option<String>, output: Output) -> PyResult<Reply> {
        let view = match self.lock().handle(view_id.as_deref()) {
            Ok(view) => view,
            Err(e) => return Ok(Reply::failed(errors::to_py(py, e))),
        };
        let view_id = Some(view.view_id().to_string());
        let finish = move |py: Python<'_>, result: Result<Rendered, ActorError>| {
            let rendered = result.map_err(|e| errors::to_py(py, e))?;
            rendered_to_py(py, rendered, view_id.as_deref(), &output)
        };
        let started = std::time::Instant::now();
        if self.backlog.load(Ordering::Acquire) == 0 && view.has_room() {
            // (Another sender may take the room meanwhile: then this one is `MailboxFull`.)
            match send_now(request, &view) {
                Ok(mut pending) => {
                    if let Some(result) = bridge::spin_for(py, started, || pending.try_answer()) {
                        return Ok(match finish(py, result) {
                            Ok(value) => Reply::ready(value),
                            Err(e) => Reply::failed(e),
                        });
                    }
                    let (completer, waiting) = bridge::start();
                    system::runtime()?.spawn(async move { completer.complete(pending.await, finish) });
                    return Ok(waiting.parked());
                }
                Err(e) => return Ok(Reply::failed(errors::to_py(py, e))),
            }
        }
        let (completer, waiting) = bridge::start();
        let backlog = self.backlog.clone();
        backlog.fetch_add(1, Ordering::AcqRel);
        let job: Job = Box::pin(async move {
            let delivered = request.send(&view, Delivery::Wait).await;
            backlog.fetch_sub(1, Ordering::AcqRel);
            match delivered {
                Ok(pending) => {
                    tokio::spawn(async move { completer.complete(pending.await, finish) });
                }
                Err(e) => completer.complete(Err(e), finish),
            }
        });
        if self.ordered.send(job).is_err() {
            self.backlog.fetch_sub(1, Ordering::AcqRel);
            return Err(errors::to_py(py, ActorError::Shutdown { actor: "session" }));
        }
        Ok(waiting.wait(py))
    }
}
