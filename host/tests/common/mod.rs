//! What the engine-level integration tests share.

use std::sync::Arc;
use std::time::Duration;
use wasmlive::engine_host::{GuestLimits, HostServices, StandaloneServices};

pub fn services() -> Arc<dyn HostServices> {
    Arc::new(StandaloneServices::default())
}

/// Tighter than the defaults, so faults come quickly.
pub fn limits() -> GuestLimits {
    GuestLimits {
        memory_bytes: 32 << 20,
        deadline: Duration::from_millis(500),
        output_bytes: 1 << 20,
    }
}
