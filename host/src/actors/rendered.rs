//! What a render gives: the patches (or whole HTML) and the version.

use crate::engine_host::Patch;

/// What a render sends to the client: patches when the view was shown
/// before, full HTML on first render (or when asked for HTML).
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// Full HTML, when there is no earlier tree to diff against.
    pub html: Option<String>,
    /// Patches from the HTML the client has to the new HTML.
    pub patches: Option<Vec<Patch>>,
    /// The view's render version after this render (one more per render).
    pub version: u64,
    /// Set when the patches apply inside this component's root only.
    pub component_id: Option<String>,
}
