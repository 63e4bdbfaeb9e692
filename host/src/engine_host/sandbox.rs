//! Guest instances under their limits, replaced after any fault.
//!
//! A [`GuestStore`] is one wasmtime `Store` (created on first use) that the
//! guest instances of one view share: the view's template instance and its
//! VDOM instance live side by side in it, each with its own linear memory,
//! so they stay isolated from each other while the view pays for one store
//! and one fiber stack instead of two. A `Sandbox` is one instance in such a
//! store. Every call into a guest goes through [`Sandbox::call`], which arms
//! the deadline, runs the call (yielding to Tokio at each epoch tick, so a
//! long guest call never pins a worker), and on failure classifies the error
//! into a [`GuestFault`] and drops the store: wasmtime leaves a trapped store
//! poisoned. Every instance of that store is then rebuilt on its next call,
//! and its owner restores its guest-side state (compiled templates, the
//! current tree) from what the host keeps.

use super::GuestEngine;
use super::config::GuestLimits;
use super::health::Health;
use super::idle::Usage;
use super::error::{FaultKind, GuestFault, LoadError};
use super::services::HostServices;
use super::stacks::StackClaim;
use super::state::{DeadlineExceeded, GuestState, MemoryLimitExceeded};
use super::world::World;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
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

/// How fresh instances of one engine handle fared at start-up, in any view:
/// failing ones in a row quarantine the handle. Per handle rather than per
/// compiled component, so a handle with limits too tight for its component
/// (`with_limits`) does not take the component's other users down with it.
#[derive(Clone, Default)]
pub(crate) struct Startups(Arc<Mutex<Health>>);

impl Startups {
    fn lock(&self) -> std::sync::MutexGuard<'_, Health> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The store the guest instances of one view share (see the module docs).
/// Cheap to clone; make one per view and pass it to
/// [`TemplateEngine::instance_in`](super::TemplateEngine::instance_in) and
/// [`VdomEngine::instance_in`](super::VdomEngine::instance_in).
#[derive(Clone)]
pub struct GuestStore {
    inner: Arc<SharedStore>,
}

pub(crate) struct SharedStore {
    engine: GuestEngine,
    services: Arc<dyn HostServices>,
    limits: GuestLimits,
    /// The store, created on first use and dropped after a fault. The lock
    /// is only ever taken by the one actor owning the view, one call at a
    /// time, so it is never contended.
    store: tokio::sync::Mutex<Option<Store<GuestState>>>,
    /// Bumped whenever the store is dropped: instances made in an earlier
    /// incarnation are gone.
    incarnation: AtomicU64,
    /// The fiber stack the store's calls run on, once made.
    stack: Arc<StackClaim>,
    /// When the store was last called, for the idle sweeps (`idle`).
    usage: Usage,
    /// The store's entry in the engine's registry of stores.
    id: u64,
}

impl SharedStore {
    pub(crate) fn usage(&self) -> &Usage {
        &self.usage
    }

    /// Give memory that only a call in progress needs back to the kernel:
    /// the pages of the fiber stack the store's calls run on (8 KiB for the
    /// default guests); the next call faults in fresh pages (a few
    /// microseconds). Nothing while a call runs, nor before the first, nor
    /// with the pooling allocator (whose stacks wasmtime manages).
    pub(crate) fn release_idle_memory(&self) -> Released {
        match self.store.try_lock() {
            Ok(_idle) if self.stack.release_pages() => Released::Pages,
            Ok(_idle) => Released::Nothing,
            Err(_busy) => Released::Busy,
        }
    }
}

/// What [`GuestStore::release_idle_memory`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Released {
    /// The fiber stack's pages went back to the kernel.
    Pages,
    /// The store holds nothing to give back (no call yet, or pooled stacks).
    Nothing,
    /// A call is running: nothing was touched.
    Busy,
}

impl Drop for SharedStore {
    fn drop(&mut self) {
        self.engine.idle_stores().forget(self.id);
    }
}

impl GuestStore {
    /// A store for guests answering imports with `services`, under `limits`.
    pub fn new(engine: &GuestEngine, services: Arc<dyn HostServices>, limits: GuestLimits) -> GuestStore {
        let inner = Arc::new_cyclic(|weak| SharedStore {
            engine: engine.clone(),
            services,
            limits,
            store: tokio::sync::Mutex::new(None),
            incarnation: AtomicU64::new(0),
            stack: Arc::default(),
            usage: Usage::default(),
            id: engine.idle_stores().register(weak.clone()),
        });
        engine.idle_stores().used(&inner.usage);
        GuestStore { inner }
    }

    /// Give back the memory only a call needs (the fiber stack's pages) now,
    /// rather than when the engine's sweeper finds the store idle.
    pub fn release_idle_memory(&self) -> Released {
        self.inner.release_idle_memory()
    }

    /// The limits every instance in this store runs under.
    pub fn limits(&self) -> GuestLimits {
        self.inner.limits
    }

    pub(crate) fn engine(&self) -> &GuestEngine {
        &self.inner.engine
    }

    fn new_store(&self) -> Store<GuestState> {
        let shared = &self.inner;
        let state = GuestState::new(shared.services.clone(), shared.limits.memory_bytes);
        let mut store = Store::new(shared.engine.wasmtime(), state);
        store.limiter(|state| &mut state.memory);
        store.epoch_deadline_callback(|ctx| {
            if Instant::now() >= ctx.data().deadline {
                Err(wasmtime::Error::new(DeadlineExceeded))
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store
    }
}

/// `store` if it belongs to `engine`, else a new store like it that does:
/// instances of one wasmtime engine cannot live in another's store.
pub(crate) fn same_engine_store(engine: &GuestEngine, store: &GuestStore) -> GuestStore {
    if wasmtime::Engine::same(engine.wasmtime(), store.engine().wasmtime()) {
        store.clone()
    } else {
        GuestStore::new(engine, store.inner.services.clone(), store.inner.limits)
    }
}

pub(crate) struct Sandbox<B: Bindings> {
    loaded: Arc<Loaded<B>>,
    store: GuestStore,
    /// The engine's own limits, which win over the store's.
    limits: Option<GuestLimits>,
    startups: Startups,
    /// This instance's faults in a row, and its quarantine.
    health: Health,
    /// This instance's exports and the store incarnation they live in.
    bindings: Option<(u64, B)>,
    /// Bumped for every new instance, so owners know when guest-side state
    /// (compiled templates, the current tree) must be rebuilt.
    generation: u64,
    /// Faults so far in this instance's calls; each one dropped the store.
    faults: u64,
}

impl<B: Bindings> Sandbox<B> {
    pub fn new(loaded: Arc<Loaded<B>>, store: GuestStore, limits: Option<GuestLimits>, startups: Startups) -> Sandbox<B> {
        Sandbox {
            loaded,
            store,
            limits,
            startups,
            health: Health::default(),
            bindings: None,
            generation: 0,
            faults: 0,
        }
    }

    pub fn component_name(&self) -> &str {
        &self.loaded.name
    }

    /// The limits calls run under: the engine's, else the store's (the view's).
    pub fn limits(&self) -> GuestLimits {
        self.limits.unwrap_or_else(|| self.store.limits())
    }

    pub fn faults(&self) -> u64 {
        self.faults
    }

    /// A whole operation of the owner succeeded: the faults-in-a-row count
    /// starts again. Not every successful call counts, since the calls that
    /// restore a fresh instance's state (recompiling, re-parsing) succeed
    /// even when the operation that follows faults every time.
    pub fn succeeded(&mut self) {
        self.health.succeeded();
    }

    /// The generation of the instance the next call runs on (a fresh one
    /// after a fault, this instance's or a neighbour's in the same store).
    pub fn generation(&self) -> u64 {
        let incarnation = self.store.inner.incarnation.load(Relaxed);
        match &self.bindings {
            Some((made_in, _)) if *made_in == incarnation => self.generation,
            _ => self.generation + 1,
        }
    }

    /// Run `f` against this instance (created first if needed) under the
    /// deadline; a failure drops the store and comes back as a fault.
    pub async fn call<R>(
        &mut self,
        f: impl for<'a> FnOnce(&'a mut Store<GuestState>, &'a B) -> BoxFuture<'a, wasmtime::Result<R>>,
    ) -> Result<R, GuestFault> {
        if let Some(left) = self.health.refused_for() {
            let reason = format!("{} faults in a row in this view", self.health.in_a_row());
            return Err(self.quarantined(left, reason));
        }
        let limits = self.limits();
        let shared = self.store.inner.clone();
        let mut slot = shared.store.lock().await;
        let store = slot.get_or_insert_with(|| self.store.new_store());
        let incarnation = shared.incarnation.load(Relaxed);
        if !matches!(self.bindings, Some((made_in, _)) if made_in == incarnation) {
            let refused = {
                let startups = self.startups.lock();
                startups.refused_for().map(|left| (left, startups.in_a_row()))
            };
            if let Some((left, failures)) = refused {
                return Err(self.quarantined(left, format!("{failures} fresh instances in a row failed to start")));
            }
            store.data_mut().begin_call(Instant::now() + limits.deadline, self.loaded.name.clone(), limits.memory_bytes);
            store.set_epoch_deadline(1);
            match claiming(&shared.stack, B::instantiate(&self.loaded.pre, store)).await {
                Ok(bindings) => {
                    self.startups.lock().succeeded();
                    self.bindings = Some((incarnation, bindings));
                    self.generation += 1;
                }
                Err(e) => {
                    let panic_message = store.data_mut().last_error.take();
                    *slot = None;
                    shared.incarnation.fetch_add(1, Relaxed);
                    // Only the guest's own failures count: running out of
                    // memory maps or slots is the host's problem, not the component's.
                    if is_guest_fault(&e) {
                        let policy = self.loaded.engine.config().quarantine;
                        if let Some(period) = self.startups.lock().faulted(&policy, Instant::now()) {
                            tracing::error!(
                                component = &*self.loaded.name,
                                "fresh instances keep failing to start; no new instance for {period:?}"
                            );
                        }
                    }
                    return Err(self.instantiation_failed(e, panic_message));
                }
            }
        }
        let (_, bindings) = self.bindings.as_ref().expect("instantiated above");
        store.data_mut().begin_call(Instant::now() + limits.deadline, self.loaded.name.clone(), limits.memory_bytes);
        store.set_epoch_deadline(1);
        let result = claiming(&shared.stack, f(store, bindings)).await;
        // Stamped at the end, under the lock: a sweep that finds the store
        // idle cannot have raced with this call.
        shared.engine.idle_stores().used(&shared.usage);
        match result {
            Ok(value) => Ok(value),
            Err(e) => {
                let panic_message = store.data_mut().last_error.take();
                *slot = None;
                shared.incarnation.fetch_add(1, Relaxed);
                Err(self.fault(&e, panic_message))
            }
        }
    }

    /// Report output the host refuses, dropping the store whose instance made it.
    pub async fn invalid_output(&mut self, message: String) -> GuestFault {
        let shared = self.store.inner.clone();
        *shared.store.lock().await = None;
        shared.incarnation.fetch_add(1, Relaxed);
        self.bindings = None;
        self.count_fault();
        GuestFault {
            kind: FaultKind::InvalidOutput,
            component: self.loaded.name.to_string(),
            message,
        }
    }

    /// A failure to create an instance: a trap in the guest's start-up code,
    /// or the host out of memory maps or address space.
    fn instantiation_failed(&mut self, error: wasmtime::Error, panic_message: Option<String>) -> GuestFault {
        if is_guest_fault(&error) {
            return self.fault(&error, panic_message);
        }
        self.bindings = None;
        self.count_fault();
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

    /// Turn `error` into a fault of this instance (whose store is already gone).
    fn fault(&mut self, error: &wasmtime::Error, panic_message: Option<String>) -> GuestFault {
        self.bindings = None;
        self.count_fault();
        let (kind, message) = classify(error, panic_message, &self.limits());
        tracing::warn!(component = &*self.loaded.name, %kind, "{message}");
        GuestFault {
            kind,
            component: self.loaded.name.to_string(),
            message: without_source_location(&message),
        }
    }

    /// What every fault does to the bookkeeping: counted, and towards a quarantine.
    fn count_fault(&mut self) {
        self.faults += 1;
        let policy = self.loaded.engine.config().quarantine;
        if let Some(period) = self.health.faulted(&policy, Instant::now()) {
            tracing::warn!(
                component = &*self.loaded.name,
                "{} faults in a row in one view; its calls are refused for {period:?}",
                self.health.in_a_row()
            );
        }
    }

    /// A call refused without running: quarantined for `left` more.
    fn quarantined(&self, left: Duration, reason: String) -> GuestFault {
        GuestFault {
            kind: FaultKind::Quarantined,
            component: self.loaded.name.to_string(),
            message: format!("{reason}; calls are refused for another {:.1} s", left.as_secs_f64()),
        }
    }
}

/// Poll `future` with the fiber stack it may make recorded as the store's
/// (see the `stacks` module).
async fn claiming<T>(claim: &Arc<StackClaim>, mut future: BoxFuture<'_, T>) -> T {
    std::future::poll_fn(|cx| claim.claiming(|| future.as_mut().poll(cx))).await
}

/// A guest panic's message without the guest's source path (`panicked at
/// guest-templates/src/x.rs:1:2:`): the fault reaches clients, the path
/// only the log.
fn without_source_location(message: &str) -> String {
    match message.strip_prefix("panicked at ").and_then(|rest| rest.split_once(":\n").or_else(|| rest.split_once(": "))) {
        Some((_, what)) => format!("the guest panicked: {}", what.trim()),
        None => message.to_string(),
    }
}

/// Whether `error` is the guest's doing (a trap, a limit crossed) rather
/// than the host's (out of memory maps, slots or address space).
fn is_guest_fault(error: &wasmtime::Error) -> bool {
    error.is::<MemoryLimitExceeded>() || error.is::<DeadlineExceeded>() || error.is::<Trap>()
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

#[cfg(test)]
mod tests {
    use super::super::{EngineConfig, StandaloneServices};
    use super::*;

    #[tokio::test]
    async fn an_idle_store_gives_its_stack_pages_back_and_its_next_call_works() {
        let engine = GuestEngine::new(EngineConfig::default()).unwrap();
        let store = GuestStore::new(&engine, Arc::new(StandaloneServices::default()), GuestLimits::default());
        let mut templates = engine.default_templates().unwrap().instance_in(&store);
        let mut vdom = engine.default_vdom().unwrap().instance_in(&store);
        assert_eq!(store.inner.stack.resident_pages(), None, "no call yet, no stack");
        assert_eq!(store.release_idle_memory(), Released::Nothing);
        templates.add_template("t", "<p>{{ n }}</p>").await.unwrap();
        vdom.reset(&templates.render("t", r#"{"n": 1}"#).await.unwrap()).await.unwrap();
        let touched = store.inner.stack.resident_pages().expect("the calls made the store's stack");
        assert!(touched > 0);

        assert_eq!(store.release_idle_memory(), Released::Pages);
        assert_eq!(store.inner.stack.resident_pages(), Some(0));
        // Both guests carry on, on fresh pages of the same stack.
        let html = templates.render("t", r#"{"n": 2}"#).await.unwrap();
        assert_eq!(html, "<p>2</p>");
        assert_eq!(vdom.diff(&html).await.unwrap().len(), 1);
        assert!(store.inner.stack.resident_pages().unwrap() > 0);
    }

    #[tokio::test]
    async fn the_sweeper_releases_a_store_idle_for_the_period_once_per_quiet_spell() {
        let quiet = Duration::from_millis(50);
        let engine = GuestEngine::new(EngineConfig {
            release_memory_after: Some(quiet),
            ..EngineConfig::default()
        })
        .unwrap();
        let store = GuestStore::new(&engine, Arc::new(StandaloneServices::default()), GuestLimits::default());
        let mut templates = engine.default_templates().unwrap().instance_in(&store);
        templates.add_template("t", "<p>{{ n }}</p>").await.unwrap();
        assert!(store.inner.stack.resident_pages().unwrap() > 0);
        tokio::time::sleep(quiet * 6).await;
        assert_eq!(store.inner.stack.resident_pages(), Some(0));
        assert_eq!(engine.memory_releases(), 1);
        tokio::time::sleep(quiet * 3).await;
        assert_eq!(engine.memory_releases(), 1, "once per quiet spell");
        assert_eq!(templates.render("t", r#"{"n": 3}"#).await.unwrap(), "<p>3</p>");
        tokio::time::sleep(quiet * 6).await;
        assert_eq!(engine.memory_releases(), 2, "a new quiet spell after the call");
    }

    #[tokio::test]
    async fn a_store_in_a_call_keeps_its_stack() {
        let engine = GuestEngine::new(EngineConfig::default()).unwrap();
        let store = GuestStore::new(&engine, Arc::new(StandaloneServices::default()), GuestLimits::default());
        let mut templates = engine.default_templates().unwrap().instance_in(&store);
        templates.add_template("t", "<p>{{ n }}</p>").await.unwrap();
        let touched = store.inner.stack.resident_pages().unwrap();
        // A call holds the store's lock for as long as it runs.
        let busy = store.inner.store.lock().await;
        assert_eq!(store.release_idle_memory(), Released::Busy);
        assert_eq!(store.inner.stack.resident_pages(), Some(touched));
        drop(busy);
    }
}
