//! Publishing from Python (`wasmlive.broadcast` / `abroadcast`): through
//! the process's PubSub (its backplane is `LIVEVIEW_CONFIG["pubsub"]`'s),
//! to every view subscribed to the topic in every process; and who is on a
//! topic (`wasmlive.presence`).

use crate::bridge::{self, Reply};
use crate::errors;
use crate::system;
use pyo3::prelude::*;
use wasmlive::pubsub::PubSub;

fn pubsub(py: Python<'_>) -> PyResult<PubSub> {
    system::system()?.supervisor.pubsub().map_err(|e| errors::pubsub_to_py(py, e))
}

/// Publish `message` (JSON text) on `topic`; returns once the backplane
/// took it (the GIL is released meanwhile), or raises why it did not.
#[pyfunction]
pub fn publish(py: Python<'_>, topic: String, message: String) -> PyResult<()> {
    let pubsub = pubsub(py)?;
    let rt = system::runtime()?;
    py.detach(|| rt.block_on(async { pubsub.publish(&topic, &message).await })).map(|_| ()).map_err(|e| errors::pubsub_to_py(py, e))
}

/// [`publish`], awaitable.
#[pyfunction]
pub fn apublish(py: Python<'_>, topic: String, message: String) -> PyResult<Reply> {
    let pubsub = pubsub(py)?;
    Ok(bridge::spawn(py, system::runtime()?, async move { pubsub.publish(&topic, &message).await }, |py, published| {
        published.map_err(|e| errors::pubsub_to_py(py, e))?;
        Ok(py.None())
    }))
}

/// Who is on `topic` in every process: `{member: meta (JSON text)}`.
/// Returns once the backplane answered (the GIL is released meanwhile).
#[pyfunction]
pub fn presence(py: Python<'_>, topic: String) -> PyResult<std::collections::BTreeMap<String, String>> {
    let pubsub = pubsub(py)?;
    let rt = system::runtime()?;
    py.detach(|| rt.block_on(async { pubsub.presence(&topic).await })).map_err(|e| errors::pubsub_to_py(py, e))
}

/// [`presence`], awaitable.
#[pyfunction]
pub fn apresence(py: Python<'_>, topic: String) -> PyResult<Reply> {
    let pubsub = pubsub(py)?;
    Ok(bridge::spawn(py, system::runtime()?, async move { pubsub.presence(&topic).await }, |py, listed| {
        let listed = listed.map_err(|e| errors::pubsub_to_py(py, e))?;
        Ok(listed.into_pyobject(py)?.into_any().unbind())
    }))
}

/// Check `topic` as the backplane would (raises `InvalidTopicError`).
#[pyfunction]
pub fn check_topic(py: Python<'_>, topic: &str) -> PyResult<()> {
    wasmlive::pubsub::check_topic(topic).map_err(|e| errors::pubsub_to_py(py, e))
}
