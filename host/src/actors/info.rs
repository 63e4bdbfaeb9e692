//! What a view is told from outside its requests, as its logic sees it
//! ([`Info`], handled by `ViewLogic::handle_info`), what can go wrong
//! asking for it ([`InfoError`]), and the process's counts of it. The
//! inbox that queues it is the view's (`view/inbox.rs`).

use crate::pubsub::{PubSubError, Seq};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// Notices a view queues before it counts as lagging.
pub const INBOX_CAPACITY: usize = 256;
/// Timers one view may have running.
pub const MAX_TIMERS: usize = 1000;

/// One thing a view is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Info {
    /// A message of a topic it subscribes to (JSON text), and its place in the topic.
    Message { topic: Arc<str>, seq: Seq, payload: Arc<str> },
    /// Its timer's message (JSON text).
    Timer { payload: Arc<str> },
    /// Messages of `topic` were lost before the view could have them;
    /// `missed` is how many when known.
    Gap { topic: Arc<str>, missed: Option<u64> },
}

impl Info {
    /// The topic it came from (none for a timer's).
    pub fn topic(&self) -> Option<&str> {
        match self {
            Info::Message { topic, .. } | Info::Gap { topic, .. } => Some(topic),
            Info::Timer { .. } => None,
        }
    }

    pub(crate) fn from_message(message: &crate::pubsub::Message) -> Info {
        Info::Message { topic: message.topic.clone(), seq: message.seq.clone(), payload: message.payload.clone() }
    }
}

/// Process-wide counts of what views were told.
#[derive(Debug, Default)]
pub(crate) struct InboxStats {
    /// Views that fell behind and read from a stream to catch up.
    pub lagged: AtomicU64,
    /// Timers running now.
    pub timers: AtomicU64,
    /// Views' subscriptions now.
    pub subscriptions: AtomicU64,
}

/// Why a view could not subscribe or start a timer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InfoError {
    #[error("{0}")]
    PubSub(#[from] PubSubError),
    #[error("the view is no longer mounted")]
    Closed,
    #[error("a view may have at most {MAX_TIMERS} timers running")]
    TooManyTimers,
    #[error("a timer's interval must be a number of seconds above 0 (and at most a year): {0}")]
    InvalidInterval(f64),
}

