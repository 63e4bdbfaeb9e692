//! A process's subscriptions: topic → subscribers, and where each topic
//! stands in its sequence, so that every subscriber gets each message once
//! and in order, whatever the backplane delivers twice, late or not at all.

use super::message::{Message, Notice, Seq};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// Who takes a topic's notices: a view's mailbox, a test's channel.
pub trait Subscriber: Send + Sync + 'static {
    /// Take `notice` without waiting (a full mailbox is the subscriber's
    /// to handle: it may catch up later). `false`: gone, forget it.
    fn notify(&self, notice: &Notice) -> bool;
}

/// What an arriving message is, against what was delivered before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Placement {
    /// The next one: deliver it.
    Next,
    /// Delivered already (a refill overlapped the live feed): skip it.
    Seen,
    /// Messages `from..=to` came before it and were not seen: fetch them first.
    After { from: u64, to: u64 },
    /// The backplane restarted without its data: what followed the last
    /// delivered message is lost; this epoch's `1..n` are to be fetched.
    NewEpoch,
    /// Nobody here subscribes to the topic.
    Unwanted,
}

struct Topic {
    subscribers: Vec<(u64, Arc<dyn Subscriber>)>,
    /// The last message delivered (or, before any, where the topic stood
    /// when it was subscribed to).
    at: Option<Seq>,
}

/// Counters of what the hub did, for the stats.
#[derive(Debug, Default)]
pub(crate) struct HubStats {
    pub delivered: AtomicU64,
    pub duplicates: AtomicU64,
    pub gaps: AtomicU64,
    pub missed: AtomicU64,
}

#[derive(Default)]
pub(crate) struct Hub {
    topics: Mutex<HashMap<Arc<str>, Topic>>,
    next_id: AtomicU64,
    pub stats: HubStats,
}

impl Hub {
    /// Add a subscriber; its id, and whether the topic is new here.
    pub fn add(&self, topic: &Arc<str>, subscriber: Arc<dyn Subscriber>) -> (u64, bool) {
        let id = self.next_id.fetch_add(1, Relaxed);
        let mut topics = self.topics.lock().expect("hub lock");
        let entry = topics.entry(topic.clone()).or_insert_with(|| Topic { subscribers: Vec::new(), at: None });
        entry.subscribers.push((id, subscriber));
        (id, entry.subscribers.len() == 1)
    }

    /// Remove a subscriber; whether that was the topic's last.
    pub fn remove(&self, topic: &str, id: u64) -> bool {
        let mut topics = self.topics.lock().expect("hub lock");
        let Some(entry) = topics.get_mut(topic) else { return false };
        entry.subscribers.retain(|(i, _)| *i != id);
        let last = entry.subscribers.is_empty();
        if last {
            topics.remove(topic);
        }
        last
    }

    /// The topics subscribed to here, with where each stands.
    pub fn topics(&self) -> Vec<(Arc<str>, Option<Seq>)> {
        self.topics.lock().expect("hub lock").iter().map(|(t, e)| (t.clone(), e.at.clone())).collect()
    }

    /// Where `topic` stands here.
    pub fn at(&self, topic: &str) -> Option<Seq> {
        self.topics.lock().expect("hub lock").get(topic).and_then(|e| e.at.clone())
    }

    /// How many subscribers `topic` has here.
    pub fn subscribers(&self, topic: &str) -> usize {
        self.topics.lock().expect("hub lock").get(topic).map_or(0, |e| e.subscribers.len())
    }

    /// Where `topic` stands, if nothing was delivered yet: messages up to
    /// `seq` were published before it was subscribed to.
    pub fn start_at(&self, topic: &str, seq: Seq) {
        if let Some(entry) = self.topics.lock().expect("hub lock").get_mut(topic) {
            entry.at.get_or_insert(seq);
        }
    }

    /// Where an arriving message goes.
    pub fn place(&self, topic: &str, seq: &Seq) -> Placement {
        let topics = self.topics.lock().expect("hub lock");
        let Some(entry) = topics.get(topic) else { return Placement::Unwanted };
        place(entry.at.as_ref(), seq)
    }

    /// Deliver `message` to the topic's subscribers; it becomes where the topic stands.
    pub fn deliver(&self, message: Arc<Message>) {
        let notice = Notice::Message(message.clone());
        self.notify(&message.topic, Some(message.seq.clone()), &notice);
        self.stats.delivered.fetch_add(1, Relaxed);
    }

    /// Tell the topic's subscribers that messages were lost; the topic then
    /// stands at `at` (the new epoch's start, or past what was lost).
    pub fn gap(&self, topic: &Arc<str>, missed: Option<u64>, at: Seq) {
        let notice = Notice::Gap { topic: topic.clone(), missed };
        self.notify(topic, Some(at), &notice);
        self.stats.gaps.fetch_add(1, Relaxed);
        self.stats.missed.fetch_add(missed.unwrap_or(0), Relaxed);
        tracing::warn!(%topic, ?missed, "messages of a topic were lost before they reached this process");
    }

    pub fn seen(&self) {
        self.stats.duplicates.fetch_add(1, Relaxed);
    }

    fn notify(&self, topic: &str, at: Option<Seq>, notice: &Notice) {
        let mut topics = self.topics.lock().expect("hub lock");
        let Some(entry) = topics.get_mut(topic) else { return };
        if at.is_some() {
            entry.at = at;
        }
        // No subscriber is waited for: each takes the notice or says it is gone.
        entry.subscribers.retain(|(_, s)| s.notify(notice));
    }
}

/// Where `seq` goes after `at` (see [`Placement`]).
pub(crate) fn place(at: Option<&Seq>, seq: &Seq) -> Placement {
    match at {
        None => Placement::Next,
        // An empty epoch: nothing was published when the topic was subscribed to.
        Some(at) if at.epoch != seq.epoch && !at.epoch.is_empty() => Placement::NewEpoch,
        Some(at) if seq.n <= at.n => Placement::Seen,
        Some(at) if seq.n == at.n + 1 => Placement::Next,
        Some(at) => Placement::After { from: at.n + 1, to: seq.n - 1 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(epoch: &str, n: u64) -> Seq {
        Seq { epoch: epoch.into(), n }
    }

    #[test]
    fn each_message_has_one_place() {
        assert_eq!(place(None, &seq("a", 7)), Placement::Next);
        assert_eq!(place(Some(&seq("a", 6)), &seq("a", 7)), Placement::Next);
        assert_eq!(place(Some(&seq("a", 7)), &seq("a", 7)), Placement::Seen);
        assert_eq!(place(Some(&seq("a", 9)), &seq("a", 3)), Placement::Seen);
        assert_eq!(place(Some(&seq("a", 3)), &seq("a", 7)), Placement::After { from: 4, to: 6 });
        assert_eq!(place(Some(&seq("a", 3)), &seq("b", 1)), Placement::NewEpoch);
        assert_eq!(place(Some(&seq("", 0)), &seq("b", 1)), Placement::Next);
        assert_eq!(place(Some(&seq("", 0)), &seq("b", 3)), Placement::After { from: 1, to: 2 });
    }
}
