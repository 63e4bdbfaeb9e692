//! Handler threads: where a Python view's own code runs — `mount`, plain
//! `@event_handler`s, `get_context_data` and the encoding of its context.
//!
//! Django refuses its synchronous ORM on a thread that runs an asyncio
//! loop, and a handler waiting on the database must not stall every other
//! view of the process. So view code runs on a pool of threads, as it
//! would in a threaded WSGI server:
//!
//! - Each thread keeps **one Python thread state for its whole life**
//!   (attached once, detached only while it waits): Django's connections
//!   are per thread and live as long as it does, so `CONN_MAX_AGE` means
//!   what it means under WSGI.
//! - One view's jobs run **one at a time and in order**: each view has a
//!   [`Lane`], a queue the pool serves with at most one thread at a time.
//!   Different views run side by side, up to `handler_threads` at once.
//! - Around each job the pool calls the **cleanup hook** the Django app
//!   sets (`close_old_connections`), as Django does around a request:
//!   after each job's Python, and before it when the thread still holds a
//!   connection; a thread that does calls it again while idle, every
//!   [`IDLE_SWEEP`], so a connection past `CONN_MAX_AGE` is closed even
//!   when no further event comes.
//! - A thread **keeps the GIL while jobs are ready**: a job hands its
//!   result to the actors without blocking (their answer is awaited on
//!   Tokio), so the thread goes on to the next job, and gives the GIL up
//!   only when none is ready (or a job blocks: a database query releases
//!   it). Handing the GIL between the event loop and a handler thread costs
//!   a thread wake-up; under load this makes it once per batch of events,
//!   not twice per event (measured: 50 gathered sessions, 23k → see
//!   docs/performance-notes.md).
//!
//! A job that is itself on a handler thread (code running in a lane calls
//! back into the host) runs inline: it is already where it belongs.

use pyo3::prelude::*;
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

/// One piece of view code, run with the GIL on a handler thread.
pub type Job = Box<dyn FnOnce(Python<'_>) + Send>;

/// How often an idle thread that may hold database connections runs the
/// cleanup hook.
pub const IDLE_SWEEP: Duration = Duration::from_secs(1);

/// Jobs a thread runs from one lane before it lets other lanes go first.
const FAIRNESS_BATCH: usize = 32;

/// A queue of jobs that run one at a time, in the order submitted.
#[derive(Clone, Default)]
pub struct Lane(Arc<LaneInner>);

#[derive(Default)]
struct LaneInner {
    state: Mutex<LaneState>,
}

#[derive(Default)]
struct LaneState {
    jobs: VecDeque<Job>,
    /// Queued on the pool or being served by a thread.
    scheduled: bool,
}

impl Lane {
    pub fn new() -> Lane {
        Lane::default()
    }

    /// Run `job` after this lane's earlier jobs, on a handler thread; at
    /// once on this thread when it already is one.
    pub fn submit(&self, job: Job) {
        if ON_HANDLER_THREAD.get() {
            return Python::attach(job);
        }
        let mut state = self.0.state.lock().expect("lane lock");
        state.jobs.push_back(job);
        if state.scheduled {
            return;
        }
        state.scheduled = true;
        drop(state);
        pool().schedule(self.0.clone());
    }
}

/// Whether the calling thread is a handler thread.
pub fn on_handler_thread() -> bool {
    ON_HANDLER_THREAD.get()
}

thread_local! {
    static ON_HANDLER_THREAD: Cell<bool> = const { Cell::new(false) };
}

struct Pool {
    queue: Mutex<PoolState>,
    work: Condvar,
    jobs_run: AtomicU64,
    /// `ready.len()`, for the spinning thread to poll without the lock.
    ready_len: AtomicUsize,
    /// Threads whose last cleanup said a database connection is still open.
    holding: AtomicUsize,
}

#[derive(Default)]
struct PoolState {
    ready: VecDeque<Arc<LaneInner>>,
    threads: usize,
    idle: usize,
    /// An idle thread is polling for work instead of sleeping: a lane
    /// scheduled now needs no wake-up.
    spinning: bool,
}

/// How long one idle thread polls for the next job (yielding its core
/// between looks) before it sleeps: an event's job usually follows the
/// last one within this, and waking a sleeping thread costs tens of
/// microseconds on a virtual machine. None when the process may use one
/// core only.
fn idle_spin() -> Duration {
    if wasmlive::runtime::available_cores() < 2 { Duration::ZERO } else { Duration::from_micros(100) }
}

/// The most threads the pool starts (`handler_threads`).
static MAX_THREADS: AtomicUsize = AtomicUsize::new(0);
static HOOK: Mutex<Option<Py<PyAny>>> = Mutex::new(None);
static POOL: OnceLock<Pool> = OnceLock::new();

fn pool() -> &'static Pool {
    POOL.get_or_init(|| Pool {
        queue: Mutex::new(PoolState::default()),
        work: Condvar::new(),
        jobs_run: AtomicU64::new(0),
        ready_len: AtomicUsize::new(0),
        holding: AtomicUsize::new(0),
    })
}

/// The default size: as many threads as Python's own thread pool executor
/// would start (`min(32, cores + 4)`), since handlers mostly wait on I/O.
fn default_threads() -> usize {
    (wasmlive::runtime::available_cores() + 4).min(32)
}

fn max_threads() -> usize {
    match MAX_THREADS.load(Ordering::Relaxed) {
        0 => default_threads(),
        n => n,
    }
}

impl Pool {
    fn schedule(&'static self, lane: Arc<LaneInner>) {
        let mut state = self.queue.lock().expect("pool lock");
        state.ready.push_back(lane);
        self.ready_len.store(state.ready.len(), Ordering::Release);
        if state.spinning {
            return;
        }
        if state.idle > 0 {
            drop(state);
            self.work.notify_one();
            return;
        }
        if state.threads < max_threads() {
            state.threads += 1;
            let number = state.threads;
            drop(state);
            let spawned = std::thread::Builder::new()
                .name(format!("wasmlive-handler-{number}"))
                .spawn(move || self.serve());
            if spawned.is_err() {
                // Nothing started: a running thread will take the lane when it is free.
                self.queue.lock().expect("pool lock").threads -= 1;
            }
        }
        // Otherwise every thread is busy; one takes the lane when it is done.
    }

    /// A handler thread's life: take a job and run it; while more jobs
    /// are ready, go on without giving the GIL up; when none is, wait for
    /// one with the GIL released.
    fn serve(&'static self) {
        ON_HANDLER_THREAD.set(true);
        Python::attach(|py| {
            let mut holding = false;
            let mut lane: Option<(Arc<LaneInner>, usize)> = None;
            loop {
                let job = match self.next_job(&mut lane, None) {
                    Some(job) => Some(job),
                    None => py.detach(|| self.next_job(&mut lane, Some(holding))),
                };
                match job {
                    Some(job) => {
                        if holding {
                            run_hook(py);
                        }
                        job(py);
                        self.jobs_run.fetch_add(1, Ordering::Relaxed);
                        holding = self.cleanup(py, holding);
                    }
                    // An idle sweep.
                    None => holding = self.cleanup(py, holding),
                }
            }
        });
    }

    /// The next job: the current lane's (up to [`FAIRNESS_BATCH`] in a
    /// row), else the first ready lane's. `wait: None`: `None` at once when
    /// no job is ready; `Some(holding)`: wait for one, and give `None`
    /// after an idle sweep interval when this thread may hold a connection.
    fn next_job(&self, current: &mut Option<(Arc<LaneInner>, usize)>, wait: Option<bool>) -> Option<Job> {
        loop {
            if let Some((lane, served)) = current.as_mut() {
                let mut state = lane.state.lock().expect("lane lock");
                if *served < FAIRNESS_BATCH {
                    if let Some(job) = state.jobs.pop_front() {
                        *served += 1;
                        return Some(job);
                    }
                }
                // Done with this lane: unscheduled if empty (under its lock,
                // so a job submitted now schedules it again), else behind the
                // lanes already waiting.
                let more = !state.jobs.is_empty();
                if !more {
                    state.scheduled = false;
                }
                drop(state);
                let (lane, _) = current.take().expect("current lane");
                if more {
                    let mut queue = self.queue.lock().expect("pool lock");
                    queue.ready.push_back(lane);
                    self.ready_len.store(queue.ready.len(), Ordering::Release);
                }
            }
            let lane = match wait {
                Some(holding) => self.next_lane(holding)?,
                None => {
                    let mut queue = self.queue.lock().expect("pool lock");
                    let lane = queue.ready.pop_front()?;
                    self.ready_len.store(queue.ready.len(), Ordering::Release);
                    lane
                }
            };
            *current = Some((lane, 0));
        }
    }

    /// The next lane with work; `None` after an idle sweep interval when
    /// this thread may hold a connection (so it can clean up).
    fn next_lane(&self, holding: bool) -> Option<Arc<LaneInner>> {
        let mut state = self.queue.lock().expect("pool lock");
        let mut spun = false;
        loop {
            if let Some(lane) = state.ready.pop_front() {
                self.ready_len.store(state.ready.len(), Ordering::Release);
                return Some(lane);
            }
            let window = idle_spin();
            if !spun && !state.spinning && !window.is_zero() {
                spun = true;
                state.spinning = true;
                drop(state);
                let started = std::time::Instant::now();
                while self.ready_len.load(Ordering::Acquire) == 0 && started.elapsed() < window {
                    std::thread::yield_now();
                }
                state = self.queue.lock().expect("pool lock");
                state.spinning = false;
                continue;
            }
            state.idle += 1;
            if holding {
                let (s, timeout) = self.work.wait_timeout(state, IDLE_SWEEP).expect("pool lock");
                state = s;
                state.idle -= 1;
                if timeout.timed_out() && state.ready.is_empty() {
                    return None;
                }
            } else {
                state = self.work.wait(state).expect("pool lock");
                state.idle -= 1;
            }
        }
    }

    /// Run the hook after work or while idle; whether a connection is still open.
    fn cleanup(&self, py: Python<'_>, was_holding: bool) -> bool {
        let holding = run_hook(py);
        match (was_holding, holding) {
            (false, true) => {
                self.holding.fetch_add(1, Ordering::Relaxed);
            }
            (true, false) => {
                self.holding.fetch_sub(1, Ordering::Relaxed);
            }
            _ => {}
        }
        holding
    }
}

/// Call the cleanup hook; whether it says a connection is still open. A
/// failing hook is reported on the `wasmlive` logger (it never stops the
/// thread) and counts as holding one, so it runs again.
fn run_hook(py: Python<'_>) -> bool {
    let hook = HOOK.lock().expect("hook lock").as_ref().map(|h| h.clone_ref(py));
    let Some(hook) = hook else { return false };
    match hook.bind(py).call0().and_then(|r| r.is_truthy()) {
        Ok(holding) => holding,
        Err(e) => {
            crate::errors::log_exception(py, "wasmlive: the handler threads' cleanup hook failed", &e);
            true
        }
    }
}

/// `set_handler_threads(count=None, cleanup=None)`: the pool's size (None:
/// `min(32, cores + 4)`) and its cleanup hook (see the module docs).
#[pyfunction]
#[pyo3(signature = (count=None, cleanup=None))]
pub fn set_handler_threads(count: Option<usize>, cleanup: Option<Py<PyAny>>) -> PyResult<()> {
    if count == Some(0) {
        return Err(pyo3::exceptions::PyValueError::new_err("handler_threads must be at least 1"));
    }
    // Threads already started stay.
    MAX_THREADS.store(count.unwrap_or(0), Ordering::Relaxed);
    *HOOK.lock().expect("hook lock") = cleanup;
    Ok(())
}

/// `function(*args)` on `lane`: the reply gives what it returned, or raises
/// what it raised.
pub fn run_in(py: Python<'_>, lane: &Lane, function: Py<PyAny>, args: Py<pyo3::types::PyTuple>) -> PyResult<crate::bridge::Reply> {
    let (completer, waiting) = crate::bridge::start();
    lane.submit(
        Box::new(move |py| {
            let result = function.bind(py).call1(args.bind(py)).map(Bound::unbind);
            completer.complete(result, |_, result| result);
        }),
    );
    Ok(if on_handler_thread() { waiting.parked() } else { waiting.wait(py) })
}

/// The handler threads now: `{"threads", "busy", "jobs_run",
/// "holding_connections"}` (threads whose last cleanup left a database
/// connection open).
#[pyfunction]
pub fn handler_thread_stats(py: Python<'_>) -> PyResult<Py<pyo3::types::PyDict>> {
    let (threads, busy, jobs_run, holding) = match POOL.get() {
        None => (0, 0, 0, 0),
        Some(pool) => {
            let state = pool.queue.lock().expect("pool lock");
            (state.threads, state.threads - state.idle, pool.jobs_run.load(Ordering::Relaxed), pool.holding.load(Ordering::Relaxed))
        }
    };
    let d = pyo3::types::PyDict::new(py);
    d.set_item("threads", threads)?;
    d.set_item("busy", busy)?;
    d.set_item("jobs_run", jobs_run)?;
    d.set_item("holding_connections", holding)?;
    Ok(d.unbind())
}

