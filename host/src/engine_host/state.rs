//! The data each guest `Store` carries, and the host imports implemented on it.

use super::bindings::template_world::wasmlive::engine::{django, loader, log};
use super::services::HostServices;
use super::wasi::WasiState;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::ResourceLimiter;

/// Longest panic message kept for the error report.
const PANIC_MESSAGE_CAP: usize = 4 << 10;
/// Log bytes a guest may emit per call; the rest is dropped, so a chatty or
/// malicious guest cannot flood the host's logs.
const LOG_BUDGET_PER_CALL: usize = 64 << 10;

/// Per-store state: what host imports need, and what the host learns about a failure.
pub(crate) struct GuestState {
    /// Answers `loader` and `django` imports.
    services: Arc<dyn HostServices>,
    /// Name of the component being called, for log lines (a store holds
    /// the instances of several components).
    component: Arc<str>,
    /// Caps linear memory growth.
    pub(crate) memory: MemoryCap,
    /// When the current call must have finished; checked at each epoch tick.
    pub(crate) deadline: Instant,
    /// The message of the guest's last error-level log line in this call:
    /// the panic message, when a trap follows.
    pub(crate) last_error: Option<String>,
    /// Log bytes still allowed in this call.
    log_budget: usize,
    /// The deny-all WASI context, made on the first WASI call (most guests
    /// never make one).
    wasi: Option<Box<WasiState>>,
}

impl GuestState {
    pub(crate) fn new(services: Arc<dyn HostServices>, memory_bytes: usize) -> GuestState {
        GuestState {
            services,
            component: "".into(),
            memory: MemoryCap { limit: memory_bytes },
            deadline: Instant::now(),
            last_error: None,
            log_budget: LOG_BUDGET_PER_CALL,
            wasi: None,
        }
    }

    /// Reset per-call bookkeeping before a call into `component`, whose
    /// memories may grow to `memory_limit` bytes.
    pub(crate) fn begin_call(&mut self, deadline: Instant, component: Arc<str>, memory_limit: usize) {
        self.deadline = deadline;
        self.memory.limit = memory_limit;
        self.last_error = None;
        self.log_budget = LOG_BUDGET_PER_CALL;
        if let Some(wasi) = &self.wasi {
            wasi.begin_call(&component);
        }
        self.component = component;
    }
}

/// Raised from the resource limiter when a guest asks for more memory than
/// allowed; it becomes the trap's cause, so the host can tell it apart.
#[derive(Debug)]
pub(crate) struct MemoryLimitExceeded {
    pub desired: usize,
    pub limit: usize,
}

impl std::fmt::Display for MemoryLimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "guest asked for {} bytes of memory; the limit is {}", self.desired, self.limit)
    }
}

impl std::error::Error for MemoryLimitExceeded {}

/// Raised from the epoch callback when a call runs past its deadline.
#[derive(Debug)]
pub(crate) struct DeadlineExceeded;

impl std::fmt::Display for DeadlineExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("guest call ran past its deadline")
    }
}

impl std::error::Error for DeadlineExceeded {}

/// A `ResourceLimiter` with one job: cap linear memory.
pub(crate) struct MemoryCap {
    limit: usize,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.limit {
            // An error (rather than `Ok(false)`) traps at once with a cause we
            // recognise, instead of letting the guest abort in its allocator.
            return Err(wasmtime::Error::new(MemoryLimitExceeded {
                desired,
                limit: self.limit,
            }));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

impl log::Host for GuestState {
    fn log(&mut self, level: log::Level, mut message: String) {
        if self.log_budget == 0 {
            return;
        }
        let keep = floor_char_boundary(&message, self.log_budget);
        message.truncate(keep);
        self.log_budget -= keep;
        let component = &*self.component;
        match level {
            log::Level::Error => {
                tracing::warn!(target: "wasmlive::guest", component, "{message}");
                let keep = floor_char_boundary(&message, PANIC_MESSAGE_CAP);
                message.truncate(keep);
                self.last_error = Some(message);
            }
            log::Level::Warn => tracing::warn!(target: "wasmlive::guest", component, "{message}"),
            log::Level::Info => tracing::info!(target: "wasmlive::guest", component, "{message}"),
            log::Level::Debug => tracing::debug!(target: "wasmlive::guest", component, "{message}"),
            log::Level::Trace => tracing::trace!(target: "wasmlive::guest", component, "{message}"),
        }
    }
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    (0..=max).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0)
}

impl wasmtime_wasi::WasiView for GuestState {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        let component = &self.component;
        self.wasi.get_or_insert_with(|| Box::new(WasiState::deny_all(component.clone()))).view()
    }
}

impl loader::Host for GuestState {
    fn load_template(&mut self, name: String) -> Result<String, String> {
        self.services.load_template(&name)
    }
}

impl django::Host for GuestState {
    fn reverse_url(&mut self, view_name: String, args: Vec<String>, kwargs: Vec<(String, String)>) -> Result<String, String> {
        self.services.reverse_url(&view_name, &args, &kwargs)
    }

    fn static_url(&mut self, path: String) -> Result<String, String> {
        self.services.static_url(&path)
    }

    fn translate(&mut self, message: String, context: Option<String>) -> String {
        self.services.translate(&message, context.as_deref())
    }

    fn translate_plural(&mut self, singular: String, plural: String, count: i64, context: Option<String>) -> String {
        self.services.translate_plural(&singular, &plural, count, context.as_deref())
    }

    fn current_language(&mut self) -> String {
        self.services.current_language()
    }

    fn now(&mut self) -> django::Datetime {
        let t = self.services.now();
        django::Datetime {
            year: t.year,
            month: t.month,
            day: t.day,
            hour: t.hour,
            minute: t.minute,
            second: t.second,
            microsecond: t.microsecond,
            utc_offset_seconds: t.utc_offset_seconds,
            time_zone: t.time_zone,
        }
    }
}
