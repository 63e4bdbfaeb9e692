//! The engine host: runs template and VDOM guests as WebAssembly components
//! under wasmtime, each view with instances of its own.
//!
//! - [`GuestEngine`] owns the one wasmtime `Engine` of the process, the
//!   epoch ticker that enforces deadlines, and the cache of compiled
//!   components (keyed by content hash, so a component is compiled once per
//!   process however many views use it).
//! - [`TemplateEngine`] / [`VdomEngine`] are loaded components, checked
//!   against their WIT world and pre-instantiated; cheap to clone.
//! - [`TemplateInstance`] / [`VdomInstance`] are what a view owns: a
//!   `Store` with one instance, its limits, and the guest-side state
//!   (compiled templates, the current tree). A fault drops the store and the
//!   next call starts a fresh instance, restoring that state.

mod bindings;
mod config;
mod error;
mod health;
mod idle;
mod sandbox;
mod services;
mod stacks;
mod state;
mod templates;
mod vdom;
mod wasi;
mod world;

pub use config::{Allocator, EngineConfig, GuestLimits, QuarantinePolicy};
pub use sandbox::{GuestStore, Released};
pub use error::{FaultKind, GuestFault, LoadError, RenderError, TemplateError, TemplateErrorKind};
pub use services::{DateTime, HostServices, StandaloneServices};
pub use templates::{TemplateEngine, TemplateInstance};
pub use vdom::{FlatNode, NodeKind, Patch, VdomEngine, VdomInstance};
pub use world::{ComponentInfo, PACKAGE_VERSION, World};

use dashmap::DashMap;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, InstanceAllocationStrategy, PoolingAllocationConfig};

use state::GuestState;

/// The process-wide wasmtime engine for guests. Cloning is cheap (an `Arc`).
#[derive(Clone)]
pub struct GuestEngine {
    inner: Arc<Inner>,
}

struct Inner {
    engine: wasmtime::Engine,
    config: EngineConfig,
    /// Linkers with the host imports of each world, built once.
    template_linker: Linker<GuestState>,
    vdom_linker: Linker<GuestState>,
    /// Compiled components by SHA-256 of their bytes: compiling takes tens of
    /// milliseconds, instantiating a compiled one tens of microseconds.
    components: DashMap<[u8; 32], Component>,
    /// Every store made for this engine, for the idle sweeps.
    idle: Arc<idle::IdleStores>,
}

impl GuestEngine {
    /// Create the engine and start its epoch ticker thread (which stops by
    /// itself once the last clone of the engine is dropped).
    pub fn new(config: EngineConfig) -> Result<GuestEngine, LoadError> {
        let mut wasm = Config::new();
        wasm.epoch_interruption(true)
            .max_wasm_stack(config.max_wasm_stack)
            .memory_reservation(config.memory_reservation)
            .memory_guard_size(config.memory_guard_size)
            .memory_init_cow(true)
            // Stacks the engine can find again, so idle views give their pages back.
            .with_host_stack(Arc::new(stacks::GuestStacks));
        // A diagnostic: `WASMLIVE_PERFMAP=1` writes /tmp/perf-PID.map so `perf`
        // names the guests' compiled functions.
        if std::env::var_os("WASMLIVE_PERFMAP").is_some() {
            wasm.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        match config.allocator {
            Allocator::OnDemand => {
                wasm.allocation_strategy(InstanceAllocationStrategy::OnDemand);
            }
            Allocator::Pooling { max_instances } => {
                let mut pool = PoolingAllocationConfig::default();
                // A component built by wit-component holds up to three core
                // instances (the guest, its canonical-ABI shim and fixups)
                // sharing one memory and two tables.
                pool.total_component_instances(max_instances)
                    .total_core_instances(max_instances.saturating_mul(4))
                    .total_memories(max_instances)
                    .total_tables(max_instances.saturating_mul(2))
                    .total_stacks(max_instances)
                    .max_memory_size(config.memory_reservation as usize);
                wasm.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
            }
        }
        let engine = wasmtime::Engine::new(&wasm).map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        let linker_error = |e: wasmtime::Error| LoadError::Engine(format!("{e:#}"));
        let template_linker = bindings::template_linker(&engine).map_err(linker_error)?;
        let vdom_linker = bindings::vdom_linker(&engine).map_err(linker_error)?;
        spawn_epoch_ticker(&engine, config.epoch_tick);
        let idle = idle::IdleStores::new();
        if let Some(after) = config.release_memory_after {
            idle::spawn_sweeper(&idle, after);
        }
        Ok(GuestEngine {
            inner: Arc::new(Inner {
                engine,
                config,
                template_linker,
                vdom_linker,
                components: DashMap::new(),
                idle,
            }),
        })
    }

    /// The configuration this engine was made with.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Load a template-engine component, checking it against the
    /// `template-engine` world.
    pub fn load_templates(&self, name: &str, bytes: &[u8]) -> Result<TemplateEngine, LoadError> {
        let component = self.compile(name, bytes)?;
        TemplateEngine::new(self.clone(), name, &component)
    }

    /// Load a VDOM-engine component, checking it against the `vdom-engine` world.
    pub fn load_vdom(&self, name: &str, bytes: &[u8]) -> Result<VdomEngine, LoadError> {
        let component = self.compile(name, bytes)?;
        VdomEngine::new(self.clone(), name, &component)
    }

    /// The default template engine embedded in this binary.
    pub fn default_templates(&self) -> Result<TemplateEngine, LoadError> {
        self.load_templates("guest-templates", crate::guests::TEMPLATES)
    }

    /// The default VDOM engine embedded in this binary.
    pub fn default_vdom(&self) -> Result<VdomEngine, LoadError> {
        self.load_vdom("guest-vdom", crate::guests::VDOM)
    }

    /// Compile (or fetch from the cache) the component with these bytes.
    fn compile(&self, name: &str, bytes: &[u8]) -> Result<Component, LoadError> {
        let key: [u8; 32] = Sha256::digest(bytes).into();
        if let Some(found) = self.inner.components.get(&key) {
            return Ok(found.clone());
        }
        let component = Component::new(&self.inner.engine, bytes).map_err(|e| LoadError::Invalid {
            component: name.to_string(),
            reason: format!("{e:#}"),
        })?;
        self.inner.components.insert(key, component.clone());
        Ok(component)
    }

    /// Describe a component: its imports, exports and the worlds it implements.
    pub fn inspect(&self, name: &str, bytes: &[u8]) -> Result<ComponentInfo, LoadError> {
        let component = self.compile(name, bytes)?;
        Ok(ComponentInfo::of(&self.inner.engine, name, &component))
    }

    /// How many times an idle store gave memory back
    /// ([`EngineConfig::release_memory_after`]).
    pub fn memory_releases(&self) -> u64 {
        self.inner.idle.releases()
    }

    pub(crate) fn idle_stores(&self) -> &idle::IdleStores {
        &self.inner.idle
    }

    /// How many distinct components have been compiled in this process.
    pub fn compiled_components(&self) -> usize {
        self.inner.components.len()
    }

    pub(crate) fn wasmtime(&self) -> &wasmtime::Engine {
        &self.inner.engine
    }

    pub(crate) fn linker(&self, world: World) -> &Linker<GuestState> {
        match world {
            World::TemplateEngine => &self.inner.template_linker,
            World::VdomEngine => &self.inner.vdom_linker,
        }
    }
}

/// Advance the engine's epoch every `tick` on a plain OS thread, so deadlines
/// hold even when every Tokio worker is busy. The thread holds only a weak
/// reference and ends when the engine is gone.
fn spawn_epoch_ticker(engine: &wasmtime::Engine, tick: Duration) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("wasmlive-epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(tick);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .expect("spawn the epoch ticker thread");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_handles_are_send_and_sync() {
        assert_send_sync::<GuestEngine>();
        assert_send_sync::<TemplateEngine>();
        assert_send_sync::<VdomEngine>();
        assert_send_sync::<GuestFault>();
        assert_send_sync::<LoadError>();
    }

    fn assert_send<T: Send>() {}

    #[test]
    fn instances_can_move_between_threads() {
        assert_send::<TemplateInstance>();
        assert_send::<VdomInstance>();
    }
}
