//! What a session handle knows of its views: the Python objects with their
//! handler tables and lanes, shared by every handle to one session.

use crate::handlers::HandlerTable;
use crate::threads::Lane;
use indexmap::IndexMap;
use pyo3::prelude::*;
use std::sync::{Arc, Mutex};
use wasmlive::actors::{SessionHandle, ViewHandle};

/// A view or component object with Python handlers, and the lane its
/// code runs on (a component shares its view's).
pub(super) struct PyLogic {
    pub(super) object: Py<PyAny>,
    pub(super) handlers: Arc<HandlerTable>,
    pub(super) lane: Lane,
    /// The view's actor, once mounted (a view's new state goes to it
    /// directly, not through the session); `None` for a component.
    pub(super) view: Option<ViewHandle>,
}

/// What this handle knows of its session's views.
#[derive(Default)]
pub(super) struct Views {
    /// Every mounted view id, in mount order (the first gets events without an id).
    pub(super) order: Vec<String>,
    /// Views with Python logic.
    pub(super) python: IndexMap<String, PyLogic>,
    /// Components with Python logic, by (view id, component id).
    pub(super) components: IndexMap<(String, String), PyLogic>,
}

/// The views of `handle`'s session, shared by every handle to it (an HTTP
/// request's handle finds the Python views a first paint mounted): kept
/// with the session itself, dropped with it. A session started again
/// under an expired one's id is a new session, with no views.
pub(super) fn views_of(handle: &SessionHandle) -> Arc<Mutex<Views>> {
    handle.attachment::<Mutex<Views>>().expect("a session's attachment is its Python views")
}
