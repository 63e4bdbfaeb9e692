//! What the integration tests share (each test binary uses a part of it).
#![allow(dead_code)]

pub mod redis;

use serde_json::Value;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use wasmlive::actors::{ActorError, Pending, State};
use wasmlive::engine_host::{GuestLimits, HostServices, StandaloneServices};

/// A request delivered, then its answer.
pub async fn ask<T>(sent: impl Future<Output = Result<Pending<T>, ActorError>>) -> Result<T, ActorError> {
    sent.await?.await
}

/// A JSON object as a state or params.
pub fn obj(v: Value) -> State {
    v.as_object().cloned().expect("a JSON object")
}

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

/// Wait until `pubsub`'s subscriber connection is up (5 s at most).
pub async fn until_connected(pubsub: &wasmlive::pubsub::PubSub) {
    for _ in 0..500 {
        if pubsub.is_connected() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the subscriber connection did not come up");
}
