//! Resume across processes: a view's snapshot, written behind each of its
//! renders to Redis, lets any process a reconnect reaches carry the view on
//! — its state, the client's DOM, its version, its subscriptions — without
//! calling `mount()` and, when the client is current, without sending HTML.
//!
//! In process, a closed socket's session waits for its reconnect
//! ([`crate::actors`]'s parked sessions, Redis or not); across processes a
//! view is claimed from the [`SnapshotStore`] and started from its
//! [`Snapshot`]. docs/guides/deployment.md tells the whole story.

mod snapshot;
mod store;

pub use snapshot::{MAX_SNAPSHOT_BYTES, SNAPSHOT_FORMAT, Snapshot, SnapshotRefused, TopicMark, digest};
pub use store::{Claim, Claimed, Holder, SnapshotStore, StoreError, StoreStats};
