//! The component actor and its handle.
//!
//! A live component has its own state (props merged with what its handlers
//! change), its own template and VDOM instances, and a mailbox (capacity 20
//! by default). It lives inside one view: the view creates it, routes its
//! events, forwards its messages to the parent's handlers, and removes it
//! when the view goes.

use super::error::ActorError;
use super::logic::{ComponentLogic, State, ToParent};
use super::reply::{Delivery, Outbox, Reply};
use super::shared::Shared;
use super::stats::Alive;
use crate::engine_host::{Patch, TemplateInstance, VdomInstance};
use std::sync::Arc;
use tokio::sync::mpsc;
use tracing::Instrument;

/// Everything needed to start a component.
pub(crate) struct ComponentSpec {
    pub component_id: String,
    pub template_source: String,
    pub props: State,
    pub logic: Box<dyn ComponentLogic>,
    pub templates: TemplateInstance,
    pub vdom: VdomInstance,
}

/// What a component event produced.
pub(crate) struct EventOutcome {
    /// The handle, carrying the component's new HTML.
    pub handle: ComponentHandle,
    /// Patches within the component's root.
    pub patches: Vec<Patch>,
    /// Events for the parent view's handlers.
    pub to_parent: ToParent,
}

type Changed = (String, Vec<Patch>);

enum ComponentMsg {
    Event { event: String, params: State, reply: Reply<(Changed, ToParent)> },
    UpdateProps { props: State, reply: Reply<Changed> },
    Remove { reply: Reply<()> },
}

/// Handle to a component actor, with the HTML it last rendered (so the
/// parent can place it in its own template without a round trip).
#[derive(Clone)]
pub(crate) struct ComponentHandle {
    outbox: Outbox<ComponentMsg>,
    html: Arc<str>,
}

impl ComponentHandle {
    /// Start a component: compile its template and render it with its props.
    pub async fn start(shared: Arc<Shared>, spec: ComponentSpec) -> Result<ComponentHandle, ActorError> {
        let (tx, rx) = mpsc::channel(shared.config.component_mailbox);
        let outbox = Outbox::new(tx, &"component", shared.config.message_timeout, shared.stats.component_mailbox.clone());
        let span = tracing::debug_span!("component", id = %spec.component_id);
        let mut actor = ComponentActor {
            _alive: Alive::new(shared.stats.clone(), |s| &s.components),
            template_name: format!("component:{}", spec.component_id),
            logic: spec.logic,
            templates: spec.templates,
            vdom: spec.vdom,
            state: State::new(),
        };
        let html = actor
            .start(&spec.template_source, spec.props)
            .instrument(span.clone())
            .await?;
        shared.tracker.spawn(actor.run(rx).instrument(span));
        Ok(ComponentHandle {
            outbox,
            html: html.into(),
        })
    }

    pub fn html(&self) -> &str {
        &self.html
    }

    pub async fn event(&self, event: String, params: State) -> Result<EventOutcome, ActorError> {
        let ((html, patches), to_parent) = self
            .outbox
            .request(Delivery::Wait, |reply| ComponentMsg::Event { event, params, reply })
            .await?;
        Ok(EventOutcome {
            handle: self.with_html(html),
            patches,
            to_parent,
        })
    }

    pub async fn update_props(&self, props: State) -> Result<(ComponentHandle, Vec<Patch>), ActorError> {
        let (html, patches) = self
            .outbox
            .request(Delivery::Wait, |reply| ComponentMsg::UpdateProps { props, reply })
            .await?;
        Ok((self.with_html(html), patches))
    }

    pub async fn remove(&self) -> Result<(), ActorError> {
        self.outbox.request(Delivery::Wait, |reply| ComponentMsg::Remove { reply }).await
    }

    fn with_html(&self, html: String) -> ComponentHandle {
        ComponentHandle {
            outbox: self.outbox.clone(),
            html: html.into(),
        }
    }
}

struct ComponentActor {
    /// Keeps the active-components gauge right however the actor ends.
    _alive: Alive,
    template_name: String,
    logic: Box<dyn ComponentLogic>,
    templates: TemplateInstance,
    vdom: VdomInstance,
    state: State,
}

impl ComponentActor {
    async fn start(&mut self, source: &str, props: State) -> Result<String, ActorError> {
        self.templates.add_template(&self.template_name, source).await?;
        self.logic.update_props(&props, &mut self.state)?;
        let html = self.render().await?;
        self.vdom.reset(&html).await?;
        Ok(html)
    }

    async fn run(mut self, mut rx: mpsc::Receiver<ComponentMsg>) {
        while let Some(msg) = rx.recv().await {
            match msg {
                ComponentMsg::Event { event, params, reply } => {
                    let saved = self.state.clone();
                    let mut to_parent = ToParent::default();
                    let result = async {
                        self.logic.handle_event(&event, &params, &mut self.state, &mut to_parent).await?;
                        self.render_diff().await
                    }
                    .await;
                    if result.is_err() {
                        self.state = saved;
                    }
                    reply.send(result.map(|changed| (changed, to_parent)));
                }
                ComponentMsg::UpdateProps { props, reply } => {
                    let saved = self.state.clone();
                    let result = async {
                        self.logic.update_props(&props, &mut self.state)?;
                        self.render_diff().await
                    }
                    .await;
                    if result.is_err() {
                        self.state = saved;
                    }
                    reply.send(result);
                }
                ComponentMsg::Remove { reply } => {
                    reply.send(Ok(()));
                    break;
                }
            }
        }
    }

    async fn render(&mut self) -> Result<String, ActorError> {
        let json = serde_json::to_string(&self.state).expect("a JSON object always serializes");
        Ok(self.templates.render(&self.template_name, &json).await?)
    }

    async fn render_diff(&mut self) -> Result<Changed, ActorError> {
        let html = self.render().await?;
        let patches = self.vdom.diff(&html).await?;
        Ok((html, patches))
    }
}
