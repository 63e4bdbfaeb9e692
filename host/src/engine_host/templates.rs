//! Template engines and the per-view template instance.

use super::bindings::template_world::{
    TemplateEngine as TemplateBindings, TemplateEnginePre, exports::wasmlive::engine::templates as wit,
};
use super::config::GuestLimits;
use super::error::{LoadError, RenderError, TemplateError, TemplateErrorKind};
use super::sandbox::{Bindings, BoxFuture, GuestStore, Loaded, Sandbox, Startups, same_engine_store};
use super::services::HostServices;
use super::state::GuestState;
use super::world::World;
use super::GuestEngine;
use std::collections::HashMap;
use std::sync::Arc;
use wasmtime::Store;
use wasmtime::component::{Component, InstancePre, ResourceAny};

impl Bindings for TemplateBindings {
    const WORLD: World = World::TemplateEngine;
    type Pre = TemplateEnginePre<GuestState>;

    fn pre(instance_pre: InstancePre<GuestState>) -> wasmtime::Result<Self::Pre> {
        TemplateEnginePre::new(instance_pre)
    }

    fn instantiate<'a>(pre: &'a Self::Pre, store: &'a mut Store<GuestState>) -> BoxFuture<'a, wasmtime::Result<Self>> {
        Box::pin(pre.instantiate_async(store))
    }
}

/// A loaded template-engine component. Cheap to clone; make one
/// [`TemplateInstance`] per view with [`TemplateEngine::instance`].
#[derive(Clone)]
pub struct TemplateEngine {
    loaded: Arc<Loaded<TemplateBindings>>,
    /// Limits of this engine's instances, over the view's (see [`TemplateEngine::with_limits`]).
    limits: Option<GuestLimits>,
    startups: Startups,
}

impl TemplateEngine {
    pub(crate) fn new(engine: GuestEngine, name: &str, component: &Component) -> Result<TemplateEngine, LoadError> {
        Ok(TemplateEngine {
            loaded: Loaded::new(engine, name, component)?,
            limits: None,
            startups: Startups::default(),
        })
    }

    /// The same compiled component whose instances run under `limits`
    /// instead of the limits of the view they serve: per-engine limits for
    /// an engine that needs more (or deserves less) than the default.
    pub fn with_limits(&self, limits: GuestLimits) -> TemplateEngine {
        TemplateEngine {
            loaded: self.loaded.clone(),
            limits: Some(limits),
            startups: Startups::default(),
        }
    }

    /// The limits set by [`TemplateEngine::with_limits`], if any.
    pub fn limits(&self) -> Option<GuestLimits> {
        self.limits
    }

    /// The component's name (as given when loaded).
    pub fn name(&self) -> &str {
        &self.loaded.name
    }

    /// A new instance for one view. The guest is instantiated on first use.
    pub fn instance(&self, services: Arc<dyn HostServices>, limits: GuestLimits) -> TemplateInstance {
        self.instance_in(&GuestStore::new(&self.loaded.engine, services, limits))
    }

    /// A new instance living in `store` beside the view's other guests.
    /// `store` must come from the engine this component was loaded by;
    /// otherwise the instance gets a store of its own.
    pub fn instance_in(&self, store: &GuestStore) -> TemplateInstance {
        TemplateInstance {
            sandbox: Sandbox::new(self.loaded.clone(), same_engine_store(&self.loaded.engine, store), self.limits, self.startups.clone()),
            sources: HashMap::new(),
            compiled: HashMap::new(),
            compiled_generation: 0,
        }
    }
}

/// One view's template guest: the templates it has added, compiled inside
/// its own instance.
pub struct TemplateInstance {
    sandbox: Sandbox<TemplateBindings>,
    /// Template sources by name, kept so that a fresh instance after a fault
    /// can compile them again.
    sources: HashMap<String, String>,
    /// Handles to compiled templates inside the live instance.
    compiled: HashMap<String, ResourceAny>,
    /// The instance generation `compiled` belongs to; handles of a discarded
    /// instance are meaningless.
    compiled_generation: u64,
}

impl TemplateInstance {
    /// Compile `source` as template `name` now, so errors surface at once,
    /// and keep it for rendering. Replaces a template of the same name.
    pub async fn add_template(&mut self, name: &str, source: &str) -> Result<(), RenderError> {
        self.sync_generation();
        if let Some(old) = self.compiled.remove(name) {
            self.drop_handle(old).await?;
        }
        let handle = self.compile(name, source).await?;
        self.sources.insert(name.to_string(), source.to_string());
        self.compiled.insert(name.to_string(), handle);
        self.sandbox.succeeded();
        Ok(())
    }

    /// Render template `name` with `context`, a JSON object as text.
    pub async fn render(&mut self, name: &str, context: &str) -> Result<String, RenderError> {
        let handle = self.handle(name).await?;
        let context = context.to_string();
        let html = self
            .sandbox
            .call(move |store, bindings| {
                Box::pin(async move {
                    let api = bindings.wasmlive_engine_templates().template();
                    api.call_render(&mut *store, handle, &context).await
                })
            })
            .await?
            .map_err(template_error)?;
        let limit = self.sandbox.limits().output_bytes;
        if html.len() > limit {
            self.compiled.clear();
            let message = format!("rendered {} bytes, over the {limit}-byte output limit", html.len());
            return Err(self.sandbox.invalid_output(message).await.into());
        }
        self.sandbox.succeeded();
        Ok(html)
    }

    /// Names of the templates added so far.
    pub fn template_names(&self) -> impl Iterator<Item = &str> {
        self.sources.keys().map(String::as_str)
    }

    /// The component this instance runs.
    pub fn component_name(&self) -> &str {
        self.sandbox.component_name()
    }

    /// How many faults this view's template guest has had (each one replaced
    /// the instance).
    pub fn faults(&self) -> u64 {
        self.sandbox.faults()
    }

    /// The compiled handle for `name`, compiling from the kept source if the
    /// instance is fresh.
    async fn handle(&mut self, name: &str) -> Result<ResourceAny, RenderError> {
        self.sync_generation();
        if let Some(handle) = self.compiled.get(name) {
            return Ok(*handle);
        }
        let source = self
            .sources
            .get(name)
            .cloned()
            .ok_or_else(|| RenderError::UnknownTemplate(name.to_string()))?;
        let handle = self.compile(name, &source).await?;
        self.compiled.insert(name.to_string(), handle);
        Ok(handle)
    }

    async fn compile(&mut self, name: &str, source: &str) -> Result<ResourceAny, RenderError> {
        let (owned_name, source) = (name.to_string(), source.to_string());
        let (result, reported) = self
            .sandbox
            .call(move |store, bindings| {
                Box::pin(async move {
                    let api = bindings.wasmlive_engine_templates().template();
                    let result = api.call_compile(&mut *store, &owned_name, &source).await?;
                    let reported = match result {
                        Ok(handle) => Some(api.call_name(&mut *store, handle).await?),
                        Err(_) => None,
                    };
                    Ok((result, reported))
                })
            })
            .await?;
        // A call may have started a fresh instance: earlier handles belong to the old one.
        self.sync_generation();
        let handle = result.map_err(template_error)?;
        match reported {
            Some(reported) if reported != name => {
                self.compiled.clear();
                let message = format!("compiled template `{name}` but the guest reports its name as `{reported}`");
                Err(self.sandbox.invalid_output(message).await.into())
            }
            _ => Ok(handle),
        }
    }

    async fn drop_handle(&mut self, handle: ResourceAny) -> Result<(), RenderError> {
        self.sandbox
            .call(move |store, _| Box::pin(async move { handle.resource_drop_async(store).await }))
            .await?;
        Ok(())
    }

    fn sync_generation(&mut self) {
        let generation = self.sandbox.generation();
        if generation != self.compiled_generation {
            self.compiled.clear();
            self.compiled_generation = generation;
        }
    }
}

fn template_error(e: wit::TemplateError) -> TemplateError {
    TemplateError {
        kind: match e.kind {
            wit::ErrorKind::Syntax => TemplateErrorKind::Syntax,
            wit::ErrorKind::UnknownTag => TemplateErrorKind::UnknownTag,
            wit::ErrorKind::UnknownFilter => TemplateErrorKind::UnknownFilter,
            wit::ErrorKind::UnknownLibrary => TemplateErrorKind::UnknownLibrary,
            wit::ErrorKind::TemplateNotFound => TemplateErrorKind::TemplateNotFound,
            wit::ErrorKind::InvalidContext => TemplateErrorKind::InvalidContext,
            wit::ErrorKind::Render => TemplateErrorKind::Render,
        },
        message: e.message,
        template: e.template,
        line: e.line,
        column: e.column,
    }
}
