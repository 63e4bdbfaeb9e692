//! A VDOM engine for tests that misbehaves when the new HTML asks it to, by
//! containing one of these markers:
//!
//! - `fault:panic`: panics with the message `deliberate vdom panic`;
//! - `fault:bad-attribute`: a `set-attribute` whose name no browser accepts;
//! - `fault:zero-count`: a `remove-child` of zero nodes;
//! - `fault:deep-path`: a `set-text` at a path 100,000 levels deep;
//! - `fault:stale-path`: a well-formed `set-text` at a node that does not
//!   exist, which only the page applying it can notice.
//!
//! Otherwise it replaces the first root node with the whole new HTML (one
//! `replace-node`), which is right for a view with one root element: a
//! second VDOM engine that sends full HTML instead of fine-grained patches.

#[cfg(target_arch = "wasm32")]
mod component {
    use exports::wasmlive::engine::vdom::{self as wit, GuestDocument};
    use std::cell::RefCell;
    use wasmlive::engine::log::{Level, log};

    wit_bindgen::generate!({ path: "../../../wit", world: "wasmlive:engine/vdom-engine@0.1.0" });

    struct Engine;
    struct Document(RefCell<String>);

    impl wit::Guest for Engine {
        type Document = Document;
    }

    impl GuestDocument for Document {
        fn new(html: String) -> Document {
            std::panic::set_hook(Box::new(|info| log(Level::Error, &info.to_string())));
            Document(RefCell::new(html))
        }

        fn diff(&self, html: String) -> Vec<wit::Patch> {
            let marker = |name: &str| html.contains(&format!("fault:{name}"));
            if marker("panic") {
                panic!("deliberate vdom panic");
            }
            let patches = if marker("bad-attribute") {
                vec![wit::Patch::SetAttribute(wit::SetAttribute {
                    path: vec![0],
                    name: "on click\"".into(),
                    value: String::new(),
                })]
            } else if marker("zero-count") {
                vec![wit::Patch::RemoveChild(wit::RemoveChild {
                    parent: vec![],
                    index: 0,
                    count: 0,
                })]
            } else if marker("deep-path") {
                vec![wit::Patch::SetText(wit::SetText {
                    path: vec![0; 100_000],
                    text: "deep".into(),
                })]
            } else if marker("stale-path") {
                vec![wit::Patch::SetText(wit::SetText {
                    path: vec![0, 999],
                    text: "stale".into(),
                })]
            } else if *self.0.borrow() == html {
                vec![]
            } else {
                vec![wit::Patch::ReplaceNode(wit::ReplaceNode {
                    path: vec![0],
                    html: html.clone(),
                })]
            };
            *self.0.borrow_mut() = html;
            patches
        }

        fn to_html(&self) -> String {
            self.0.borrow().clone()
        }

        fn nodes(&self) -> Vec<wit::Node> {
            Vec::new()
        }
    }

    export!(Engine);
}
