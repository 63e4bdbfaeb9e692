//! What a view or component actor does when its mailbox stays empty.
//!
//! Most mounted views are idle most of the time (a page left open), yet each
//! one's guests keep what their last call touched. After a quiet spell of
//! [`ActorConfig::release_memory_after`](super::ActorConfig::release_memory_after)
//! the actor hands its stores' idle memory back to the kernel, once per spell;
//! the next message pays a few page faults to get it again.

use super::stats::Stats;
use crate::engine::{TemplateInstance, VdomInstance};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::sync::mpsc;

/// The next message from `rx`, releasing the guests' idle memory if none
/// comes within `after` (`None`: never); each release is counted in `stats`.
pub(crate) async fn next_message<M>(
    rx: &mut mpsc::Receiver<M>,
    after: Option<Duration>,
    (templates, vdom): (&TemplateInstance, &VdomInstance),
    stats: &Stats,
) -> Option<M> {
    if let Some(after) = after {
        match tokio::time::timeout(after, rx.recv()).await {
            Ok(message) => return message,
            Err(_quiet) => {
                templates.store().release_idle_memory();
                if !vdom.store().same(templates.store()) {
                    vdom.store().release_idle_memory();
                }
                stats.memory_releases.fetch_add(1, Relaxed);
            }
        }
    }
    rx.recv().await
}
