//! Frames a view sends on its own, from Python: a view's pusher
//! (`wasmlive.push_render(view)`, and what it subscribes to and its
//! timers: `LiveView.subscribe`, `send_after`…) and a connection's queue of
//! pushes (`SessionActorHandle.pushes()`), read by the consumer beside its
//! socket. The queue's rules are the host's (`wasmlive::actors::outbound`).

use crate::bridge::{self, Reply};
use crate::errors;
use crate::pyview::update_of;
use crate::session::lane::in_lane;
use crate::system;
use crate::threads::Lane;
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;
use wasmlive::actors::{ActorError, Delivery, OutboundQueue, Pending, Pushed, SessionHandle, Timer, ViewHandle, WeakViewHandle, around};
use wasmlive::protocol::ServerFrame;

/// How a mounted Python view pushes: its context taken on its lane, then
/// rendered by its actor and queued for its connection.
#[pyclass(module = "wasmlive._host", name = "ViewPusher", frozen)]
pub struct Pusher {
    view: WeakViewHandle,
    lane: Lane,
    /// `module.qualname` of the view's class, for error notes.
    path: String,
}

impl Pusher {
    pub fn new(view: WeakViewHandle, lane: Lane, path: String) -> Pusher {
        Pusher { view, lane, path }
    }

    fn handle(&self) -> PyResult<ViewHandle> {
        self.view.upgrade().ok_or_else(|| errors::ActorShutdownError::new_err(format!("{} is no longer mounted", self.path)))
    }
}

#[pymethods]
impl Pusher {
    /// Push `view`'s (the object's) current context. Awaitable, or
    /// `result()` from a thread; done once the frame is queued.
    fn push(&self, py: Python<'_>, view: Py<PyAny>) -> PyResult<Reply> {
        let handle = self.view.clone();
        let path = self.path.clone();
        in_lane(
            py,
            &self.lane,
            move |py| update_of(view.bind(py)).map_err(|e| errors::raised_in_view(py, e, &path, "get_context_data")),
            // Delivered at once or refused (a full mailbox): this thread may
            // be the one the view's actor waits for (`serve`'s handlers).
            move |state| async move { handle.upgrade().ok_or(ActorError::Shutdown { actor: "view" })?.push(state, Delivery::FailFast).await },
            Pending::answer,
            |py, ()| Ok(py.None()),
        )
    }

    /// Subscribe the view to `topic`; whether it did (not without a
    /// connection). Returns once the backplane confirmed it (the GIL is
    /// released meanwhile).
    fn subscribe(&self, py: Python<'_>, topic: String) -> PyResult<bool> {
        let handle = self.handle()?;
        let rt = system::runtime()?;
        py.detach(|| rt.block_on(handle.subscribe(&topic))).map_err(|e| errors::info_to_py(py, e))
    }

    /// Track the view on `topic` (presence) with `meta` (JSON text), as
    /// member `view_id`; whether it is tracked (not without a connection).
    /// Returns once the backplane has it (the GIL is released meanwhile).
    fn track(&self, py: Python<'_>, topic: String, meta: String) -> PyResult<bool> {
        let handle = self.handle()?;
        let rt = system::runtime()?;
        py.detach(|| rt.block_on(handle.track(&topic, &meta))).map_err(|e| errors::info_to_py(py, e))
    }

    /// Stop tracking the view on `topic`; whether it was.
    fn untrack(&self, topic: &str) -> PyResult<bool> {
        Ok(self.handle()?.untrack(topic))
    }

    /// Stop `topic`'s messages; whether the view subscribed to it.
    fn unsubscribe(&self, topic: &str) -> PyResult<bool> {
        Ok(self.handle()?.unsubscribe(topic))
    }

    /// The topics the view subscribes to, sorted.
    fn topics(&self) -> PyResult<Vec<String>> {
        Ok(self.handle()?.topics())
    }

    /// Tell the view `message` (JSON text) in `seconds`, and then every
    /// `seconds` when `repeat`; `None` without a connection.
    fn start_timer(&self, py: Python<'_>, seconds: f64, message: &str, repeat: bool) -> PyResult<Option<ViewTimer>> {
        let handle = self.handle()?;
        let started = if repeat { handle.send_every(seconds, message) } else { handle.send_after(seconds, message) };
        Ok(started.map_err(|e| errors::info_to_py(py, e))?.map(|timer| ViewTimer { timer }))
    }
}

/// A view's running timer (`LiveView.send_after` / `send_every`).
#[pyclass(module = "wasmlive._host", name = "ViewTimer", frozen)]
pub struct ViewTimer {
    timer: Timer,
}

#[pymethods]
impl ViewTimer {
    /// Stop it; whether it was still running.
    fn cancel(&self) -> bool {
        self.timer.cancel()
    }
}

/// A connection's queue of pushes (`SessionActorHandle.pushes()`).
///
/// `wait()` never takes a push out of the queue: only `take()` does, which
/// the consumer calls right before it sends, so an answer never overtakes
/// a push queued before it.
#[pyclass(module = "wasmlive._host", name = "Pushes", frozen)]
pub struct Pushes {
    queue: Arc<Mutex<OutboundQueue>>,
    queued: Arc<Notify>,
    session: SessionHandle,
}

impl Pushes {
    pub fn new(queue: OutboundQueue, session: SessionHandle) -> Pushes {
        let queued = queue.notifier();
        Pushes { queue: Arc::new(Mutex::new(queue)), queued, session }
    }
}

#[pymethods]
impl Pushes {
    /// Wait until a push is queued. Awaitable; `take()` then gives the frames.
    fn wait(&self) -> PyResult<Reply> {
        let queue = self.queue.clone();
        let queued = self.queued.clone();
        Ok(bridge::listen(
            system::runtime()?,
            async move {
                loop {
                    let empty = queue.lock().expect("queue lock").is_empty();
                    if !empty {
                        break;
                    }
                    queued.notified().await;
                }
                Ok::<(), ActorError>(())
            },
            |py, _| Ok(py.None()),
        ))
    }

    /// The frames to send now, in this order: every push queued so far,
    /// around `answer` (an answer's frame text) when given, by version
    /// (not awaitable). Once the queue is empty, views that went stale are
    /// asked for their whole HTML, which comes through the queue.
    #[pyo3(signature = (answer=None))]
    fn take<'py>(&self, py: Python<'py>, answer: Option<Bound<'py, PyString>>) -> PyResult<Vec<Bound<'py, PyString>>> {
        let mut pushed: Vec<Pushed> = Vec::new();
        let stale = {
            let mut queue = self.queue.lock().expect("queue lock");
            while let Some(p) = queue.try_recv() {
                pushed.push(p);
            }
            queue.take_stale()
        };
        if !stale.is_empty() {
            let session = self.session.clone();
            system::runtime()?.spawn(async move {
                for id in stale {
                    let refreshed = async { session.view(Some(&id), Delivery::Wait).await?.await?.refresh(Delivery::Wait).await?.await };
                    if let Err(e) = refreshed.await {
                        tracing::debug!(error = %e, "a stale view could not be refreshed");
                    }
                }
            });
        }
        let text = |p: Pushed| PyString::new(py, &ServerFrame::rendered(p.rendered, Some(p.view_id), None).to_text());
        let Some(answer) = answer else {
            return Ok(pushed.into_iter().map(text).collect());
        };
        if pushed.is_empty() {
            // The usual case, on every answer: nothing to order, nothing to read again.
            return Ok(vec![answer]);
        }
        let at = serde_json::from_str::<RenderedAt>(answer.to_str()?).ok().and_then(|a| Some((a.view_id?, a.version?)));
        let (before, after) = match &at {
            Some((view_id, version)) => around(pushed, view_id, *version),
            None => (pushed, Vec::new()),
        };
        let mut frames: Vec<Bound<'py, PyString>> = before.into_iter().map(text).collect();
        frames.push(answer);
        frames.extend(after.into_iter().map(text));
        Ok(frames)
    }
}

/// What ordering needs of an answer's frame.
#[derive(serde::Deserialize)]
struct RenderedAt {
    view_id: Option<String>,
    version: Option<u64>,
}
