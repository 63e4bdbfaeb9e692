//! A view's snapshot: what a process that never saw the view needs to carry
//! it on without `mount()` — its state of record, the HTML its client
//! shows, its version, its topics with the last message it handled in each,
//! what it was rendered with, and whom it belongs to.
//!
//! It is JSON, written by a view's owner and read by whichever process a
//! reconnect reaches. What comes back from Redis is checked field by field
//! like a client's frame: a snapshot that does not parse, is of another
//! format or is larger than [`MAX_SNAPSHOT_BYTES`] is refused, never
//! trusted; nothing in it is ever evaluated or unpickled.

use crate::pubsub::Seq;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The snapshot format this build writes and reads.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// The largest snapshot read back (state and HTML together), in bytes.
pub const MAX_SNAPSHOT_BYTES: usize = 4 << 20;

/// One view's snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// [`SNAPSHOT_FORMAT`] when written.
    pub format: u32,
    /// The view's name or dotted path: the new owner makes the same view.
    pub view_path: String,
    /// Its template's name, and a digest of the source it was rendered
    /// from (a process with another source renders and diffs on resume).
    pub template: String,
    pub template_digest: String,
    /// The guests it was rendered with (names and this build's version).
    pub engines: String,
    /// The logic's state of record ([`crate::actors::ViewLogic::record`]).
    pub record: Value,
    /// The version of `record` (a view's `state_version`, 0 by default).
    pub record_version: u64,
    /// The HTML the client shows, which becomes the new owner's tree.
    pub html: String,
    /// Renders so far.
    pub version: u64,
    /// Topics the view is subscribed to, each with the last message it handled.
    pub topics: Vec<TopicMark>,
    /// Whom the view belongs to: the socket session its resume token names,
    /// and the browser (the HTTP session) it was mounted for.
    pub session_id: String,
    pub browser: Option<String>,
}

/// A subscription and how far the view got in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicMark {
    pub topic: String,
    /// The last message handled (epoch and number), if any was.
    pub last: Option<(String, u64)>,
}

impl TopicMark {
    pub fn new(topic: &str, last: Option<&Seq>) -> TopicMark {
        TopicMark { topic: topic.to_string(), last: last.map(|s| (s.epoch.to_string(), s.n)) }
    }

    /// The last message handled, as the PubSub numbers it.
    pub fn seq(&self) -> Option<Seq> {
        self.last.as_ref().map(|(epoch, n)| Seq { epoch: Arc::from(epoch.as_str()), n: *n })
    }
}

/// Why a stored snapshot was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotRefused {
    #[error("the snapshot is {bytes} bytes, more than {MAX_SNAPSHOT_BYTES}")]
    TooLarge { bytes: usize },
    #[error("the snapshot is not one this build reads: {reason}")]
    Unreadable { reason: String },
    #[error("the snapshot is of format {found}; this build reads format {SNAPSHOT_FORMAT}")]
    Format { found: u32 },
}

impl Snapshot {
    /// The JSON written to the store.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a snapshot is JSON")
    }

    /// Read a snapshot back from the store, checking it.
    pub fn from_json(text: &str) -> Result<Snapshot, SnapshotRefused> {
        if text.len() > MAX_SNAPSHOT_BYTES {
            return Err(SnapshotRefused::TooLarge { bytes: text.len() });
        }
        // The format first: a later format may have fields this one refuses.
        #[derive(Deserialize)]
        struct Format {
            format: u32,
        }
        let found = serde_json::from_str::<Format>(text).map_err(|e| SnapshotRefused::Unreadable { reason: e.to_string() })?.format;
        if found != SNAPSHOT_FORMAT {
            return Err(SnapshotRefused::Format { found });
        }
        serde_json::from_str(text).map_err(|e| SnapshotRefused::Unreadable { reason: e.to_string() })
    }
}

/// A template source's digest, as snapshots record it.
pub fn digest(source: &str) -> String {
    let hash = Sha256::digest(source.as_bytes());
    hash[..12].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Snapshot {
        Snapshot {
            format: SNAPSHOT_FORMAT,
            view_path: "counter".into(),
            template: "counter.html".into(),
            template_digest: digest("<p>{{ count }}</p>"),
            engines: "guest-templates guest-vdom 0.1.0".into(),
            record: serde_json::json!({"count": 5}),
            record_version: 0,
            html: "<p>5</p>".into(),
            version: 6,
            topics: vec![TopicMark::new("news", Some(&Seq { epoch: "e1".into(), n: 3 })), TopicMark::new("quiet", None)],
            session_id: "ws-1".into(),
            browser: Some("b".into()),
        }
    }

    #[test]
    fn a_snapshot_reads_back_as_written() {
        let s = sample();
        assert_eq!(Snapshot::from_json(&s.to_json()).unwrap(), s);
        assert_eq!(s.topics[0].seq(), Some(Seq { epoch: "e1".into(), n: 3 }));
    }

    #[test]
    fn what_is_not_a_snapshot_of_this_format_is_refused() {
        assert!(matches!(Snapshot::from_json("not json"), Err(SnapshotRefused::Unreadable { .. })));
        assert!(matches!(Snapshot::from_json(r#"{"format": 1}"#), Err(SnapshotRefused::Unreadable { .. })));
        let later = sample().to_json().replacen("\"format\":1", "\"format\":2", 1);
        assert_eq!(Snapshot::from_json(&later), Err(SnapshotRefused::Format { found: 2 }));
        let extra = sample().to_json().replacen('{', r#"{"__reduce__":"os.system","#, 1);
        assert!(matches!(Snapshot::from_json(&extra), Err(SnapshotRefused::Unreadable { .. })));
        let big = format!("{{\"format\":1,\"html\":\"{}\"}}", "x".repeat(MAX_SNAPSHOT_BYTES));
        assert!(matches!(Snapshot::from_json(&big), Err(SnapshotRefused::TooLarge { .. })));
    }
}
