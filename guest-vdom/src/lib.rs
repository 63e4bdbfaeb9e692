//! wasmlive's default VDOM engine, compiled to a Wasm component that
//! implements the `vdom-engine` world of `wit/`.
//!
//! Layout:
//! - `tree`: the node tree the guest keeps between diffs, its HTML
//!   serialization and its flattened form;
//! - `parser`: HTML fragment text to a tree;
//! - `diff`: old tree and new tree to the patches of `wit/vdom.wit`;
//! - `edit`: the document kept between diffs, and the fast path for an
//!   update that only changes one text node (no parse, no diff);
//! - `apply`: patches applied to a tree by the client's rules, for tests
//!   (and for the host to check a guest's patches).
//!
//! The engine is plain Rust and is unit-tested natively; only the
//! `component` module knows about the component model.

mod apply;
mod diff;
mod edit;
pub mod parser;
mod tree;

pub use apply::{ApplyError, apply};
pub use diff::{KEY_ATTRIBUTE, Patch, diff};
pub use edit::Document;
pub use parser::{parse, parse_in, parse_with_spans};
pub use tree::{FlatNode, Namespace, Node, NodeKind, TextSpan, flatten, to_html};

#[cfg(target_arch = "wasm32")]
mod component {
    use exports::wasmlive::engine::vdom::{self as wit, GuestDocument};
    use std::cell::RefCell;
    use std::sync::Once;
    use wasmlive::engine::log::{Level, log};

    wit_bindgen::generate!({ path: "../wit", world: "vdom-engine" });

    struct Engine;

    /// The guest side of a `document` resource: the tree as last parsed,
    /// with the HTML it came from.
    struct Document(RefCell<super::Document>);

    impl wit::Guest for Engine {
        type Document = Document;
    }

    impl GuestDocument for Document {
        fn new(html: String) -> Document {
            report_panics();
            Document(RefCell::new(super::Document::parse(html)))
        }

        fn diff(&self, html: String) -> Vec<wit::Patch> {
            report_panics();
            self.0.borrow_mut().update(html).into_iter().map(to_wit).collect()
        }

        fn to_html(&self) -> String {
            super::to_html(self.0.borrow().tree())
        }

        fn nodes(&self) -> Vec<wit::Node> {
            super::flatten(self.0.borrow().tree())
                .into_iter()
                .map(|n| wit::Node {
                    parent: n.parent,
                    kind: match n.kind {
                        super::NodeKind::Element => wit::NodeKind::Element,
                        super::NodeKind::Text => wit::NodeKind::Text,
                        super::NodeKind::Comment => wit::NodeKind::Comment,
                        super::NodeKind::Doctype => wit::NodeKind::Doctype,
                    },
                    name: n.name,
                    data: n.data,
                    namespace: match n.namespace {
                        super::Namespace::Html => wit::Namespace::Html,
                        super::Namespace::Svg => wit::Namespace::Svg,
                        super::Namespace::MathMl => wit::Namespace::Mathml,
                    },
                    attributes: n
                        .attributes
                        .into_iter()
                        .map(|(name, value)| wit::Attribute { name, value })
                        .collect(),
                })
                .collect()
        }
    }

    fn to_wit(p: super::Patch) -> wit::Patch {
        use super::Patch as P;
        match p {
            P::SetText { path, text } => wit::Patch::SetText(wit::SetText { path, text }),
            P::SetAttribute { path, name, value } => {
                wit::Patch::SetAttribute(wit::SetAttribute { path, name, value })
            }
            P::RemoveAttribute { path, name } => wit::Patch::RemoveAttribute(wit::RemoveAttribute { path, name }),
            P::ReplaceNode { path, html } => wit::Patch::ReplaceNode(wit::ReplaceNode { path, html }),
            P::InsertChild { parent, index, html, count } => {
                wit::Patch::InsertChild(wit::InsertChild { parent, index, html, count })
            }
            P::RemoveChild { parent, index, count } => {
                wit::Patch::RemoveChild(wit::RemoveChild { parent, index, count })
            }
            P::MoveChild { parent, from, to, count } => {
                wit::Patch::MoveChild(wit::MoveChild { parent, from, to, count })
            }
        }
    }

    /// Send a panic's message to the host before the guest traps.
    fn report_panics() {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            std::panic::set_hook(Box::new(|info| log(Level::Error, &info.to_string())));
        });
    }

    export!(Engine);
}
