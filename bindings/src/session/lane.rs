//! Running a view's own code on its lane of handler threads, then
//! delivering what it made to the actors from the same thread, in order.

use crate::bridge::{self, Reply};
use crate::errors;
use crate::system;
use crate::threads::{self, Lane};
use pyo3::prelude::*;
use std::future::Future;
use wasmlive::actors::{ActorError, Delivery, Pending, Rendered, Update, ViewHandle};

/// Why a request that ran view code failed: the code raised, or the actor refused.
pub(crate) enum Failure {
    Python(PyErr),
    Actor(ActorError),
}

/// Run `prepare` (view code) on `lane`, then `deliver` what it made to the
/// actors from the same handler thread, in the lane's order, and `answer`
/// what the delivery gave; the reply gives `finish`'s value of the answer.
/// Called on a handler thread, `prepare` and the delivery run now.
///
/// The delivery is polled here with the GIL held: when the mailbox has
/// room it is done at once, and the answer is awaited on Tokio, so the
/// thread goes on to its next job without giving the GIL up. A full
/// mailbox is waited for here (GIL released) before the lane's next job:
/// deliveries finished by separate tasks could reach the mailbox in any
/// order.
pub(crate) fn in_lane<X, A, T, Sending, Answering>(
    py: Python<'_>,
    lane: &Lane,
    prepare: impl FnOnce(Python<'_>) -> PyResult<X> + Send + 'static,
    deliver: impl FnOnce(X) -> Sending + Send + 'static,
    answer: impl FnOnce(A) -> Answering + Send + 'static,
    finish: impl FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
) -> PyResult<Reply>
where
    X: Send + 'static,
    A: Send + 'static,
    T: Send + 'static,
    Sending: Future<Output = Result<A, ActorError>> + Send + 'static,
    Answering: Future<Output = Result<T, ActorError>> + Send + 'static,
{
    let rt = system::runtime()?;
    let (completer, waiting) = bridge::start();
    let finish = move |py: Python<'_>, outcome: Result<T, Failure>| match outcome {
        Ok(value) => finish(py, value),
        Err(Failure::Python(e)) => Err(e),
        Err(Failure::Actor(e)) => Err(errors::to_py(py, e)),
    };
    lane.submit(Box::new(move |py| {
        let made = match prepare(py) {
            Ok(made) => made,
            Err(e) => return completer.complete(Err(Failure::Python(e)), finish),
        };
        let _runtime = rt.enter();
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut sending = std::pin::pin!(deliver(made));
        let sent = match sending.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(sent) => sent,
            std::task::Poll::Pending => py.detach(|| rt.block_on(sending)),
        };
        let mut answering = match sent {
            Ok(sent) => Box::pin(answer(sent)),
            Err(e) => return completer.complete(Err(Failure::Actor(e)), finish),
        };
        match answering.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(outcome) => completer.complete(outcome.map_err(Failure::Actor), finish),
            std::task::Poll::Pending => {
                rt.spawn(async move { completer.complete(answering.await.map_err(Failure::Actor), finish) });
            }
        }
    }));
    Ok(if threads::on_handler_thread() { waiting.parked() } else { waiting.wait(py) })
}

/// What an answer that is already there looks like to [`in_lane`].
pub(crate) async fn answered<T>(value: T) -> Result<T, ActorError> {
    Ok(value)
}

/// Deliver a Python view's new context to its actor; its render and diff to come.
pub(super) async fn deliver_state(view: ViewHandle, update: Update) -> Result<Pending<Rendered>, ActorError> {
    view.set_state(update, Delivery::Wait).await
}
