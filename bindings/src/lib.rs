//! `wasmlive._host`: the actor system, the guests and the asyncio bridge,
//! as a Python extension module. The Python package `wasmlive` re-exports
//! it; `_host.pyi` describes it.
//!
//! - [`system`]: the process's Tokio runtime and supervisor; `configure`,
//!   `get_actor_stats`, `shutdown_actor_system`, host services.
//! - [`protocol`]: the host's wire protocol for the Django transports (`read_frame`, the frames they send).
//! - [`push`]: frames a view sends on its own: a view's pusher (its pushes,
//!   subscriptions and timers), a connection's queue.
//! - [`info`]: a Python view told of its topics' messages and its timers (`handle_info`).
//! - [`broadcast`]: publishing from Python (`wasmlive.broadcast`).
//! - [`session`]: `SessionActorHandle`, the seed's API, one file per concern.
//! - [`bridge`]: how Tokio's answers reach asyncio (fast path, batched wakes).
//! - [`pyview`]: a Python view as both servers run it (a handler called, its context).
//! - [`handlers`]: which events a Python view accepts, decided before any Python runs.
//! - [`threads`]: the handler threads a view's own code runs on, one lane per view.
//! - [`convert`]: Python values ↔ JSON (contexts, params, patches).
//! - [`engines`]: guest engines a view names instead of the defaults.
//! - [`cli`]: the host's command line, with Python handlers for `serve`.
//! - [`services`]: Django answering the guests' imports, cached.
//! - [`errors`]: the exception classes.

mod bridge;
mod broadcast;
mod cli;
mod convert;
mod engines;
mod errors;
mod handlers;
mod info;
mod services;
mod protocol;
mod push;
mod pyview;
mod session;
mod system;
mod threads;

use pyo3::prelude::*;

#[pymodule]
fn _host(py: Python<'_>, m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::define(py, m)?;
    m.add_class::<session::Session>()?;
    m.add_class::<bridge::Reply>()?;
    m.add_class::<protocol::Frame>()?;
    m.add_class::<push::Pusher>()?;
    m.add_class::<push::Pushes>()?;
    m.add_class::<push::ViewTimer>()?;
    m.add_class::<pyview::QueuedEvent>()?;
    m.add_function(wrap_pyfunction!(pyview::client_event, m)?)?;
    m.add_function(wrap_pyfunction!(broadcast::publish, m)?)?;
    m.add_function(wrap_pyfunction!(broadcast::apublish, m)?)?;
    m.add_function(wrap_pyfunction!(broadcast::check_topic, m)?)?;
    m.add_function(wrap_pyfunction!(broadcast::presence, m)?)?;
    m.add_function(wrap_pyfunction!(broadcast::apresence, m)?)?;
    m.add_function(wrap_pyfunction!(protocol::read_frame, m)?)?;
    m.add_function(wrap_pyfunction!(protocol::error_frame, m)?)?;
    m.add_function(wrap_pyfunction!(protocol::connected_frame, m)?)?;
    m.add_function(wrap_pyfunction!(protocol::not_in_session, m)?)?;
    m.add_class::<system::ActorStats>()?;
    m.add_function(wrap_pyfunction!(session::create_session_actor, m)?)?;
    m.add_function(wrap_pyfunction!(session::find_session_actor, m)?)?;
    m.add_function(wrap_pyfunction!(system::configure, m)?)?;
    m.add_function(wrap_pyfunction!(system::setting_defaults, m)?)?;
    m.add_function(wrap_pyfunction!(system::get_actor_stats, m)?)?;
    m.add_function(wrap_pyfunction!(system::shutdown_actor_system, m)?)?;
    m.add_function(wrap_pyfunction!(system::set_services, m)?)?;
    m.add_function(wrap_pyfunction!(system::clear_caches, m)?)?;
    m.add_function(wrap_pyfunction!(cli::cli_main, m)?)?;
    m.add_function(wrap_pyfunction!(bridge::bridge_spin_window_us, m)?)?;
    m.add_function(wrap_pyfunction!(bridge::bridge_in_flight, m)?)?;
    m.add_function(wrap_pyfunction!(system::worker_spin_us, m)?)?;
    m.add_function(wrap_pyfunction!(threads::set_handler_threads, m)?)?;
    m.add_function(wrap_pyfunction!(threads::handler_thread_stats, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
