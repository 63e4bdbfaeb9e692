//! The WASI a guest gets when it imports any: a deny-all context.
//!
//! A component built for `wasm32-wasip2` (or by cargo-component) imports
//! `wasi:*` interfaces even if it never touches a file. Rather than refuse
//! such components, the host links wasmtime-wasi's preview 2 implementation
//! with a context that grants nothing: no preopened directories (so no path
//! can be opened), no environment variables, no arguments, no network (TCP,
//! UDP and name lookup refused), clocks frozen at zero (renders must not
//! depend on when they run; the `django` import's `now` is the clock), stdin
//! closed. What the guest writes to stdout or stderr goes to `tracing`
//! (target `wasmlive::guest`), capped per call like the `log` import.
//!
//! The context is made on a store's first WASI call, so the guests that do
//! not import WASI (the defaults) pay nothing for it.

use bytes::Bytes;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, ResourceTable, WasiCtx, WasiCtxView};

/// Bytes a guest may write to stdout and stderr together per call; the rest
/// is dropped (one warning says so).
pub(crate) const OUTPUT_BUDGET_PER_CALL: usize = 64 << 10;

/// One store's WASI context and the resources (streams, descriptors) it hands out.
pub(crate) struct WasiState {
    ctx: WasiCtx,
    table: ResourceTable,
    output: Arc<OutputShared>,
}

/// What a store's stdout and stderr share: the budget left in this call,
/// and the component being called (a store holds a view's two guests).
struct OutputShared {
    budget: AtomicUsize,
    component: Mutex<Arc<str>>,
}

impl WasiState {
    /// A context granting nothing; output is logged as `component`'s.
    pub(crate) fn deny_all(component: Arc<str>) -> WasiState {
        let shared = Arc::new(OutputShared {
            budget: AtomicUsize::new(OUTPUT_BUDGET_PER_CALL),
            component: Mutex::new(component),
        });
        let output = |stream| GuestOutput {
            stream,
            shared: shared.clone(),
        };
        let ctx = WasiCtx::builder()
            .stdout(output("stdout"))
            .stderr(output("stderr"))
            .wall_clock(Frozen)
            .monotonic_clock(Frozen)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        WasiState {
            ctx,
            table: ResourceTable::new(),
            output: shared,
        }
    }

    /// Refill the output budget before a call into `component`.
    pub(crate) fn begin_call(&self, component: &Arc<str>) {
        self.output.budget.store(OUTPUT_BUDGET_PER_CALL, Relaxed);
        *self.output.component.lock().unwrap_or_else(|p| p.into_inner()) = component.clone();
    }

    pub(crate) fn view(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// Clocks that always read zero.
struct Frozen;

impl HostWallClock for Frozen {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for Frozen {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// A guest's stdout or stderr, written to the logs under a shared budget.
#[derive(Clone)]
struct GuestOutput {
    stream: &'static str,
    shared: Arc<OutputShared>,
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    /// Only preview 2 is linked; a preview 3 stream would never be asked for.
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(tokio::io::sink())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for GuestOutput {
    async fn ready(&mut self) {}
}

impl OutputStream for GuestOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        let left = self.shared.budget.load(Relaxed);
        let keep = bytes.len().min(left);
        self.shared.budget.store(left - keep, Relaxed);
        let component = self.shared.component.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let (component, stream) = (&*component, self.stream);
        if keep > 0 {
            let text = String::from_utf8_lossy(&bytes[..keep]);
            tracing::info!(target: "wasmlive::guest", component, stream, "{}", text.trim_end());
        }
        if keep < bytes.len() && left > 0 {
            tracing::warn!(
                target: "wasmlive::guest",
                component,
                stream,
                "output over {OUTPUT_BUDGET_PER_CALL} bytes in one call; the rest is dropped"
            );
        }
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 << 10)
    }
}
