//! The asyncio ↔ Tokio bridge: how a request made on Python's event loop
//! comes back to it.
//!
//! A request is spawned on the Tokio runtime with a [`Slot`] for its
//! outcome, and Python gets a [`Reply`] awaitable. Two ways back:
//!
//! - **Fast path, no wake.** When nothing else is in flight and no other
//!   task is ready to run, the loop thread
//!   waits for the slot a few microseconds (`bridge_spin_us`, GIL released)
//!   before returning (at most twice the recent typical latency: requests
//!   that usually take longer park at once). An actor answering within that budget — a counter
//!   event renders and diffs in tens of microseconds — completes the
//!   awaitable before Python ever awaits it: no asyncio future, no
//!   cross-thread wake.
//! - **Batched completions.** Otherwise the awaitable parks on an asyncio
//!   future. The Tokio thread that completes the slot never takes the GIL:
//!   it queues the slot on its loop's [`LoopBridge`] and, only when the queue
//!   was empty, writes one eventfd the loop watches (`add_reader`). The loop
//!   then resolves every queued future in one callback. Under load one wake
//!   serves many completions, and no Tokio worker ever waits for the GIL.

use pyo3::exceptions::{PyRuntimeError, PyStopIteration};
use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Turns a finished request into its Python value, on the loop thread.
pub type Outcome = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// Requests spawned and not yet completed, process-wide: when any are, the
/// loop does not spin (it has other work; completions will come batched).
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Recent request latency (an exponential moving average, nanoseconds):
/// the loop spins only for requests expected to answer within its budget.
static TYPICAL_NS: AtomicU64 = AtomicU64::new(0);

fn observe(latency: Duration) {
    let ns = latency.as_nanos().min(u64::MAX as u128) as u64;
    let old = TYPICAL_NS.load(Ordering::Relaxed);
    let new = if old == 0 { ns } else { old - old / 8 + ns / 8 };
    TYPICAL_NS.store(new, Ordering::Relaxed);
}

/// Where one request's outcome lands.
pub struct Slot {
    started: Instant,
    /// A request (counted in flight, its latency observed), not a listener
    /// waiting for something that may never come ([`listen`]).
    request: bool,
    done: AtomicBool,
    inner: Mutex<SlotInner>,
}

#[derive(Default)]
struct SlotInner {
    outcome: Option<Outcome>,
    /// The asyncio future the awaiting task sleeps on, once it parked.
    future: Option<Py<PyAny>>,
    /// The loop to wake, once a task parked.
    bridge: Option<Arc<LoopBridge>>,
    /// A thread blocked in `Reply.result()`, to unpark.
    thread: Option<std::thread::Thread>,
}

impl Slot {
    fn new(request: bool) -> Arc<Slot> {
        Arc::new(Slot {
            started: Instant::now(),
            request,
            done: AtomicBool::new(false),
            inner: Mutex::new(SlotInner::default()),
        })
    }

    /// Store the outcome; wake the loop if a task is parked on it. Called on
    /// a Tokio thread, without the GIL.
    pub fn complete(self: &Arc<Slot>, outcome: Outcome) {
        if self.request {
            observe(self.started.elapsed());
        }
        let (bridge, thread) = {
            let mut inner = self.inner.lock().expect("slot lock");
            inner.outcome = Some(outcome);
            self.done.store(true, Ordering::Release);
            (inner.bridge.take(), inner.thread.take())
        };
        if self.request {
            IN_FLIGHT.fetch_sub(1, Ordering::AcqRel);
        }
        if let Some(bridge) = bridge {
            bridge.push(self.clone());
        }
        if let Some(thread) = thread {
            thread.unpark();
        }
    }

    /// Wait up to `budget` for the outcome, spinning (GIL released by the caller).
    fn spin(&self, budget: Duration) -> bool {
        let start = Instant::now();
        let mut spins = 0u32;
        loop {
            if self.done.load(Ordering::Acquire) {
                return true;
            }
            spins += 1;
            if spins.is_multiple_of(64) && start.elapsed() >= budget {
                return false;
            }
            std::hint::spin_loop();
        }
    }
}

/// How long the loop may wait for a request with nothing else in flight.
static SPIN: OnceLock<Mutex<Duration>> = OnceLock::new();

pub fn set_spin(budget: Duration) {
    *SPIN.get_or_init(|| Mutex::new(budget)).lock().expect("spin lock") = budget;
}

fn spin_budget() -> Duration {
    *SPIN.get_or_init(|| Mutex::new(Duration::from_micros(wasmlive::settings::BRIDGE_SPIN_US))).lock().expect("spin lock")
}

/// Spawn `request` on `runtime`; its result, made Python by `finish`, is
/// what the returned awaitable gives.
pub fn spawn<T, F, G>(py: Python<'_>, runtime: &tokio::runtime::Runtime, request: F, finish: G) -> Reply
where
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
    G: FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
{
    let (completer, waiting) = start();
    runtime.spawn(async move { completer.complete(request.await, finish) });
    waiting.wait(py)
}

/// Wait on the runtime for `event` (a connection's next push, say), made
/// Python by `finish`, without parking the loop's fast path: a listener is
/// not a request in flight, and how long it waited is not a latency.
pub fn listen<T, F, G>(runtime: &tokio::runtime::Runtime, event: F, finish: G) -> Reply
where
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
    G: FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
{
    let slot = Slot::new(false);
    let completer = Completer { slot: slot.clone() };
    runtime.spawn(async move { completer.complete(event.await, finish) });
    Waiting { slot, busy: true }.parked()
}

/// A request's two ends: the [`Completer`] goes with the work (to a Tokio
/// task), the [`Waiting`] becomes the awaitable.
pub fn start() -> (Completer, Waiting) {
    let slot = Slot::new(true);
    let busy = IN_FLIGHT.fetch_add(1, Ordering::AcqRel) > 0;
    (Completer { slot: slot.clone() }, Waiting { slot, busy })
}

/// Whether the running event loop has callbacks ready to run (other tasks
/// that could send requests meanwhile): then the loop should not spin but
/// park, so those requests overlap and their answers come back batched.
/// Reads asyncio's `_ready` queue; loops without one (uvloop) count as idle.
fn loop_has_ready_work(py: Python<'_>) -> bool {
    static GET_LOOP: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();
    let Ok(get_loop) = GET_LOOP.get_or_try_init(py, || -> PyResult<_> {
        Ok(py.import("asyncio")?.getattr("_get_running_loop")?.unbind())
    }) else {
        return false;
    };
    get_loop
        .bind(py)
        .call0()
        .and_then(|l| l.getattr("_ready"))
        .and_then(|ready| ready.len())
        .map(|n| n > 0)
        .unwrap_or(false)
}

/// The fast path for a request already delivered from this thread: poll
/// its answer for up to the spin budget (GIL released), unless other work
/// is in flight or ready on the loop. `None`: park instead.
pub fn spin_for<R: Send>(py: Python<'_>, started: Instant, mut poll: impl FnMut() -> Option<R> + Send) -> Option<R> {
    if let Some(r) = poll() {
        observe(started.elapsed());
        return Some(r);
    }
    if IN_FLIGHT.load(Ordering::Acquire) > 0 || loop_has_ready_work(py) {
        return None;
    }
    let budget = spin_window();
    if budget.is_zero() {
        return None;
    }
    let answer = py.detach(|| {
        let mut spins = 0u32;
        loop {
            if let Some(r) = poll() {
                return Some(r);
            }
            spins += 1;
            if spins.is_multiple_of(64) && started.elapsed() >= budget {
                return None;
            }
            std::hint::spin_loop();
        }
    });
    if answer.is_some() {
        observe(started.elapsed());
    }
    answer
}

/// How long to spin: up to twice the typical latency, within the budget;
/// nothing when requests usually take longer than the budget, or when the
/// process may run on one core only (pinned, or a one-CPU container): the
/// answer comes from a Tokio worker that would need the core the spinning
/// loop thread holds (benches/e2e.py pins its servers to one core).
fn spin_window() -> Duration {
    if wasmlive::runtime::available_cores() < 2 {
        return Duration::ZERO;
    }
    let typical = Duration::from_nanos(TYPICAL_NS.load(Ordering::Relaxed));
    let budget = spin_budget();
    if typical > budget { Duration::ZERO } else { budget.min(typical * 2 + Duration::from_micros(20)) }
}

/// How long the loop thread would now wait for a quick answer, in µs (0:
/// requests park at once). Not public API: the tests read it.
#[pyfunction(name = "_bridge_spin_window_us")]
pub fn bridge_spin_window_us() -> u64 {
    spin_window().as_micros() as u64
}

/// Requests in flight now, process-wide. Not public API: the tests read it.
#[pyfunction(name = "_bridge_in_flight")]
pub fn bridge_in_flight() -> usize {
    IN_FLIGHT.load(Ordering::Acquire)
}

/// Completes one request's slot (exactly once).
pub struct Completer {
    slot: Arc<Slot>,
}

impl Completer {
    pub fn complete<T, G>(self, value: T, finish: G)
    where
        T: Send + 'static,
        G: FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
    {
        self.slot.complete(Box::new(move |py| finish(py, value)));
    }
}

/// The caller's end of a request, before it becomes an awaitable.
pub struct Waiting {
    slot: Arc<Slot>,
    busy: bool,
}

impl Waiting {
    /// The awaitable, after the fast-path wait when nothing else is in flight.
    pub fn wait(self, py: Python<'_>) -> Reply {
        if !self.busy && !loop_has_ready_work(py) {
            let budget = spin_window();
            if !budget.is_zero() {
                let slot = &self.slot;
                py.detach(|| slot.spin(budget));
            }
        }
        self.parked()
    }

    /// The awaitable, without waiting.
    pub fn parked(self) -> Reply {
        Reply { slot: Some(self.slot), ready: Mutex::new(None) }
    }
}

/// An awaitable for one request's outcome (`await reply`).
#[pyclass(module = "wasmlive._host")]
pub struct Reply {
    slot: Option<Arc<Slot>>,
    /// An outcome known before any request (a rejected event, say).
    ready: Mutex<Option<Outcome>>,
}

impl Reply {
    /// An awaitable that gives `value` at once.
    pub fn ready(value: Py<PyAny>) -> Reply {
        Reply { slot: None, ready: Mutex::new(Some(Box::new(move |_| Ok(value)))) }
    }

    /// An awaitable that raises `error` when awaited.
    pub fn failed(error: PyErr) -> Reply {
        Reply { slot: None, ready: Mutex::new(Some(Box::new(move |_| Err(error)))) }
    }

    fn finish(py: Python<'_>, outcome: Outcome) -> PyResult<Py<PyAny>> {
        let value = outcome(py)?;
        Err(PyStopIteration::new_err((value,)))
    }
}

#[pymethods]
impl Reply {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// Done: raise `StopIteration(value)` (or the error). Not done: park on
    /// an asyncio future the loop's bridge resolves.
    fn __next__(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        if let Some(outcome) = self.ready.get_mut().expect("reply lock").take() {
            return Reply::finish(py, outcome);
        }
        let Some(slot) = self.slot.clone() else {
            return Err(PyRuntimeError::new_err("this wasmlive reply was already awaited"));
        };
        // The slot's lock is never held across a Python call: a handler
        // thread completes slots holding the GIL, so a Python call that let
        // the GIL go while this thread held the lock would deadlock.
        let waiting_on = {
            let mut inner = slot.inner.lock().expect("slot lock");
            if let Some(outcome) = inner.outcome.take() {
                drop(inner);
                self.slot = None;
                return Reply::finish(py, outcome);
            }
            inner.future.as_ref().map(|f| f.clone_ref(py))
        };
        if let Some(future) = waiting_on {
            // Resumed before the outcome (should not happen): keep waiting.
            let future = future.bind(py).clone();
            future.setattr("_asyncio_future_blocking", true)?;
            return Ok(future.unbind());
        }
        let bridge = LoopBridge::for_running_loop(py)?;
        let future = bridge.event_loop.bind(py).call_method0("create_future")?;
        future.setattr("_asyncio_future_blocking", true)?;
        let mut inner = slot.inner.lock().expect("slot lock");
        if let Some(outcome) = inner.outcome.take() {
            // Completed meanwhile: no need to park.
            drop(inner);
            self.slot = None;
            return Reply::finish(py, outcome);
        }
        inner.future = Some(future.clone().unbind());
        inner.bridge = Some(bridge);
        Ok(future.unbind())
    }

    /// The outcome, waiting for it on this thread (GIL released): for code
    /// that runs off the event loop, on a handler thread. On a loop, `await`.
    fn result(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        if let Some(outcome) = self.ready.get_mut().expect("reply lock").take() {
            return outcome(py);
        }
        let Some(slot) = self.slot.take() else {
            return Err(PyRuntimeError::new_err("this wasmlive reply was already awaited"));
        };
        {
            let mut inner = slot.inner.lock().expect("slot lock");
            if inner.outcome.is_none() {
                inner.thread = Some(std::thread::current());
            }
        }
        py.detach(|| {
            while !slot.done.load(Ordering::Acquire) {
                std::thread::park();
            }
        });
        let outcome = slot.inner.lock().expect("slot lock").outcome.take();
        match outcome {
            Some(outcome) => outcome(py),
            None => Err(PyRuntimeError::new_err("this wasmlive reply was already awaited")),
        }
    }

    fn send(&mut self, py: Python<'_>, _value: Py<PyAny>) -> PyResult<Py<PyAny>> {
        self.__next__(py)
    }

    /// A cancelled task throws into its awaitable: the request goes on in
    /// its actor (it cannot be taken back), its outcome is dropped.
    #[pyo3(signature = (kind, value=None, _traceback=None))]
    fn throw(&mut self, py: Python<'_>, kind: Bound<'_, PyAny>, value: Option<Bound<'_, PyAny>>, _traceback: Option<Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        self.slot = None;
        *self.ready.get_mut().expect("reply lock") = None;
        let error = match value {
            Some(v) if !v.is_none() => v,
            _ if kind.is_instance_of::<pyo3::types::PyType>() => kind.call0()?,
            _ => kind,
        };
        let _ = py;
        Err(PyErr::from_value(error))
    }

    fn close(&mut self) {
        self.slot = None;
        *self.ready.get_mut().expect("reply lock") = None;
    }
}

/// One event loop's end of the bridge: completed slots waiting for it, and
/// the eventfd that wakes it.
pub struct LoopBridge {
    event_loop: Py<PyAny>,
    eventfd: i32,
    queue: Mutex<Vec<Arc<Slot>>>,
}

/// The bridges of the loops seen so far (usually one).
static BRIDGES: Mutex<Vec<Arc<LoopBridge>>> = Mutex::new(Vec::new());

impl LoopBridge {
    fn for_running_loop(py: Python<'_>) -> PyResult<Arc<LoopBridge>> {
        let running = py.import("asyncio")?.call_method0("get_running_loop")?;
        let mut bridges = BRIDGES.lock().expect("bridges lock");
        // Forget loops that were closed (each test, say, has its own).
        bridges.retain(|b| {
            let closed = b.event_loop.bind(py).call_method0("is_closed").and_then(|c| c.is_truthy()).unwrap_or(true);
            if closed {
                // SAFETY: the fd is ours and no longer watched by a closed loop.
                unsafe { libc::close(b.eventfd) };
            }
            !closed
        });
        if let Some(bridge) = bridges.iter().find(|b| b.event_loop.bind(py).is(&running)) {
            return Ok(bridge.clone());
        }
        // SAFETY: plain syscall; the result is checked.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(PyRuntimeError::new_err(format!("eventfd: {}", std::io::Error::last_os_error())));
        }
        let bridge = Arc::new(LoopBridge {
            event_loop: running.clone().unbind(),
            eventfd: fd,
            queue: Mutex::new(Vec::new()),
        });
        let drain = Py::new(py, Drain { bridge: bridge.clone() })?;
        running.call_method1("add_reader", (fd, drain))?;
        bridges.push(bridge.clone());
        Ok(bridge)
    }

    /// Queue a completed slot; wake the loop if it was not already woken.
    fn push(&self, slot: Arc<Slot>) {
        let was_empty = {
            let mut queue = self.queue.lock().expect("bridge queue lock");
            queue.push(slot);
            queue.len() == 1
        };
        if was_empty {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a live u64 to our eventfd.
            unsafe { libc::write(self.eventfd, (&one as *const u64).cast(), 8) };
        }
    }
}

/// The loop's reader callback: resolve every queued future.
#[pyclass(module = "wasmlive._host")]
struct Drain {
    bridge: Arc<LoopBridge>,
}

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) -> PyResult<()> {
        let mut count: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64; EAGAIN just leaves it 0.
        unsafe { libc::read(self.bridge.eventfd, (&mut count as *mut u64).cast(), 8) };
        let slots = std::mem::take(&mut *self.bridge.queue.lock().expect("bridge queue lock"));
        for slot in slots {
            let future = slot.inner.lock().expect("slot lock").future.take();
            if let Some(future) = future {
                let future = future.bind(py);
                if !future.call_method0("done")?.is_truthy()? {
                    future.call_method1("set_result", (py.None(),))?;
                }
            }
        }
        Ok(())
    }
}
