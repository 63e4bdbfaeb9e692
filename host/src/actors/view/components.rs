//! A view actor's live components: created with guests of their own from
//! the view's engines, their events and props, their removal; and how the
//! view's tree catches up with the HTML they sent the client on their own.

use super::ViewActor;
use super::super::component::ComponentSpec;
use super::super::error::ActorError;
use super::super::logic::{MergeParams, State};
use super::super::component::ComponentHandle;
use super::super::requests::ComponentRequest;
use super::Rendered;
use crate::engine_host::GuestStore;

impl ViewActor {
    pub(super) async fn create_component(&mut self, request: ComponentRequest) -> Result<String, ActorError> {
        let id = request.component_id;
        let store = GuestStore::new(&self.shared.engine, self.guests.services.clone(), self.guests.limits);
        let spec = ComponentSpec {
            component_id: id.clone(),
            template_source: request.template,
            props: request.props,
            logic: request.logic.unwrap_or_else(|| Box::new(MergeParams)),
            templates: self.guests.engines.templates.instance_in(&store),
            vdom: self.guests.engines.vdom.instance_in(&store),
        };
        if let Some(old) = self.components.shift_remove(&id) {
            let _ = old.remove().await;
        }
        let component = ComponentHandle::start(self.shared.clone(), spec).await?;
        let html = component.html().to_string();
        self.components.insert(id, component);
        // The parent's tree must contain the component's HTML if its template places it.
        if let Err(e) = self.resync_tree().await {
            if let Some(c) = self.components.pop() {
                let _ = c.1.remove().await;
            }
            return Err(e);
        }
        Ok(html)
    }

    pub(super) async fn component_event(&mut self, id: &str, event: String, params: State) -> Result<Rendered, ActorError> {
        let component = self.component(id)?.clone();
        let outcome = component.event(event, params).await?;
        if outcome.to_parent.events.is_empty() && !self.stale {
            // Only the component changed: its own patches go out; the
            // parent's tree takes in its new HTML when the parent next
            // changes (no render of the parent now).
            self.components.insert(id.to_string(), outcome.handle);
            self.tree_behind = true;
            self.version += 1;
            return Ok(Rendered {
                html: None,
                patches: Some(outcome.patches),
                version: self.version,
                component_id: Some(id.to_string()),
                events: Vec::new(),
            });
        }
        // The parent's handlers run; its diff then covers the component
        // too, against the tree the client has (the component's old HTML).
        let caught_up = self.catch_up().await;
        self.components.insert(id.to_string(), outcome.handle);
        if let Err(e) = caught_up {
            // The client's tree is not known here any more.
            self.tree_lost = true;
            return Err(e);
        }
        let events: Vec<(&str, &State)> = outcome.to_parent.events.iter().map(|(event, data)| (event.as_str(), data)).collect();
        self.handle_then_diff(&events).await
    }

    pub(super) async fn update_component_props(&mut self, id: &str, props: State) -> Result<Rendered, ActorError> {
        let component = self.component(id)?.clone();
        let (handle, patches) = component.update_props(props).await?;
        self.components.insert(id.to_string(), handle);
        if self.stale || self.tree_lost {
            self.tree_behind = false;
            return self.render_diff().await;
        }
        self.tree_behind = true;
        self.version += 1;
        Ok(Rendered {
            html: None,
            patches: Some(patches),
            version: self.version,
            component_id: Some(id.to_string()),
            events: Vec::new(),
        })
    }

    pub(super) async fn remove_component(&mut self, id: &str) -> Result<(), ActorError> {
        self.component(id)?;
        self.catch_up().await?;
        let component = self
            .components
            .shift_remove(id)
            .ok_or_else(|| ActorError::ComponentNotFound(id.to_string()))?;
        component.remove().await?;
        Ok(())
    }

    pub(super) fn component(&self, id: &str) -> Result<&ComponentHandle, ActorError> {
        self.components
            .get(id)
            .ok_or_else(|| ActorError::ComponentNotFound(id.to_string()))
    }

    /// Bring the tree up to the client's DOM (see `tree_behind`): before
    /// the state changes, a component is removed, or a diff is asked for.
    pub(super) async fn catch_up(&mut self) -> Result<(), ActorError> {
        if self.tree_behind && !self.tree_lost { self.resync_tree().await } else { Ok(()) }
    }

    /// Re-render the parent and make that its tree, without patches.
    pub(super) async fn resync_tree(&mut self) -> Result<(), ActorError> {
        let html = self.render_html().await?;
        self.vdom.reset(&html).await.map_err(|e| self.fault(e))?;
        self.tree_behind = false;
        Ok(())
    }

}
