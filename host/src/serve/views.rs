//! The views file of `wasmlive serve`: which LiveViews to serve, where.
//!
//! ```json
//! {"views": [
//!   {"name": "counter", "route": "/counter/", "template": "counter.html",
//!    "state": {"count": 0}, "title": "Counter", "handler": "app.views:Counter"}
//! ]}
//! ```
//!
//! `template` is a name under the `--templates` directories; `state` the
//! initial state; `handler` (optional) a Python class whose
//! `@event_handler` methods handle events. A view without one merges each
//! event's params into its state. `mount_params` (optional) names the keys
//! a client's mount frame may set; by default it may set none. `topics`
//! (optional) are PubSub topics each mounted view subscribes to: a message
//! (`wasmlive broadcast`) runs the handler's `handle_info`, or, without a
//! handler, is merged into the state when it is a JSON object; then the
//! view's patches are pushed.

use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::path::Path;

/// One served view.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewEntry {
    /// What a client mounts it by.
    pub name: String,
    /// The URL path of its page.
    pub route: String,
    /// Its template's name under the template directories.
    pub template: String,
    /// The state it starts with.
    #[serde(default)]
    pub state: Map<String, Value>,
    /// The page title.
    #[serde(default)]
    pub title: Option<String>,
    /// `module:Class` of a Python handler class.
    #[serde(default)]
    pub handler: Option<String>,
    /// The keys a client's mount frame may set (none by default).
    #[serde(default)]
    pub mount_params: Vec<String>,
    /// PubSub topics its views subscribe to once mounted.
    #[serde(default)]
    pub topics: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewsFile {
    views: Vec<ViewEntry>,
}

/// Read and check a views file; every problem is reported, each on its own line.
pub fn load(path: &Path) -> Result<Vec<ViewEntry>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read the views file: {e}", path.display()))?;
    let file: ViewsFile = serde_json::from_str(&text).map_err(|e| format!("{}:{}:{}: {e}", path.display(), e.line(), e.column()))?;
    let mut problems = Vec::new();
    let (mut names, mut routes) = (HashSet::new(), HashSet::new());
    if file.views.is_empty() {
        problems.push(format!("{}: the views file lists no views", path.display()));
    }
    for (i, v) in file.views.iter().enumerate() {
        let at = format!("{}: views[{i}] ({:?})", path.display(), v.name);
        if v.name.is_empty() || !v.name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) {
            problems.push(format!("{at}: `name` must be letters, digits, `_`, `-` or `.`"));
        }
        if !v.route.starts_with('/') || v.route.contains(['?', '#', ' ']) || v.route.starts_with("/ws/") || v.route.starts_with("/static/") {
            problems.push(format!("{at}: `route` must be a path starting with `/` (not under /ws/ or /static/), got {:?}", v.route));
        }
        if !names.insert(v.name.clone()) {
            problems.push(format!("{at}: another view is already named {:?}", v.name));
        }
        if !routes.insert(v.route.clone()) {
            problems.push(format!("{at}: another view already has the route {:?}", v.route));
        }
        for p in &v.mount_params {
            if p.is_empty() || p.starts_with(['_', '$']) || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                problems.push(format!("{at}: `mount_params` names must be letters, digits and `_`, not starting with `_`: {p:?}"));
            }
        }
        for topic in &v.topics {
            if let Err(e) = crate::pubsub::check_topic(topic) {
                problems.push(format!("{at}: `topics`: {e}"));
            }
        }
        if let Some(h) = &v.handler {
            let ok = h.split_once(':').is_some_and(|(m, c)| !m.is_empty() && !c.is_empty());
            if !ok {
                problems.push(format!("{at}: `handler` must be `module:Class`, got {h:?}"));
            }
        }
    }
    if problems.is_empty() { Ok(file.views) } else { Err(problems.join("\n")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(json: &str) -> Result<Vec<ViewEntry>, String> {
        let dir = std::env::temp_dir().join(format!("wasmlive-views-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("views.json");
        std::fs::write(&path, json).unwrap();
        let r = load(&path);
        std::fs::remove_dir_all(&dir).unwrap();
        r
    }

    #[test]
    fn a_good_file_loads() {
        let v = check(r#"{"views": [{"name": "counter", "route": "/", "template": "c.html", "state": {"count": 0}}]}"#).unwrap();
        assert_eq!(v[0].state["count"], 0);
    }

    #[test]
    fn every_problem_is_reported() {
        let e = check(
            r#"{"views": [{"name": "a b", "route": "x", "template": "t"}, {"name": "c", "route": "/ws/live/", "template": "t", "handler": "nocolon"},
            {"name": "c", "route": "/ws/live/", "template": "t"}]}"#,
        )
        .unwrap_err();
        assert!(e.contains("`name` must be"), "{e}");
        assert!(e.contains("`route` must be a path"), "{e}");
        assert!(e.contains("`handler` must be `module:Class`"), "{e}");
        assert!(e.contains("already named \"c\""), "{e}");
        assert!(e.contains("already has the route"), "{e}");
        assert_eq!(e.lines().count(), 7, "{e}");
    }

    #[test]
    fn syntax_errors_and_unknown_keys_say_where() {
        let e = check("{\"views\": [\n  {\"name\": \"a\",}\n]}").unwrap_err();
        assert!(e.contains("views.json:2:"), "{e}");
        let e = check(r#"{"views": [{"name": "a", "route": "/", "template": "t", "tempalte": "x"}]}"#).unwrap_err();
        assert!(e.contains("unknown field `tempalte`"), "{e}");
    }
}
