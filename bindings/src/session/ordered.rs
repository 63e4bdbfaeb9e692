//! Requests whose order matters (events and syncs of views without Python
//! logic), delivered at once from the calling thread when they can be, or
//! queued behind the others for one task.

use super::Session;
use super::output::{Output, rendered_to_py};
use crate::bridge::{self, Reply};
use crate::errors;
use crate::system;
use pyo3::prelude::*;
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use wasmlive::actors::{ActorError, Delivery, Pending, Rendered, SessionHandle};

/// Delivers one request to the session actor, then hands its answer on.
pub(super) type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A request to a view or component without Python logic whose order
/// matters, before it is delivered.
pub(super) enum Request {
    Event { name: String, params: Map<String, Value>, view_id: Option<String> },
    ComponentEvent { view_id: String, component_id: String, name: String, params: Map<String, Value> },
    UpdateProps { view_id: String, component_id: String, props: Map<String, Value> },
}

/// Why a request was not delivered at once.
enum Refused {
    /// It cannot go now (no fast path for it, or no room): queue it.
    NotNow(Request),
    Error(ActorError),
}

impl Request {
    /// Deliver now from this thread, where there is a fast path.
    fn send_now(self, handle: &SessionHandle) -> Result<Pending<Rendered>, Refused> {
        match self {
            Request::Event { name, params, view_id } => handle.send_event_now(&name, params, view_id.as_deref()),
            other => return Err(Refused::NotNow(other)),
        }
        .map_err(Refused::Error)
    }

    /// Deliver, waiting for room.
    async fn send(self, handle: &SessionHandle) -> Result<Pending<Rendered>, ActorError> {
        match self {
            Request::Event { name, params, view_id } => handle.send_event(&name, params, view_id.as_deref(), Delivery::Wait).await,
            Request::ComponentEvent { view_id, component_id, name, params } => {
                handle.send_component_event(&view_id, &component_id, &name, params).await
            }
            Request::UpdateProps { view_id, component_id, props } => {
                handle.send_update_component_props(&view_id, &component_id, props).await
            }
        }
    }
}

impl Session {
    /// Send a request that must keep its place after this handle's
    /// earlier ones. Fast path: delivered at once from this thread and its
    /// answer polled here (no task hop, often no wake). Otherwise (a backlog,
    /// a full mailbox) it queues behind the others, delivered by one task.
    pub(super) fn ordered(&self, py: Python<'_>, request: Request, view_id: Option<String>, output: Output) -> PyResult<Reply> {
        let finish = move |py: Python<'_>, result: Result<Rendered, ActorError>| {
            let rendered = result.map_err(|e| errors::to_py(py, e))?;
            rendered_to_py(py, rendered, view_id.as_deref(), &output)
        };
        let started = std::time::Instant::now();
        let request = if self.backlog.load(Ordering::Acquire) == 0 && self.handle.has_room() {
            match request.send_now(&self.handle) {
                Ok(mut pending) => {
                    if let Some(result) = bridge::spin_for(py, started, || pending.try_answer()) {
                        return Ok(match finish(py, result) {
                            Ok(value) => Reply::ready(value),
                            Err(e) => Reply::failed(e),
                        });
                    }
                    let (completer, waiting) = bridge::start();
                    system::runtime()?.spawn(async move { completer.complete(pending.answer().await, finish) });
                    return Ok(waiting.parked());
                }
                Err(Refused::Error(e)) => return Ok(Reply::failed(errors::to_py(py, e))),
                Err(Refused::NotNow(request)) => request,
            }
        } else {
            request
        };
        let (completer, waiting) = bridge::start();
        let handle = self.handle.clone();
        let backlog = self.backlog.clone();
        backlog.fetch_add(1, Ordering::AcqRel);
        let job: Job = Box::pin(async move {
            let delivered = request.send(&handle).await;
            backlog.fetch_sub(1, Ordering::AcqRel);
            match delivered {
                Ok(pending) => {
                    tokio::spawn(async move { completer.complete(pending.answer().await, finish) });
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
