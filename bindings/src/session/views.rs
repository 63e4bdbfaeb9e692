//! What a session handle knows of its views: their actors, and the Python
//! objects of those with Python logic, shared by every handle to one session.

use crate::pyview::PyView;
use indexmap::IndexMap;
use std::sync::{Arc, Mutex};
use wasmlive::actors::{ActorError, SessionHandle, ViewHandle};

/// What this handle knows of its session's views.
#[derive(Default)]
pub(super) struct Views {
    /// Every mounted view's actor, in mount order (the first gets events
    /// without an id): requests for a view go to it directly, not through
    /// the session.
    pub(super) mounted: IndexMap<String, ViewHandle>,
    /// Views with Python logic.
    pub(super) python: IndexMap<String, Arc<PyView>>,
    /// Components with Python logic, by (view id, component id).
    pub(super) components: IndexMap<(String, String), Arc<PyView>>,
}

/// The views of `handle`'s session, shared by every handle to it (an HTTP
/// request's handle finds the Python views a first paint mounted): kept
/// with the session itself, dropped with it. A session started again
/// under an expired one's id is a new session, with no views.
pub(super) fn views_of(handle: &SessionHandle) -> Arc<Mutex<Views>> {
    handle.attachment::<Mutex<Views>>().expect("a session's attachment is its Python views")
}

impl Views {
    /// The view an event without an id goes to.
    pub(super) fn target(&self, view_id: Option<String>) -> Option<String> {
        view_id.or_else(|| self.mounted.first().map(|(id, _)| id.clone()))
    }

    /// A mounted view's actor, or `ViewNotFound` as the session would say it.
    pub(super) fn handle(&self, view_id: Option<&str>) -> Result<ViewHandle, ActorError> {
        match view_id {
            Some(id) => self.mounted.get(id).cloned().ok_or_else(|| ActorError::ViewNotFound(id.to_string())),
            None => self
                .mounted
                .first()
                .map(|(_, v)| v.clone())
                .ok_or_else(|| ActorError::ViewNotFound("no view is mounted in this session".into())),
        }
    }
}
