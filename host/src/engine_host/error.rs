//! Errors of the engine host, each with a message a user can act on.

use std::fmt;
use thiserror::Error;

/// What went wrong inside a guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// The guest trapped: a Rust panic, `unreachable`, a wild memory access.
    Trap,
    /// A call ran past [`GuestLimits::deadline`](super::GuestLimits::deadline).
    Deadline,
    /// The guest tried to grow its memory past [`GuestLimits::memory_bytes`](super::GuestLimits::memory_bytes).
    MemoryLimit,
    /// The guest's call stack was exhausted (runaway recursion).
    StackOverflow,
    /// The guest returned something the host cannot accept: too large,
    /// malformed by the canonical ABI, or inconsistent.
    InvalidOutput,
    /// A fresh instance could not be created: the host ran out of memory
    /// maps or address space (see `vm.max_map_count` in docs/engine.md).
    Instantiation,
    /// The call was refused without running: the guest faulted too often in
    /// a row and is in quarantine ([`QuarantinePolicy`](super::QuarantinePolicy)).
    Quarantined,
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultKind::Trap => "trap",
            FaultKind::Deadline => "deadline exceeded",
            FaultKind::MemoryLimit => "memory limit exceeded",
            FaultKind::StackOverflow => "stack overflow",
            FaultKind::InvalidOutput => "invalid output",
            FaultKind::Instantiation => "instantiation failed",
            FaultKind::Quarantined => "quarantined",
        })
    }
}

impl FaultKind {
    /// The kind as a stable identifier (the WIT's spelling), as clients and
    /// Python's `GuestFaultError.kind` see it.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Trap => "trap",
            FaultKind::Deadline => "deadline",
            FaultKind::MemoryLimit => "memory-limit",
            FaultKind::StackOverflow => "stack-overflow",
            FaultKind::InvalidOutput => "invalid-output",
            FaultKind::Instantiation => "instantiation",
            FaultKind::Quarantined => "quarantined",
        }
    }
}

/// A guest misbehaved. The instance it happened in has been discarded; the
/// next call on the same view runs on a fresh instance.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("guest `{component}` failed ({kind}): {message}")]
pub struct GuestFault {
    /// The kind of failure, for callers that treat them differently.
    pub kind: FaultKind,
    /// Name of the component that failed.
    pub component: String,
    /// Details: the guest's panic message, the limit crossed, the malformed value.
    pub message: String,
}

/// A component could not be loaded as a guest.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LoadError {
    /// wasmtime could not be configured.
    #[error("cannot set up the Wasm engine: {0}")]
    Engine(String),
    /// The bytes are not a valid component for this engine.
    #[error("`{component}` is not a valid WebAssembly component: {reason}")]
    Invalid { component: String, reason: String },
    /// The component lacks an export its world requires.
    #[error("`{component}` does not implement the {world} world: it lacks the export `{missing}`")]
    MissingExport { component: String, world: String, missing: String },
    /// The component imports something the host does not provide.
    #[error(
        "`{component}` imports `{import}`, which wasmlive does not provide to {world} guests \
         (allowed imports: {allowed})"
    )]
    ForbiddenImport { component: String, world: String, import: String, allowed: String },
    /// Exports are there but their types do not match the world.
    #[error("`{component}` does not match the {world} world: {reason}")]
    Mismatch { component: String, world: String, reason: String },
}

pub use wasmlive_types::TemplateErrorKind;

/// A template failed to compile or render, located in its source.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{template}:{line}:{column}: {message}")]
pub struct TemplateError {
    pub kind: TemplateErrorKind,
    pub message: String,
    /// The template the error is in (an included or extended one, if there).
    pub template: String,
    /// 1-based; 0 when no position applies.
    pub line: u32,
    /// 1-based; 0 when no position applies.
    pub column: u32,
}

/// Compiling or rendering a template failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RenderError {
    /// The template itself is wrong; the guest is fine.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The guest failed; see [`GuestFault`].
    #[error(transparent)]
    Fault(#[from] GuestFault),
    /// No template of that name was added to this instance.
    #[error("no template named `{0}` was added to this view")]
    UnknownTemplate(String),
}
