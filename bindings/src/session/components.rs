//! Live components of a session's views: created, given events and props,
//! removed. A Python component's code runs on its view's lane.

use super::Session;
use super::lane::{answered, in_lane};
use super::ordered::Request;
use super::output::{Output, output, rendered_to_py};
use crate::pyview::{PyView, context_of};
use super::helper;
use crate::bridge::{self, Reply};
use crate::convert;
use crate::errors;
use crate::system;
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::sync::Arc;
use serde_json::{Map, Value};
use wasmlive::actors::{ActorError, ComponentEvent, ComponentProps, ComponentRequest, Delivery, Pending};

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

    /// (internal) Push a Python component's new context to its actor.
    #[pyo3(signature = (view_id, component_id, frame=false, reference=None))]
    fn _sync_component(
        &self,
        py: Python<'_>,
        view_id: String,
        component_id: String,
        frame: bool,
        reference: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Reply> {
        let python = match self.lock().components.get(&(view_id.clone(), component_id.clone())) {
            Some(python) => python.clone(),
            None => return Err(errors::to_py(py, ActorError::ComponentNotFound(component_id))),
        };
        let lane = python.lane().clone();
        let out = output(frame, reference.as_ref())?;
        let view = self.lock().handle(Some(&view_id)).map_err(|e| errors::to_py(py, e))?;
        in_lane(
            py,
            &lane,
            move |py| python.context(py),
            move |props| async move { view.update_component_props(ComponentProps { component_id, props }, Delivery::Wait).await },
            Pending::answer,
            move |py, rendered| rendered_to_py(py, rendered, Some(&view_id), &out),
        )
    }

    /// (internal) Check and run a parent view's handler for a component's
    /// message; gives what the handler returned (maybe a coroutine).
    fn _parent_handler(&self, py: Python<'_>, view_id: String, event_name: &str, data: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let python = match self.lock().python.get(&view_id) {
            Some(python) => python.clone(),
            None => return Err(errors::to_py(py, ActorError::ViewNotFound(view_id))),
        };
        python.check(py, event_name)?;
        let object = python.object(py);
        let params = self.params(Some(&data))?;
        let kwargs = convert::dict(py, &params)?;
        Ok(object.call_method(event_name, (), Some(&kwargs))?.unbind())
    }

    /// Give a component new props (merged into its state); gives its patches.
    #[pyo3(signature = (view_id, component_id, props))]
    fn update_component_props(&self, py: Python<'_>, view_id: String, component_id: String, props: Bound<'_, PyAny>) -> PyResult<Reply> {
        let mut props = self.params(Some(&props))?;
        if let Some(logic) = self.lock().components.get(&(view_id.clone(), component_id.clone())) {
            let object = logic.object(py);
            if object.hasattr("update_props")? {
                object.call_method1("update_props", (convert::dict(py, &props)?,))?;
            }
            props = context_of(object)?;
        }
        self.ordered(py, Request::UpdateProps(ComponentProps { component_id, props }), Some(view_id), Output::Dict)
    }

    /// Remove a component from its view. Awaitable.
    fn remove_component(&self, py: Python<'_>, view_id: String, component_id: String) -> PyResult<Reply> {
        let view = {
            let mut views = self.lock();
            views.components.shift_remove(&(view_id.clone(), component_id.clone()));
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
        let prepared = (|| -> PyResult<Py<PyAny>> {
            let key = (view_id.clone(), component_id.clone());
            let views = this.lock();
            match views.components.get(&key) {
                Some(logic) => {
                    let object = logic.object(py).clone();
                    logic.check(py, event_name)?;
                    Ok(object.unbind())
                }
                None => Ok(py.None()),
            }
        })();
        let object = match prepared {
            Ok(p) => p,
            Err(e) => return Ok(Py::new(py, Reply::failed(e))?.into_any()),
        };
        if object.is_none(py) {
            // A component without Python logic: its actor merges the params.
            let request = Request::ComponentEvent(ComponentEvent::new(component_id, event_name, params));
            let reply = this.ordered(py, request, Some(view_id), out)?;
            return Ok(Py::new(py, reply)?.into_any());
        }
        let (frame, reference) = match &out {
            Output::Frame { reference } => (true, reference.as_ref().map(|r| convert::to_py(py, r)).transpose()?),
            Output::Dict => (false, None),
        };
        // The Python helper runs the round (the handler, messages to the
        // parent, the syncs) on the view's lane, awaiting coroutines on this loop.
        let kwargs = convert::dict(py, &params)?;
        Ok(helper(py, "component_event")?
            .call1((slf, view_id, component_id, object.bind(py), event_name, kwargs, frame, reference))?
            .unbind())
    }
}
