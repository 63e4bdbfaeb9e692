//! The payloads of requests to a view that carry more than one value: one
//! struct per request, each with only the fields that request has.

use super::logic::{ComponentLogic, State};
use super::rendered::ClientEvent;

/// An event for a view's handlers.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub params: State,
}

impl Event {
    pub fn new(name: impl Into<String>, params: State) -> Event {
        Event { name: name.into(), params }
    }
}

/// A view's new state from logic that runs outside its actor (Python's),
/// with the events to send the client along with its render and its
/// components' new props (their new HTML goes out in the view's patches).
#[derive(Debug, Clone, Default)]
pub struct Update {
    pub state: State,
    pub events: Vec<ClientEvent>,
    pub components: Vec<ComponentProps>,
}

impl From<State> for Update {
    fn from(state: State) -> Update {
        Update { state, ..Update::default() }
    }
}

/// An event for one of a view's live components.
#[derive(Debug, Clone)]
pub struct ComponentEvent {
    pub component_id: String,
    pub name: String,
    pub params: State,
}

impl ComponentEvent {
    pub fn new(component_id: impl Into<String>, name: impl Into<String>, params: State) -> ComponentEvent {
        ComponentEvent { component_id: component_id.into(), name: name.into(), params }
    }
}

/// New props for one of a view's live components.
#[derive(Debug, Clone)]
pub struct ComponentProps {
    pub component_id: String,
    pub props: State,
}

/// Everything needed to create a live component in a view; its guests
/// come from the view's engines, services and limits.
pub struct ComponentRequest {
    pub component_id: String,
    pub template: String,
    pub props: State,
    /// The component's handlers; `None` merges event params into its state.
    pub logic: Option<Box<dyn ComponentLogic>>,
}

impl ComponentRequest {
    /// A component without handlers (events merge their params into its state).
    pub fn new(component_id: impl Into<String>, template: impl Into<String>, props: State) -> ComponentRequest {
        ComponentRequest { component_id: component_id.into(), template: template.into(), props, logic: None }
    }

    pub fn logic(mut self, logic: impl ComponentLogic) -> Self {
        self.logic = Some(Box::new(logic));
        self
    }
}
