//! The view actor and its handle.
//!
//! A `ViewActor` owns everything about one mounted view: its state, its
//! logic, its template instance and VDOM instance (guests of its own), its
//! render version and its live components. Requests arrive through its
//! mailbox (capacity 50 by default) and are handled one at a time, so the
//! state needs no lock. A request that fails — a handler error, a template
//! error, a guest fault — leaves the state and the HTML as they were before
//! it, and the caller gets the error.

mod components;
mod inbox;
mod snapshot;
mod told;

pub use inbox::Timer;
pub(crate) use snapshot::Binding;
use snapshot::Snapshotting;
use inbox::Inbox;
use super::info::InfoError;

use super::component::ComponentHandle;
use super::error::{ActorError, HandlerError};
use super::logic::{State, ViewLogic};
use super::requests::{ComponentEvent, ComponentProps, ComponentRequest, Event, Update};
use super::outbound::{Outbound, Sent};
pub use super::rendered::Rendered;
use super::reply::{Delivery, Outbox, Pending, Reply, WeakOutbox};
use super::shared::Shared;
use super::stats::{Alive, MessageKind};
use crate::engine_host::{GuestLimits, HostServices, TemplateEngine, TemplateInstance, VdomEngine, VdomInstance};
use indexmap::IndexMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;
use tokio::sync::mpsc;
use tracing::Instrument;

// Payloads larger than a pointer are boxed: a mailbox keeps a block of 32
// slots of the largest variant's size for as long as the view lives.
pub(crate) enum ViewMsg {
    UpdateState { updates: Box<State>, reply: Reply<()> },
    Render { reply: Reply<Rendered> },
    RenderWithDiff { reply: Reply<Rendered> },
    Event { event: Box<Event>, reply: Reply<Rendered> },
    SetState { update: Box<Update>, reply: Reply<Rendered> },
    Reset { reply: Reply<Rendered> },
    Push { update: Box<Update>, reply: Reply<()> },
    Refresh { reply: Reply<()> },
    Reattach { resume: Box<Reattach>, reply: Reply<Option<Rendered>> },
    CreateComponent { request: Box<ComponentRequest>, reply: Reply<String> },
    ComponentEvent { event: Box<ComponentEvent>, reply: Reply<Rendered> },
    UpdateComponentProps { props: Box<ComponentProps>, reply: Reply<Rendered> },
    RemoveComponent { id: Box<str>, reply: Reply<()> },
    Shutdown { reply: Reply<()> },
}

/// A new connection taking a view over: where its pushes go now, and the
/// version the client shows.
pub(crate) struct Reattach {
    outbound: Option<Outbound>,
    version: u64,
}

/// Cloneable handle to a view actor.
#[derive(Clone)]
pub struct ViewHandle {
    outbox: Outbox<ViewMsg>,
    view_id: Arc<str>,
    /// What the view is told from outside its requests.
    inbox: Arc<Inbox>,
}

impl std::fmt::Debug for ViewHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewHandle").field("view_id", &self.view_id).finish_non_exhaustive()
    }
}

/// A [`ViewHandle`] that does not keep the view alive: what a view's own
/// logic may hold (to push from a thread or a timer) without a cycle.
#[derive(Clone)]
pub struct WeakViewHandle {
    outbox: WeakOutbox<ViewMsg>,
    view_id: Arc<str>,
    inbox: std::sync::Weak<Inbox>,
}

impl WeakViewHandle {
    /// The handle, while the view is mounted.
    pub fn upgrade(&self) -> Option<ViewHandle> {
        Some(ViewHandle { outbox: self.outbox.upgrade()?, view_id: self.view_id.clone(), inbox: self.inbox.upgrade()? })
    }

    pub fn view_id(&self) -> &str {
        &self.view_id
    }
}

/// Everything needed to start a view: its template, logic and guests.
pub(crate) struct ViewSpec {
    pub view_id: String,
    pub view_path: String,
    pub template_name: String,
    pub template_source: String,
    pub logic: Box<dyn ViewLogic>,
    pub templates: TemplateInstance,
    pub vdom: VdomInstance,
    /// The connection's queue its pushes go to (`None`: it cannot push).
    pub outbound: Option<Outbound>,
    /// When its session last saw activity: requests that come to the view
    /// directly keep the session from expiring as idle.
    pub session_activity: Arc<AtomicU64>,
    /// What its components' guests are made of.
    pub guests: GuestParts,
    /// Keep snapshots, bound to this (with a snapshot store and a connection).
    pub binding: Option<Binding>,
    /// Start from this snapshot instead of mounting.
    pub resume: Option<crate::resume::Claimed>,
}

/// A pair of guest engines a view runs instead of the defaults.
#[derive(Clone)]
pub struct Engines {
    pub templates: TemplateEngine,
    pub vdom: VdomEngine,
}

/// What a view's guests are made of: its components get guests of their
/// own from the same engines, services and limits.
pub(crate) struct GuestParts {
    pub services: Arc<dyn HostServices>,
    pub engines: Engines,
    pub limits: GuestLimits,
}

impl ViewHandle {
    /// A handle that does not keep the view alive.
    pub fn downgrade(&self) -> WeakViewHandle {
        WeakViewHandle { outbox: self.outbox.downgrade(), view_id: self.view_id.clone(), inbox: Arc::downgrade(&self.inbox) }
    }

    /// The view's id (a UUID v4).
    pub fn view_id(&self) -> &str {
        &self.view_id
    }

    /// Start a view actor: mount its logic with `params` (or restore it
    /// from the spec's snapshot), compile its template and render it.
    /// Returns the handle and the HTML the client is to show.
    pub(crate) async fn start(
        shared: Arc<Shared>,
        spec: ViewSpec,
        params: State,
    ) -> Result<(ViewHandle, String), ActorError> {
        let (tx, rx) = mpsc::channel(shared.config.view_mailbox);
        let outbox = Outbox::new(tx, &"view", shared.config.message_timeout, shared.stats.view_mailbox.clone());
        let span = tracing::debug_span!("view", id = %spec.view_id, path = %spec.view_path);
        let inbox = Inbox::new(shared.clone(), spec.outbound.is_some());
        let handle = ViewHandle {
            outbox,
            view_id: spec.view_id.as_str().into(),
            inbox: inbox.clone(),
        };
        let mut actor = ViewActor {
            _alive: Alive::new(shared.stats.clone(), |s| &s.views),
            view_path: spec.view_path,
            template_name: spec.template_name,
            logic: spec.logic,
            templates: spec.templates,
            vdom: spec.vdom,
            guests: spec.guests,
            state: State::new(),
            initial_state: State::new(),
            version: 0,
            components: IndexMap::new(),
            tree_behind: false,
            tree_lost: false,
            outbound: spec.outbound,
            stale: false,
            view_id: spec.view_id,
            session_activity: spec.session_activity,
            inbox,
            applied: Default::default(),
            busy: None,
            events: Vec::new(),
            snapshotting: None,
            shared: shared.clone(),
        };
        if let Some(binding) = spec.binding {
            actor.snapshotting = Some(Box::new(Snapshotting::new(binding, &handle, spec.resume.as_ref())));
        }
        let html = match &spec.resume {
            Some(claimed) => actor.restore(&spec.template_source, claimed).instrument(span.clone()).await?,
            None => actor.mount(&spec.template_source, params).instrument(span.clone()).await?,
        };
        actor.logic.attached(handle.downgrade());
        shared.tracker.spawn(actor.run(rx).instrument(span));
        if let Some(claimed) = spec.resume {
            // Its topics again, and what it missed in them since its last snapshot.
            for mark in &claimed.snapshot.topics {
                if let Err(e) = handle.inbox.subscribe(&mark.topic).await {
                    if let Ok(stopped) = handle.shutdown(Delivery::Wait).await {
                        let _ = stopped.await;
                    }
                    return Err(ActorError::Handler(HandlerError::Raised {
                        kind: "BackplaneError".into(),
                        message: format!("the resumed view could not subscribe to {:?} again: {e}", mark.topic),
                    }));
                }
                if let Some(seq) = mark.seq() {
                    handle.inbox.catch_up_from(&mark.topic, seq);
                }
            }
        }
        Ok((handle, html))
    }

    // One method per request. Each delivers (waiting for room, or failing
    // fast, as `delivery` says) and gives the answer to come: await it.

    /// Handle an event, then render and diff. A failure leaves the state
    /// and the client's tree as they were.
    pub async fn event(&self, event: Event, delivery: Delivery) -> Result<Pending<Rendered>, ActorError> {
        self.outbox.send(delivery, |reply| ViewMsg::Event { event: Box::new(event), reply }).await
    }

    /// Replace the state with `state` (the whole context, from code that
    /// ran elsewhere: Python handlers), then render and diff. Fails like an
    /// event does, leaving the state and HTML as they were.
    pub async fn set_state(&self, update: impl Into<Update>, delivery: Delivery) -> Result<Pending<Rendered>, ActorError> {
        let update = Box::new(update.into());
        self.outbox.send(delivery, |reply| ViewMsg::SetState { update, reply }).await
    }

    /// Merge `updates` into the state (no render).
    pub async fn update_state(&self, updates: State, delivery: Delivery) -> Result<Pending<()>, ActorError> {
        self.outbox.send(delivery, |reply| ViewMsg::UpdateState { updates: Box::new(updates), reply }).await
    }

    /// Render to full HTML (the client replaces its content with it).
    pub async fn render(&self, delivery: Delivery) -> Result<Pending<Rendered>, ActorError> {
        self.outbox.send(delivery, |reply| ViewMsg::Render { reply }).await
    }

    /// Render and diff against what the client shows.
    pub async fn render_with_diff(&self, delivery: Delivery) -> Result<Pending<Rendered>, ActorError> {
        self.outbox.send(delivery, |reply| ViewMsg::RenderWithDiff { reply }).await
    }

    /// Put the state back to what mount produced and render it in full.
    pub async fn reset(&self, delivery: Delivery) -> Result<Pending<Rendered>, ActorError> {
        self.outbox.send(delivery, |reply| ViewMsg::Reset { reply }).await
    }

    /// Take `state` (the whole context) and push its render to the view's
    /// connection; answered once queued. `NotConnected` when it was mounted
    /// without one (a first paint, the POST fallback). A view's own code
    /// pushes with [`Delivery::FailFast`]: it may run where the view's
    /// actor waits (its handler thread under `serve`).
    pub async fn push(&self, update: impl Into<Update>, delivery: Delivery) -> Result<Pending<()>, ActorError> {
        let update = Box::new(update.into());
        self.outbox.send(delivery, |reply| ViewMsg::Push { update, reply }).await
    }

    /// A stale view sends its whole HTML through the queue (see [`super::outbound`]).
    pub async fn refresh(&self, delivery: Delivery) -> Result<Pending<()>, ActorError> {
        self.outbox.send(delivery, |reply| ViewMsg::Refresh { reply }).await
    }

    /// A new connection takes the view over (a resume): its pushes go to
    /// `outbound` from now on. `None` when the client, at `version`, shows
    /// the view's latest render (its DOM and unsent input stay); else the
    /// view's whole HTML for it, with the events waiting to go.
    pub async fn reattach(&self, outbound: Option<Outbound>, version: u64, delivery: Delivery) -> Result<Pending<Option<Rendered>>, ActorError> {
        let resume = Box::new(Reattach { outbound, version });
        self.outbox.send(delivery, |reply| ViewMsg::Reattach { resume, reply }).await
    }

    /// Create a live component, with guests of its own; gives its HTML.
    pub async fn create_component(&self, request: ComponentRequest, delivery: Delivery) -> Result<Pending<String>, ActorError> {
        self.outbox.send(delivery, |reply| ViewMsg::CreateComponent { request: Box::new(request), reply }).await
    }

    /// Send an event to a component: its own patches (`component_id` set),
    /// or the parent's if the component messaged its parent.
    pub async fn component_event(&self, event: ComponentEvent, delivery: Delivery) -> Result<Pending<Rendered>, ActorError> {
        self.outbox.send(delivery, |reply| ViewMsg::ComponentEvent { event: Box::new(event), reply }).await
    }

    /// Give a component new props; gives its patches.
    pub async fn update_component_props(&self, props: ComponentProps, delivery: Delivery) -> Result<Pending<Rendered>, ActorError> {
        self.outbox.send(delivery, |reply| ViewMsg::UpdateComponentProps { props: Box::new(props), reply }).await
    }

    /// Remove a component.
    pub async fn remove_component(&self, component_id: &str, delivery: Delivery) -> Result<Pending<()>, ActorError> {
        let id = component_id.into();
        self.outbox.send(delivery, |reply| ViewMsg::RemoveComponent { id, reply }).await
    }

    /// Stop the view (and its components) after the requests already queued.
    pub async fn shutdown(&self, delivery: Delivery) -> Result<Pending<()>, ActorError> {
        self.outbox.send(delivery, |reply| ViewMsg::Shutdown { reply }).await
    }

    /// Subscribe the view to `topic`: its messages reach its logic's
    /// [`ViewLogic::handle_info`], and their render is pushed. Done once
    /// the backplane confirmed it; whether it subscribed (a view without
    /// a connection is shown once and does not).
    pub async fn subscribe(&self, topic: &str) -> Result<bool, InfoError> {
        self.inbox.subscribe(topic).await
    }

    /// Stop `topic`'s messages; whether the view subscribed to it.
    pub fn unsubscribe(&self, topic: &str) -> bool {
        self.inbox.unsubscribe(topic)
    }

    /// Track the view on `topic` (presence) with `meta` (JSON text), as
    /// member `view_id`: [`crate::pubsub::PubSub::presence`] lists it in
    /// every process, and the topic's subscribers are told of the join.
    /// It leaves when untracked, when the view stops, or when its process
    /// dies. Whether it is tracked (a view without a connection is not).
    pub async fn track(&self, topic: &str, meta: &str) -> Result<bool, InfoError> {
        self.inbox.track(topic, &self.view_id, meta).await
    }

    /// Stop tracking the view on `topic`; whether it was.
    pub fn untrack(&self, topic: &str) -> bool {
        self.inbox.untrack(topic)
    }

    /// The topics the view subscribes to, sorted.
    pub fn topics(&self) -> Vec<String> {
        self.inbox.topics()
    }

    /// Tell the view `payload` (JSON text) in `seconds`, through
    /// [`ViewLogic::handle_info`]; `None` for a view without a connection.
    /// Stops when cancelled or when the view stops.
    pub fn send_after(&self, seconds: f64, payload: &str) -> Result<Option<Timer>, InfoError> {
        self.inbox.start_timer(seconds, false, payload)
    }

    /// Tell the view `payload` every `seconds` (a tick it is too busy for
    /// is skipped), until cancelled or the view stops.
    pub fn send_every(&self, seconds: f64, payload: &str) -> Result<Option<Timer>, InfoError> {
        self.inbox.start_timer(seconds, true, payload)
    }

    /// Whether the view has a connection to push to.
    pub fn is_connected(&self) -> bool {
        self.inbox.is_connected()
    }

    /// Whether a request fits in the mailbox now.
    pub fn has_room(&self) -> bool {
        self.outbox.has_room()
    }

    /// Whether two handles reach the same view.
    pub fn same(&self, other: &ViewHandle) -> bool {
        Arc::ptr_eq(&self.view_id, &other.view_id)
    }
}

/// What woke a view's loop.
enum Next {
    Request(ViewMsg),
    /// Its logic is done with what it was told last ([`Handled::Later`](super::logic::Handled::Later)).
    Done,
    /// Its inbox has something queued.
    Told,
}

struct ViewActor {
    /// Keeps the active-views gauge right however the actor ends.
    _alive: Alive,
    view_path: String,
    template_name: String,
    logic: Box<dyn ViewLogic>,
    /// This view's own template guest instance.
    templates: TemplateInstance,
    /// This view's own VDOM guest instance, holding the tree the client shows.
    vdom: VdomInstance,
    state: State,
    /// The state right after mount, for `reset`.
    initial_state: State,
    /// Renders so far.
    version: u64,
    /// What its components' guests are made of.
    guests: GuestParts,
    /// Live components by id, in creation order.
    components: IndexMap<String, ComponentHandle>,
    /// A component changed on the client since the view's tree was last
    /// made: the tree must take in the components' HTML (a render of the
    /// unchanged state) before the state changes and the next diff. Put
    /// off until then, so a component event renders only the component.
    tree_behind: bool,
    /// The tree could not be brought up to the client's DOM: the next
    /// render sends the whole HTML.
    tree_lost: bool,
    /// Where pushes go; see [`super::outbound`].
    outbound: Option<Outbound>,
    /// A push was dropped (the queue was full): the client's tree is not
    /// this view's, so its next render is its whole HTML.
    stale: bool,
    view_id: String,
    session_activity: Arc<AtomicU64>,
    /// What it is told from outside its requests (see [`inbox`]).
    inbox: Arc<Inbox>,
    /// The last message handled per topic: a message met again (a view
    /// catching up from a stream reads some it had queued) is skipped.
    applied: std::collections::HashMap<Arc<str>, crate::pubsub::Seq>,
    /// Its logic handles what it was told on its own ([`Handled::Later`](super::logic::Handled::Later)):
    /// nothing more is taken from the inbox until this is done.
    busy: Option<super::logic::LogicFuture<'static, ()>>,
    /// Events for the client waiting for a render to go with.
    events: Vec<super::rendered::ClientEvent>,
    /// Its snapshots, when it keeps them (see [`snapshot`]).
    snapshotting: Option<Box<Snapshotting>>,
    shared: Arc<Shared>,
}

impl ViewActor {
    async fn mount(&mut self, source: &str, params: State) -> Result<String, ActorError> {
        self.templates.add_template(&self.template_name, source).await?;
        self.logic.mount(&params, &mut self.state).await?;
        self.initial_state = self.state.clone();
        let html = self.render_html().await?;
        self.vdom.reset(&html).await.map_err(|e| self.fault(e))?;
        self.version = 1;
        self.shown(&html);
        Ok(html)
    }

    /// The actor loop. Each operation's future is boxed: the loop's own
    /// future is what every idle view keeps allocated, so it stays small.
    async fn run(mut self, mut rx: mpsc::Receiver<ViewMsg>) {
        loop {
            // After the answer went: nobody waits for this.
            if self.snapshotting.is_some() {
                Box::pin(self.keep_snapshot()).await;
            }
            let msg = {
                let (inbox, busy) = (&self.inbox, &mut self.busy);
                let idle = busy.is_none();
                tokio::select! {
                    biased;
                    msg = rx.recv() => match msg {
                        Some(msg) => Next::Request(msg),
                        None => break,
                    },
                    () = async { if let Some(done) = busy { done.await } }, if !idle => Next::Done,
                    () = inbox.woken(), if idle => Next::Told,
                }
            };
            let msg = match msg {
                Next::Request(msg) => msg,
                Next::Done => {
                    self.busy = None;
                    continue;
                }
                Next::Told if self.inbox.is_idle() => continue,
                Next::Told => {
                    let started = Instant::now();
                    let ok = Box::pin(self.handle_infos()).await;
                    self.shared.stats.record(MessageKind::Info, started.elapsed(), ok);
                    continue;
                }
            };
            self.session_activity.store(self.shared.now_ms(), std::sync::atomic::Ordering::Relaxed);
            let started = Instant::now();
            let (kind, ok) = match msg {
                ViewMsg::UpdateState { updates, reply } => {
                    let result = Box::pin(self.catch_up()).await.map(|()| super::logic::merge(&updates, &mut self.state));
                    (MessageKind::UpdateState, answer(reply, result))
                }
                ViewMsg::Render { reply } => {
                    let result = Box::pin(self.render_full()).await;
                    (MessageKind::Render, answer(reply, result))
                }
                ViewMsg::RenderWithDiff { reply } => {
                    let result = Box::pin(async {
                        self.catch_up().await?;
                        self.render_diff().await
                    })
                    .await;
                    (MessageKind::Render, answer(reply, result))
                }
                ViewMsg::Event { event, reply } => {
                    let result = Box::pin(self.event(&event.name, &event.params)).await;
                    (MessageKind::Event, answer(reply, result))
                }
                ViewMsg::SetState { update, reply } => {
                    let result = Box::pin(self.set_state(*update)).await;
                    (MessageKind::Event, answer(reply, result))
                }
                ViewMsg::Reset { reply } => {
                    let saved = std::mem::replace(&mut self.state, self.initial_state.clone());
                    let result = Box::pin(self.render_full()).await;
                    if result.is_err() {
                        self.state = saved;
                    }
                    (MessageKind::Render, answer(reply, result))
                }
                ViewMsg::Push { update, reply } => {
                    let result = Box::pin(self.push(*update)).await;
                    (MessageKind::Event, answer(reply, result))
                }
                ViewMsg::Refresh { reply } => {
                    let result = if self.stale { Box::pin(self.push_render()).await } else { Ok(()) };
                    (MessageKind::Render, answer(reply, result))
                }
                ViewMsg::Reattach { resume, reply } => {
                    let result = Box::pin(self.reattach(*resume)).await;
                    if let Err(ActorError::Moved(_)) = &result {
                        // Another process has the view: this copy ends.
                        tracing::info!(view_id = %self.view_id, "the view was resumed by another process: this copy closes");
                        answer(reply, result);
                        break;
                    }
                    (MessageKind::Render, answer(reply, result))
                }
                ViewMsg::CreateComponent { request, reply } => {
                    let result = Box::pin(self.create_component(*request)).await;
                    (MessageKind::ComponentUpdate, answer(reply, result))
                }
                ViewMsg::ComponentEvent { event, reply } => {
                    let ComponentEvent { component_id, name, params } = *event;
                    let result = Box::pin(self.component_event(&component_id, name, params)).await;
                    (MessageKind::ComponentEvent, answer(reply, result))
                }
                ViewMsg::UpdateComponentProps { props, reply } => {
                    let ComponentProps { component_id, props } = *props;
                    let result = Box::pin(self.update_component_props(&component_id, props)).await;
                    (MessageKind::ComponentUpdate, answer(reply, result))
                }
                ViewMsg::RemoveComponent { id, reply } => {
                    let result = Box::pin(self.remove_component(&id)).await;
                    (MessageKind::ComponentUpdate, answer(reply, result))
                }
                ViewMsg::Shutdown { reply } => {
                    Box::pin(self.stop_components()).await;
                    reply.send(Ok(()));
                    break;
                }
            };
            self.shared.stats.record(kind, started.elapsed(), ok);
        }
        self.inbox.close();
        Box::pin(self.stop_components()).await;
        tracing::debug!(path = %self.view_path, renders = self.version, "view stopped");
    }

    async fn event(&mut self, event: &str, params: &State) -> Result<Rendered, ActorError> {
        self.catch_up().await?;
        self.handle_then_diff(&[(event, params)]).await
    }

    /// Run the handlers on a copy of the state, in order, then render and
    /// diff; only when all of it succeeds does the copy become the state.
    async fn handle_then_diff(&mut self, events: &[(&str, &State)]) -> Result<Rendered, ActorError> {
        let saved = self.state.clone();
        let result = async {
            for (event, params) in events {
                self.logic.handle_event(event, params, &mut self.state).await?;
            }
            let queued = self.logic.take_events();
            let rendered = self.render_diff().await?;
            self.events.extend(queued);
            Ok(self.with_events(rendered))
        }
        .await;
        if result.is_err() {
            self.state = saved;
        }
        result
    }

    /// Take the update's state (the whole context), render and diff, its
    /// events with the render; on failure the state stays as it was, and
    /// the events are dropped with the rest of the update.
    async fn set_state(&mut self, update: Update) -> Result<Rendered, ActorError> {
        self.catch_up().await?;
        let Update { state, events, components } = update;
        let forwarded = self.forward_props(components).await?;
        let saved = std::mem::replace(&mut self.state, state);
        let result = self.render_diff().await;
        match result {
            Ok(rendered) => {
                self.events.extend(events);
                Ok(self.with_events(rendered))
            }
            Err(e) => {
                self.state = saved;
                self.tree_lost |= forwarded;
                Err(e)
            }
        }
    }

    /// Take the update and push its render to the connection (not while
    /// stale: its whole HTML goes out later, with the events).
    async fn push(&mut self, update: Update) -> Result<(), ActorError> {
        if self.outbound.is_none() {
            return Err(ActorError::NotConnected(self.view_id.clone()));
        }
        self.catch_up().await?;
        let Update { state, events, components } = update;
        let forwarded = self.forward_props(components).await?;
        let saved = std::mem::replace(&mut self.state, state);
        let kept = self.events.len();
        self.events.extend(events);
        if self.stale {
            // Its HTML goes out once the connection has room; it will carry this state.
            self.changed_unseen();
            return Ok(());
        }
        let result = self.push_render().await;
        if result.is_err() {
            self.state = saved;
            self.events.truncate(kept);
            self.tree_lost |= forwarded;
        }
        result
    }

    /// Give components the new props the view's logic forwarded them, before
    /// the view renders: their new HTML reaches the client in the view's
    /// patches (the components' own trees are already what it will show).
    /// Whether any were. Should this, or the render after it, fail, the
    /// client's tree is no longer known: the next render is the whole HTML.
    async fn forward_props(&mut self, components: Vec<ComponentProps>) -> Result<bool, ActorError> {
        let forwarded = !components.is_empty();
        for ComponentProps { component_id, props } in components {
            let updated = match self.component(&component_id) {
                Ok(component) => component.clone().update_props(props).await,
                Err(e) => Err(e),
            };
            let (handle, _) = updated.inspect_err(|_| self.tree_lost = true)?;
            self.components.insert(component_id, handle);
        }
        Ok(forwarded)
    }

    /// `rendered` with the events waiting to go, which it takes.
    fn with_events(&mut self, mut rendered: Rendered) -> Rendered {
        rendered.events = std::mem::take(&mut self.events);
        rendered
    }

    /// Render (whole HTML when stale) and queue it for the connection,
    /// with the events waiting to go.
    async fn push_render(&mut self) -> Result<(), ActorError> {
        let rendered = self.render_diff().await?;
        let rendered = self.with_events(rendered);
        let outbound = self.outbound.as_ref().ok_or_else(|| ActorError::NotConnected(self.view_id.clone()))?;
        match outbound.send(&self.view_id, rendered) {
            Sent::Queued => Ok(()),
            // The events go with the whole HTML the view sends once there is
            // room, or once a reconnect resumes it (a closed socket's session
            // waits for one: the view keeps its state meanwhile).
            Sent::Full | Sent::Closed => {
                self.stale = true;
                Ok(())
            }
        }
    }

    /// Push to `outbound` from now on; the client's HTML unless it is at the latest version.
    async fn reattach(&mut self, Reattach { outbound, version }: Reattach) -> Result<Option<Rendered>, ActorError> {
        self.still_owned().await?;
        self.outbound = outbound;
        // Stale or lost: a push never reached it, whatever version it says.
        if version == self.version && !self.stale && !self.tree_lost {
            // Resumed from a snapshot rendered with another template or engines: the client gets the difference.
            if self.snapshotting.as_deref_mut().is_some_and(|s| std::mem::take(&mut s.rendered_elsewhere)) {
                let rendered = self.render_diff().await?;
                return Ok(Some(self.with_events(rendered)));
            }
            return Ok(None);
        }
        let rendered = self.render_full().await?;
        self.stale = false;
        self.tree_lost = false;
        Ok(Some(self.with_events(rendered)))
    }

    /// Render and diff against the client's tree (its whole HTML when the
    /// view is stale); the version goes up only on success.
    async fn render_diff(&mut self) -> Result<Rendered, ActorError> {
        if self.stale || self.tree_lost {
            let rendered = self.render_full().await?;
            self.stale = false;
            self.tree_lost = false;
            return Ok(rendered);
        }
        debug_assert!(!self.tree_behind, "a diff against a tree the client has moved past");
        let html = self.render_html().await?;
        let patches = self.vdom.diff(&html).await.map_err(|e| self.fault(e))?;
        self.version += 1;
        self.shown(&html);
        Ok(Rendered {
            html: None,
            patches: Some(patches),
            version: self.version,
            component_id: None,
            events: Vec::new(),
        })
    }

    /// Render full HTML, which becomes the client's tree.
    async fn render_full(&mut self) -> Result<Rendered, ActorError> {
        let html = self.render_html().await?;
        self.vdom.reset(&html).await.map_err(|e| self.fault(e))?;
        self.tree_behind = false;
        self.version += 1;
        self.shown(&html);
        Ok(Rendered {
            html: Some(html),
            patches: None,
            version: self.version,
            component_id: None,
            events: Vec::new(),
        })
    }

    async fn render_html(&mut self) -> Result<String, ActorError> {
        let mut context = self.logic.context(&self.state)?;
        if !self.components.is_empty() {
            let mut htmls = State::new();
            for (id, component) in &self.components {
                htmls.insert(id.clone(), component.html().into());
            }
            context.to_mut().insert("components".into(), htmls.into());
        }
        let json = serde_json::to_string(&context).map_err(|e| HandlerError::Raised {
            kind: "TypeError".into(),
            message: format!("the context cannot be serialized: {e}"),
        })?;
        self.templates.render(&self.template_name, &json).await.map_err(|e| {
            let e = ActorError::from(e);
            self.count_fault(&e);
            e
        })
    }

    fn fault(&self, fault: crate::engine_host::GuestFault) -> ActorError {
        let e = ActorError::GuestFault(fault);
        self.count_fault(&e);
        e
    }

    fn count_fault(&self, e: &ActorError) {
        let stats = &self.shared.stats;
        match e.fault_kind() {
            Some(crate::engine_host::FaultKind::Quarantined) => stats.guest_refusals.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            Some(_) => stats.guest_restarts.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            None => 0,
        };
    }

    async fn stop_components(&mut self) {
        for (_, component) in self.components.drain(..) {
            let _ = component.remove().await;
        }
    }
}

/// Send `result` to `reply`; whether it was a success, for the stats.
fn answer<T>(reply: Reply<T>, result: Result<T, ActorError>) -> bool {
    let ok = result.is_ok();
    reply.send(result);
    ok
}
