//! A Python view or component as both servers run it: Django through the
//! session handle (`session/`), `serve` through its views file's handler
//! classes (`cli.rs`). One type, [`PyView`]: the object, its class's
//! handler table (which names are handlers: [`HandlerTable`]'s rule), the
//! lane its code runs on, one way to call a handler and one rule for the
//! context.

use crate::convert;
use crate::errors;
use crate::handlers::HandlerTable;
use crate::threads::Lane;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{Map, Value};
use std::sync::Arc;
use wasmlive::actors::{ClientEvent, ComponentProps, Update};

/// A mounted Python view (or live component) object.
pub struct PyView {
    object: Py<PyAny>,
    handlers: Arc<HandlerTable>,
    /// Where its code runs: one job at a time, in order (a component
    /// shares its view's lane).
    lane: Lane,
}

impl PyView {
    /// `object`'s view, its class's handlers scanned at first use.
    pub fn new(object: &Bound<'_, PyAny>, lane: Lane) -> PyResult<PyView> {
        Ok(PyView { handlers: HandlerTable::of(object)?, object: object.clone().unbind(), lane })
    }

    pub fn object<'py>(&self, py: Python<'py>) -> &Bound<'py, PyAny> {
        self.object.bind(py)
    }

    pub fn handlers(&self) -> &Arc<HandlerTable> {
        &self.handlers
    }

    pub fn lane(&self) -> &Lane {
        &self.lane
    }

    /// `module.qualname` of its class, for error notes.
    pub fn path(&self) -> &str {
        &self.handlers.path
    }

    /// Refuse `event` unless it is one of its declared handlers (a client
    /// names it); the error says why.
    pub fn check(&self, py: Python<'_>, event: &str) -> PyResult<()> {
        self.handlers.check(py, self.object(py), event)
    }

    /// Whether handler `event` is a coroutine function (`async def`).
    pub fn is_coroutine(&self, event: &str) -> bool {
        self.handlers.is_coroutine(event)
    }

    /// On its lane: run handler `event` with its params (if given), then
    /// take the update (see [`update_of`]). An exception says where it was
    /// raised (the handler, or `get_context_data`).
    pub fn run(&self, py: Python<'_>, event: Option<(&str, &Map<String, Value>)>) -> PyResult<Update> {
        let object = self.object(py);
        if let Some((name, params)) = event
            && let Err(e) = call_handler(object, name, params)
        {
            // Its client events fail with it.
            take_events(object)?;
            return Err(errors::raised_in_view(py, e, self.path(), name));
        }
        self.update(py)
    }

    /// Its context now, with the client events it pushed since the last.
    pub fn update(&self, py: Python<'_>) -> PyResult<Update> {
        update_of(self.object(py)).map_err(|e| errors::raised_in_view(py, e, self.path(), "get_context_data"))
    }

    /// Its template context now (see [`context_of`]).
    pub fn context(&self, py: Python<'_>) -> PyResult<Map<String, Value>> {
        context_of(self.object(py)).map_err(|e| errors::raised_in_view(py, e, self.path(), "get_context_data"))
    }
}

/// Call handler `name` with `params` as keyword arguments; a coroutine it
/// returns (an `async def`) runs to completion from this thread
/// (`_bridge.finish_in_thread`: on the serving event loop under Django, on
/// the thread's own loop under `serve`). Django's consumer awaits coroutine
/// handlers on its loop itself, without holding a handler thread meanwhile.
pub fn call_handler(object: &Bound<'_, PyAny>, name: &str, params: &Map<String, Value>) -> PyResult<()> {
    let py = object.py();
    let kwargs = convert::dict(py, params)?;
    let returned = object.call_method(name, (), Some(&kwargs))?;
    finish(&returned)
}

/// Run what view code returned to completion when it is a coroutine.
pub fn finish(returned: &Bound<'_, PyAny>) -> PyResult<()> {
    if !returned.is_none() {
        returned.py().import("wasmlive._bridge")?.getattr("finish_in_thread")?.call1((returned,))?;
    }
    Ok(())
}

/// What a view delivers to its actor: its context (see [`context_of`]),
/// the client events `push_event` queued on it, and the context of each
/// component `update_component` changed, since the last time.
pub fn update_of(object: &Bound<'_, PyAny>) -> PyResult<Update> {
    Ok(Update { state: context_of(object)?, events: take_events(object)?, components: take_component_updates(object)? })
}

/// The components `LiveView.update_component` changed, with their contexts now, taken.
fn take_component_updates(object: &Bound<'_, PyAny>) -> PyResult<Vec<ComponentProps>> {
    let ids = taken(object, pyo3::intern!(object.py(), "_wasmlive_component_updates"))?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let registry = object.getattr(pyo3::intern!(object.py(), "_wasmlive_components"))?;
    ids.iter().map(|id| Ok(ComponentProps { component_id: id.extract()?, props: context_of(&registry.get_item(id)?)? })).collect()
}

/// The client events queued on `object` (`LiveView.push_event`), taken.
pub fn take_events(object: &Bound<'_, PyAny>) -> PyResult<Vec<ClientEvent>> {
    let queued = taken(object, pyo3::intern!(object.py(), "_wasmlive_events"))?;
    queued.iter().map(|e| Ok(e.cast::<QueuedEvent>()?.get().0.clone())).collect()
}

/// The items of the list `object.name` (none when it has no list there), which is emptied.
fn taken<'py>(object: &Bound<'py, PyAny>, name: &Bound<'py, pyo3::types::PyString>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let Ok(queued) = object.getattr(name) else { return Ok(Vec::new()) };
    let Ok(list) = queued.cast_into::<pyo3::types::PyList>() else { return Ok(Vec::new()) };
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let items = list.iter().collect();
    list.call_method0("clear")?;
    Ok(items)
}

/// A client event `push_event` checked and queued on its view (made by
/// `wasmlive._host.client_event`).
#[pyclass(module = "wasmlive._host", name = "ClientEvent", frozen)]
pub struct QueuedEvent(pub ClientEvent);

#[pymethods]
impl QueuedEvent {
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }

    fn __repr__(&self) -> String {
        format!("<ClientEvent {}>", self.0.name)
    }
}

/// A client event named `name` with `payload` (JSON text), checked.
#[pyfunction]
pub fn client_event(name: &str, payload: &str) -> PyResult<QueuedEvent> {
    let payload: Value = serde_json::from_str(payload).map_err(|e| pyo3::exceptions::PyTypeError::new_err(format!("a client event's payload must be JSON: {e}")))?;
    ClientEvent::new(name, payload).map(QueuedEvent).map_err(pyo3::exceptions::PyValueError::new_err)
}

/// The template context an object gives: its `get_context_data()`, or
/// else its instance attributes; names starting with `_` are left out
/// either way (Django's templates cannot name them).
pub fn context_of(object: &Bound<'_, PyAny>) -> PyResult<Map<String, Value>> {
    let mut context = if object.hasattr("get_context_data")? {
        convert::context(&object.call_method0("get_context_data")?)?
    } else {
        let attrs = PyDict::new(object.py());
        if let Ok(d) = object.getattr("__dict__") {
            for (k, v) in d.cast::<PyDict>()?.iter() {
                if !k.extract::<String>()?.starts_with('_') {
                    attrs.set_item(k, v)?;
                }
            }
        }
        convert::context(attrs.as_any())?
    };
    context.retain(|k, _| !k.starts_with('_'));
    Ok(context)
}
