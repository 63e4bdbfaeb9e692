//! What a session handle knows of its views: the Python objects with their
//! handler tables and lanes, shared by every handle to one session.

use crate::handlers::HandlerTable;
use crate::system::System;
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

/// The views of each session, by session id (shared by its handles), with
/// the actor they belong to.
pub(super) static REGISTRY: std::sync::LazyLock<dashmap::DashMap<String, (SessionHandle, Arc<Mutex<Views>>)>> =
    std::sync::LazyLock::new(dashmap::DashMap::new);

/// The shared views of `handle`'s session. A session that expired and was
/// started again under the same id starts with no views; entries of
/// sessions that ended without `shutdown()` (expired, removed as
/// unhealthy) are dropped here once they outnumber live sessions.
pub(super) fn views_of(system: &System, handle: &SessionHandle) -> Arc<Mutex<Views>> {
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
