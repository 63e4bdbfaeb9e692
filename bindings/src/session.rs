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

use crate::bridge::{self, Reply};
use crate::convert;
use crate::engines;
use crate::errors;
use crate::handlers::{self, HandlerTable};
use crate::services::PythonServices;
use crate::system::{self, System};
use crate::threads::{self, Lane};
use indexmap::IndexMap;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use serde_json::{Map, Value};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::mpsc;
use std::sync::{Arc, Mutex};
use wasmlive::actors::{
    ActorError, ComponentRequest, Delivery, MountRequest, Mounted, Pending, Rendered, SessionHandle, TemplateSource,
};
use wasmlive::engine::{HostServices, StandaloneServices};

/// A view or component object with Python handlers, and the lane its
/// code runs on (a component shares its view's).
struct PyLogic {
    object: Py<PyAny>,
    handlers: Arc<HandlerTable>,
    lane: Lane,
}

/// Why a request that ran view code failed: the code raised, or the actor refused.
enum Failure {
    Python(PyErr),
    Actor(ActorError),
}

/// Run `prepare` (view code) on `lane`, then `deliver` what it made to the
/// actors from the same handler thread, in the lane's order, and `answer`
/// what the delivery gave; the reply gives `finish`'s value of the answer.
/// Called on a handler thread, `prepare` and the delivery run now.
///
/// The delivery is polled here with the GIL held: when the mailbox has
/// room it is done at once, and the answer is awaited on Tokio, so the
/// thread goes on to its next job without giving the GIL up. A full
/// mailbox is waited for here (GIL released) before the lane's next job:
/// deliveries finished by separate tasks could reach the mailbox in any
/// order.
fn in_lane<X, A, T, Sending, Answering>(
    py: Python<'_>,
    lane: &Lane,
    prepare: impl FnOnce(Python<'_>) -> PyResult<X> + Send + 'static,
    deliver: impl FnOnce(X) -> Sending + Send + 'static,
    answer: impl FnOnce(A) -> Answering + Send + 'static,
    finish: impl FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
) -> PyResult<Reply>
where
    X: Send + 'static,
    A: Send + 'static,
    T: Send + 'static,
    Sending: Future<Output = Result<A, ActorError>> + Send + 'static,
    Answering: Future<Output = Result<T, ActorError>> + Send + 'static,
{
    let rt = system::runtime()?;
    let (completer, waiting) = bridge::start();
    let finish = move |py: Python<'_>, outcome: Result<T, Failure>| match outcome {
        Ok(value) => finish(py, value),
        Err(Failure::Python(e)) => Err(e),
        Err(Failure::Actor(e)) => Err(errors::to_py(py, e)),
    };
    lane.submit(Box::new(move |py| {
        let made = match prepare(py) {
            Ok(made) => made,
            Err(e) => return completer.complete(Err(Failure::Python(e)), finish),
        };
        let _runtime = rt.enter();
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut sending = std::pin::pin!(deliver(made));
        let sent = match sending.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(sent) => sent,
            std::task::Poll::Pending => py.detach(|| rt.block_on(sending)),
        };
        let mut answering = match sent {
            Ok(sent) => Box::pin(answer(sent)),
            Err(e) => return completer.complete(Err(Failure::Actor(e)), finish),
        };
        match answering.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(outcome) => completer.complete(outcome.map_err(Failure::Actor), finish),
            std::task::Poll::Pending => {
                rt.spawn(async move { completer.complete(answering.await.map_err(Failure::Actor), finish) });
            }
        }
    }));
    Ok(if threads::on_handler_thread() { waiting.parked() } else { waiting.wait(py) })
}

/// What an answer that is already there looks like to [`in_lane`].
async fn answered<T>(value: T) -> Result<T, ActorError> {
    Ok(value)
}

/// Deliver a Python view's new context to its actor; its render and diff to come.
async fn deliver_state(handle: SessionHandle, view_id: String, state: Map<String, Value>) -> Result<Pending<Rendered>, ActorError> {
    handle.send_set_state(state, Some(&view_id), Delivery::Wait).await
}

/// What this handle knows of its session's views.
#[derive(Default)]
struct Views {
    /// Every mounted view id, in mount order (the first gets events without an id).
    order: Vec<String>,
    /// Views with Python logic.
    python: IndexMap<String, PyLogic>,
    /// Components with Python logic, by (view id, component id).
    components: IndexMap<(String, String), PyLogic>,
}

/// How a render result goes back to Python.
#[derive(Clone)]
enum Output {
    /// A dict: `{"patches" | "html", "version", "view_id", ["component_id"]}`.
    Dict,
    /// A ready-to-send JSON text frame for the client, with the event's `ref`.
    Frame { reference: Option<Value> },
}

/// The views of each session, by session id (shared by its handles), with
/// the actor they belong to.
static REGISTRY: std::sync::LazyLock<dashmap::DashMap<String, (SessionHandle, Arc<Mutex<Views>>)>> =
    std::sync::LazyLock::new(dashmap::DashMap::new);

/// The shared views of `handle`'s session. A session that expired and was
/// started again under the same id starts with no views; entries of
/// sessions that ended without `shutdown()` (expired, removed as
/// unhealthy) are dropped here once they outnumber live sessions.
fn views_of(system: &System, handle: &SessionHandle) -> Arc<Mutex<Views>> {
    if REGISTRY.len() > system.supervisor.session_count() + 64 {
        REGISTRY.retain(|_, (h, _)| !h.is_closed());
    }
    let mut entry = REGISTRY
        .entry(handle.session_id().to_string())
        .or_insert_with(|| (handle.clone(), Arc::default()));
    if !entry.0.same(handle) {
        *entry = (handle.clone(), Arc::default());
    }
    entry.1.clone()
}

/// Delivers one request to the session actor, then hands its answer on.
type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A request to a view or component without Python logic whose order
/// matters, before it is delivered.
enum Request {
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
    let views = views_of(&system, &handle);
    let session = Session {
        system,
        handle,
        views,
        ordered,
        backlog: Arc::new(AtomicUsize::new(0)),
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

/// Refuse `params` (InvalidParamsError) unless they are a dict of JSON
/// values within the configured `max_param_*` limits: what a client sends
/// as mount or event params.
#[pyfunction]
pub fn check_params(params: &Bound<'_, PyAny>) -> PyResult<()> {
    let system = system::system()?;
    convert::params(params, system.settings.params)
        .map(|_| ())
        .map_err(errors::InvalidParamsError::new_err)
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Views> {
        self.views.lock().expect("views lock")
    }

    /// The view an event without an id goes to.
    fn target(&self, view_id: Option<String>) -> Option<String> {
        view_id.or_else(|| self.lock().order.first().cloned())
    }

    /// Send a request that must keep its place after this handle's
    /// earlier ones. Fast path: delivered at once from this thread and its
    /// answer polled here (no task hop, often no wake). Otherwise (a backlog,
    /// a full mailbox) it queues behind the others, delivered by one task.
    fn ordered(&self, py: Python<'_>, request: Request, view_id: Option<String>, output: Output) -> PyResult<Reply> {
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

    /// Run a Python view's handler `event` (if any) on its lane, then hand
    /// its new context to its actor: render and diff.
    fn sync_view(&self, py: Python<'_>, view_id: &str, event: Option<(String, Map<String, Value>)>, output: Output) -> PyResult<Reply> {
        let (object, table, lane) = match self.lock().python.get(view_id) {
            Some(logic) => (logic.object.clone_ref(py), logic.handlers.clone(), logic.lane.clone()),
            None => return Err(errors::to_py(py, ActorError::ViewNotFound(view_id.to_string()))),
        };
        let handle = self.handle.clone();
        let id = view_id.to_string();
        let out_id = id.clone();
        in_lane(
            py,
            &lane,
            move |py| {
                let object = object.bind(py);
                let place = event.as_ref().map_or("get_context_data", |(name, _)| name.as_str());
                let ran = (|| {
                    if let Some((name, params)) = &event {
                        let kwargs = convert::dict(py, params)?;
                        let returned = object.call_method(name.as_str(), (), Some(&kwargs))?;
                        if !returned.is_none() {
                            // A plain method that returned a coroutine, say.
                            helper(py, "finish_in_thread")?.call1((returned,))?;
                        }
                    }
                    context_of(object)
                })();
                ran.map_err(|e| errors::raised_in_view(py, e, &table.path, place))
            },
            move |state| deliver_state(handle, id, state),
            Pending::answer,
            move |py, rendered| rendered_to_py(py, rendered, Some(&out_id), &output),
        )
    }
}

/// The template context a Python view or component gives: its
/// `get_context_data()`, or else its public instance attributes.
fn context_of(object: &Bound<'_, PyAny>) -> PyResult<Map<String, Value>> {
    if object.hasattr("get_context_data")? {
        let ctx = object.call_method0("get_context_data")?;
        return convert::context(&ctx);
    }
    let attrs = PyDict::new(object.py());
    if let Ok(d) = object.getattr("__dict__") {
        for (k, v) in d.cast::<PyDict>()?.iter() {
            if !k.extract::<String>()?.starts_with('_') {
                attrs.set_item(k, v)?;
            }
        }
    }
    convert::context(attrs.as_any())
}

/// A render result as Python sees it (a dict, or a JSON frame).
fn rendered_to_py(py: Python<'_>, r: Rendered, view_id: Option<&str>, output: &Output) -> PyResult<Py<PyAny>> {
    match output {
        Output::Frame { reference } => {
            let mut frame = Map::new();
            match (&r.html, &r.patches) {
                (Some(html), _) => {
                    frame.insert("type".into(), "html_update".into());
                    frame.insert("html".into(), html.as_str().into());
                }
                (None, patches) => {
                    frame.insert("type".into(), "patch".into());
                    let patches = serde_json::to_value(patches.as_deref().unwrap_or(&[])).map_err(|e| PyTypeError::new_err(e.to_string()))?;
                    frame.insert("patches".into(), patches);
                }
            }
            frame.insert("version".into(), r.version.into());
            if let Some(id) = view_id {
                frame.insert("view_id".into(), id.into());
            }
            if let Some(c) = &r.component_id {
                frame.insert("component_id".into(), c.as_str().into());
            }
            if let Some(reference) = reference {
                frame.insert("ref".into(), reference.clone());
            }
            let text = serde_json::to_string(&Value::Object(frame)).map_err(|e| PyTypeError::new_err(e.to_string()))?;
            Ok(PyString::new(py, &text).into_any().unbind())
        }
        Output::Dict => {
            let d = PyDict::new(py);
            if let Some(html) = &r.html {
                d.set_item("html", html)?;
            }
            if let Some(patches) = &r.patches {
                let list = PyList::empty(py);
                for p in patches {
                    let patch = serde_json::to_value(p).map_err(|e| PyTypeError::new_err(e.to_string()))?;
                    list.append(convert::to_py(py, &patch)?)?;
                }
                d.set_item("patches", list)?;
            }
            d.set_item("version", r.version)?;
            if let Some(id) = view_id {
                d.set_item("view_id", id)?;
            }
            if let Some(c) = &r.component_id {
                d.set_item("component_id", c)?;
            }
            Ok(d.into_any().unbind())
        }
    }
}

fn output(frame: bool, reference: Option<&Bound<'_, PyAny>>) -> PyResult<Output> {
    if !frame {
        return Ok(Output::Dict);
    }
    let reference = match reference {
        Some(r) if !r.is_none() => Some(convert::to_json(r, 0)?),
        _ => None,
    };
    Ok(Output::Frame { reference })
}

fn helper<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("wasmlive._bridge")?.getattr(name)
}

#[pymethods]
impl Session {
    #[getter]
    fn session_id(&self) -> &str {
        self.handle.session_id()
    }

    /// Mount a view; gives `{"html", "session_id", "view_id", "version"}`.
    ///
    /// With `python_view`, that object's handlers (`@event_handler`) and
    /// `get_context_data()` drive the view; its template is `template`, or
    /// its own `template` (source) or `template_name`. Without it,
    /// `view_path` must name a registered LiveView class (it is
    /// instantiated and mounted with `params`), or `template` be given
    /// (then events merge their params into the state).
    #[pyo3(signature = (view_path, params=None, python_view=None, template=None, template_dirs=None, language=None, template_engine=None, vdom_engine=None))]
    #[allow(clippy::too_many_arguments)]
    fn mount(
        slf: &Bound<'_, Self>,
        view_path: String,
        params: Option<Bound<'_, PyAny>>,
        python_view: Option<Bound<'_, PyAny>>,
        template: Option<String>,
        template_dirs: Option<Vec<PathBuf>>,
        language: Option<String>,
        template_engine: Option<PathBuf>,
        vdom_engine: Option<PathBuf>,
    ) -> PyResult<Reply> {
        let py = slf.py();
        let this = slf.get();
        let params = match &params {
            Some(p) if !p.is_none() => p.clone().unbind(),
            _ => PyDict::new(py).into_any().unbind(),
        };
        let python_view = python_view.filter(|v| !v.is_none()).map(Bound::unbind);
        let system = this.system.clone();
        let handle = this.handle.clone();
        let views = this.views.clone();
        let runs_view_code = python_view.is_some() || template.is_none();
        let lane = Lane::new();
        let view_lane = lane.clone();
        // Everything that may run the view's own code: instantiating and
        // mounting it by path, its context, its template.
        let prepare = move |py: Python<'_>| -> PyResult<(MountRequest, Option<PyLogic>)> {
            let params = params.bind(py);
            let mut python_view = python_view.map(|v| v.into_bound(py));
            if python_view.is_none() && template.is_none() {
                // Only registered LiveView classes, never an arbitrary import.
                python_view = Some(helper(py, "instantiate")?.call1((view_path.as_str(), params))?);
            }
            let backend = system::backend();
            let language = match language {
                Some(l) => l,
                None => helper(py, "current_language")?.call0()?.extract()?,
            };
            let services: Arc<dyn HostServices> = match (&template_dirs, &backend) {
                (Some(dirs), _) => Arc::new(StandaloneServices::with_template_dirs(dirs.clone())),
                (None, Some(backend)) => Arc::new(PythonServices { backend: backend.clone(), language }),
                (None, None) => Arc::new(StandaloneServices::default()),
            };
            let (state, logic) = match &python_view {
                Some(view) => {
                    let table = HandlerTable::of(view)?;
                    let state = context_of(view).map_err(|e| errors::raised_in_view(py, e, &table.path, "get_context_data"))?;
                    (state, Some(PyLogic { object: view.clone().unbind(), handlers: table, lane: view_lane }))
                }
                None => {
                    let state = convert::params(params, system.settings.params).map_err(errors::InvalidParamsError::new_err)?;
                    (state, None)
                }
            };
            let source = match (template, &python_view) {
                (Some(source), _) => TemplateSource::Loaded { name: view_path.clone(), source },
                (None, Some(view)) => view_template(view, &view_path, &template_dirs, services.as_ref())?,
                (None, None) => unreachable!("a view without template was instantiated above"),
            };
            // Engines named by the call, else by the view (`template_engine` / `vdom_engine`).
            let (template_engine, vdom_engine) = match &python_view {
                Some(view) => (
                    template_engine.or(engines::attr(view, "template_engine")?),
                    vdom_engine.or(engines::attr(view, "vdom_engine")?),
                ),
                None => (template_engine, vdom_engine),
            };
            let mut request = MountRequest::new(view_path, source).params(state).services(services);
            if let Some(engines) = engines::for_view(&system, template_engine, vdom_engine)? {
                request = request.engines(engines);
            }
            Ok((request, logic))
        };
        let deliver = move |(request, logic): (MountRequest, Option<PyLogic>)| async move {
            handle.mount(request).await.map(|mounted| (mounted, logic))
        };
        let finish = move |py: Python<'_>, (mounted, logic): (Mounted, Option<PyLogic>)| {
            let mut views = views.lock().expect("views lock");
            views.order.push(mounted.view_id.clone());
            if let Some(logic) = logic {
                views.python.insert(mounted.view_id.clone(), logic);
            }
            let d = PyDict::new(py);
            d.set_item("html", &mounted.html)?;
            d.set_item("session_id", &mounted.session_id)?;
            d.set_item("view_id", &mounted.view_id)?;
            d.set_item("version", mounted.version)?;
            Ok(d.into_any().unbind())
        };
        if runs_view_code {
            return in_lane(py, &lane, prepare, deliver, answered, finish);
        }
        // A template and params only: nothing of the view's own to run.
        let made = match prepare(py) {
            Ok(made) => made,
            Err(e) => return Ok(Reply::failed(e)),
        };
        let rt = system::runtime()?;
        Ok(bridge::spawn(py, rt, deliver(made), move |py, result| {
            let made = result.map_err(|e| errors::to_py(py, e))?;
            finish(py, made)
        }))
    }

    /// Send an event; gives `{"patches": [...], "version", "view_id"}`.
    /// Goes to the first mounted view when `view_id` is `None`.
    #[pyo3(signature = (event_name, params=None, view_id=None))]
    fn event(slf: &Bound<'_, Self>, event_name: &str, params: Option<Bound<'_, PyAny>>, view_id: Option<String>) -> PyResult<Py<PyAny>> {
        Session::dispatch(slf, event_name, params, view_id, Output::Dict)
    }

    /// Like `event`, but gives the JSON text frame to send to the client
    /// (`{"type": "patch", "patches", "version", "view_id", "ref"}`), built
    /// in Rust: the consumer's hot path.
    #[pyo3(signature = (event_name, params=None, view_id=None, reference=None))]
    fn event_frame(
        slf: &Bound<'_, Self>,
        event_name: &str,
        params: Option<Bound<'_, PyAny>>,
        view_id: Option<String>,
        reference: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let out = output(true, reference.as_ref())?;
        Session::dispatch(slf, event_name, params, view_id, out)
    }

    /// Render a view in full: `{"html", "version"}` (or a frame); the client's
    /// tree becomes this HTML (for resync).
    #[pyo3(signature = (view_id=None, frame=false, reference=None))]
    fn render(&self, py: Python<'_>, view_id: Option<String>, frame: bool, reference: Option<Bound<'_, PyAny>>) -> PyResult<Reply> {
        let out = output(frame, reference.as_ref())?;
        let view_id = self.target(view_id);
        let handle = self.handle.clone();
        let id = view_id.clone();
        self.spawn_rendered(
            py,
            async move { handle.view(id.as_deref()).await?.render().await },
            view_id,
            out,
        )
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
            .and_then(|id| self.lock().python.get(&id).map(|l| l.lane.clone()))
            .unwrap_or_default();
        threads::run_in(py, &lane, function, args)
    }

    /// Unmount a view. Awaitable.
    fn unmount(&self, py: Python<'_>, view_id: String) -> PyResult<Reply> {
        {
            let mut views = self.lock();
            views.order.retain(|v| *v != view_id);
            views.python.shift_remove(&view_id);
            views.components.retain(|(v, _), _| *v != view_id);
        }
        let handle = self.handle.clone();
        let rt = system::runtime()?;
        Ok(bridge::spawn(py, rt, async move { handle.unmount(&view_id).await }, |py, r| {
            r.map_err(|e| errors::to_py(py, e)).map(|()| py.None())
        }))
    }

    /// Check the actor answers. Awaitable; raises if it does not.
    fn ping(&self, py: Python<'_>) -> PyResult<Reply> {
        let handle = self.handle.clone();
        let rt = system::runtime()?;
        Ok(bridge::spawn(py, rt, async move { handle.ping().await }, |py, r| {
            r.map_err(|e| errors::to_py(py, e)).map(|()| py.None())
        }))
    }

    /// Stop the session and its views, and remove it from the supervisor. Awaitable.
    fn shutdown(&self, py: Python<'_>) -> PyResult<Reply> {
        *self.lock() = Views::default();
        REGISTRY.remove(self.handle.session_id());
        let supervisor = self.system.supervisor.clone();
        let id = self.handle.session_id().to_string();
        let handle = self.handle.clone();
        let rt = system::runtime()?;
        Ok(bridge::spawn(
            py,
            rt,
            async move {
                let stopped = handle.shutdown().await;
                supervisor.remove_session(&id).await.map(|_| ()).or(stopped)
            },
            |py, r| match r {
                Ok(()) | Err(ActorError::Shutdown { .. }) => Ok(py.None()),
                Err(e) => Err(errors::to_py(py, e)),
            },
        ))
    }

    /// The mounted views' ids, in mount order.
    fn view_ids(&self) -> Vec<String> {
        self.lock().order.clone()
    }

    /// The event handlers a view declares (what its client may call).
    #[pyo3(signature = (view_id=None))]
    fn handlers(&self, view_id: Option<String>) -> Vec<String> {
        let Some(id) = self.target(view_id) else { return Vec::new() };
        self.lock().python.get(&id).map(|l| l.handlers.names()).unwrap_or_default()
    }

    /// Create a live component in a view; gives its HTML. With
    /// `python_component`, its handlers and `get_context_data()` drive it.
    #[pyo3(signature = (view_id, component_id, template_string, initial_props=None, python_component=None))]
    fn create_component(
        &self,
        py: Python<'_>,
        view_id: String,
        component_id: String,
        template_string: String,
        initial_props: Option<Bound<'_, PyAny>>,
        python_component: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Reply> {
        let mut props = self.params(initial_props.as_ref())?;
        let handle = self.handle.clone();
        let views = self.views.clone();
        let finish = move |py: Python<'_>, (html, key, logic): (String, (String, String), Option<PyLogic>)| {
            if let Some(logic) = logic {
                views.lock().expect("views lock").components.insert(key, logic);
            }
            Ok(PyString::new(py, &html).into_any().unbind())
        };
        let lane = self.lock().python.get(&view_id).map(|l| l.lane.clone()).unwrap_or_default();
        let request = move |props, logic| {
            let request = ComponentRequest {
                view_id: view_id.clone(),
                component_id: component_id.clone(),
                template: template_string,
                props,
                logic: None,
            };
            let key = (view_id.clone(), component_id.clone());
            async move { handle.create_component(request).await.map(|html| (html, key, logic)) }
        };
        let Some(component) = python_component.filter(|c| !c.is_none()) else {
            let rt = system::runtime()?;
            return Ok(bridge::spawn(py, rt, request(props, None), move |py, r| finish(py, r.map_err(|e| errors::to_py(py, e))?)));
        };
        // The component's code (its props, its context) runs on its view's lane.
        let component = component.unbind();
        let initial_props = initial_props.map(Bound::unbind);
        let component_lane = lane.clone();
        let prepare = move |py: Python<'_>| -> PyResult<(Map<String, Value>, Option<PyLogic>)> {
            let c = component.bind(py);
            let table = HandlerTable::of(c)?;
            let ran = (|| {
                if let Some(p) = &initial_props {
                    if c.hasattr("update_props")? {
                        c.call_method1("update_props", (p,))?;
                    }
                }
                context_of(c)
            })();
            props.extend(ran.map_err(|e| errors::raised_in_view(py, e, &table.path, "get_context_data"))?);
            Ok((props, Some(PyLogic { handlers: table, object: component, lane: component_lane })))
        };
        in_lane(py, &lane, prepare, move |(props, logic)| request(props, logic), answered, finish)
    }

    /// Send an event to a component; gives its patches (`component_id`
    /// set), or the parent's when the component messaged its parent.
    #[pyo3(signature = (view_id, component_id, event_name, params=None, frame=false, reference=None))]
    fn component_event(
        slf: &Bound<'_, Self>,
        view_id: String,
        component_id: String,
        event_name: &str,
        params: Option<Bound<'_, PyAny>>,
        frame: bool,
        reference: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let out = output(frame, reference.as_ref())?;
        let prepared = (|| -> PyResult<(Py<PyAny>, Map<String, Value>)> {
            handlers::check_name(py, event_name)?;
            let params = this.params(params.as_ref())?;
            let key = (view_id.clone(), component_id.clone());
            let views = this.lock();
            match views.components.get(&key) {
                Some(logic) => {
                    let object = logic.object.bind(py).clone();
                    logic.handlers.check(py, &object, event_name)?;
                    Ok((object.unbind(), params))
                }
                None => Ok((py.None(), params)),
            }
        })();
        let (object, params) = match prepared {
            Ok(p) => p,
            Err(e) => return Ok(Py::new(py, Reply::failed(e))?.into_any()),
        };
        if object.is_none(py) {
            // A component without Python logic: its actor merges the params.
            let request = Request::ComponentEvent {
                view_id: view_id.clone(),
                component_id,
                name: event_name.to_string(),
                params,
            };
            let reply = this.ordered(py, request, Some(view_id), out)?;
            return Ok(Py::new(py, reply)?.into_any());
        }
        let (frame, reference) = match &out {
            Output::Frame { reference } => (true, reference.as_ref().map(|r| convert::to_py(py, r)).transpose()?),
            Output::Dict => (false, None),
        };
        // The Python helper runs the round (the handler, messages to the
        // parent, the syncs) on the view's lane, awaiting coroutines on this loop.
        let kwargs = convert::dict(py, &params)?;
        Ok(helper(py, "component_event")?
            .call1((slf, view_id, component_id, object.bind(py), event_name, kwargs, frame, reference))?
            .unbind())
    }

    /// (internal) Push a Python component's new context to its actor.
    #[pyo3(signature = (view_id, component_id, frame=false, reference=None))]
    fn _sync_component(
        &self,
        py: Python<'_>,
        view_id: String,
        component_id: String,
        frame: bool,
        reference: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Reply> {
        let (object, table, lane) = match self.lock().components.get(&(view_id.clone(), component_id.clone())) {
            Some(l) => (l.object.clone_ref(py), l.handlers.clone(), l.lane.clone()),
            None => return Err(errors::to_py(py, ActorError::ComponentNotFound(component_id))),
        };
        let out = output(frame, reference.as_ref())?;
        let handle = self.handle.clone();
        let id = view_id.clone();
        in_lane(
            py,
            &lane,
            move |py| context_of(object.bind(py)).map_err(|e| errors::raised_in_view(py, e, &table.path, "get_context_data")),
            move |props| async move { handle.send_update_component_props(&id, &component_id, props).await },
            Pending::answer,
            move |py, rendered| rendered_to_py(py, rendered, Some(&view_id), &out),
        )
    }

    /// (internal) Check and run a parent view's handler for a component's
    /// message; gives what the handler returned (maybe a coroutine).
    fn _parent_handler(&self, py: Python<'_>, view_id: String, event_name: &str, data: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let (object, table) = match self.lock().python.get(&view_id) {
            Some(l) => (l.object.clone_ref(py), l.handlers.clone()),
            None => return Err(errors::to_py(py, ActorError::ViewNotFound(view_id))),
        };
        let object = object.bind(py);
        table.check(py, object, event_name)?;
        let params = self.params(Some(&data))?;
        let kwargs = convert::dict(py, &params)?;
        Ok(object.call_method(event_name, (), Some(&kwargs))?.unbind())
    }

    /// Give a component new props (merged into its state); gives its patches.
    #[pyo3(signature = (view_id, component_id, props))]
    fn update_component_props(&self, py: Python<'_>, view_id: String, component_id: String, props: Bound<'_, PyAny>) -> PyResult<Reply> {
        let mut props = self.params(Some(&props))?;
        if let Some(logic) = self.lock().components.get(&(view_id.clone(), component_id.clone())) {
            let object = logic.object.bind(py);
            if object.hasattr("update_props")? {
                object.call_method1("update_props", (convert::dict(py, &props)?,))?;
            }
            props = context_of(object)?;
        }
        let request = Request::UpdateProps { view_id: view_id.clone(), component_id, props };
        self.ordered(py, request, Some(view_id), Output::Dict)
    }

    /// Remove a component from its view. Awaitable.
    fn remove_component(&self, py: Python<'_>, view_id: String, component_id: String) -> PyResult<Reply> {
        self.lock().components.shift_remove(&(view_id.clone(), component_id.clone()));
        let handle = self.handle.clone();
        let rt = system::runtime()?;
        Ok(bridge::spawn(py, rt, async move { handle.remove_component(&view_id, &component_id).await }, |py, r| {
            r.map_err(|e| errors::to_py(py, e)).map(|()| py.None())
        }))
    }

    fn __repr__(&self) -> String {
        format!("<SessionActorHandle {:?} views={}>", self.handle.session_id(), self.lock().order.len())
    }
}

impl Session {
    /// The event path: checks in Rust, then the Python handler (if any)
    /// on this thread, then the actor.
    fn dispatch(slf: &Bound<'_, Self>, event: &str, params: Option<Bound<'_, PyAny>>, view_id: Option<String>, out: Output) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let failed = |e: PyErr| -> PyResult<Py<PyAny>> { Ok(Py::new(py, Reply::failed(e))?.into_any()) };
        if let Err(e) = handlers::check_name(py, event) {
            return failed(e);
        }
        let params = match this.params(params.as_ref()) {
            Ok(p) => p,
            Err(e) => return failed(e),
        };
        let target = this.target(view_id.clone());
        let logic = target.as_ref().and_then(|id| {
            this.lock()
                .python
                .get(id)
                .map(|l| (l.object.clone_ref(py), l.handlers.clone()))
        });
        let Some((object, table)) = logic else {
            // No Python logic: the view actor runs the event (or answers "not found").
            let request = Request::Event { name: event.to_string(), params, view_id: target.clone() };
            let reply = this.ordered(py, request, target.or(view_id), out)?;
            return Ok(Py::new(py, reply)?.into_any());
        };
        let object = object.bind(py);
        if let Err(e) = table.check(py, object, event) {
            return failed(e);
        }
        let target = target.expect("a Python view has an id");
        if !table.is_coroutine(event) {
            // A plain handler: it and the context run on the view's lane.
            return match this.sync_view(py, &target, Some((event.to_string(), params)), out) {
                Ok(reply) => Ok(Py::new(py, reply)?.into_any()),
                Err(e) => failed(e),
            };
        }
        // A coroutine handler: awaited here, on the caller's loop, by the
        // Python helper; then the context is taken on the lane.
        let kwargs = convert::dict(py, &params)?;
        let coroutine = match object.call_method(event, (), Some(&kwargs)) {
            Ok(c) => c,
            Err(e) => return failed(errors::raised_in_view(py, e, &table.path, event)),
        };
        let (frame, reference) = match &out {
            Output::Frame { reference } => (true, reference.as_ref().map(|r| convert::to_py(py, r)).transpose()?),
            Output::Dict => (false, None),
        };
        Ok(helper(py, "after_coroutine")?.call1((slf, &target, coroutine, table.path.as_str(), event, frame, reference))?.unbind())
    }
}

/// A Python view's template: its `template` source, or its
/// `template_name` loaded through the view's services on this thread.
fn view_template(
    view: &Bound<'_, PyAny>,
    view_path: &str,
    template_dirs: &Option<Vec<PathBuf>>,
    services: &dyn HostServices,
) -> PyResult<TemplateSource> {
    let py = view.py();
    if let Ok(source) = view.getattr("template") {
        if !source.is_none() {
            return Ok(TemplateSource::Loaded { name: format!("{view_path} (template)"), source: source.extract()? });
        }
    }
    let name: String = match view.getattr("template_name") {
        Ok(n) if !n.is_none() => n.extract()?,
        _ => {
            return Err(errors::to_py(
                py,
                ActorError::Template(wasmlive::engine::TemplateError {
                    kind: wasmlive::engine::TemplateErrorKind::TemplateNotFound,
                    message: format!("{view_path} sets neither `template` nor `template_name`"),
                    template: view_path.to_string(),
                    line: 0,
                    column: 0,
                }),
            ));
        }
    };
    let loaded = match (template_dirs, system::backend()) {
        (None, Some(backend)) => backend.load_template_with(py, &name),
        _ => services.load_template(&name),
    };
    match loaded {
        Ok(source) => Ok(TemplateSource::Loaded { name, source }),
        Err(message) => Err(errors::to_py(
            py,
            ActorError::Template(wasmlive::engine::TemplateError {
                kind: wasmlive::engine::TemplateErrorKind::TemplateNotFound,
                message,
                template: name,
                line: 0,
                column: 0,
            }),
        )),
    }
}
