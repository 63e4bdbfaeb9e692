//! How a render goes back to Python: a dict for the Python API, or the
//! protocol's frame text for a transport.

use crate::convert;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use serde_json::Value;
use wasmlive::actors::Rendered;
use wasmlive::protocol::ServerFrame;

/// How a render result goes back to Python.
#[derive(Clone)]
pub(super) enum Output {
    /// A dict: `{"patches" | "html", "version", "view_id", ["component_id"], ["events"]}`.
    Dict,
    /// A ready-to-send JSON text frame for the client, with the event's `ref`.
    Frame { reference: Option<Value> },
}

/// A render result as Python sees it (a dict, or the protocol's frame).
pub(super) fn rendered_to_py(py: Python<'_>, r: Rendered, view_id: Option<&str>, output: &Output) -> PyResult<Py<PyAny>> {
    match output {
        Output::Frame { reference } => {
            let text = ServerFrame::rendered(r, view_id.map(str::to_string), reference.clone()).to_text();
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
            if !r.events.is_empty() {
                let events = serde_json::to_value(&r.events).map_err(|e| PyTypeError::new_err(e.to_string()))?;
                d.set_item("events", convert::to_py(py, &events)?)?;
            }
            Ok(d.into_any().unbind())
        }
    }
}

impl Output {
    /// As the Python helpers that finish a coroutine handler's event take
    /// it (`frame`, `ref`), for `output` to make again when they call back.
    pub(super) fn for_python(&self, py: Python<'_>) -> PyResult<(bool, Option<Py<PyAny>>)> {
        match self {
            Output::Frame { reference } => Ok((true, reference.as_ref().map(|r| convert::to_py(py, r)).transpose()?)),
            Output::Dict => Ok((false, None)),
        }
    }
}

pub(super) fn output(frame: bool, reference: Option<&Bound<'_, PyAny>>) -> PyResult<Output> {
    if !frame {
        return Ok(Output::Dict);
    }
    let reference = match reference {
        Some(r) if !r.is_none() => Some(convert::to_json(r, 0)?),
        _ => None,
    };
    Ok(Output::Frame { reference })
}
