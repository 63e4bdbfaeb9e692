//! What reaches a view from outside its requests: the messages of the
//! topics it subscribes to, the gaps in them, and its timers' messages.
//!
//! The PubSub hub hands a notice to every subscriber under its lock, so an
//! inbox takes it at once and never waits: it queues it and wakes its
//! view, which handles everything queued in one batch (one render). A view
//! that falls behind by more than [`INBOX_CAPACITY`] messages stops queueing
//! that topic's messages and, once it has handled the rest, reads what it
//! missed from the topic's stream (`PubSub::since`): a slow view delays no
//! other, and loses nothing the stream still keeps.

use crate::actors::info::{INBOX_CAPACITY, InboxStats, Info, InfoError, MAX_TIMERS};
use crate::actors::shared::Shared;
use crate::pubsub::{Notice, Seq, Subscriber, Subscription, Tracked};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

pub(crate) struct Inbox {
    queue: Mutex<Queue>,
    wake: Notify,
    shared: Arc<Shared>,
    /// Whether the view has a connection to push to: one that has none (a
    /// first paint, the POST fallback) is shown once and neither
    /// subscribes nor runs timers.
    connected: bool,
}

#[derive(Default)]
struct Queue {
    infos: VecDeque<Info>,
    /// Topics whose messages were dropped, from the first dropped one.
    lagging: Vec<(Arc<str>, Seq)>,
    subscriptions: HashMap<Arc<str>, Subscription>,
    /// Topics the view is tracked on (presence), as member `view_id`.
    tracked: HashMap<Arc<str>, Tracked>,
    timers: HashMap<u64, AbortHandle>,
    /// Repeating timers with a tick queued: the next tick is skipped.
    ticking: HashSet<u64>,
    next_timer: u64,
    closed: bool,
    /// Subscriptions made or ended so far (a snapshot records the topics).
    topic_changes: u64,
    /// Wake the view when its topics change: it keeps snapshots.
    wake_on_topics: bool,
}

/// A running timer: [`Timer::cancel`] stops it (dropping it does not).
#[derive(Debug, Clone)]
pub struct Timer {
    inbox: Weak<Inbox>,
    id: u64,
}

impl Timer {
    /// Stop the timer; whether it was still running.
    pub fn cancel(&self) -> bool {
        let Some(inbox) = self.inbox.upgrade() else { return false };
        inbox.remove_timer(self.id)
    }
}

impl Inbox {
    pub fn new(shared: Arc<Shared>, connected: bool) -> Arc<Inbox> {
        Arc::new(Inbox { queue: Mutex::default(), wake: Notify::new(), shared, connected })
    }

    fn stats(&self) -> &InboxStats {
        &self.shared.stats.inbox
    }

    pub fn is_connected(&self) -> bool {
        self.connected
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().expect("inbox lock")
    }

    /// Woken once something was queued (a wake-up is kept when nobody waits).
    pub async fn woken(&self) {
        self.wake.notified().await
    }

    /// Everything queued, and the topics to catch up on from their streams.
    pub fn take(&self) -> (VecDeque<Info>, Vec<(Arc<str>, Seq)>) {
        let mut queue = self.lock();
        queue.ticking.clear();
        (std::mem::take(&mut queue.infos), std::mem::take(&mut queue.lagging))
    }

    fn push(&self, info: Info) {
        self.lock().infos.push_back(info);
        self.wake.notify_one();
    }

    /// Subscribe the view to `topic` (again: nothing changes); whether it
    /// is subscribed (not without a connection). Done once the backplane
    /// confirmed it.
    pub async fn subscribe(self: &Arc<Self>, topic: &str) -> Result<bool, InfoError> {
        crate::pubsub::check_topic(topic)?;
        if !self.connected {
            return Ok(false);
        }
        if self.lock().subscriptions.contains_key(topic) {
            return Ok(true);
        }
        let pubsub = self.shared.pubsub()?;
        let subscription = pubsub.subscribe(topic, self.clone()).await?;
        let mut queue = self.lock();
        if queue.closed {
            drop(queue);
            drop(subscription);
            return Err(InfoError::Closed);
        }
        if queue.subscriptions.insert(subscription.topic().into(), subscription).is_none() {
            self.stats().subscriptions.fetch_add(1, Relaxed);
            self.topics_changed(&mut queue);
        }
        Ok(true)
    }

    fn topics_changed(&self, queue: &mut Queue) {
        queue.topic_changes += 1;
        if queue.wake_on_topics {
            self.wake.notify_one();
        }
    }

    /// How many times the view's topics changed; from now on each change
    /// wakes the view (to write its snapshot again).
    pub fn watch_topics(&self) -> u64 {
        let mut queue = self.lock();
        queue.wake_on_topics = true;
        queue.topic_changes
    }

    /// How many times the view's topics changed.
    pub fn topic_changes(&self) -> u64 {
        self.lock().topic_changes
    }

    /// Whether nothing is queued (a wake-up for a change of topics only).
    pub fn is_idle(&self) -> bool {
        let queue = self.lock();
        queue.infos.is_empty() && queue.lagging.is_empty()
    }

    /// Read `topic`'s messages after `last` from its stream before any
    /// that arrive live (a view resumed from a snapshot catching up).
    pub fn catch_up_from(&self, topic: &str, last: Seq) {
        let mut queue = self.lock();
        queue.lagging.retain(|(t, _)| &**t != topic);
        queue.lagging.push((topic.into(), last));
        drop(queue);
        self.wake.notify_one();
    }

    /// Stop `topic`'s messages; whether the view subscribed to it.
    pub fn unsubscribe(&self, topic: &str) -> bool {
        // Dropped outside the lock: unsubscribing takes the hub's lock,
        // under which the hub calls `notify`, which takes this one.
        let subscription = {
            let mut queue = self.lock();
            let removed = queue.subscriptions.remove(topic);
            if removed.is_some() {
                self.topics_changed(&mut queue);
            }
            removed
        };
        let had = subscription.is_some();
        drop(subscription);
        if had {
            self.stats().subscriptions.fetch_sub(1, Relaxed);
        }
        had
    }

    /// Track the view on `topic` as member `member` with `meta` (JSON
    /// text); whether it is tracked (not without a connection). Again:
    /// the meta is replaced.
    pub async fn track(&self, topic: &str, member: &str, meta: &str) -> Result<bool, InfoError> {
        if !self.connected {
            crate::pubsub::check_topic(topic)?;
            return Ok(false);
        }
        let tracked = self.shared.pubsub()?.track(topic, member, meta).await?;
        let mut queue = self.lock();
        if queue.closed {
            drop(queue);
            drop(tracked);
            return Err(InfoError::Closed);
        }
        let replaced = queue.tracked.insert(tracked.topic().into(), tracked);
        drop(queue);
        if let Some(old) = replaced {
            // Its member was tracked again in its place: no leave.
            old.superseded();
        }
        Ok(true)
    }

    /// Stop tracking the view on `topic` (its leave is published); whether it was.
    pub fn untrack(&self, topic: &str) -> bool {
        let tracked = self.lock().tracked.remove(topic);
        tracked.is_some()
    }

    /// The topics subscribed to, sorted.
    pub fn topics(&self) -> Vec<String> {
        let mut topics: Vec<String> = self.lock().subscriptions.keys().map(|t| t.to_string()).collect();
        topics.sort();
        topics
    }

    /// Tell the view `payload` (JSON text) after `seconds`, and then
    /// every `seconds` when `repeat`; `None` without a connection. A
    /// repeating timer whose view is behind skips ticks rather than
    /// queueing them.
    pub fn start_timer(self: &Arc<Self>, seconds: f64, repeat: bool, payload: &str) -> Result<Option<Timer>, InfoError> {
        if !(seconds.is_finite() && seconds > 0.0 && seconds <= 366.0 * 86400.0) {
            return Err(InfoError::InvalidInterval(seconds));
        }
        let payload: Arc<str> = crate::pubsub::check_payload(payload, self.shared.config.pubsub.max_message_bytes)?.into();
        if !self.connected {
            return Ok(None);
        }
        let period = Duration::from_secs_f64(seconds);
        let mut queue = self.lock();
        if queue.closed {
            return Err(InfoError::Closed);
        }
        if queue.timers.len() >= MAX_TIMERS {
            return Err(InfoError::TooManyTimers);
        }
        let id = queue.next_timer;
        queue.next_timer += 1;
        let inbox = Arc::downgrade(self);
        let task = self.shared.runtime.spawn(async move {
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                ticks.tick().await;
                let Some(inbox) = inbox.upgrade() else { return };
                let info = Info::Timer { payload: payload.clone() };
                if !repeat {
                    inbox.remove_timer(id);
                    inbox.push(info);
                    return;
                }
                let mut queue = inbox.lock();
                if !queue.closed && queue.ticking.insert(id) {
                    queue.infos.push_back(info);
                    drop(queue);
                    inbox.wake.notify_one();
                }
            }
        });
        queue.timers.insert(id, task.abort_handle());
        self.stats().timers.fetch_add(1, Relaxed);
        Ok(Some(Timer { inbox: Arc::downgrade(self), id }))
    }

    fn remove_timer(&self, id: u64) -> bool {
        let Some(task) = self.lock().timers.remove(&id) else { return false };
        task.abort();
        self.stats().timers.fetch_sub(1, Relaxed);
        true
    }

    /// The view stopped: its subscriptions and timers end, nothing more is queued.
    pub fn close(&self) {
        let (subscriptions, timers, tracked) = {
            let mut queue = self.lock();
            queue.closed = true;
            queue.infos.clear();
            (std::mem::take(&mut queue.subscriptions), std::mem::take(&mut queue.timers), std::mem::take(&mut queue.tracked))
        };
        // Untracked: their leaves are published.
        drop(tracked);
        let (subscribed, running) = (subscriptions.len() as u64, timers.len() as u64);
        for task in timers.into_values() {
            task.abort();
        }
        // Counted as gone once they are: the hub has let go of the topics.
        drop(subscriptions);
        self.stats().subscriptions.fetch_sub(subscribed, Relaxed);
        self.stats().timers.fetch_sub(running, Relaxed);
    }
}

impl Subscriber for Inbox {
    fn notify(&self, notice: &Notice) -> bool {
        let mut queue = self.lock();
        if queue.closed {
            return false;
        }
        match notice {
            Notice::Message(message) => {
                if queue.lagging.iter().any(|(t, _)| *t == message.topic) {
                    return true;
                }
                if queue.infos.len() >= INBOX_CAPACITY {
                    queue.lagging.push((message.topic.clone(), message.seq.clone()));
                    self.stats().lagged.fetch_add(1, Relaxed);
                    drop(queue);
                    // Its view catches up once it has handled what is queued.
                    self.wake.notify_one();
                    return true;
                }
                queue.infos.push_back(Info::from_message(message));
            }
            Notice::Gap { topic, missed } => queue.infos.push_back(Info::Gap { topic: topic.clone(), missed: *missed }),
        }
        drop(queue);
        self.wake.notify_one();
        true
    }
}
