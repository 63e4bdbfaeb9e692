//! The event path: checks in Rust, then the Python handler (if any) on the
//! view's lane, then the actor; and `answer`, a transport's frame routed.

use super::Session;
use super::helper;
use super::lane::{deliver_state, in_lane};
use super::ordered::Request;
use super::output::{Output, rendered_to_py};
use crate::bridge::Reply;
use crate::convert;
use crate::errors;
use crate::protocol::Frame;
use crate::system;
use pyo3::exceptions::PyValueError;
use wasmlive::protocol::{Request as Asked, ServerFrame};
use crate::bridge;
use pyo3::prelude::*;
use serde_json::{Map, Value};
use wasmlive::actors::{ActorError, Delivery, Event, Pending};

impl Session {
    /// The event path: checks in Rust, then the Python handler (if any)
    /// on this thread, then the actor.
    /// `params` are checked already (the protocol, or `event`).
    pub(super) fn dispatch(slf: &Bound<'_, Self>, event: &str, params: Map<String, Value>, view_id: Option<String>, out: Output) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let failed = |e: PyErr| -> PyResult<Py<PyAny>> { Ok(Py::new(py, Reply::failed(e))?.into_any()) };
        let target = this.target(view_id.clone());
        let python = target.as_ref().and_then(|id| this.lock().python.get(id).cloned());
        let Some(python) = python else {
            // No Python logic: the view actor runs the event (or answers "not found").
            let reply = this.ordered(py, Request::Event(Event::new(event, params)), target.or(view_id), out)?;
            return Ok(Py::new(py, reply)?.into_any());
        };
        if let Err(e) = python.check(py, event) {
            return failed(e);
        }
        let target = target.expect("a Python view has an id");
        if !python.is_coroutine(event) {
            // A plain handler: it and the context run on the view's lane.
            return match this.sync_view(py, &target, Some((event.to_string(), params)), out) {
                Ok(reply) => Ok(Py::new(py, reply)?.into_any()),
                Err(e) => failed(e),
            };
        }
        // A coroutine handler: awaited here, on the caller's loop, by the
        // Python helper; then the context is taken on the lane.
        let kwargs = convert::dict(py, &params)?;
        let coroutine = match python.object(py).call_method(event, (), Some(&kwargs)) {
            Ok(c) => c,
            Err(e) => return failed(errors::raised_in_view(py, e, python.path(), event)),
        };
        let (frame, reference) = out.for_python(py)?;
        Ok(helper(py, "after_coroutine")?.call1((slf, &target, coroutine, python.path(), event, frame, reference))?.unbind())
    }

    /// Run a Python view's handler `event` (if any) on its lane, then hand
    /// its new context to its actor: render and diff.
    pub(super) fn sync_view(&self, py: Python<'_>, view_id: &str, event: Option<(String, Map<String, Value>)>, output: Output) -> PyResult<Reply> {
        let (python, view) = {
            let views = self.lock();
            match (views.python.get(view_id), views.mounted.get(view_id)) {
                (Some(python), Some(view)) => (python.clone(), view.clone()),
                _ => return Err(errors::to_py(py, ActorError::ViewNotFound(view_id.to_string()))),
            }
        };
        let lane = python.lane().clone();
        let out_id = view_id.to_string();
        in_lane(
            py,
            &lane,
            move |py| python.run(py, event.as_ref().map(|(name, params)| (name.as_str(), params))),
            move |state| deliver_state(view, state),
            Pending::answer,
            move |py, rendered| rendered_to_py(py, rendered, Some(&out_id), &output),
        )
    }
}

#[pymethods]
impl Session {
    /// Send an event; gives `{"patches": [...], "version", "view_id"}`.
    /// Goes to the first mounted view when `view_id` is `None`.
    #[pyo3(signature = (event_name, params=None, view_id=None))]
    fn event(slf: &Bound<'_, Self>, event_name: &str, params: Option<Bound<'_, PyAny>>, view_id: Option<String>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        match slf.get().checked(py, event_name, params.as_ref()) {
            Ok(params) => Session::dispatch(slf, event_name, params, view_id, Output::Dict),
            Err(e) => Ok(Py::new(py, Reply::failed(e))?.into_any()),
        }
    }

    /// Answer a transport's `event`, `resync`, `ping` or `resume` frame (from
    /// `read_frame`, which checked it): gives the frame text to send (a
    /// list of two for a component that messaged its parent). Raises what
    /// failed, for the transport to answer with an `error` frame.
    fn answer(slf: &Bound<'_, Self>, frame: &Bound<'_, Frame>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let frame = &frame.get().frame;
        let out = Output::Frame { reference: frame.reference.clone() };
        let view_id = frame.view_id.clone();
        match &frame.request {
            Asked::Event(e) => match (&e.component_id, view_id) {
                (Some(component), Some(view)) => Session::send_component_event(slf, view, component.clone(), &e.name, e.params.clone(), out),
                (_, view_id) => Session::dispatch(slf, &e.name, e.params.clone(), view_id, out),
            },
            Asked::Resync => Ok(Py::new(py, slf.get().render_as(py, view_id, out)?)?.into_any()),
            Asked::Ping => {
                let handle = slf.get().handle.clone();
                let reference = frame.reference.clone();
                let reply = bridge::spawn(py, system::runtime()?, async move { handle.ping(Delivery::FailFast).await?.await }, move |py, r| {
                    r.map_err(|e| errors::to_py(py, e))?;
                    Ok(pyo3::types::PyString::new(py, &ServerFrame::Pong { reference }.to_text()).into_any().unbind())
                });
                Ok(Py::new(py, reply)?.into_any())
            }
            // Its `mounted` frames carry no token: a client resumes only by
            // mistake, and mounts afresh on this answer.
            Asked::Resume(_) => {
                let text = ServerFrame::resume_failed(view_id.unwrap_or_default(), frame.reference.clone()).to_text();
                // Awaited like every answer.
                let reply = bridge::spawn(py, system::runtime()?, async { Ok::<(), ActorError>(()) }, move |py, r| {
                    r.map_err(|e| errors::to_py(py, e))?;
                    Ok(pyo3::types::PyString::new(py, &text).into_any().unbind())
                });
                Ok(Py::new(py, reply)?.into_any())
            }
            Asked::Mount(_) | Asked::Claim => Err(PyValueError::new_err("a mount or claim frame is answered by its transport")),
        }
    }
}
