//! Publishing from Python (`wasmlive.broadcast` / `abroadcast`): through
//! the process's PubSub (its backplane is `LIVEVIEW_CONFIG["pubsub"]`'s),
//! to every view subscribed to the topic in every process.

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

/// Check `topic` as the backplane would (raises `InvalidTopicError`).
#[pyfunction]
pub fn check_topic(py: Python<'_>, topic: &str) -> PyResult<()> {
    wasmlive::pubsub::check_topic(topic).map_err(|e| errors::pubsub_to_py(py, e))
}
