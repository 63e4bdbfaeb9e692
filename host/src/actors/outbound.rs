//! Frames a connection's views send on their own (a push): a bounded
//! queue per connection that its view actors write to and its transport's
//! loop reads, beside the socket.
//!
//! A view pushes a render with no `ref` and the view's next version. A
//! view whose push finds the queue full is marked stale: its pushes stop,
//! its next render is its whole HTML (the client's tree no longer matches
//! the one the view diffs against), and once the transport has drained the
//! queue it asks each stale view for that HTML (`ViewHandle::refresh`).
//! Answers and pushes stay in version order: when an answer is ready, a
//! view's pushes of lower versions are queued already (a view queues its
//! push before it handles the next request), and the transport sends
//! those first, the answer, then the rest ([`around`]). A transport whose
//! answers may arrive after a later push was read holds pushes while an
//! answer is in flight.

use super::rendered::Rendered;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, mpsc};

/// Frames a connection's queue holds before its views go stale.
pub const OUTBOUND_FRAMES: usize = 64;

/// A render a view sent on its own.
#[derive(Debug)]
pub struct Pushed {
    pub view_id: String,
    pub rendered: Rendered,
}

/// The writing end, given to each view mounted for the connection.
#[derive(Clone)]
pub struct Outbound {
    tx: mpsc::Sender<Pushed>,
    stale: Arc<Mutex<BTreeSet<String>>>,
    queued: Arc<Notify>,
}

/// The reading end, the connection's.
pub struct OutboundQueue {
    rx: mpsc::Receiver<Pushed>,
    stale: Arc<Mutex<BTreeSet<String>>>,
    queued: Arc<Notify>,
}

/// A connection's queue of `capacity` frames.
pub fn outbound(capacity: usize) -> (Outbound, OutboundQueue) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let stale = Arc::default();
    let queued = Arc::new(Notify::new());
    (Outbound { tx, stale: Arc::clone(&stale), queued: queued.clone() }, OutboundQueue { rx, stale, queued })
}

/// What became of a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    Queued,
    /// The queue was full: the view is stale until the connection drains it.
    Full,
    /// The connection is gone.
    Closed,
}

impl Outbound {
    pub(crate) fn send(&self, view_id: &str, rendered: Rendered) -> Sent {
        match self.tx.try_send(Pushed { view_id: view_id.to_string(), rendered }) {
            Ok(()) => {
                self.queued.notify_one();
                Sent::Queued
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.stale.lock().expect("stale lock").insert(view_id.to_string());
                Sent::Full
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Sent::Closed,
        }
    }
}

impl OutboundQueue {
    /// The next push; `None` once no view can push any more.
    pub async fn recv(&mut self) -> Option<Pushed> {
        self.rx.recv().await
    }

    /// A push already queued, without waiting.
    pub fn try_recv(&mut self) -> Option<Pushed> {
        self.rx.try_recv().ok()
    }

    /// Woken after each push is queued (a wake-up is kept when nobody waits):
    /// for a reader that must not take a push before it can send it.
    pub fn notifier(&self) -> Arc<Notify> {
        self.queued.clone()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }

    /// The views that went stale, once the queue is empty (they are then
    /// asked for their HTML, which comes through the queue); else none.
    pub fn take_stale(&mut self) -> Vec<String> {
        if !self.rx.is_empty() {
            return Vec::new();
        }
        std::mem::take(&mut *self.stale.lock().expect("stale lock")).into_iter().collect()
    }
}

/// Split queued pushes around an answer of view `view_id` at `version`:
/// what goes before it (other views' pushes, and this view's older ones)
/// and what after (this view's newer ones, rendered after the answer).
pub fn around(pushes: Vec<Pushed>, view_id: &str, version: u64) -> (Vec<Pushed>, Vec<Pushed>) {
    pushes.into_iter().partition(|p| p.view_id != view_id || p.rendered.version < version)
}
