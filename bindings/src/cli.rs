//! The `wasmlive` command line from Python (`python -m wasmlive`, and the
//! wheel's `wasmlive` console script): the host's CLI, plus Python
//! handlers for `serve` views that name one (`"handler": "module:Class"`).
//!
//! A served view's handler object lives in its view actor; every call into
//! it (mount, handlers, `get_context_data`) runs on the view's lane of
//! handler threads, as under Django (`threads`), never on a Tokio worker,
//! so no worker waits for the GIL. With `DJANGO_SETTINGS_MODULE` set,
//! `python -m wasmlive serve` sets Django up first, and handlers may use
//! that project's models; the handler threads then clean up connections
//! as under Django.

use crate::convert;
use crate::pyview::{self, PyView};
use crate::threads::Lane;
use pyo3::prelude::*;
use std::sync::Arc;
use wasmlive::actors::{ClientEvent, Handled, HandlerError, Info, LogicFuture, Record, State, ViewLogic, WeakViewHandle};
use wasmlive::cli::{self, LogicFactory};
use wasmlive::serve::ViewEntry;

/// Run the CLI with `argv` (without the program name); the exit status.
#[pyfunction]
pub fn cli_main(py: Python<'_>, argv: Vec<String>) -> PyResult<i32> {
    let parsed = match cli::parse(argv) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return Ok(e.exit_code());
        }
    };
    cli::init_logging();
    if let Err(e) = crate::system::set_runtime(parsed.runtime(crate::system::settings().runtime)) {
        eprintln!("error: {}", e.value(py));
        return Ok(1);
    }
    let rt = crate::system::runtime()?;
    let result = py.detach(|| rt.block_on(async { rt.spawn(cli::run(parsed, Arc::new(PythonHandlers))).await }));
    let result = result.unwrap_or_else(|e| Err(cli::CliError(format!("error: the command failed: {e}"))));
    let status = if cli::report(result) == std::process::ExitCode::SUCCESS { 0 } else { 1 };
    // Rust's stdout is flushed at exit only when Rust owns the process; here
    // Python does, so output without a final newline (`render`) would be lost.
    use std::io::Write;
    let _ = std::io::stdout().flush();
    Ok(status)
}

/// Imports `module:Class` handler classes.
struct PythonHandlers;

fn import_class(py: Python<'_>, spec: &str) -> Result<Py<PyAny>, String> {
    let (module, class) = spec.split_once(':').ok_or_else(|| format!("`{spec}` is not `module:Class`"))?;
    let module = py.import(module).map_err(|e| {
        let hint = if e.value(py).get_type().name().is_ok_and(|n| n == "ImproperlyConfigured" || n == "AppRegistryNotReady") {
            " (it uses Django: set DJANGO_SETTINGS_MODULE to its project's settings, and serve sets Django up first)"
        } else {
            ""
        };
        format!("cannot import {module}: {}{hint}", e.value(py))
    })?;
    let class = module
        .getattr(class)
        .map_err(|_| format!("{} has no class {class}", module.name().map(|n| n.to_string()).unwrap_or_default()))?;
    if !class.is_instance_of::<pyo3::types::PyType>() {
        return Err(format!("`{spec}` is not a class"));
    }
    Ok(class.unbind())
}

impl LogicFactory for PythonHandlers {
    fn check(&self, view: &ViewEntry) -> Result<(), String> {
        let spec = view.handler.as_deref().unwrap_or_default();
        Python::attach(|py| import_class(py, spec).map(|_| ())).map_err(|e| format!("view {:?}: {e}", view.name))
    }

    fn create(&self, view: &ViewEntry) -> Result<Box<dyn ViewLogic>, String> {
        Ok(Box::new(PythonView { spec: view.handler.clone().unwrap_or_default(), view: None, lane: Lane::new(), events: Vec::new() }))
    }
}

/// A served view whose handlers are a Python object's `@event_handler`
/// methods: the same [`PyView`] as under Django, driven by its actor.
struct PythonView {
    spec: String,
    /// The object, made at mount.
    view: Option<Arc<PyView>>,
    /// Where its code runs.
    lane: Lane,
    /// What `push_event` queued, for the render that follows.
    events: Vec<ClientEvent>,
}

/// A handler's exception for the client, logged with its traceback for the developer.
fn raised(py: Python<'_>, e: PyErr) -> HandlerError {
    crate::errors::log_exception(py, "wasmlive serve: a view's handler failed", &e);
    let kind = e.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
    HandlerError::Raised { kind, message: e.value(py).to_string() }
}

/// A client's event refused by the handler table: the class and message
/// the table raised (as under Django), not logged.
fn refused(py: Python<'_>, e: PyErr) -> HandlerError {
    let kind = e.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
    HandlerError::Refused { kind, message: e.value(py).to_string() }
}

/// Run `work` with the GIL on `lane`'s handler thread.
async fn on_lane<T: Send + 'static>(
    lane: &Lane,
    work: impl FnOnce(Python<'_>) -> Result<T, HandlerError> + Send + 'static,
) -> Result<T, HandlerError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    lane.submit(Box::new(move |py| {
        let _ = tx.send(work(py));
    }));
    rx.await
        .unwrap_or_else(|_| Err(HandlerError::Raised { kind: "RuntimeError".into(), message: "the handler thread stopped".into() }))
}

impl PythonView {
    /// Make the handler object on its lane, let `start` give it its state
    /// (`mount()`, or a snapshot's record), and keep it with its context.
    async fn make(
        &mut self,
        state: &mut State,
        start: impl FnOnce(Python<'_>, &Bound<'_, PyAny>) -> PyResult<()> + Send + 'static,
    ) -> Result<(), HandlerError> {
        let spec = self.spec.clone();
        let lane = self.lane.clone();
        let view_lane = lane.clone();
        let (view, context) = on_lane(&lane, move |py| {
            let class = import_class(py, &spec).map_err(|message| HandlerError::Raised { kind: "ImportError".into(), message })?;
            let object = class.bind(py).call0().map_err(|e| raised(py, e))?;
            start(py, &object).map_err(|e| raised(py, e))?;
            let view = PyView::new(&object, view_lane).map_err(|e| raised(py, e))?;
            let update = view.update(py).map_err(|e| raised(py, e))?;
            Ok((view, update))
        })
        .await?;
        self.view = Some(Arc::new(view));
        *state = context.state;
        // A first frame carries no client events: they go with the next render.
        self.events = context.events;
        Ok(())
    }
}

impl ViewLogic for PythonView {
    fn mount<'a>(&'a mut self, params: &'a State, state: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        let params = params.clone();
        Box::pin(self.make(state, move |py, object| {
            if object.hasattr("mount").unwrap_or(false) {
                let kwargs = convert::dict(py, &params)?;
                let r = object.call_method("mount", (py.None(),), Some(&kwargs))?;
                pyview::finish(&r)?;
            }
            Ok(())
        }))
    }

    fn record<'a>(&'a mut self, _state: &'a State) -> LogicFuture<'a, Result<Option<Record>, HandlerError>> {
        let view = self.view.clone();
        Box::pin(async move {
            let Some(view) = view else { return Ok(None) };
            let lane = view.lane().clone();
            let text = on_lane(&lane, move |py| {
                let recorded = py.import("wasmlive.resume").and_then(|m| m.getattr("record")?.call1((view.object(py),)));
                let recorded = recorded.map_err(|e| raised(py, e))?;
                if recorded.is_none() { Ok(None) } else { recorded.extract::<String>().map(Some).map_err(|e| raised(py, e)) }
            })
            .await?;
            let Some(text) = text else { return Ok(None) };
            let mut saved: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
                .map_err(|e| HandlerError::Raised { kind: "ResumeStateError".into(), message: format!("the recorded state is not JSON: {e}") })?;
            let version = saved.get("version").and_then(serde_json::Value::as_u64).unwrap_or(0);
            Ok(Some(Record { data: saved.remove("data").unwrap_or_default(), version }))
        })
    }

    fn restore<'a>(&'a mut self, record: &'a Record, state: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        let text = serde_json::json!({"data": record.data, "version": record.version}).to_string();
        // Made as a mount makes it, then given the recorded state instead of `mount()`.
        Box::pin(self.make(state, move |py, object| py.import("wasmlive.resume")?.getattr("restore")?.call1((object, text)).map(drop)))
    }

    fn attached(&mut self, handle: WeakViewHandle) {
        let Some(view) = self.view.clone() else { return };
        // On the lane: no Tokio worker takes the GIL.
        self.lane.submit(Box::new(move |py| {
            let pusher = Py::new(py, crate::push::Pusher::new(handle, view.lane().clone(), view.path().to_string()));
            if let Err(e) = pusher.and_then(|p| view.object(py).setattr("_wasmlive_pusher", p)) {
                crate::errors::log_exception(py, "wasmlive serve: cannot give a view its pusher", &e);
                return;
            }
            // What its mount asked for (subscriptions, timers), now that it can have them.
            let started = py.import("wasmlive.pubsub").and_then(|m| m.getattr("start")?.call1((view.object(py),)).map(drop));
            if let Err(e) = started {
                crate::errors::log_exception(py, &format!("wasmlive serve: {} could not subscribe or start its timers", view.path()), &e);
            }
        }));
    }

    fn handle_event<'a>(&'a mut self, event: &'a str, params: &'a State, state: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        let view = self.view.clone();
        let (event, params) = (event.to_string(), params.clone());
        let spec = self.spec.clone();
        Box::pin(async move {
            let Some(view) = view else {
                return Err(HandlerError::UnknownEvent { view: spec, event });
            };
            let lane = view.lane().clone();
            let update = on_lane(&lane, move |py| {
                // The same rules as under Django: declared handlers only.
                view.check(py, &event).map_err(|e| refused(py, e))?;
                view.run(py, Some((&event, &params))).map_err(|e| raised(py, e))
            })
            .await?;
            *state = update.state;
            self.events.extend(update.events);
            Ok(())
        })
    }

    fn handle_info<'a>(&'a mut self, infos: &'a [Info], state: &'a mut State) -> LogicFuture<'a, Result<Handled, HandlerError>> {
        let view = self.view.clone();
        let infos = infos.to_vec();
        Box::pin(async move {
            let Some(view) = view else { return Ok(Handled::Now) };
            let lane = view.lane().clone();
            // Failures are logged there; the state is then left as it was.
            if let Some(update) = on_lane(&lane, move |py| Ok(crate::info::run_infos(py, &view, &infos))).await? {
                *state = update.state;
                self.events.extend(update.events);
            }
            Ok(Handled::Now)
        })
    }

    fn take_events(&mut self) -> Vec<ClientEvent> {
        std::mem::take(&mut self.events)
    }
}
