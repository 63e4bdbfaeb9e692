//! Giving freed memory back to the OS after sessions end.
//!
//! glibc's malloc keeps what a process frees in its arenas, one per thread
//! that allocates, and a Django process frees on other threads than it
//! allocated on (Tokio workers, handler threads, the event loop). Measured
//! by `benches/soak.py` (rounds of 300 clients × 50 events, every client
//! gone between rounds): its RSS crept up ~0.5 MiB a round while Python's
//! traced heap, its object count and the actors' counts stayed flat, and
//! `malloc_trim(0)` gave ~10 MiB back each time. So once enough sessions
//! have ended, the supervisor trims (at most once a second, on a blocking
//! thread: a trim walks every arena).

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Sessions ended since the last trim that make the next one worth it.
const TRIM_AFTER: usize = 32;

/// Counts ended sessions; trims when enough have.
#[derive(Default)]
pub(crate) struct Trimmer {
    ended: AtomicUsize,
    trims: AtomicUsize,
}

impl Trimmer {
    pub(crate) fn sessions_ended(&self, count: usize) {
        self.ended.fetch_add(count, Relaxed);
    }

    /// How many trims have run.
    #[cfg(test)]
    pub(crate) fn trims(&self) -> usize {
        self.trims.load(Relaxed)
    }

    /// Trim if enough sessions ended since the last time (the supervisor calls it every second).
    pub(crate) async fn trim_if_due(&self) {
        if self.ended.load(Relaxed) < TRIM_AFTER {
            return;
        }
        self.ended.store(0, Relaxed);
        self.trims.fetch_add(1, Relaxed);
        let _ = tokio::task::spawn_blocking(trim).await;
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim only walks and releases the allocator's free memory.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
