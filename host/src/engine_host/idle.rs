//! Memory that idle stores give back.
//!
//! Most mounted views are idle most of the time (a page left open), yet
//! each view's store keeps what its last call touched. Every store is
//! registered here; a sweeper thread per engine looks every half
//! [`EngineConfig::release_memory_after`](super::EngineConfig::release_memory_after)
//! for stores that have had no call for that long and releases, once per
//! quiet spell, the memory only a call needs: the pages of the store's fiber
//! stack (see `stacks`). Nothing on the call path waits for it and no Tokio
//! timer is involved (a timer armed per message can wake a parked worker
//! per event); a call costs one timestamp.

use super::sandbox::{Released, SharedStore};
use dashmap::DashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// The stores of one engine, and what their sweeps released.
pub(crate) struct IdleStores {
    stores: DashMap<u64, Weak<SharedStore>>,
    next_id: AtomicU64,
    /// When the engine started: calls are stamped in milliseconds since.
    epoch: Instant,
    releases: AtomicU64,
}

/// A store's part: when it was last used, and whether it has released
/// since.
#[derive(Default)]
pub(crate) struct Usage {
    last_call_ms: AtomicU64,
    released: AtomicBool,
}

impl IdleStores {
    pub fn new() -> Arc<IdleStores> {
        Arc::new(IdleStores {
            stores: DashMap::new(),
            next_id: AtomicU64::new(0),
            epoch: Instant::now(),
            releases: AtomicU64::new(0),
        })
    }

    /// Register a store; the id to [`forget`](Self::forget) it by.
    pub fn register(&self, store: Weak<SharedStore>) -> u64 {
        let id = self.next_id.fetch_add(1, Relaxed);
        self.stores.insert(id, store);
        id
    }

    pub fn forget(&self, id: u64) {
        self.stores.remove(&id);
    }

    /// Note a call on `usage` now.
    pub fn used(&self, usage: &Usage) {
        usage.last_call_ms.store(self.now_ms(), Relaxed);
        usage.released.store(false, Relaxed);
    }

    /// How many releases the sweeps made.
    pub fn releases(&self) -> u64 {
        self.releases.load(Relaxed)
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Release what every store idle for `after` holds, once per quiet spell.
    pub fn sweep(&self, after: Duration) {
        let now = self.now_ms();
        let after = after.as_millis() as u64;
        // Collected first: a store dropped here would forget itself, which
        // must not happen while a shard of the map is locked.
        let idle: Vec<Arc<SharedStore>> = self
            .stores
            .iter()
            .filter_map(|entry| entry.value().upgrade())
            .filter(|store| {
                let usage = store.usage();
                !usage.released.load(Relaxed) && now.saturating_sub(usage.last_call_ms.load(Relaxed)) >= after
            })
            .collect();
        for store in idle {
            // A call that started meanwhile holds the store's lock: skipped,
            // and its end marks the store used again.
            match store.release_idle_memory() {
                Released::Busy => {}
                Released::Nothing => store.usage().released.store(true, Relaxed),
                Released::Pages => {
                    store.usage().released.store(true, Relaxed);
                    self.releases.fetch_add(1, Relaxed);
                }
            }
        }
    }
}

/// Sweep `stores` every half `after` on a plain thread, until the engine
/// (the last strong reference to `stores`) is gone.
pub(crate) fn spawn_sweeper(stores: &Arc<IdleStores>, after: Duration) {
    let weak = Arc::downgrade(stores);
    let every = (after / 2).max(Duration::from_millis(1));
    std::thread::Builder::new()
        .name("wasmlive-idle".into())
        .spawn(move || {
            loop {
                std::thread::sleep(every);
                match weak.upgrade() {
                    Some(stores) => stores.sweep(after),
                    None => break,
                }
            }
        })
        .expect("spawn the idle-memory sweeper thread");
}
