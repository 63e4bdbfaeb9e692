//! Which events a Python view may receive, decided in Rust before any
//! Python runs.
//!
//! An event is callable only if it names a method of the view's class
//! marked by `@event_handler` (the decorator sets `_wasmlive_handler`).
//! Names starting with `_`, lifecycle methods and anything else are
//! refused with a message that says why. Each class is scanned once.

use crate::errors;
use pyo3::prelude::*;
use pyo3::types::PyType;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use wasmlive::params::{LIFECYCLE, refuse_event_name};

/// The declared handlers of one class.
pub struct HandlerTable {
    class_name: String,
    /// `module.qualname`, for error notes.
    pub path: String,
    names: HashSet<String>,
    /// The handlers that are coroutine functions (`async def`): awaited on
    /// the caller's event loop, not called on a handler thread.
    coroutines: HashSet<String>,
}

static TABLES: Mutex<Option<HashMap<usize, (Py<PyType>, Arc<HandlerTable>)>>> = Mutex::new(None);

impl HandlerTable {
    /// The table of `object`'s class, scanned at first use.
    pub fn of(object: &Bound<'_, PyAny>) -> PyResult<Arc<HandlerTable>> {
        let class = object.get_type();
        let key = class.as_ptr() as usize;
        if let Some((_, table)) = TABLES.lock().expect("tables lock").get_or_insert_with(HashMap::new).get(&key) {
            return Ok(table.clone());
        }
        let mut names = HashSet::new();
        let mut coroutines = HashSet::new();
        let is_coroutine = object.py().import("inspect")?.getattr("iscoroutinefunction")?;
        for name in class.dir()? {
            let name: String = name.extract()?;
            if name.starts_with('_') || LIFECYCLE.contains(&name.as_str()) {
                continue;
            }
            let Ok(attr) = class.getattr(name.as_str()) else { continue };
            let marked = attr
                .getattr("_wasmlive_handler")
                .and_then(|m| m.is_truthy())
                .unwrap_or(false);
            if marked && attr.is_callable() {
                if is_coroutine.call1((&attr,))?.is_truthy()? {
                    coroutines.insert(name.clone());
                }
                names.insert(name);
            }
        }
        let class_name = class.qualname()?.to_string();
        let table = Arc::new(HandlerTable {
            path: format!("{}.{class_name}", class.module()?),
            class_name,
            names,
            coroutines,
        });
        TABLES
            .lock()
            .expect("tables lock")
            .get_or_insert_with(HashMap::new)
            .insert(key, (class.unbind(), table.clone()));
        Ok(table)
    }

    /// The declared handler names, sorted (for errors and the client).
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.names.iter().cloned().collect();
        names.sort();
        names
    }

    /// Whether the handler `event` is a coroutine function.
    pub fn is_coroutine(&self, event: &str) -> bool {
        self.coroutines.contains(event)
    }

    /// Refuse `event` unless it is a declared handler; the error says why.
    pub fn check(&self, py: Python<'_>, object: &Bound<'_, PyAny>, event: &str) -> PyResult<()> {
        check_name(py, event)?;
        if self.names.contains(event) {
            return Ok(());
        }
        let class = &self.class_name;
        if LIFECYCLE.contains(&event) {
            return Err(errors::raise(py, "EventRejectedError", format!("`{event}` is a lifecycle method of {class}, not an event handler"), &[]));
        }
        match object.getattr(event) {
            Err(_) => Err(errors::raise(
                py,
                "HandlerNotFoundError",
                format!("{class} has no event handler `{event}` (its handlers: {})", self.names().join(", ")),
                &[],
            )),
            Ok(attr) if !attr.is_callable() => Err(errors::raise(
                py,
                "EventRejectedError",
                format!("`{event}` is an attribute of {class}, not an event handler"),
                &[],
            )),
            Ok(_) => Err(errors::raise(
                py,
                "EventRejectedError",
                format!("`{event}` of {class} is not marked with @event_handler"),
                &[],
            )),
        }
    }
}

/// Refuse names no handler can have, whatever the view.
pub fn check_name(py: Python<'_>, event: &str) -> PyResult<()> {
    match refuse_event_name(event) {
        Some(message) => Err(errors::raise(py, "EventRejectedError", message, &[])),
        None => Ok(()),
    }
}
