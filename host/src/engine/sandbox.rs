//! One guest instance under its limits, replaced after any fault.
//!
//! A `Sandbox` owns at most one live `Store` with its instance. Every call
//! into the guest goes through [`Sandbox::call`], which arms the deadline,
//! runs the call (yielding to Tokio at each epoch tick, so a long guest call
//! never pins a worker), and on failure classifies the error into a
//! [`GuestFault`] and drops the store: wasmtime leaves a trapped store
//! poisoned, and a fresh instance costs tens of microseconds.

use super::GuestEngine;
use super::config::GuestLimits;
use super::error::{FaultKind, GuestFault, LoadError};
use super::services::HostServices;
use super::state::{DeadlineExceeded, GuestState, MemoryLimitExceeded};
use super::world::World;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::{Component, InstancePre};
use wasmtime::{Store, Trap, UpdateDeadline};

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Generated bindings of one world, as the sandbox needs them.
pub(crate) trait Bindings: Sized + Send + Sync + 'static {
    const WORLD: World;
    /// The world's pre-instantiated form (`…Pre<GuestState>`).
    type Pre: Clone + Send + Sync + 'static;
    fn pre(instance_pre: InstancePre<GuestState>) -> wasmtime::Result<Self::Pre>;
    fn instantiate<'a>(pre: &'a Self::Pre, store: &'a mut Store<GuestState>) -> BoxFuture<'a, wasmtime::Result<Self>>;
}

/// A component checked against its world and pre-instantiated: everything
/// about it that is shared by all the views using it.
pub(crate) struct Loaded<B: Bindings> {
    pub engine: GuestEngine,
    pub name: Arc<str>,
    pub pre: B::Pre,
}

impl<B: Bindings> Loaded<B> {
    pub fn new(engine: GuestEngine, name: &str, component: &Component) -> Result<Arc<Loaded<B>>, LoadError> {
        B::WORLD.check(engine.wasmtime(), name, component)?;
        let mismatch = |e: wasmtime::Error| LoadError::Mismatch {
            component: name.to_string(),
            world: B::WORLD.name().to_string(),
            reason: format!("{e:#}"),
        };
        let instance_pre = engine.linker(B::WORLD).instantiate_pre(component).map_err(mismatch)?;
        let pre = B::pre(instance_pre).map_err(mismatch)?;
        Ok(Arc::new(Loaded {
            engine,
            name: name.into(),
            pre,
        }))
    }
}

/// A live instance: its store and the typed handle to its exports.
pub(crate) struct Live<B> {
    pub store: Store<GuestState>,
    pub bindings: B,
}

pub(crate) struct Sandbox<B: Bindings> {
    loaded: Arc<Loaded<B>>,
    services: Arc<dyn HostServices>,
    limits: GuestLimits,
    live: Option<Live<B>>,
    /// Bumped for every new instance, so owners know when guest-side state
    /// (compiled templates, the current tree) must be rebuilt.
    generation: u64,
    /// Faults so far; each one discarded an instance.
    faults: u64,
}

impl<B: Bindings> Sandbox<B> {
    pub fn new(loaded: Arc<Loaded<B>>, services: Arc<dyn HostServices>, limits: GuestLimits) -> Sandbox<B> {
        Sandbox {
            loaded,
            services,
            limits,
            live: None,
            generation: 0,
            faults: 0,
        }
    }

    pub fn component_name(&self) -> &str {
        &self.loaded.name
    }

    pub fn limits(&self) -> GuestLimits {
        self.limits
    }

    pub fn faults(&self) -> u64 {
        self.faults
    }

    /// The generation of the instance the next call runs on (a fresh one
    /// after a fault).
    pub fn generation(&self) -> u64 {
        if self.live.is_some() { self.generation } else { self.generation + 1 }
    }

    /// Run `f` against the live instance (created first if needed) under the
    /// deadline; a failure discards the instance and comes back as a fault.
    pub async fn call<R>(
        &mut self,
        f: impl for<'a> FnOnce(&'a mut Live<B>) -> BoxFuture<'a, wasmtime::Result<R>>,
    ) -> Result<R, GuestFault> {
        if self.live.is_none() {
            let live = match self.instantiate().await {
                Ok(live) => live,
                Err(e) => return Err(self.instantiation_failed(e)),
            };
            self.live = Some(live);
            self.generation += 1;
        }
        let live = self.live.as_mut().expect("instantiated above");
        live.store.data_mut().begin_call(Instant::now() + self.limits.deadline);
        live.store.set_epoch_deadline(1);
        match f(live).await {
            Ok(value) => Ok(value),
            Err(e) => Err(self.discard(e)),
        }
    }

    /// Report output the host refuses, discarding the instance that made it.
    pub fn invalid_output(&mut self, message: String) -> GuestFault {
        self.live = None;
        self.faults += 1;
        GuestFault {
            kind: FaultKind::InvalidOutput,
            component: self.loaded.name.to_string(),
            message,
        }
    }

    async fn instantiate(&mut self) -> wasmtime::Result<Live<B>> {
        let state = GuestState::new(self.services.clone(), self.loaded.name.clone(), self.limits.memory_bytes);
        let mut store = Store::new(self.loaded.engine.wasmtime(), state);
        store.limiter(|state| &mut state.memory);
        store.epoch_deadline_callback(|ctx| {
            if Instant::now() >= ctx.data().deadline {
                Err(wasmtime::Error::new(DeadlineExceeded))
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store.data_mut().begin_call(Instant::now() + self.limits.deadline);
        store.set_epoch_deadline(1);
        let bindings = B::instantiate(&self.loaded.pre, &mut store).await?;
        Ok(Live { store, bindings })
    }

    /// A failure to create an instance: a trap in the guest's start-up code,
    /// or the host out of memory maps or address space.
    fn instantiation_failed(&mut self, error: wasmtime::Error) -> GuestFault {
        let is_guest_fault = error.is::<MemoryLimitExceeded>() || error.is::<DeadlineExceeded>() || error.is::<Trap>();
        if is_guest_fault {
            return self.discard(error);
        }
        self.faults += 1;
        let mut message = format!("cannot create a guest instance: {error:#}");
        if message.contains("os error 12") {
            message.push_str(
                " (too many memory maps: raise the kernel's vm.max_map_count, e.g. `sysctl -w vm.max_map_count=1048576`)",
            );
        }
        tracing::error!(component = &*self.loaded.name, "{message}");
        GuestFault {
            kind: FaultKind::Instantiation,
            component: self.loaded.name.to_string(),
            message,
        }
    }

    /// Drop the (possibly poisoned) instance and turn `error` into a fault.
    fn discard(&mut self, error: wasmtime::Error) -> GuestFault {
        let panic_message = self.live.take().and_then(|mut live| live.store.data_mut().last_error.take());
        self.faults += 1;
        let (kind, message) = classify(&error, panic_message, &self.limits);
        tracing::warn!(component = &*self.loaded.name, %kind, "{message}");
        GuestFault {
            kind,
            component: self.loaded.name.to_string(),
            message,
        }
    }
}

fn classify(error: &wasmtime::Error, panic_message: Option<String>, limits: &GuestLimits) -> (FaultKind, String) {
    if error.is::<DeadlineExceeded>() {
        return (FaultKind::Deadline, format!("the call ran longer than {:?}", limits.deadline));
    }
    if let Some(e) = error.downcast_ref::<MemoryLimitExceeded>() {
        return (FaultKind::MemoryLimit, e.to_string());
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::StackOverflow) => (FaultKind::StackOverflow, "the guest exhausted its call stack".into()),
        Some(Trap::Interrupt) => (FaultKind::Deadline, format!("the call ran longer than {:?}", limits.deadline)),
        Some(trap) => (FaultKind::Trap, panic_message.unwrap_or_else(|| trap.to_string())),
        // Not a trap: the canonical ABI refused what the guest returned
        // (bad UTF-8, an out-of-range discriminant or pointer, an unknown handle).
        None => (FaultKind::InvalidOutput, format!("{error:#}")),
    }
}
