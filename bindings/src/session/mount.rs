//! Mounting a view: its code (instantiated by path, its context, its
//! template) on its lane, then the actor.

use super::Session;
use super::helper;
use super::lane::{answered, in_lane};
use crate::info::InfoOnLane;
use crate::pyview::{PyView, QueuedEvent};
use crate::bridge::{self, Reply};
use crate::convert;
use crate::engines;
use crate::errors;
use crate::push::Pusher;
use crate::services::PythonServices;
use crate::system;
use crate::threads::Lane;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::Arc;
use wasmlive::actors::{ActorError, ClientEvent, Delivery, MountRequest, Mounted, TemplateSource, Update};
use wasmlive::engine_host::{HostServices, StandaloneServices};

#[pymethods]
impl Session {
    /// Mount a view; gives `{"html", "session_id", "view_id", "version"}`.
    ///
    /// With `python_view`, that object's handlers (`@event_handler`) and
    /// `get_context_data()` drive the view; its template is `template`, or
    /// its own `template` (source) or `template_name`. Without it,
    /// `view_path` must name a registered LiveView class (it is
    /// instantiated and mounted with `params`), or `template` be given
    /// (then events merge their params into the state).
    #[pyo3(signature = (view_path, params=None, python_view=None, template=None, template_dirs=None, language=None, template_engine=None, vdom_engine=None))]
    #[allow(clippy::too_many_arguments)]
    fn mount(
        slf: &Bound<'_, Self>,
        view_path: String,
        params: Option<Bound<'_, PyAny>>,
        python_view: Option<Bound<'_, PyAny>>,
        template: Option<String>,
        template_dirs: Option<Vec<PathBuf>>,
        language: Option<String>,
        template_engine: Option<PathBuf>,
        vdom_engine: Option<PathBuf>,
    ) -> PyResult<Reply> {
        let py = slf.py();
        let this = slf.get();
        let params = match &params {
            Some(p) if !p.is_none() => p.clone().unbind(),
            _ => PyDict::new(py).into_any().unbind(),
        };
        let python_view = python_view.filter(|v| !v.is_none()).map(Bound::unbind);
        let system = this.system.clone();
        let handle = this.handle.clone();
        let views = this.views.clone();
        let runs_view_code = python_view.is_some() || template.is_none();
        let outbound = this.outbound.lock().expect("outbound lock").clone();
        let lane = Lane::new();
        let view_lane = lane.clone();
        // Everything that may run the view's own code: instantiating and
        // mounting it by path, its context, its template.
        let prepare = move |py: Python<'_>| -> PyResult<(MountRequest, Option<Arc<PyView>>, Vec<ClientEvent>)> {
            let params = params.bind(py);
            let mut python_view = python_view.map(|v| v.into_bound(py));
            if python_view.is_none() && template.is_none() {
                // Only registered LiveView classes, never an arbitrary import.
                python_view = Some(helper(py, "instantiate")?.call1((view_path.as_str(), params))?);
            }
            let backend = system::backend();
            let language = match language {
                Some(l) => l,
                None => helper(py, "current_language")?.call0()?.extract()?,
            };
            let services: Arc<dyn HostServices> = match (&template_dirs, &backend) {
                (Some(dirs), _) => Arc::new(StandaloneServices::with_template_dirs(dirs.clone())),
                (None, Some(backend)) => Arc::new(PythonServices { backend: backend.clone(), language }),
                (None, None) => Arc::new(StandaloneServices::default()),
            };
            let (state, logic, events) = match &python_view {
                Some(view) => {
                    let python = Arc::new(PyView::new(view, view_lane)?);
                    let Update { state, events, .. } = python.update(py)?;
                    (state, Some(python), events)
                }
                None => {
                    let state = convert::params(params, system.settings.params).map_err(errors::InvalidParamsError::new_err)?;
                    (state, None, Vec::new())
                }
            };
            let source = match (template, &python_view) {
                (Some(source), _) => TemplateSource::Loaded { name: view_path.clone(), source },
                (None, Some(view)) => view_template(view, &view_path, &template_dirs, services.as_ref())?,
                (None, None) => unreachable!("a view without template was instantiated above"),
            };
            // Engines named by the call, else by the view (`template_engine` / `vdom_engine`).
            let (template_engine, vdom_engine) = match &python_view {
                Some(view) => (
                    template_engine.or(engines::attr(view, "template_engine")?),
                    vdom_engine.or(engines::attr(view, "vdom_engine")?),
                ),
                None => (template_engine, vdom_engine),
            };
            let mut request = MountRequest::new(view_path, source).params(state).services(services);
            request.outbound = outbound;
            if let Some(engines) = engines::for_view(&system, template_engine, vdom_engine)? {
                request = request.engines(engines);
            }
            if let Some(python) = &logic {
                // What the view is told runs on its lane, like its handlers.
                request = request.logic(InfoOnLane::new(python.clone()));
            }
            Ok((request, logic, events))
        };
        let deliver = move |(request, logic, events): (MountRequest, Option<Arc<PyView>>, Vec<ClientEvent>)| async move {
            Ok((handle.mount(request, Delivery::Wait).await?.await?, logic, events))
        };
        let finish = move |py: Python<'_>, (mounted, logic, events): (Mounted, Option<Arc<PyView>>, Vec<ClientEvent>)| {
            let mut views = views.lock().expect("views lock");
            views.mounted.insert(mounted.view_id.clone(), mounted.view.clone());
            if let Some(logic) = logic {
                // How the view pushes (`wasmlive.push_render`).
                let pusher = Pusher::new(mounted.view.downgrade(), logic.lane().clone(), logic.path().to_string());
                logic.object(py).setattr("_wasmlive_pusher", Py::new(py, pusher)?)?;
                views.python.insert(mounted.view_id.clone(), logic);
            }
            let d = PyDict::new(py);
            if !events.is_empty() {
                let queued = events.into_iter().map(|e| Py::new(py, QueuedEvent(e))).collect::<PyResult<Vec<_>>>()?;
                d.set_item("events", queued)?;
            }
            d.set_item("html", &mounted.html)?;
            d.set_item("session_id", &mounted.session_id)?;
            d.set_item("view_id", &mounted.view_id)?;
            d.set_item("version", mounted.version)?;
            Ok(d.into_any().unbind())
        };
        if runs_view_code {
            return in_lane(py, &lane, prepare, deliver, answered, finish);
        }
        // A template and params only: nothing of the view's own to run.
        let made = match prepare(py) {
            Ok(made) => made,
            Err(e) => return Ok(Reply::failed(e)),
        };
        let rt = system::runtime()?;
        Ok(bridge::spawn(py, rt, deliver(made), move |py, result| {
            let made = result.map_err(|e| errors::to_py(py, e))?;
            finish(py, made)
        }))
    }
}

/// A Python view's template: its `template` source, or its
/// `template_name` loaded through the view's services on this thread.
fn view_template(
    view: &Bound<'_, PyAny>,
    view_path: &str,
    template_dirs: &Option<Vec<PathBuf>>,
    services: &dyn HostServices,
) -> PyResult<TemplateSource> {
    let py = view.py();
    if let Ok(source) = view.getattr("template") {
        if !source.is_none() {
            return Ok(TemplateSource::Loaded { name: format!("{view_path} (template)"), source: source.extract()? });
        }
    }
    let name: String = match view.getattr("template_name") {
        Ok(n) if !n.is_none() => n.extract()?,
        _ => {
            return Err(errors::to_py(
                py,
                ActorError::Template(wasmlive::engine_host::TemplateError {
                    kind: wasmlive::engine_host::TemplateErrorKind::TemplateNotFound,
                    message: format!("{view_path} sets neither `template` nor `template_name`"),
                    template: view_path.to_string(),
                    line: 0,
                    column: 0,
                }),
            ));
        }
    };
    let loaded = match (template_dirs, system::backend()) {
        (None, Some(backend)) => backend.load_template_with(py, &name),
        _ => services.load_template(&name),
    };
    match loaded {
        Ok(source) => Ok(TemplateSource::Loaded { name, source }),
        Err(message) => Err(errors::to_py(
            py,
            ActorError::Template(wasmlive::engine_host::TemplateError {
                kind: wasmlive::engine_host::TemplateErrorKind::TemplateNotFound,
                message,
                template: name,
                line: 0,
                column: 0,
            }),
        )),
    }
}

