//! VDOM engines and the per-view VDOM instance.

use super::bindings::vdom_world::{VdomEngine as VdomBindings, VdomEnginePre, exports::wasmlive::engine::vdom as wit};
use super::config::GuestLimits;
use super::error::{GuestFault, LoadError};
use super::sandbox::{Bindings, BoxFuture, GuestStore, Loaded, Sandbox, Startups, same_engine_store};
use super::services::HostServices;
use super::state::GuestState;
use super::world::World;
use super::GuestEngine;
use serde::Serialize;
use std::sync::Arc;
use wasmtime::Store;
use wasmtime::component::{Component, InstancePre, ResourceAny};

impl Bindings for VdomBindings {
    const WORLD: World = World::VdomEngine;
    type Pre = VdomEnginePre<GuestState>;

    fn pre(instance_pre: InstancePre<GuestState>) -> wasmtime::Result<Self::Pre> {
        VdomEnginePre::new(instance_pre)
    }

    fn instantiate<'a>(pre: &'a Self::Pre, store: &'a mut Store<GuestState>) -> BoxFuture<'a, wasmtime::Result<Self>> {
        Box::pin(pre.instantiate_async(store))
    }
}

/// One patch of `wit/vdom.wit`, as the host holds and serializes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Patch {
    SetText { path: Vec<u32>, text: String },
    SetAttribute { path: Vec<u32>, name: String, value: String },
    RemoveAttribute { path: Vec<u32>, name: String },
    ReplaceNode { path: Vec<u32>, html: String },
    InsertChild { parent: Vec<u32>, index: u32, html: String, count: u32 },
    RemoveChild { parent: Vec<u32>, index: u32, count: u32 },
    MoveChild { parent: Vec<u32>, from: u32, to: u32, count: u32 },
}

/// Deeper paths than this are refused: browsers flatten HTML nested past
/// 512 levels, so no page the client patches is this deep.
pub const MAX_PATH_DEPTH: usize = 4096;

impl Patch {
    /// Why the page could never apply this patch, whatever the tree: the
    /// structural checks the host makes on a guest's output before sending
    /// it (a patch that is well-formed but does not fit the page is caught
    /// by the client, which then asks for the full HTML).
    pub fn problem(&self) -> Option<String> {
        let (path, count) = match self {
            Patch::SetText { path, .. } | Patch::ReplaceNode { path, .. } => (path, None),
            Patch::SetAttribute { path, name, .. } | Patch::RemoveAttribute { path, name } => {
                if let Some(why) = attribute_name_problem(name) {
                    return Some(format!("attribute name {name:?} {why}"));
                }
                (path, None)
            }
            Patch::InsertChild { parent, count, .. } | Patch::RemoveChild { parent, count, .. } | Patch::MoveChild { parent, count, .. } => {
                (parent, Some(*count))
            }
        };
        if path.len() > MAX_PATH_DEPTH {
            return Some(format!("a path {} levels deep (at most {MAX_PATH_DEPTH})", path.len()));
        }
        match count {
            Some(0) => Some("a count of 0 nodes (at least 1)".into()),
            None if path.is_empty() => Some("the fragment root as its target (only a parent may be the root)".into()),
            _ => None,
        }
    }

    /// Bytes of payload this patch carries, for the output limit.
    fn payload_len(&self) -> usize {
        match self {
            Patch::SetText { path, text } => path.len() * 4 + text.len(),
            Patch::SetAttribute { path, name, value } => path.len() * 4 + name.len() + value.len(),
            Patch::RemoveAttribute { path, name } => path.len() * 4 + name.len(),
            Patch::ReplaceNode { path, html } => path.len() * 4 + html.len(),
            Patch::InsertChild { parent, html, .. } => parent.len() * 4 + 8 + html.len(),
            Patch::RemoveChild { parent, .. } => parent.len() * 4 + 8,
            Patch::MoveChild { parent, .. } => parent.len() * 4 + 12,
        }
    }
}

/// Why an HTML parser could never produce `name` as an attribute name, if
/// it could not: empty, or holding whitespace, `/`, `>`, NUL, an ASCII
/// capital (names are lowercased) or a `=` after the first character.
fn attribute_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    for (i, c) in name.char_indices() {
        match c {
            '\t' | '\n' | '\x0C' | '\r' | ' ' => return Some("holds whitespace"),
            '/' | '>' | '\0' => return Some("holds `/`, `>` or NUL"),
            '=' if i > 0 => return Some("holds `=`"),
            c if c.is_ascii_uppercase() => return Some("holds an ASCII capital (HTML lowercases them)"),
            _ => {}
        }
    }
    None
}

impl From<wit::Patch> for Patch {
    fn from(p: wit::Patch) -> Patch {
        match p {
            wit::Patch::SetText(p) => Patch::SetText { path: p.path, text: p.text },
            wit::Patch::SetAttribute(p) => Patch::SetAttribute {
                path: p.path,
                name: p.name,
                value: p.value,
            },
            wit::Patch::RemoveAttribute(p) => Patch::RemoveAttribute { path: p.path, name: p.name },
            wit::Patch::ReplaceNode(p) => Patch::ReplaceNode { path: p.path, html: p.html },
            wit::Patch::InsertChild(p) => Patch::InsertChild {
                parent: p.parent,
                index: p.index,
                html: p.html,
                count: p.count,
            },
            wit::Patch::RemoveChild(p) => Patch::RemoveChild {
                parent: p.parent,
                index: p.index,
                count: p.count,
            },
            wit::Patch::MoveChild(p) => Patch::MoveChild {
                parent: p.parent,
                from: p.from,
                to: p.to,
                count: p.count,
            },
        }
    }
}

/// What a [`FlatNode`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    Element,
    Text,
    Comment,
    Doctype,
}

/// One node of the guest's tree, flattened in document order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlatNode {
    pub parent: Option<u32>,
    pub kind: NodeKind,
    pub name: String,
    pub data: String,
    /// `html`, `svg` or `mathml`.
    pub namespace: &'static str,
    pub attributes: Vec<(String, String)>,
}

impl From<wit::Node> for FlatNode {
    fn from(n: wit::Node) -> FlatNode {
        FlatNode {
            parent: n.parent,
            kind: match n.kind {
                wit::NodeKind::Element => NodeKind::Element,
                wit::NodeKind::Text => NodeKind::Text,
                wit::NodeKind::Comment => NodeKind::Comment,
                wit::NodeKind::Doctype => NodeKind::Doctype,
            },
            name: n.name,
            data: n.data,
            namespace: match n.namespace {
                wit::Namespace::Html => "html",
                wit::Namespace::Svg => "svg",
                wit::Namespace::Mathml => "mathml",
            },
            attributes: n.attributes.into_iter().map(|a| (a.name, a.value)).collect(),
        }
    }
}

/// A loaded VDOM-engine component. Cheap to clone; make one
/// [`VdomInstance`] per view with [`VdomEngine::instance`].
#[derive(Clone)]
pub struct VdomEngine {
    loaded: Arc<Loaded<VdomBindings>>,
    /// Limits of this engine's instances, over the view's (see [`VdomEngine::with_limits`]).
    limits: Option<GuestLimits>,
    startups: Startups,
}

impl VdomEngine {
    pub(crate) fn new(engine: GuestEngine, name: &str, component: &Component) -> Result<VdomEngine, LoadError> {
        Ok(VdomEngine {
            loaded: Loaded::new(engine, name, component)?,
            limits: None,
            startups: Startups::default(),
        })
    }

    /// The same compiled component whose instances run under `limits`
    /// instead of the limits of the view they serve: per-engine limits for
    /// an engine that needs more (or deserves less) than the default.
    pub fn with_limits(&self, limits: GuestLimits) -> VdomEngine {
        VdomEngine {
            loaded: self.loaded.clone(),
            limits: Some(limits),
            startups: Startups::default(),
        }
    }

    /// The limits set by [`VdomEngine::with_limits`], if any.
    pub fn limits(&self) -> Option<GuestLimits> {
        self.limits
    }

    /// The component's name (as given when loaded).
    pub fn name(&self) -> &str {
        &self.loaded.name
    }

    /// A new instance for one view, holding an empty document until
    /// [`VdomInstance::reset`] or the first [`VdomInstance::diff`].
    pub fn instance(&self, services: Arc<dyn HostServices>, limits: GuestLimits) -> VdomInstance {
        self.instance_in(&GuestStore::new(&self.loaded.engine, services, limits))
    }

    /// A new instance living in `store` beside the view's other guests.
    /// `store` must come from the engine this component was loaded by;
    /// otherwise the instance gets a store of its own.
    pub fn instance_in(&self, store: &GuestStore) -> VdomInstance {
        VdomInstance {
            sandbox: Sandbox::new(self.loaded.clone(), same_engine_store(&self.loaded.engine, store), self.limits, self.startups.clone()),
            html: Arc::from(""),
            document: None,
        }
    }
}

/// One view's VDOM guest: the tree of the HTML last shown, kept in the guest.
pub struct VdomInstance {
    sandbox: Sandbox<VdomBindings>,
    /// The HTML the current tree was parsed from: the last good state, from
    /// which a fresh instance rebuilds the tree after a fault.
    html: Arc<str>,
    /// The guest's document and the instance generation it lives in.
    document: Option<(u64, ResourceAny)>,
}

impl VdomInstance {
    /// Make `html` the current tree, without computing patches.
    pub async fn reset(&mut self, html: &str) -> Result<(), GuestFault> {
        if let Some((generation, handle)) = self.document.take() {
            if generation == self.sandbox.generation() {
                self.sandbox
                    .call(move |store, _| Box::pin(async move { handle.resource_drop_async(store).await }))
                    .await?;
            }
        }
        self.html = html.into();
        self.document().await?;
        self.sandbox.succeeded();
        Ok(())
    }

    /// The patches that turn the current tree into `new_html`, which becomes
    /// the current tree. On a fault the current tree stays what it was.
    pub async fn diff(&mut self, new_html: &str) -> Result<Vec<Patch>, GuestFault> {
        let document = self.document().await?;
        // One copy serves the call and, on success, the kept state.
        let html: Arc<str> = new_html.into();
        let sent = html.clone();
        let patches = self
            .sandbox
            .call(move |store, bindings| {
                Box::pin(async move {
                    let api = bindings.wasmlive_engine_vdom().document();
                    api.call_diff(&mut *store, document, &sent).await
                })
            })
            .await?;
        let patches: Vec<Patch> = patches.into_iter().map(Patch::from).collect();
        if let Some((i, problem)) = patches.iter().enumerate().find_map(|(i, p)| p.problem().map(|why| (i, why))) {
            self.document = None;
            let message = format!("patch {} of {} is malformed: {problem}", i + 1, patches.len());
            return Err(self.sandbox.invalid_output(message).await);
        }
        let size: usize = patches.iter().map(Patch::payload_len).sum();
        let limit = self.sandbox.limits().output_bytes;
        if size > limit {
            self.document = None;
            let message = format!(
                "diff produced {} patches carrying {size} bytes, over the {limit}-byte output limit",
                patches.len()
            );
            return Err(self.sandbox.invalid_output(message).await);
        }
        self.html = html;
        self.sandbox.succeeded();
        Ok(patches)
    }

    /// The current tree serialized by the guest.
    pub async fn to_html(&mut self) -> Result<String, GuestFault> {
        let document = self.document().await?;
        self.sandbox
            .call(move |store, bindings| {
                Box::pin(async move {
                    let api = bindings.wasmlive_engine_vdom().document();
                    api.call_to_html(&mut *store, document).await
                })
            })
            .await
    }

    /// The current tree, flattened in document order.
    pub async fn nodes(&mut self) -> Result<Vec<FlatNode>, GuestFault> {
        let document = self.document().await?;
        let nodes = self
            .sandbox
            .call(move |store, bindings| {
                Box::pin(async move {
                    let api = bindings.wasmlive_engine_vdom().document();
                    api.call_nodes(&mut *store, document).await
                })
            })
            .await?;
        Ok(nodes.into_iter().map(FlatNode::from).collect())
    }

    /// The HTML the current tree was parsed from (the last good state).
    pub fn html(&self) -> &str {
        &self.html
    }

    /// The component this instance runs.
    pub fn component_name(&self) -> &str {
        self.sandbox.component_name()
    }

    /// How many faults this view's VDOM guest has had.
    pub fn faults(&self) -> u64 {
        self.sandbox.faults()
    }

    /// The guest document for the current tree, rebuilt from the kept HTML
    /// when the instance is new.
    async fn document(&mut self) -> Result<ResourceAny, GuestFault> {
        if let Some((generation, handle)) = self.document {
            if generation == self.sandbox.generation() {
                return Ok(handle);
            }
        }
        let html = self.html.clone();
        let handle = self
            .sandbox
            .call(move |store, bindings| {
                Box::pin(async move {
                    let api = bindings.wasmlive_engine_vdom().document();
                    api.call_constructor(&mut *store, &html).await
                })
            })
            .await?;
        self.document = Some((self.sandbox.generation(), handle));
        Ok(handle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structurally_impossible_patches_are_named() {
        let attr = |name: &str| Patch::SetAttribute { path: vec![0], name: name.into(), value: String::new() };
        for ok in ["class", "@click", "data-x", "=odd", "a<b", "x:y", "é"] {
            assert_eq!(attr(ok).problem(), None, "{ok}");
        }
        for bad in ["", "on click", "a/b", "a>b", "Class", "a=b", "a\0"] {
            assert!(attr(bad).problem().is_some(), "{bad:?}");
        }
        let remove = |count| Patch::RemoveChild { parent: vec![], index: 0, count };
        assert_eq!(remove(1).problem(), None);
        assert!(remove(0).problem().unwrap().contains("count of 0"));
        let text = |depth| Patch::SetText { path: vec![0; depth], text: String::new() };
        assert_eq!(text(MAX_PATH_DEPTH).problem(), None);
        assert!(text(MAX_PATH_DEPTH + 1).problem().unwrap().contains("levels deep"));
        assert!(text(0).problem().unwrap().contains("fragment root"));
    }
}
