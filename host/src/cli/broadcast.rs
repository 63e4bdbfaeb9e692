//! `wasmlive broadcast TOPIC JSON --redis URL`: publish one message to
//! every view subscribed to TOPIC, in every process on that Redis.

use super::CliError;
use crate::pubsub::{PubSub, PubSubConfig};
use clap::Args;

#[derive(Debug, Args)]
pub struct BroadcastArgs {
    /// The topic (no spaces or control characters, at most 200 bytes).
    topic: String,
    /// The message: JSON text (`'{"text": "hi"}'`).
    message: String,
    /// The Redis the servers use (`redis://host:port/db`).
    #[arg(long, value_name = "URL", env = "WASMLIVE_REDIS_URL", required = true)]
    redis: String,
}

pub async fn run(args: BroadcastArgs) -> Result<(), CliError> {
    let config = PubSubConfig { redis_url: Some(args.redis), ..PubSubConfig::default() };
    let pubsub = PubSub::start(&config).map_err(|e| CliError(format!("error: {e}")))?;
    let seq = pubsub.publish(&args.topic, &args.message).await.map_err(|e| CliError(format!("error: {e}")))?;
    println!("published to {} as number {}", args.topic, seq.n);
    Ok(())
}
