//! `SessionActorHandle`: one session actor, as Python drives it.
//!
//! Views with Python logic keep their handlers in Python: an event is
//! checked here (name, declared handler, params), then the view's code —
//! the handler, `get_context_data` and the context's encoding — runs on
//! the view's lane of handler threads (`threads`), where Django allows
//! its synchronous ORM, one event at a time and in order; the new context
//! goes to the view actor, which renders and diffs it in its guests
//! (`set_state`). Coroutine handlers are awaited on the caller's event
//! loop instead, and their context taken on the lane afterwards. Tokio
//! workers never run Python handlers and never wait for the GIL on this
//! path. Views without Python logic run entirely in their actor.

mod components;
mod events;
pub(crate) mod lane;
mod mount;
mod ordered;
mod output;
mod views;

use crate::bridge::{self, Reply};
use crate::convert;
use crate::errors;
use crate::system::{self, System};
use crate::threads;
use ordered::Job;
use output::{Output, output, rendered_to_py};
use pyo3::prelude::*;
use serde_json::{Map, Value};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use views::{Views, views_of};
use crate::push::Pushes;
use wasmlive::actors::{ActorError, Delivery, OUTBOUND_FRAMES, Outbound, Rendered, SessionHandle, outbound};

/// A handle to one session actor (`await create_session_actor(id)`).
#[pyclass(module = "wasmlive._host", name = "SessionActorHandle", frozen)]
pub struct Session {
    system: Arc<System>,
    handle: SessionHandle,
    views: Arc<Mutex<Views>>,
    /// Requests whose order matters (events, state syncs), delivered one
    /// after the other by one task: Tokio tasks spawned per request could
    /// reach the mailbox in any order.
    ordered: mpsc::UnboundedSender<Job>,
    /// Requests queued for that task and not yet delivered: while any are,
    /// new ones queue too (the fast path would overtake them).
    backlog: Arc<AtomicUsize>,
    /// The connection's push queue, once `pushes()` made it: views mounted
    /// after that push through it.
    outbound: Mutex<Option<Outbound>>,
}

/// Create (or find) the session actor `session_id`. Awaitable.
#[pyfunction]
pub fn create_session_actor(py: Python<'_>, session_id: String) -> PyResult<Reply> {
    let system = system::system()?;
    let handle = {
        let _guard = system::runtime()?.enter();
        system.supervisor.get_or_create_session(&session_id)
    };
    let (ordered, mut jobs) = mpsc::unbounded_channel::<Job>();
    system::runtime()?.spawn(async move {
        while let Some(job) = jobs.recv().await {
            job.await;
        }
    });
    // Every handle to one session shares what it knows of the views: a
    // handle made later (an HTTP request after the first paint) must find
    // the Python logic of views mounted through another.
    let views = views_of(&handle);
    let session = Session {
        system,
        handle,
        views,
        ordered,
        backlog: Arc::new(AtomicUsize::new(0)),
        outbound: Mutex::new(None),
    };
    Ok(Reply::ready(Py::new(py, session)?.into_any()))
}

/// The session actor `session_id` if it runs, else None (never creates one:
/// a request that needs no session must not cost one). Awaitable.
#[pyfunction]
pub fn find_session_actor(py: Python<'_>, session_id: String) -> PyResult<Reply> {
    let system = system::system()?;
    if system.supervisor.session(&session_id).is_none() {
        return Ok(Reply::ready(py.None()));
    }
    create_session_actor(py, session_id)
}

impl Session {
    /// Client-supplied params (absent or `None`: empty), within the configured limits.
    fn params(&self, value: Option<&Bound<'_, PyAny>>) -> PyResult<Map<String, Value>> {
        match value {
            Some(p) if !p.is_none() => {
                convert::params(p, self.system.settings.params).map_err(errors::InvalidParamsError::new_err)
            }
            _ => Ok(Map::new()),
        }
    }

    /// An event's name and params from the Python API, checked as the
    /// protocol checks a client's (frames come checked already).
    fn checked(&self, py: Python<'_>, event: &str, params: Option<&Bound<'_, PyAny>>) -> PyResult<Map<String, Value>> {
        crate::handlers::check_name(py, event)?;
        self.params(params)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Views> {
        self.views.lock().expect("views lock")
    }

    /// The view an event without an id goes to.
    fn target(&self, view_id: Option<String>) -> Option<String> {
        self.lock().target(view_id)
    }

    /// Render a view in full (its client's tree becomes this HTML), as `out`.
    fn render_as(&self, py: Python<'_>, view_id: Option<String>, out: Output) -> PyResult<Reply> {
        let view = match self.lock().handle(view_id.as_deref()) {
            Ok(view) => view,
            Err(e) => return Ok(Reply::failed(errors::to_py(py, e))),
        };
        let view_id = Some(view.view_id().to_string());
        self.spawn_rendered(py, async move { view.render(Delivery::Wait).await?.await }, view_id, out)
    }

    fn spawn_rendered<F>(&self, py: Python<'_>, request: F, view_id: Option<String>, output: Output) -> PyResult<Reply>
    where
        F: std::future::Future<Output = Result<Rendered, ActorError>> + Send + 'static,
    {
        let rt = system::runtime()?;
        Ok(bridge::spawn(py, rt, request, move |py, result| {
            let rendered = result.map_err(|e| errors::to_py(py, e))?;
            rendered_to_py(py, rendered, view_id.as_deref(), &output)
        }))
    }
}

pub(super) fn helper<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("wasmlive._bridge")?.getattr(name)
}

#[pymethods]
impl Session {
    #[getter]
    fn session_id(&self) -> &str {
        self.handle.session_id()
    }


    /// Render a view in full: `{"html", "version"}` (or a frame); the client's
    /// tree becomes this HTML (for resync).
    #[pyo3(signature = (view_id=None))]
    fn render(&self, py: Python<'_>, view_id: Option<String>) -> PyResult<Reply> {
        self.render_as(py, view_id, Output::Dict)
    }

    /// (internal) Sync a Python view after its handler ran: its context is
    /// taken on its lane.
    #[pyo3(signature = (view_id, frame=false, reference=None))]
    fn _sync(&self, py: Python<'_>, view_id: String, frame: bool, reference: Option<Bound<'_, PyAny>>) -> PyResult<Reply> {
        self.sync_view(py, &view_id, None, output(frame, reference.as_ref())?)
    }

    /// (internal) Run `function(*args)` on the lane of view `view_id` (a
    /// fresh lane when `None` or not mounted): view code that is not an
    /// event, such as mounting. Awaitable: gives what it returned, or raises.
    #[pyo3(signature = (view_id, function, *args))]
    fn _run(&self, py: Python<'_>, view_id: Option<String>, function: Py<PyAny>, args: Py<pyo3::types::PyTuple>) -> PyResult<Reply> {
        let lane = view_id
            .and_then(|id| self.lock().python.get(&id).map(|v| v.lane().clone()))
            .unwrap_or_default();
        threads::run_in(py, &lane, function, args)
    }

    /// Unmount a view. Awaitable.
    fn unmount(&self, py: Python<'_>, view_id: String) -> PyResult<Reply> {
        {
            let mut views = self.lock();
            views.mounted.shift_remove(&view_id);
            views.python.shift_remove(&view_id);
            views.components.retain(|(v, _), _| *v != view_id);
        }
        let handle = self.handle.clone();
        let rt = system::runtime()?;
        Ok(bridge::spawn(py, rt, async move { handle.unmount(&view_id, Delivery::Wait).await?.await }, |py, r| {
            r.map_err(|e| errors::to_py(py, e)).map(|()| py.None())
        }))
    }

    /// Check the actor answers. Awaitable; raises if it does not.
    fn ping(&self, py: Python<'_>) -> PyResult<Reply> {
        let handle = self.handle.clone();
        let rt = system::runtime()?;
        Ok(bridge::spawn(py, rt, async move { handle.ping(Delivery::FailFast).await?.await }, |py, r| {
            r.map_err(|e| errors::to_py(py, e)).map(|()| py.None())
        }))
    }

    /// Stop the session and its views, and remove it from the supervisor. Awaitable.
    fn shutdown(&self, py: Python<'_>) -> PyResult<Reply> {
        *self.lock() = Views::default();
        let supervisor = self.system.supervisor.clone();
        let id = self.handle.session_id().to_string();
        let handle = self.handle.clone();
        let rt = system::runtime()?;
        Ok(bridge::spawn(
            py,
            rt,
            async move {
                let stopped = async { handle.shutdown(Delivery::Wait).await?.await }.await;
                supervisor.remove_session(&id).await.map(|_| ()).or(stopped)
            },
            |py, r| match r {
                Ok(()) | Err(ActorError::Shutdown { .. }) => Ok(py.None()),
                Err(e) => Err(errors::to_py(py, e)),
            },
        ))
    }

    /// This connection's queue of pushes (`push_render` from its views),
    /// made at the first call; views mounted from then on push to it.
    fn pushes(&self) -> PyResult<Pushes> {
        let mut slot = self.outbound.lock().expect("outbound lock");
        if slot.is_some() {
            return Err(pyo3::exceptions::PyRuntimeError::new_err("this session's pushes are read already (one reader per connection)"));
        }
        let (outbound, queue) = outbound(OUTBOUND_FRAMES);
        *slot = Some(outbound);
        Ok(Pushes::new(queue, self.handle.clone()))
    }

    /// The mounted views' ids, in mount order.
    fn view_ids(&self) -> Vec<String> {
        self.lock().mounted.keys().cloned().collect()
    }

    /// The event handlers a view declares (what its client may call).
    #[pyo3(signature = (view_id=None))]
    fn handlers(&self, view_id: Option<String>) -> Vec<String> {
        let Some(id) = self.target(view_id) else { return Vec::new() };
        self.lock().python.get(&id).map(|v| v.handlers().names()).unwrap_or_default()
    }







    fn __repr__(&self) -> String {
        format!("<SessionActorHandle {:?} views={}>", self.handle.session_id(), self.lock().mounted.len())
    }
}
