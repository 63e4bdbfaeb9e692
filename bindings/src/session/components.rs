//! Live components of a session's views: created, given events and props,
//! removed. A Python component's code runs on its view's lane.

use super::Session;
use super::lane::{answered, in_lane};
use super::ordered::Request;
use super::output::{Output, output, rendered_to_py};
use crate::pyview::{PyView, call_handler};
use super::helper;
use crate::bridge::{self, Reply};
use crate::convert;
use crate::errors;
use crate::system;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};
use std::sync::Arc;
use serde_json::{Map, Value};
use wasmlive::actors::{ActorError, ComponentEvent, ComponentProps, ComponentRequest, Delivery, Pending, Rendered, Update};

#[pymethods]
impl Session {
    /// Create a live component in a view; gives its HTML. With
    /// `python_component`, its handlers and `get_context_data()` drive it.
    #[pyo3(signature = (view_id, component_id, template_string, initial_props=None, python_component=None))]
    fn create_component(
        &self,
        py: Python<'_>,
        view_id: String,
        component_id: String,
        template_string: String,
        initial_props: Option<Bound<'_, PyAny>>,
        python_component: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Reply> {
        let mut props = self.params(initial_props.as_ref())?;
        let view = match self.lock().handle(Some(&view_id)) {
            Ok(view) => view,
            Err(e) => return Ok(Reply::failed(errors::to_py(py, e))),
        };
        let views = self.views.clone();
        let finish = move |py: Python<'_>, (html, key, logic): (String, (String, String), Option<PyView>)| {
            if let Some(logic) = logic {
                views.lock().expect("views lock").components.insert(key, Arc::new(logic));
            }
            Ok(PyString::new(py, &html).into_any().unbind())
        };
        let lane = self.lock().python.get(&view_id).map(|v| v.lane().clone()).unwrap_or_default();
        let parent = self.lock().python.get(&view_id).cloned();
        let registered_as = component_id.clone();
        let request = move |props, logic| {
            let request = ComponentRequest::new(component_id.clone(), template_string, props);
            let key = (view_id.clone(), component_id.clone());
            async move { Ok((view.create_component(request, Delivery::Wait).await?.await?, key, logic)) }
        };
        let Some(component) = python_component.filter(|c| !c.is_none()) else {
            let rt = system::runtime()?;
            return Ok(bridge::spawn(py, rt, request(props, None), move |py, r| finish(py, r.map_err(|e| errors::to_py(py, e))?)));
        };
        // The component's code (its props, its context) runs on its view's lane.
        let component = component.unbind();
        let initial_props = initial_props.map(Bound::unbind);
        let component_lane = lane.clone();
        let prepare = move |py: Python<'_>| -> PyResult<(Map<String, Value>, Option<PyView>)> {
            if let Some(parent) = &parent {
                // Its parent may forward it new props (`LiveView.update_component`).
                let own = parent.object(py).getattr("__dict__")?;
                let registry = own.call_method1("setdefault", ("_wasmlive_components", pyo3::types::PyDict::new(py)))?;
                registry.set_item(&registered_as, component.bind(py))?;
            }
            let python = PyView::new(component.bind(py), component_lane)?;
            if let Some(p) = &initial_props {
                let c = python.object(py);
                if c.hasattr("update_props")? {
                    c.call_method1("update_props", (p,)).map_err(|e| errors::raised_in_view(py, e, python.path(), "update_props"))?;
                }
            }
            props.extend(python.context(py)?);
            Ok((props, Some(python)))
        };
        in_lane(py, &lane, prepare, move |(props, logic)| request(props, logic), answered, finish)
    }

    /// Send an event to a component; gives its patches (`component_id`
    /// set), or the parent's when the component messaged its parent.
    #[pyo3(signature = (view_id, component_id, event_name, params=None))]
    fn component_event(
        slf: &Bound<'_, Self>,
        view_id: String,
        component_id: String,
        event_name: &str,
        params: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        match slf.get().checked(py, event_name, params.as_ref()) {
            Ok(params) => Session::send_component_event(slf, view_id, component_id, event_name, params, Output::Dict),
            Err(e) => Ok(Py::new(py, Reply::failed(e))?.into_any()),
        }
    }

    /// (internal) After a Python component's coroutine handler ran (on the
    /// caller's loop): the rest of its round (see `component_round`).
    #[pyo3(signature = (view_id, component_id, frame=false, reference=None))]
    fn _component_synced(
        &self,
        py: Python<'_>,
        view_id: String,
        component_id: String,
        frame: bool,
        reference: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Reply> {
        self.component_round(py, view_id, component_id, None, output(frame, reference.as_ref())?)
    }

    /// Give a component new props (merged into its state); gives its patches.
    #[pyo3(signature = (view_id, component_id, props))]
    fn update_component_props(&self, py: Python<'_>, view_id: String, component_id: String, props: Bound<'_, PyAny>) -> PyResult<Reply> {
        let mut props = self.params(Some(&props))?;
        let python = self.lock().components.get(&(view_id.clone(), component_id.clone())).cloned();
        if let Some(python) = python {
            let object = python.object(py);
            if object.hasattr("update_props")? {
                object.call_method1("update_props", (convert::dict(py, &props)?,))?;
            }
            props = python.context(py)?;
        }
        self.ordered(py, Request::UpdateProps(ComponentProps { component_id, props }), Some(view_id), Output::Dict)
    }

    /// Remove a component from its view. Awaitable.
    fn remove_component(&self, py: Python<'_>, view_id: String, component_id: String) -> PyResult<Reply> {
        let view = {
            let mut views = self.lock();
            views.components.shift_remove(&(view_id.clone(), component_id.clone()));
            if let Some(parent) = views.python.get(&view_id)
                && let Ok(registry) = parent.object(py).getattr("_wasmlive_components")
            {
                let _ = registry.del_item(&component_id);
            }
            views.handle(Some(&view_id))
        };
        let view = match view {
            Ok(view) => view,
            Err(e) => return Ok(Reply::failed(errors::to_py(py, e))),
        };
        let rt = system::runtime()?;
        Ok(bridge::spawn(py, rt, async move { view.remove_component(&component_id, Delivery::Wait).await?.await }, |py, r| {
            r.map_err(|e| errors::to_py(py, e)).map(|()| py.None())
        }))
    }
}

impl Session {
    /// A component event whose name and params were checked: to the
    /// component's actor, or through its Python handler on the view's lane.
    pub(super) fn send_component_event(
        slf: &Bound<'_, Self>,
        view_id: String,
        component_id: String,
        event_name: &str,
        params: Map<String, Value>,
        out: Output,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let failed = |e: PyErr| -> PyResult<Py<PyAny>> { Ok(Py::new(py, Reply::failed(e))?.into_any()) };
        let python = this.lock().components.get(&(view_id.clone(), component_id.clone())).cloned();
        let Some(python) = python else {
            // A component without Python logic: its actor merges the params.
            let request = Request::ComponentEvent(ComponentEvent::new(component_id, event_name, params));
            let reply = this.ordered(py, request, Some(view_id), out)?;
            return Ok(Py::new(py, reply)?.into_any());
        };
        if let Err(e) = python.check(py, event_name) {
            return failed(e);
        }
        if !python.is_coroutine(event_name) {
            let round = this.component_round(py, view_id, component_id, Some((event_name.to_string(), params)), out)?;
            return Ok(Py::new(py, round)?.into_any());
        }
        // A coroutine handler: awaited on the caller's loop by the Python
        // helper, which then finishes the round (`_component_synced`).
        let (frame, reference) = out.for_python(py)?;
        let kwargs = convert::dict(py, &params)?;
        let coroutine = match python.object(py).call_method(event_name, (), Some(&kwargs)) {
            Ok(c) => c,
            Err(e) => return failed(errors::raised_in_view(py, e, python.path(), event_name)),
        };
        Ok(helper(py, "after_component_coroutine")?
            .call1((slf, view_id, component_id, coroutine, python.path(), event_name, frame, reference))?
            .unbind())
    }

    /// A Python component's round, on its view's lane: its handler `event`
    /// (unless it ran already), the messages it sent its parent (each a
    /// declared handler of the parent, run in order), then its new context
    /// to its actor, and the parent's new context to the parent's when it
    /// was messaged. Gives the component's render, or both (two frames; or
    /// the parent's dict with the component's under `"component"`).
    fn component_round(
        &self,
        py: Python<'_>,
        view_id: String,
        component_id: String,
        event: Option<(String, Map<String, Value>)>,
        out: Output,
    ) -> PyResult<Reply> {
        let (component, parent, view) = {
            let views = self.lock();
            let component = views.components.get(&(view_id.clone(), component_id.clone())).cloned();
            let component = component.ok_or_else(|| errors::to_py(py, ActorError::ComponentNotFound(component_id.clone())))?;
            let view = views.handle(Some(&view_id)).map_err(|e| errors::to_py(py, e))?;
            (component, views.python.get(&view_id).cloned(), view)
        };
        let limits = self.system.settings.params;
        let parent_id = view_id.clone();
        let lane = component.lane().clone();
        let prepare = move |py: Python<'_>| -> PyResult<(Map<String, Value>, Option<Update>)> {
            if let Some((name, params)) = &event {
                call_handler(component.object(py), name, params).map_err(|e| errors::raised_in_view(py, e, component.path(), name))?;
            }
            let props = component.context(py)?;
            let messages = take_messages(component.object(py))?;
            if messages.is_empty() {
                return Ok((props, None));
            }
            let parent = parent.ok_or_else(|| errors::to_py(py, ActorError::ViewNotFound(parent_id)))?;
            let place = format!("parent of {}", component.path());
            for (name, data) in messages {
                parent.check(py, &name)?;
                let params = convert::params(&data, limits).map_err(errors::InvalidParamsError::new_err)?;
                call_handler(parent.object(py), &name, &params).map_err(|e| errors::raised_in_view(py, e, &place, &name))?;
            }
            Ok((props, Some(parent.update(py)?)))
        };
        let deliver = move |(props, parent): (Map<String, Value>, Option<Update>)| async move {
            let component = view.update_component_props(ComponentProps { component_id, props }, Delivery::Wait).await?;
            let parent = match parent {
                Some(state) => Some(view.set_state(state, Delivery::Wait).await?),
                None => None,
            };
            Ok((component, parent))
        };
        let answer = |(component, parent): (Pending<Rendered>, Option<Pending<Rendered>>)| async move {
            let component = component.await?;
            let parent = match parent {
                Some(p) => Some(p.await?),
                None => None,
            };
            Ok((component, parent))
        };
        let finish = move |py: Python<'_>, (component, parent): (Rendered, Option<Rendered>)| {
            let component = rendered_to_py(py, component, Some(&view_id), &out)?;
            let Some(parent) = parent else { return Ok(component) };
            let parent = rendered_to_py(py, parent, Some(&view_id), &out)?;
            match out {
                // Two frames: the component's patches, then the parent's.
                Output::Frame { .. } => Ok(PyList::new(py, [component, parent])?.into_any().unbind()),
                Output::Dict => {
                    parent.bind(py).set_item("component", component)?;
                    Ok(parent)
                }
            }
        };
        in_lane(py, &lane, prepare, deliver, answer, finish)
    }
}

/// The messages a component queued for its parent (`send_parent`), taken.
fn take_messages<'py>(component: &Bound<'py, PyAny>) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
    let Ok(outbox) = component.getattr("_wasmlive_outbox") else { return Ok(Vec::new()) };
    let messages: Vec<(String, Bound<'py, PyAny>)> = outbox.extract()?;
    if !messages.is_empty() {
        outbox.call_method0("clear")?;
    }
    Ok(messages)
}
