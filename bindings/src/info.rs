//! A Python view told of its topics' messages and its timers: each one
//! through its `handle_info(message)` (a gap through `handle_gap(topic,
//! missed)`), on its lane of handler threads, then one update pushed.
//!
//! Under Django ([`InfoOnLane`]) the view's actor does not wait for the
//! lane (a handler there may be waiting for the actor's mailbox): the job
//! pushes the update itself, and the actor takes nothing more from its
//! inbox until the job is done. Under `serve` the actor waits for its lane
//! as it does for a handler ([`run_infos`], from `cli.rs`).

use crate::errors;
use crate::pyview::PyView;
use crate::system;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use std::sync::Arc;
use wasmlive::actors::{ActorError, Delivery, Handled, HandlerError, Info, LogicFuture, State, Update, ViewLogic, WeakViewHandle, merge};

/// The actor side of a Django Python view: its events come as whole
/// contexts (`set_state`), so only what it is told runs through here.
pub struct InfoOnLane {
    view: Arc<PyView>,
    handle: Option<WeakViewHandle>,
}

impl InfoOnLane {
    pub fn new(view: Arc<PyView>) -> InfoOnLane {
        InfoOnLane { view, handle: None }
    }
}

impl ViewLogic for InfoOnLane {
    fn handle_event<'a>(&'a mut self, _event: &'a str, params: &'a State, state: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        // Not reached from Django: its events run on the lane, then `set_state`.
        merge(params, state);
        Box::pin(async { Ok(()) })
    }

    fn handle_info<'a>(&'a mut self, infos: &'a [Info], _state: &'a mut State) -> LogicFuture<'a, Result<Handled, HandlerError>> {
        let Some(handle) = self.handle.clone() else {
            return Box::pin(async { Ok(Handled::Now) });
        };
        let view = self.view.clone();
        let infos = infos.to_vec();
        let (done, finished) = tokio::sync::oneshot::channel::<()>();
        view.lane().clone().submit(Box::new(move |py| {
            if let Some(update) = run_infos(py, &view, &infos) {
                push(py, &view, &handle, update);
            }
            drop(done);
        }));
        Box::pin(async move {
            Ok(Handled::Later(Box::pin(async move {
                let _ = finished.await;
            })))
        })
    }

    fn attached(&mut self, view: WeakViewHandle) {
        self.handle = Some(view);
    }
}

/// On the view's lane: run `infos` through the object's handlers, then
/// take its update. A handler that raises is logged (with its traceback)
/// and the others still run; `None` when the context cannot be taken
/// (logged too): nobody awaits this work to be told.
pub fn run_infos(py: Python<'_>, view: &PyView, infos: &[Info]) -> Option<Update> {
    let ran = as_python(py, infos).and_then(|list| py.import("wasmlive._bridge")?.getattr("handle_infos")?.call1((view.object(py), list)));
    if let Err(e) = ran {
        errors::log_exception(py, &format!("wasmlive: {} could not be told its messages", view.path()), &e);
        return None;
    }
    match view.update(py) {
        Ok(update) => Some(update),
        Err(e) => {
            errors::log_exception(py, &format!("wasmlive: {}.get_context_data failed after handle_info", view.path()), &e);
            None
        }
    }
}

/// `infos` as `_bridge.handle_infos` takes them: `(kind, topic, payload, missed)`.
fn as_python<'py>(py: Python<'py>, infos: &[Info]) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for info in infos {
        let item = match info {
            Info::Message { topic, payload, .. } => PyTuple::new(py, ["message".into_pyobject(py)?.into_any(), topic.as_ref().into_pyobject(py)?.into_any(), payload.as_ref().into_pyobject(py)?.into_any(), py.None().into_bound(py)])?,
            Info::Timer { payload } => PyTuple::new(py, ["timer".into_pyobject(py)?.into_any(), py.None().into_bound(py), payload.as_ref().into_pyobject(py)?.into_any(), py.None().into_bound(py)])?,
            Info::Gap { topic, missed } => PyTuple::new(py, ["gap".into_pyobject(py)?.into_any(), topic.as_ref().into_pyobject(py)?.into_any(), py.None().into_bound(py), missed.into_pyobject(py)?.into_any()])?,
        };
        list.append(item)?;
    }
    Ok(list)
}

/// Push `update` from the lane: delivered at once when the mailbox has
/// room, else waited for here (GIL released); its render's failure is
/// logged once the actor answers.
fn push(py: Python<'_>, view: &PyView, handle: &WeakViewHandle, update: Update) {
    let Some(handle) = handle.upgrade() else { return };
    let Ok(rt) = system::runtime() else { return };
    let path = view.path().to_string();
    let sent = py.detach(|| rt.block_on(handle.push(update, Delivery::Wait)));
    let report = move |e: ActorError| {
        if matches!(e, ActorError::NotConnected(_) | ActorError::Shutdown { .. }) {
            return; // The view is going away with its connection.
        }
        Python::attach(|py| errors::log_exception(py, &format!("wasmlive: {path} could not push what handle_info changed"), &errors::to_py(py, e)));
    };
    match sent {
        Ok(pending) => {
            rt.spawn(async move {
                if let Err(e) = pending.await {
                    // Not on a Tokio worker: it takes the GIL.
                    tokio::task::spawn_blocking(move || report(e));
                }
            });
        }
        Err(e) => report(e),
    }
}
