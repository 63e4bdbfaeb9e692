//! The session actor and its handle.
//!
//! One `SessionActor` per connected client: the registry of its views. It
//! mounts views (each its own actor, keyed by a UUID v4 `view_id`), looks
//! them up, unmounts them and stops them with the session. Events, state and
//! renders go to a view's own handle, never through the session: one slow
//! view never holds up another view of the same session, and an event costs
//! no session mailbox hop.
//!
//! The actor runs under [`supervise`]: if handling a message panics, the
//! caller gets `ActorError::Panicked`, the restart is counted, and a fresh
//! session actor takes over the same mailbox (its views are gone; clients
//! remount).

use super::error::ActorError;
use super::logic::{MergeParams, State, ViewLogic};
use super::outbound::Outbound;
use super::reply::{Delivery, Outbox, Pending, Reply};
use super::shared::Shared;
use super::stats::{Alive, MessageKind};
use super::view::{Binding, Engines, GuestParts, ViewHandle, ViewSpec};
use crate::resume::Claimed;
use crate::engine_host::{GuestLimits, GuestStore, HostServices};
use futures_util::FutureExt;
use indexmap::IndexMap;
use std::panic::AssertUnwindSafe;
use std::any::Any;
use std::sync::{Arc, OnceLock};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;
use tokio::sync::mpsc;
use tracing::Instrument;

/// Where a view's template comes from.
#[derive(Debug, Clone)]
pub enum TemplateSource {
    /// The template's source text.
    Inline(String),
    /// A template name, loaded through the view's host services (template
    /// directories, or Django's loaders).
    Named(String),
    /// A template already loaded by the caller, with its name (for errors,
    /// and relative `{% include %}`/`{% extends %}` names).
    Loaded { name: String, source: String },
}

/// Everything needed to mount a view.
pub struct MountRequest {
    /// The view's name or dotted path (for errors and tracing).
    pub view_path: String,
    /// Mount parameters, given to the view logic's `mount`.
    pub params: State,
    pub template: TemplateSource,
    /// The view's handlers; `None` merges event params into the state.
    pub logic: Option<Box<dyn ViewLogic>>,
    /// Host services for the view's guests; `None` uses standalone defaults.
    pub services: Option<Arc<dyn HostServices>>,
    /// Guest engines for this view alone; `None` uses the defaults.
    pub engines: Option<Engines>,
    /// Guest limits for this view; `None` uses the configured ones.
    pub limits: Option<GuestLimits>,
    /// The connection's queue for the view's pushes; `None`: it cannot push.
    pub outbound: Option<Outbound>,
    /// Keep the view's snapshots (with a snapshot store and a connection)
    /// so that a reconnect to another process can resume it; `None`: it
    /// resumes in process only.
    pub resumable: Option<Resumable>,
    /// Start the view from a snapshot claimed from the store instead of mounting it.
    pub resume: Option<Claimed>,
}

/// Whom a resumable view's snapshots bind it to, besides its session.
#[derive(Debug, Clone, Default)]
pub struct Resumable {
    /// The browser (its HTTP session) the view was mounted for.
    pub browser: Option<String>,
}

impl MountRequest {
    /// A request with no params, no logic and default services, engines and limits.
    pub fn new(view_path: impl Into<String>, template: TemplateSource) -> MountRequest {
        MountRequest {
            view_path: view_path.into(),
            params: State::new(),
            template,
            logic: None,
            services: None,
            engines: None,
            limits: None,
            outbound: None,
            resumable: None,
            resume: None,
        }
    }

    pub fn params(mut self, params: State) -> Self {
        self.params = params;
        self
    }

    pub fn logic(mut self, logic: impl ViewLogic) -> Self {
        self.logic = Some(Box::new(logic));
        self
    }

    pub fn services(mut self, services: Arc<dyn HostServices>) -> Self {
        self.services = Some(services);
        self
    }

    pub fn engines(mut self, engines: Engines) -> Self {
        self.engines = Some(engines);
        self
    }

    pub fn limits(mut self, limits: GuestLimits) -> Self {
        self.limits = Some(limits);
        self
    }

    pub fn outbound(mut self, outbound: Outbound) -> Self {
        self.outbound = Some(outbound);
        self
    }
}

/// A mounted view's first render, and its handle (requests that need no
/// lookup go to the view directly).
#[derive(Clone)]
pub struct Mounted {
    pub html: String,
    pub session_id: String,
    pub view_id: String,
    pub version: u64,
    pub view: ViewHandle,
}

impl std::fmt::Debug for Mounted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mounted").field("view_id", &self.view_id).field("version", &self.version).field("html", &self.html).finish()
    }
}

// Payloads larger than a pointer are boxed: a mailbox keeps a block of 32
// slots of the largest variant's size for as long as the session lives.
pub(crate) enum SessionMsg {
    Mount { request: Box<MountRequest>, reply: Reply<Mounted> },
    Unmount { view_id: Box<str>, reply: Reply<()> },
    Ping { reply: Reply<()> },
    ViewIds { reply: Reply<Vec<String>> },
    View { view_id: Option<Box<str>>, reply: Reply<ViewHandle> },
    Shutdown { reply: Reply<()> },
}

/// Cloneable handle to a session actor: the registry of a client's views.
/// Requests for a view go to its [`ViewHandle`] (from [`Mounted`], or
/// looked up with [`SessionHandle::view`]), not through the session.
#[derive(Clone)]
pub struct SessionHandle {
    outbox: Outbox<SessionMsg>,
    session_id: Arc<str>,
    /// Milliseconds (since the system started) of the last message handled:
    /// what idle expiry looks at, without messaging the actor.
    activity: Arc<AtomicU64>,
    /// What a binding keeps with the session ([`SessionHandle::attachment`]).
    attachment: Arc<OnceLock<Arc<dyn Any + Send + Sync>>>,
}

impl SessionHandle {
    /// Data a binding keeps with this session (the Python package: its
    /// views' Python objects), made at first use, shared by every clone of
    /// the handle and dropped with the last one: the session owns it, no
    /// process-wide registry does. `None` if another type was attached.
    pub fn attachment<T: Any + Send + Sync + Default>(&self) -> Option<Arc<T>> {
        let attached = self.attachment.get_or_init(|| Arc::new(T::default()));
        Arc::clone(attached).downcast::<T>().ok()
    }

    /// Start a supervised session actor.
    pub(crate) fn start(shared: Arc<Shared>, session_id: &str) -> SessionHandle {
        let (tx, rx) = mpsc::channel(shared.config.session_mailbox);
        let outbox = Outbox::new(tx, &"session", shared.config.message_timeout, shared.stats.session_mailbox.clone());
        let activity = Arc::new(AtomicU64::new(shared.now_ms()));
        let span = tracing::info_span!("session", id = %session_id);
        shared.stats.sessions_created.fetch_add(1, Relaxed);
        shared
            .tracker
            .spawn(supervise(shared.clone(), session_id.into(), rx, activity.clone()).instrument(span));
        SessionHandle {
            outbox,
            session_id: session_id.into(),
            activity,
            attachment: Arc::default(),
        }
    }

    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Milliseconds since the system started at which the session last handled a message.
    pub fn last_activity_ms(&self) -> u64 {
        self.activity.load(Relaxed)
    }

    /// Whether the actor has stopped.
    pub fn is_closed(&self) -> bool {
        self.outbox.is_closed()
    }

    // One method per request, as on `ViewHandle`: each delivers (as
    // `delivery` says) and gives the answer to come.

    /// Mount a view: its first HTML, its `view_id` and its handle.
    pub async fn mount(&self, request: MountRequest, delivery: Delivery) -> Result<Pending<Mounted>, ActorError> {
        self.outbox.send(delivery, |reply| SessionMsg::Mount { request: Box::new(request), reply }).await
    }

    /// Unmount a view, after the requests already queued for it.
    pub async fn unmount(&self, view_id: &str, delivery: Delivery) -> Result<Pending<()>, ActorError> {
        let view_id = view_id.into();
        self.outbox.send(delivery, |reply| SessionMsg::Unmount { view_id, reply }).await
    }

    /// Check the actor answers (health checks fail fast).
    pub async fn ping(&self, delivery: Delivery) -> Result<Pending<()>, ActorError> {
        self.outbox.send(delivery, |reply| SessionMsg::Ping { reply }).await
    }

    /// The ids of the mounted views, in mount order.
    pub async fn view_ids(&self, delivery: Delivery) -> Result<Pending<Vec<String>>, ActorError> {
        self.outbox.send(delivery, |reply| SessionMsg::ViewIds { reply }).await
    }

    /// A mounted view's handle (the first mounted one when `view_id` is
    /// `None`: a client's events without a view id go to it).
    pub async fn view(&self, view_id: Option<&str>, delivery: Delivery) -> Result<Pending<ViewHandle>, ActorError> {
        let view_id = view_id.map(Box::from);
        self.outbox.send(delivery, |reply| SessionMsg::View { view_id, reply }).await
    }

    /// Stop the session and its views, after the requests already queued.
    pub async fn shutdown(&self, delivery: Delivery) -> Result<Pending<()>, ActorError> {
        self.outbox.send(delivery, |reply| SessionMsg::Shutdown { reply }).await
    }

    /// Whether two handles reach the same actor.
    pub fn same(&self, other: &SessionHandle) -> bool {
        Arc::ptr_eq(&self.activity, &other.activity)
    }
}

/// Run session actors on one mailbox until one stops cleanly, restarting
/// after each panic.
async fn supervise(shared: Arc<Shared>, session_id: Arc<str>, mut rx: mpsc::Receiver<SessionMsg>, activity: Arc<AtomicU64>) {
    let _alive = Alive::new(shared.stats.clone(), |s| &s.sessions);
    loop {
        let actor = SessionActor {
            session_id: session_id.clone(),
            views: IndexMap::new(),
            activity: activity.clone(),
            shared: shared.clone(),
        };
        match AssertUnwindSafe(actor.run(&mut rx)).catch_unwind().await {
            Ok(()) => break,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                shared.stats.session_restarts.fetch_add(1, Relaxed);
                tracing::error!(%message, "session actor panicked; restarting it");
            }
        }
    }
}

struct SessionActor {
    session_id: Arc<str>,
    /// Mounted views by `view_id`, in mount order (the first gets events without an id).
    views: IndexMap<String, ViewHandle>,
    activity: Arc<AtomicU64>,
    shared: Arc<Shared>,
}

impl SessionActor {
    /// The actor loop. Operations are boxed so that the loop's future, which
    /// every idle session keeps allocated, stays small.
    async fn run(mut self, rx: &mut mpsc::Receiver<SessionMsg>) {
        while let Some(msg) = rx.recv().await {
            self.activity.store(self.shared.now_ms(), Relaxed);
            match msg {
                SessionMsg::Mount { request, reply } => {
                    let started = Instant::now();
                    let result = Box::pin(self.mount(*request)).await;
                    self.shared.stats.record(MessageKind::Mount, started.elapsed(), result.is_ok());
                    reply.send(result);
                }
                SessionMsg::Unmount { view_id, reply } => {
                    let started = Instant::now();
                    let result = match self.views.shift_remove(&*view_id) {
                        Some(view) => Box::pin(async { view.shutdown(Delivery::Wait).await?.await }).await,
                        None => Err(ActorError::ViewNotFound(view_id.into())),
                    };
                    self.shared.stats.record(MessageKind::Unmount, started.elapsed(), result.is_ok());
                    reply.send(result);
                }
                SessionMsg::Ping { reply } => {
                    self.shared.stats.record(MessageKind::Ping, std::time::Duration::ZERO, true);
                    reply.send(Ok(()));
                }
                SessionMsg::ViewIds { reply } => reply.send(Ok(self.views.keys().cloned().collect())),
                SessionMsg::View { view_id, reply } => reply.send(self.view(view_id.as_deref()).cloned()),
                SessionMsg::Shutdown { reply } => {
                    Box::pin(self.shutdown_views()).await;
                    reply.send(Ok(()));
                    return;
                }
            }
        }
        // Every handle is gone: stop the views too.
        Box::pin(self.shutdown_views()).await;
    }

    fn view(&self, view_id: Option<&str>) -> Result<&ViewHandle, ActorError> {
        match view_id {
            Some(id) => self.views.get(id).ok_or_else(|| ActorError::ViewNotFound(id.to_string())),
            None => self
                .views
                .first()
                .map(|(_, v)| v)
                .ok_or_else(|| ActorError::ViewNotFound("no view is mounted in this session".into())),
        }
    }

    async fn mount(&mut self, request: MountRequest) -> Result<Mounted, ActorError> {
        let services = request.services.unwrap_or_else(|| self.shared.services.clone());
        let engines = request.engines.unwrap_or_else(|| Engines {
            templates: self.shared.templates.clone(),
            vdom: self.shared.vdom.clone(),
        });
        let limits = request.limits.unwrap_or(self.shared.config.guest_limits);
        let (template_name, template_source) = match request.template {
            TemplateSource::Inline(source) => (request.view_path.clone(), source),
            TemplateSource::Named(name) => {
                let source = services.load_template(&name).map_err(|message| {
                    ActorError::Template(crate::engine_host::TemplateError {
                        kind: crate::engine_host::TemplateErrorKind::TemplateNotFound,
                        message,
                        template: name.clone(),
                        line: 0,
                        column: 0,
                    })
                })?;
                (name, source)
            }
            TemplateSource::Loaded { name, source } => (name, source),
        };
        let view_id = match &request.resume {
            Some(claimed) => claimed.view_id.clone(),
            None => uuid::Uuid::new_v4().to_string(),
        };
        let binding = match (&self.shared.snapshots, request.resumable, &request.outbound) {
            (Some(store), Some(Resumable { browser }), Some(_)) => Some(Binding {
                store: store.clone(),
                session_id: self.session_id.to_string(),
                browser,
                template_digest: crate::resume::digest(&template_source),
                engines: format!("{} {} {}", engines.templates.name(), engines.vdom.name(), env!("CARGO_PKG_VERSION")),
            }),
            _ => None,
        };
        let version = request.resume.as_ref().map_or(1, |c| c.snapshot.version);
        // The view's two guests share one store (one fiber stack, one set of
        // store bookkeeping), each with its own memory.
        let store = GuestStore::new(&self.shared.engine, services.clone(), limits);
        let spec = ViewSpec {
            view_id: view_id.clone(),
            view_path: request.view_path,
            template_name,
            template_source,
            logic: request.logic.unwrap_or_else(|| Box::new(MergeParams)),
            templates: engines.templates.instance_in(&store),
            vdom: engines.vdom.instance_in(&store),
            outbound: request.outbound,
            session_activity: self.activity.clone(),
            guests: GuestParts { services, engines, limits },
            binding,
            resume: request.resume,
        };
        let (view, html) = ViewHandle::start(self.shared.clone(), spec, request.params).await?;
        self.views.insert(view_id.clone(), view.clone());
        Ok(Mounted {
            html,
            session_id: self.session_id.to_string(),
            view_id,
            version,
            view,
        })
    }

    async fn shutdown_views(&mut self) {
        for (_, view) in self.views.drain(..) {
            if let Ok(stopped) = view.shutdown(Delivery::Wait).await {
                let _ = stopped.await;
            }
        }
    }
}
