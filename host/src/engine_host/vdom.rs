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

pub use wasmlive_types::Patch;

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
