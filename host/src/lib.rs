//! wasmlive's host: LiveView state in Tokio actors, template rendering and
//! HTML diffing in sandboxed WebAssembly components.
//!
//! # Layout
//!
//! - [`actors`]: the actor system — supervisor, session, view and component
//!   actors on Tokio, each view owning its guest instances.
//! - [`engine_host`]: the wasmtime engine host. Loads guest components, checks
//!   them against the worlds in `wit/`, gives each view its own instances
//!   with memory, time and output limits, and turns every guest failure into
//!   a typed [`engine_host::GuestFault`] after which a fresh instance takes over.
//! - [`guests`]: the default template and VDOM components, embedded.
//! - [`pubsub`]: topics, broadcasts and presence, in process or across processes on Redis.
//! - [`resume`]: views' snapshots on Redis, so a reconnect to any process resumes its view.
//! - [`runtime`]: the Tokio runtime the actors run best on (workers spin
//!   briefly before parking, so a session's hand-offs stay on one core).
//! - [`bench`]: the actor benchmark suite `wasmlive bench` runs.
//! - [`params`]: what a client may send as event names and params.
//! - [`protocol`]: the wire protocol, once for every transport: client frames read and checked, server frames built.
//! - [`settings`]: every setting's default, once (Rust, Python and the docs read them).
//! - [`serve`]: LiveViews over HTTP and WebSocket without Django (`wasmlive serve`).
//! - [`cli`]: the `wasmlive` command line (argument parsing plus one call
//!   into the library per subcommand).
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use wasmlive::engine_host::{EngineConfig, GuestEngine, StandaloneServices};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let engine = GuestEngine::new(EngineConfig::default())?;
//! let services = Arc::new(StandaloneServices::default());
//! let limits = engine.config().default_limits;
//!
//! let mut templates = engine.default_templates()?.instance(services.clone(), limits);
//! templates.add_template("hello.html", "<p>Hello {{ name }}!</p>").await?;
//! let before = templates.render("hello.html", r#"{"name": "world"}"#).await?;
//! let after = templates.render("hello.html", r#"{"name": "<you>"}"#).await?;
//! assert_eq!(after, "<p>Hello &lt;you&gt;!</p>");
//!
//! let mut vdom = engine.default_vdom()?.instance(services, limits);
//! vdom.reset(&before).await?;
//! let patches = vdom.diff(&after).await?;
//! assert_eq!(patches.len(), 1); // one set-text
//! # Ok(()) }
//! ```

pub mod actors;
pub mod bench;
pub mod cli;
pub mod engine_host;
pub mod guests;
pub mod params;
pub mod protocol;
pub mod pubsub;
pub mod resume;
pub mod runtime;
pub mod serve;
pub mod settings;
