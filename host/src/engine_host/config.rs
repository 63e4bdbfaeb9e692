//! Engine-wide settings and per-instance limits, with documented defaults.

use std::time::Duration;

/// How wasmtime allocates instance memories and tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allocator {
    /// Allocate per instance with `mmap` (copy-on-write images). The default:
    /// no up-front reservation, so thousands of views cost only what they use.
    OnDemand,
    /// Pre-reserve slots for `max_instances` instances; faster instantiation,
    /// but address space and the instance count are fixed at start.
    Pooling {
        /// Slots for component instances (two per mounted view).
        max_instances: u32,
    },
}

/// Settings shared by every guest of one [`GuestEngine`](super::GuestEngine).
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// See [`Allocator`]. Default: on-demand.
    pub allocator: Allocator,
    /// How often the epoch advances; deadlines are checked (and long guest
    /// calls yield to Tokio) at this granularity. Default: 10 ms.
    pub epoch_tick: Duration,
    /// Native stack available to Wasm code, in bytes; deeper recursion traps
    /// as a stack overflow. Default: 512 KiB.
    pub max_wasm_stack: usize,
    /// Address space reserved per linear memory, in bytes; a memory can grow
    /// in place up to this size. Default: 64 MiB, so hundreds of thousands of
    /// memories fit the address space and mounts stay cheap. 4 GiB (with a
    /// 32 MiB guard) lets compiled guests drop their bounds checks: renders
    /// ~20 % faster, mounts slower, ~15,000 views per process at most
    /// (docs/engine.md).
    pub memory_reservation: u64,
    /// Guard region after each linear memory, in bytes. Default: 64 KiB.
    pub memory_guard_size: u64,
    /// Limits applied to instances unless their engine or view sets its own.
    pub default_limits: GuestLimits,
    /// When a guest that keeps faulting is refused instead of restarted.
    pub quarantine: QuarantinePolicy,
    /// A store (a view's or component's guests) with no call for this long
    /// gives back the memory only a call needs — its fiber stack's pages,
    /// 8 KiB for the default guests — once per quiet spell, found by a
    /// sweeper thread every half period; the next call faults them in again
    /// (a few microseconds). `None`: never. Default: 1 s.
    pub release_memory_after: Option<Duration>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            allocator: Allocator::OnDemand,
            epoch_tick: Duration::from_millis(10),
            max_wasm_stack: 512 * 1024,
            memory_reservation: 64 << 20,
            memory_guard_size: 64 << 10,
            default_limits: GuestLimits::default(),
            quarantine: QuarantinePolicy::default(),
            release_memory_after: Some(crate::settings::seconds(crate::settings::RELEASE_MEMORY_AFTER)),
        }
    }
}

/// When repeated faults stop the host from restarting a guest (docs/sandbox.md).
///
/// Two scopes, so that no user can make a guest unusable for another:
/// - a view's instance that faults `after_faults` calls in a row is refused
///   (each call answered at once with a `Quarantined` fault) for `first`,
///   doubling with each quarantine in a row up to `longest`; the first call
///   after the period is a trial, and a success ends it;
/// - a component whose fresh instances fail to start `after_faults` times in
///   a row, in any views, is refused new instances in the same way: start-up
///   takes no user input, so this means the component itself is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuarantinePolicy {
    /// Consecutive faults that start a quarantine; 0 turns quarantines off.
    /// Default: 3.
    pub after_faults: u32,
    /// The first quarantine's length. Default: 5 s.
    pub first: Duration,
    /// The longest a quarantine gets by doubling. Default: 60 s.
    pub longest: Duration,
}

impl Default for QuarantinePolicy {
    fn default() -> Self {
        QuarantinePolicy {
            after_faults: crate::settings::GUEST_QUARANTINE_AFTER,
            first: crate::settings::seconds(crate::settings::GUEST_QUARANTINE_SECONDS),
            longest: crate::settings::seconds(crate::settings::GUEST_QUARANTINE_MAX_SECONDS),
        }
    }
}

/// Limits of one guest instance. A guest crossing one gets a typed
/// [`GuestFault`](super::GuestFault) and is replaced by a fresh instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestLimits {
    /// Largest linear memory, in bytes. Default: 64 MiB.
    pub memory_bytes: usize,
    /// Longest a single call may run (wall clock, checked every epoch tick).
    /// Default: 1 s.
    pub deadline: Duration,
    /// Largest output of a single call (rendered HTML, or patches with their
    /// HTML), in bytes. Default: 16 MiB.
    pub output_bytes: usize,
}

impl Default for GuestLimits {
    fn default() -> Self {
        GuestLimits {
            memory_bytes: crate::settings::GUEST_MEMORY_BYTES,
            deadline: crate::settings::seconds(crate::settings::GUEST_DEADLINE),
            output_bytes: crate::settings::GUEST_OUTPUT_BYTES,
        }
    }
}
