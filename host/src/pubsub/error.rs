//! What can go wrong publishing or subscribing, in words a user can act on.

/// A publish or subscribe that failed. A message that failed was **not
/// published**: nothing was sent anywhere.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PubSubError {
    /// The topic is empty, too long, or has a space or a control character.
    #[error("invalid topic {topic:?}: {reason}")]
    InvalidTopic { topic: String, reason: &'static str },
    /// The message is not JSON.
    #[error("the message is not JSON ({reason}); it was not published")]
    NotJson { reason: String },
    /// The message is larger than `max_message_bytes`.
    #[error("the message is {bytes} bytes, more than the {max} bytes a message may have (max_message_bytes); it was not published")]
    TooLarge { bytes: usize, max: usize },
    /// Redis did not answer (the URL is shown without its password).
    #[error("cannot reach Redis at {url}: {reason}; the message was not published")]
    Unreachable { url: String, reason: String },
    /// The Redis URL cannot be used.
    #[error("invalid Redis URL {url}: {reason}")]
    InvalidUrl { url: String, reason: String },
}
