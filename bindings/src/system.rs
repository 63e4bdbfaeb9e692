//! The process's actor system as Python sees it: one Tokio runtime and one
//! supervisor, started at first use with the settings `configure()` set.

use crate::bridge::{self, Reply};
use crate::convert::ParamLimits;
use crate::services::Backend;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use wasmlive::actors::{ActorConfig, ActorSupervisor};
use wasmlive::engine_host::GuestLimits;
use wasmlive::pubsub::PubSubConfig;
use wasmlive::runtime::{RuntimeConfig, MAX_SPIN_BEFORE_PARK_US as MAX_WORKER_SPIN_US};

/// Everything `configure()` sets.
#[derive(Clone)]
pub struct Settings {
    pub actors: ActorConfig,
    pub params: ParamLimits,
    /// The Tokio runtime's workers and their spin before parking.
    pub runtime: RuntimeConfig,
    /// Limits of the engines named here (by canonical path), over the
    /// `guest_*` ones (`engine_limits`).
    pub engine_limits: HashMap<PathBuf, GuestLimits>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            actors: ActorConfig::default(),
            params: ParamLimits::default(),
            runtime: RuntimeConfig {
                worker_threads: Some(wasmlive::runtime::available_cores().min(8)),
                ..RuntimeConfig::default()
            },
            engine_limits: HashMap::new(),
        }
    }
}

/// The running system.
pub struct System {
    pub supervisor: Arc<ActorSupervisor>,
    pub settings: Settings,
}

static SETTINGS: Mutex<Option<Settings>> = Mutex::new(None);
static SYSTEM: Mutex<Option<Arc<System>>> = Mutex::new(None);
static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
static BACKEND: Mutex<Option<Arc<Backend>>> = Mutex::new(None);

pub fn settings() -> Settings {
    SETTINGS.lock().expect("settings lock").clone().unwrap_or_default()
}

/// The Tokio runtime (one per process; its size is fixed at first use).
pub fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = settings()
        .runtime
        .build("wasmlive-actor")
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the Tokio runtime: {e}")))?;
    Ok(RUNTIME.get_or_init(|| rt))
}

/// How long an idle Tokio worker waits for work before it parks, in µs, as
/// the runtime is (or will be) built. Not public API: the tests read it.
#[pyfunction(name = "_worker_spin_us")]
pub fn worker_spin_us() -> u64 {
    settings().runtime.spin_before_park.as_micros() as u64
}

/// The running system, started now if it is not.
pub fn system() -> PyResult<Arc<System>> {
    let mut slot = SYSTEM.lock().expect("system lock");
    if let Some(system) = slot.as_ref() {
        return Ok(system.clone());
    }
    let settings = settings();
    let rt = runtime()?;
    let _guard = rt.enter();
    let supervisor = ActorSupervisor::start(settings.actors.clone())
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the actor system: {e}")))?;
    let system = Arc::new(System { supervisor, settings });
    *slot = Some(system.clone());
    Ok(system)
}

/// Every `LIVEVIEW_CONFIG` key with its default, in the reference's order
/// (the host's `settings::DEFAULTS`; `None` where it is computed at startup).
#[pyfunction]
pub fn setting_defaults(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    use wasmlive::settings::{DEFAULTS, Default};
    let d = PyDict::new(py);
    for (key, default) in DEFAULTS {
        match *default {
            Default::Bool(b) => d.set_item(key, b)?,
            Default::Int(i) => d.set_item(key, i)?,
            Default::Float(f) => d.set_item(key, f)?,
            Default::Computed => d.set_item(key, py.None())?,
            Default::EmptyList => d.set_item(key, pyo3::types::PyList::empty(py))?,
            Default::EmptyDict => d.set_item(key, PyDict::new(py))?,
        }
    }
    Ok(d)
}

/// The Python host services set by `set_services`, if any.
pub fn backend() -> Option<Arc<Backend>> {
    BACKEND.lock().expect("backend lock").clone()
}

/// Use `services` (an object with `load_template`, `reverse_url`,
/// `static_url`, `translate`, `translate_plural`, `now`) for the imports of
/// every view mounted from now on without `template_dirs`; `None` goes back
/// to the standalone services.
#[pyfunction]
#[pyo3(signature = (services))]
pub fn set_services(services: Option<Py<PyAny>>) {
    *BACKEND.lock().expect("backend lock") = services.map(Backend::new);
}

/// Forget cached template sources, URLs and translations.
#[pyfunction]
pub fn clear_caches() {
    if let Some(b) = backend() {
        b.clear();
    }
}

/// Set the actor system's configuration. Takes effect for a system started
/// afterwards: call it before the first session, or after
/// `shutdown_actor_system()`. Unknown keys are refused.
#[pyfunction]
#[pyo3(signature = (**options))]
pub fn configure(options: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
    if SYSTEM.lock().expect("system lock").is_some() {
        return Err(PyRuntimeError::new_err(
            "the actor system is running: call configure() before the first session, or after shutdown_actor_system()",
        ));
    }
    let mut s = settings();
    let Some(options) = options else { return Ok(()) };
    // Read last: its missing keys default to the `guest_*` settings.
    let mut pending_engine_limits = None;
    for (key, value) in options.iter() {
        let key: String = key.extract()?;
        let secs = |v: &Bound<'_, PyAny>| -> PyResult<Duration> {
            let f: f64 = v.extract()?;
            Duration::try_from_secs_f64(f).map_err(|_| PyValueError::new_err(format!("{key} must be a non-negative number of seconds")))
        };
        let count = |v: &Bound<'_, PyAny>| -> PyResult<usize> {
            let n: usize = v.extract()?;
            if n == 0 {
                return Err(PyValueError::new_err(format!("{key} must be at least 1")));
            }
            Ok(n)
        };
        match key.as_str() {
            "ttl_secs" | "actor_ttl_seconds" | "session_ttl" => s.actors.session_ttl = secs(&value)?,
            "cleanup_interval" => s.actors.cleanup_interval = secs(&value)?,
            "health_check_interval" => s.actors.health_check_interval = secs(&value)?,
            "health_check_timeout" => s.actors.health_check_timeout = secs(&value)?,
            "message_timeout" => s.actors.message_timeout = secs(&value)?,
            "shutdown_timeout" => s.actors.shutdown_timeout = secs(&value)?,
            "release_memory_after" => {
                s.actors.engine.release_memory_after = if value.is_none() { None } else { Some(secs(&value)?) }
            }
            "session_mailbox" | "session_channel_capacity" => s.actors.session_mailbox = count(&value)?,
            "view_mailbox" | "view_channel_capacity" => s.actors.view_mailbox = count(&value)?,
            "component_mailbox" | "component_channel_capacity" => s.actors.component_mailbox = count(&value)?,
            "guest_memory_bytes" => s.actors.guest_limits.memory_bytes = count(&value)?,
            "guest_deadline" => s.actors.guest_limits.deadline = secs(&value)?,
            "guest_output_bytes" => s.actors.guest_limits.output_bytes = count(&value)?,
            "guest_quarantine_after" => s.actors.engine.quarantine.after_faults = value.extract()?,
            "guest_quarantine_seconds" => s.actors.engine.quarantine.first = secs(&value)?,
            "guest_quarantine_max_seconds" => s.actors.engine.quarantine.longest = secs(&value)?,
            "engine_limits" => pending_engine_limits = Some(value.clone()),
            "max_param_depth" => s.params.depth = count(&value)?,
            "max_param_items" => s.params.items = count(&value)?,
            "max_param_bytes" => s.params.bytes = count(&value)?,
            "bridge_spin_us" => bridge::set_spin(Duration::from_micros(value.extract()?)),
            "worker_threads" => s.runtime.worker_threads = Some(count(&value)?),
            "worker_spin_us" if value.is_none() => s.runtime.spin_before_park = RuntimeConfig::default().spin_before_park,
            "worker_spin_us" => {
                let us: u64 = value.extract().ok().filter(|us| *us <= MAX_WORKER_SPIN_US).ok_or_else(|| {
                    PyValueError::new_err(format!(
                        "{key} must be None or a whole number of microseconds from 0 to {MAX_WORKER_SPIN_US}"
                    ))
                })?;
                s.runtime.spin_before_park = Duration::from_micros(us);
            }
            "pubsub" => s.actors.pubsub = pubsub_config(&value)?,
            "use_actors" => {}
            other => return Err(PyValueError::new_err(format!("unknown actor system setting `{other}`"))),
        }
    }
    if let Some(value) = pending_engine_limits {
        s.engine_limits = engine_limits(&value, s.actors.guest_limits)?;
    }
    check_runtime_unchanged(&s.runtime)?;
    *SETTINGS.lock().expect("settings lock") = Some(s);
    Ok(())
}

/// `LIVEVIEW_CONFIG["pubsub"]`: `{"redis_url", "stream_len", "max_message_bytes"}`, each optional.
fn pubsub_config(value: &Bound<'_, PyAny>) -> PyResult<PubSubConfig> {
    let mut config = PubSubConfig::default();
    if value.is_none() {
        return Ok(config);
    }
    let options = value.cast::<PyDict>().map_err(|_| PyValueError::new_err("pubsub must be a dict: {\"redis_url\": \"redis://…\"}"))?;
    for (key, value) in options.iter() {
        let key: String = key.extract()?;
        let whole = |minimum: usize| -> PyResult<usize> {
            value.extract::<usize>().ok().filter(|n| *n >= minimum).ok_or_else(|| PyValueError::new_err(format!("pubsub['{key}'] must be a whole number >= {minimum}")))
        };
        match key.as_str() {
            "redis_url" if value.is_none() => config.redis_url = None,
            "redis_url" => {
                let url: String = value.extract().map_err(|_| PyValueError::new_err("pubsub['redis_url'] must be a redis:// URL or None"))?;
                config.redis_url = Some(url);
            }
            "stream_len" => config.stream_len = whole(1)?,
            "max_message_bytes" => config.max_message_bytes = whole(64)?,
            other => {
                return Err(PyValueError::new_err(format!("unknown pubsub setting `{other}`; known: redis_url, stream_len, max_message_bytes")));
            }
        }
    }
    Ok(config)
}

/// Use `config` for the runtime (the CLI's `--worker-threads` and
/// `--worker-spin-us`), unless it is running already with another one.
pub fn set_runtime(config: RuntimeConfig) -> PyResult<()> {
    check_runtime_unchanged(&config)?;
    let mut slot = SETTINGS.lock().expect("settings lock");
    slot.get_or_insert_with(Settings::default).runtime = config;
    Ok(())
}

fn check_runtime_unchanged(config: &RuntimeConfig) -> PyResult<()> {
    if RUNTIME.get().is_some() && *config != settings().runtime {
        return Err(PyRuntimeError::new_err(
            "worker_threads and worker_spin_us are fixed once the runtime has started",
        ));
    }
    Ok(())
}

/// `{"path/to/engine.wasm": {"memory_bytes": …, "deadline": …, "output_bytes": …}}`:
/// each engine file's limits, missing keys taken from `base`.
fn engine_limits(value: &Bound<'_, PyAny>, base: GuestLimits) -> PyResult<HashMap<PathBuf, GuestLimits>> {
    let bad = |why: String| PyValueError::new_err(format!("engine_limits: {why}"));
    let map = value
        .cast::<PyDict>()
        .map_err(|_| bad("expected a dict of engine file path to a dict of limits".into()))?;
    let mut out = HashMap::new();
    for (path, limits) in map.iter() {
        let path: PathBuf = path.extract().map_err(|_| bad("keys are engine file paths".into()))?;
        let canonical = std::fs::canonicalize(&path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        let limits = limits
            .cast::<PyDict>()
            .map_err(|_| bad(format!("{}: expected a dict of limits", path.display())))?;
        let mut l = base;
        for (key, v) in limits.iter() {
            let key: String = key.extract()?;
            let positive = |v: &Bound<'_, PyAny>| -> PyResult<usize> {
                match v.extract::<usize>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(bad(format!("{}: {key} must be a positive integer", path.display()))),
                }
            };
            match key.as_str() {
                "memory_bytes" => l.memory_bytes = positive(&v)?,
                "output_bytes" => l.output_bytes = positive(&v)?,
                "deadline" => {
                    l.deadline = v
                        .extract::<f64>()
                        .ok()
                        .filter(|s| *s > 0.0)
                        .and_then(|s| Duration::try_from_secs_f64(s).ok())
                        .ok_or_else(|| bad(format!("{}: deadline must be a positive number of seconds", path.display())))?
                }
                other => {
                    return Err(bad(format!(
                        "{}: unknown limit `{other}` (known: memory_bytes, deadline, output_bytes)",
                        path.display()
                    )));
                }
            }
        }
        out.insert(canonical, l);
    }
    Ok(out)
}

/// Stop every session (draining queued messages) and the background tasks;
/// the next session starts a fresh system. Awaitable.
#[pyfunction]
pub fn shutdown_actor_system(py: Python<'_>) -> PyResult<Reply> {
    let Some(system) = SYSTEM.lock().expect("system lock").take() else {
        return Ok(Reply::ready(py.None()));
    };
    crate::engines::clear();
    let rt = runtime()?;
    Ok(bridge::spawn(
        py,
        rt,
        async move { system.supervisor.shutdown_all().await },
        |py, report| {
            let d = PyDict::new(py);
            d.set_item("sessions", report.sessions)?;
            d.set_item("drained", report.drained)?;
            Ok(d.into_any().unbind())
        },
    ))
}

/// The actor system's statistics (`get_actor_stats()`).
#[pyclass(module = "wasmlive._host", get_all, frozen)]
pub struct ActorStats {
    pub active_sessions: u64,
    pub active_views: u64,
    pub active_components: u64,
    pub sessions_created: u64,
    pub sessions_expired: u64,
    pub sessions_unhealthy: u64,
    pub session_restarts: u64,
    pub messages_processed: u64,
    pub errors: u64,
    pub guest_restarts: u64,
    pub guest_refusals: u64,
    pub memory_releases: u64,
    /// Views' subscriptions to topics now.
    pub view_subscriptions: u64,
    /// Views' timers running now (`send_after`, `send_every`).
    pub timers: u64,
    /// Times a view fell behind its topics and caught up from their streams.
    pub views_lagged: u64,
    /// The process's PubSub, once started: `{"backplane", "connected",
    /// "published", "delivered", "duplicates", "gaps", "missed", "topics"}`; else None.
    pub pubsub: Option<Py<PyDict>>,
    /// `{"parked", "in_process", "across_processes", "expired", "refused":
    /// {reason: count}, "snapshots": {"saved", "save_failures", "moved",
    /// "claimed", "pending"} or None}`.
    pub resumes: Py<PyDict>,
    /// Per message kind: `{"count", "p50_us", "p95_us", "p99_us"}`.
    pub latency: Py<PyDict>,
    /// `{"session", "view", "component"}`: most messages ever queued at once.
    pub mailbox_high_water: Py<PyDict>,
    pub ttl_secs: u64,
    pub cleanup_interval_secs: u64,
    pub health_check_interval_secs: u64,
    pub running: bool,
}

#[pymethods]
impl ActorStats {
    fn __repr__(&self) -> String {
        format!(
            "ActorStats(active_sessions={}, active_views={}, active_components={}, messages_processed={}, errors={}, guest_restarts={})",
            self.active_sessions, self.active_views, self.active_components, self.messages_processed, self.errors, self.guest_restarts
        )
    }
}

fn resume_stats(py: Python<'_>, r: &wasmlive::actors::ResumeStats) -> PyResult<Py<PyDict>> {
    let d = PyDict::new(py);
    d.set_item("parked", r.parked)?;
    d.set_item("in_process", r.in_process)?;
    d.set_item("across_processes", r.across_processes)?;
    d.set_item("expired", r.expired)?;
    let refused = PyDict::new(py);
    for (why, n) in &r.refused {
        let name = serde_json::to_value(why).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        refused.set_item(name, n)?;
    }
    d.set_item("refused", refused)?;
    let snapshots = match &r.snapshots {
        Some(s) => {
            let sd = PyDict::new(py);
            for (k, v) in [("saved", s.saved), ("save_failures", s.save_failures), ("moved", s.moved), ("claimed", s.claimed), ("pending", s.pending)] {
                sd.set_item(k, v)?;
            }
            Some(sd)
        }
        None => None,
    };
    d.set_item("snapshots", snapshots)?;
    Ok(d.unbind())
}

fn pubsub_stats(py: Python<'_>, p: &wasmlive::pubsub::PubSubStats) -> PyResult<Py<PyDict>> {
    let d = PyDict::new(py);
    d.set_item("backplane", &p.backplane)?;
    d.set_item("connected", p.connected)?;
    d.set_item("published", p.published)?;
    d.set_item("delivered", p.delivered)?;
    d.set_item("duplicates", p.duplicates)?;
    d.set_item("gaps", p.gaps)?;
    d.set_item("missed", p.missed)?;
    d.set_item("topics", p.topics)?;
    Ok(d.unbind())
}

/// The statistics now (zeros when no system runs).
#[pyfunction]
pub fn get_actor_stats(py: Python<'_>) -> PyResult<ActorStats> {
    let running = SYSTEM.lock().expect("system lock").clone();
    let s = settings();
    let snap = running.as_ref().map(|sys| sys.supervisor.stats());
    let snap = snap.unwrap_or_default();
    let latency = PyDict::new(py);
    for (kind, l) in &snap.latency {
        let d = PyDict::new(py);
        d.set_item("count", l.count)?;
        d.set_item("p50_us", l.p50_us)?;
        d.set_item("p95_us", l.p95_us)?;
        d.set_item("p99_us", l.p99_us)?;
        let name = serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        latency.set_item(name, d)?;
    }
    let high = PyDict::new(py);
    high.set_item("session", snap.mailbox_high_water.session)?;
    high.set_item("view", snap.mailbox_high_water.view)?;
    high.set_item("component", snap.mailbox_high_water.component)?;
    let cfg = running.as_ref().map(|r| r.settings.actors.clone()).unwrap_or(s.actors);
    Ok(ActorStats {
        active_sessions: snap.active_sessions,
        active_views: snap.active_views,
        active_components: snap.active_components,
        sessions_created: snap.sessions_created,
        sessions_expired: snap.sessions_expired,
        sessions_unhealthy: snap.sessions_unhealthy,
        session_restarts: snap.session_restarts,
        messages_processed: snap.messages_processed,
        errors: snap.errors,
        guest_restarts: snap.guest_restarts,
        guest_refusals: snap.guest_refusals,
        memory_releases: snap.memory_releases,
        view_subscriptions: snap.view_subscriptions,
        timers: snap.timers,
        views_lagged: snap.views_lagged,
        pubsub: snap.pubsub.as_ref().map(|p| pubsub_stats(py, p)).transpose()?,
        resumes: resume_stats(py, &snap.resumes)?,
        latency: latency.unbind(),
        mailbox_high_water: high.unbind(),
        ttl_secs: cfg.session_ttl.as_secs(),
        cleanup_interval_secs: cfg.cleanup_interval.as_secs(),
        health_check_interval_secs: cfg.health_check_interval.as_secs(),
        running: running.is_some(),
    })
}
