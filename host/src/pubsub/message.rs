//! A published message: its topic, its place in the topic's sequence, and
//! its payload (JSON text, never unpickled or evaluated).

use super::error::PubSubError;
use std::sync::Arc;

/// Where a message stands in its topic: the backplane's epoch (a Redis
/// that restarted without its data starts a new one) and its number in the
/// topic, from 1, without holes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Seq {
    pub epoch: Arc<str>,
    pub n: u64,
}

/// One message, shared by every subscriber it is delivered to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub topic: Arc<str>,
    pub seq: Seq,
    /// The message as JSON text.
    pub payload: Arc<str>,
}

/// What a subscriber is handed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The next message of the topic, in order, once.
    Message(Arc<Message>),
    /// Messages of `topic` were lost before this process could have them
    /// (they fell out of the topic's stream, or Redis restarted without its
    /// data); `missed` is how many when known. Later messages follow.
    Gap { topic: Arc<str>, missed: Option<u64> },
}

/// The longest topic name, in bytes.
pub const MAX_TOPIC_BYTES: usize = 200;

/// Refuse a topic name that cannot be one.
pub fn check_topic(topic: &str) -> Result<(), PubSubError> {
    let reason = if topic.is_empty() {
        Some("a topic is not empty")
    } else if topic.len() > MAX_TOPIC_BYTES {
        Some("a topic has at most 200 bytes")
    } else if topic.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("a topic has no spaces or control characters")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(PubSubError::InvalidTopic { topic: topic.chars().take(80).collect(), reason }),
        None => Ok(()),
    }
}

/// Check a payload before it is published: JSON, within `max_bytes`. Gives
/// it back compact (`serde_json`'s form), as subscribers will read it.
pub fn check_payload(payload: &str, max_bytes: usize) -> Result<String, PubSubError> {
    if payload.len() > max_bytes {
        return Err(PubSubError::TooLarge { bytes: payload.len(), max: max_bytes });
    }
    let value: serde_json::Value = serde_json::from_str(payload).map_err(|e| PubSubError::NotJson { reason: e.to_string() })?;
    let compact = value.to_string();
    if compact.len() > max_bytes {
        return Err(PubSubError::TooLarge { bytes: compact.len(), max: max_bytes });
    }
    Ok(compact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_and_payloads_are_checked_before_anything_is_sent() {
        assert!(check_topic("chat:lobby").is_ok());
        for bad in ["", "a b", "tab\there", &"x".repeat(201)] {
            assert!(matches!(check_topic(bad), Err(PubSubError::InvalidTopic { .. })), "{bad:?}");
        }
        assert_eq!(check_payload(r#"{ "a" : [1, 2] }"#, 100).unwrap(), r#"{"a":[1,2]}"#);
        assert!(matches!(check_payload("{nope", 100), Err(PubSubError::NotJson { .. })));
        assert!(matches!(check_payload("NaN", 100), Err(PubSubError::NotJson { .. })));
        assert_eq!(check_payload(&format!("\"{}\"", "x".repeat(200)), 100), Err(PubSubError::TooLarge { bytes: 202, max: 100 }));
        let e = PubSubError::TooLarge { bytes: 202, max: 100 }.to_string();
        assert!(e.contains("not published"), "{e}");
    }
}
