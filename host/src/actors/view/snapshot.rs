//! A view and its snapshot ([`crate::resume`]). A socket view of a system
//! with a snapshot store queues its snapshot after each render — its
//! logic's state of record, the HTML its client now shows, its version,
//! its topics with the last message handled in each — behind the render:
//! the reply never waits for Redis. A view claimed from the store starts
//! from its snapshot instead of `mount()`.

use super::{ViewActor, ViewHandle, WeakViewHandle};
use crate::actors::error::ActorError;
use crate::actors::logic::Record;
use crate::actors::reply::Delivery;
use crate::resume::{Claimed, Holder, SNAPSHOT_FORMAT, Snapshot, SnapshotStore, TopicMark};
use std::sync::Arc;

/// What a view that keeps snapshots carries.
pub(crate) struct Snapshotting {
    pub store: SnapshotStore,
    /// The claim its saves are made under.
    pub generation: u64,
    /// The version of the last snapshot queued, and the view's topic
    /// changes it saw ([`super::inbox::Inbox::watch_topics`]).
    pub saved: u64,
    pub topics_seen: u64,
    /// The HTML of the client's tree.
    pub html: String,
    pub template_digest: String,
    pub engines: String,
    pub session_id: String,
    pub browser: Option<String>,
    /// Its template or engines are not the ones its snapshot was rendered
    /// with: the resume answers with a render and diff, not "resumed".
    pub rendered_elsewhere: bool,
    /// Told when a save is refused.
    pub holder: Arc<dyn Holder>,
    /// Claimed a moment ago: the first reattach need not ask Redis again.
    pub just_claimed: bool,
    /// The state changed without a render (the view is stale): the
    /// snapshot is written again all the same.
    pub unseen: bool,
}

/// Closes a view whose save was refused: another process has it now.
struct CloseMoved(WeakViewHandle);

impl Holder for CloseMoved {
    fn moved(&self) {
        let Some(view) = self.0.upgrade() else { return };
        tokio::spawn(async move {
            if let Ok(stopped) = view.shutdown(Delivery::Wait).await {
                let _ = stopped.await;
            }
        });
    }
}

/// Who a snapshot binds the view to, and what it was rendered with.
pub(crate) struct Binding {
    pub store: SnapshotStore,
    pub session_id: String,
    pub browser: Option<String>,
    pub template_digest: String,
    pub engines: String,
}

impl Snapshotting {
    pub fn new(binding: Binding, handle: &ViewHandle, claimed: Option<&Claimed>) -> Snapshotting {
        let Binding { store, session_id, browser, template_digest, engines } = binding;
        let rendered_elsewhere = claimed.is_some_and(|c| c.snapshot.template_digest != template_digest || c.snapshot.engines != engines);
        Snapshotting {
            store,
            generation: claimed.map_or(1, |c| c.generation),
            saved: 0,
            topics_seen: handle.inbox.watch_topics(),
            html: String::new(),
            template_digest,
            engines,
            session_id,
            browser,
            rendered_elsewhere,
            holder: Arc::new(CloseMoved(handle.downgrade())),
            just_claimed: claimed.is_some(),
            unseen: false,
        }
    }
}

impl ViewActor {
    /// Start from a snapshot instead of mounting: the logic restores its
    /// record, the tree becomes the client's HTML, the version and the
    /// last message handled per topic carry on. Gives the HTML.
    pub(super) async fn restore(&mut self, source: &str, claimed: &Claimed) -> Result<String, ActorError> {
        let snapshot = &claimed.snapshot;
        self.templates.add_template(&self.template_name, source).await?;
        let record = Record { data: snapshot.record.clone(), version: snapshot.record_version };
        self.logic.restore(&record, &mut self.state).await?;
        self.initial_state = self.state.clone();
        self.vdom.reset(&snapshot.html).await.map_err(|e| self.fault(e))?;
        self.version = snapshot.version;
        for mark in &snapshot.topics {
            if let Some(seq) = mark.seq() {
                self.applied.insert(mark.topic.as_str().into(), seq);
            }
        }
        if let Some(s) = self.snapshotting.as_deref_mut() {
            s.saved = snapshot.version;
            s.html.clone_from(&snapshot.html);
        }
        Ok(snapshot.html.clone())
    }

    /// The client's tree is now `html` (a render that changed it).
    pub(super) fn shown(&mut self, html: &str) {
        if let Some(s) = self.snapshotting.as_deref_mut() {
            html.clone_into(&mut s.html);
        }
    }

    /// The state changed and no render shows it (the client is behind and
    /// gets the whole HTML when it is back): the snapshot must keep it.
    pub(super) fn changed_unseen(&mut self) {
        if let Some(s) = self.snapshotting.as_deref_mut() {
            s.unseen = true;
        }
    }

    /// Queue the view's snapshot if it rendered since the last one.
    pub(super) async fn keep_snapshot(&mut self) {
        let Some(s) = self.snapshotting.as_deref_mut() else { return };
        let topics_now = self.inbox.topic_changes();
        if s.saved == self.version && s.topics_seen == topics_now && !s.unseen {
            return;
        }
        s.saved = self.version;
        s.topics_seen = topics_now;
        s.unseen = false;
        if !self.components.is_empty() {
            // Live components are not in snapshots: such a view resumes in process only.
            return;
        }
        let record = match self.logic.record(&self.state).await {
            Ok(Some(record)) => record,
            Ok(None) => {
                // The view is not resumable on another process.
                self.snapshotting = None;
                return;
            }
            Err(e) => {
                tracing::error!(view = %self.view_path, view_id = %self.view_id, error = %e, "the view's state cannot be kept in its snapshot: it resumes in process only");
                self.snapshotting = None;
                return;
            }
        };
        let Some(s) = self.snapshotting.as_deref_mut() else { return };
        let topics = self.inbox.topics().iter().map(|t| TopicMark::new(t, self.applied.get(t.as_str()))).collect();
        let snapshot = Snapshot {
            format: SNAPSHOT_FORMAT,
            view_path: self.view_path.clone(),
            template: self.template_name.clone(),
            template_digest: s.template_digest.clone(),
            engines: s.engines.clone(),
            record: record.data,
            record_version: record.version,
            html: s.html.clone(),
            version: self.version,
            topics,
            session_id: s.session_id.clone(),
            browser: s.browser.clone(),
        };
        s.store.save(&self.view_id, s.generation, &snapshot, s.holder.clone());
    }

    /// Before a copy kept here is resumed: whether this process still owns
    /// the view (another may have claimed it while its client was away).
    pub(super) async fn still_owned(&mut self) -> Result<(), ActorError> {
        let Some(s) = self.snapshotting.as_deref_mut() else { return Ok(()) };
        if std::mem::take(&mut s.just_claimed) {
            return Ok(());
        }
        match s.store.holds(&self.view_id, s.generation).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(ActorError::Moved(self.view_id.clone())),
            // Redis down: no other process could claim it either.
            Err(e) => {
                tracing::warn!(view_id = %self.view_id, error = %e, "cannot check the view's ownership in the snapshot store; it resumes here");
                Ok(())
            }
        }
    }
}
