//! The Tokio runtime the actors run on, tuned for their traffic.
//!
//! An event is a chain of short hand-offs — caller → session → view →
//! caller — each a few microseconds of work. On Tokio's multi-thread
//! scheduler a worker with nothing to do parks at once. The busy worker then
//! wakes it every few hand-offs (Tokio runs at most three woken tasks in a
//! row from a worker's LIFO slot, then queues the next one and signals a
//! parked worker: an eventfd write on the busy worker's path, a context
//! switch on the other); work sent from outside the runtime (the Python
//! bridge) always waits for a parked worker to wake. On the 2-core machines
//! we measure on, that costs a lone session a third of its event rate from
//! Rust and two thirds from Python.
//!
//! So a worker with nothing to do [waits a little](RuntimeConfig::spin_before_park)
//! before it parks (all but one: the last idle worker parks at once, on
//! the I/O driver), yielding its core between looks: while it waits Tokio
//! counts it as awake (searching for work), so the busy worker does not
//! signal it; it stops as soon as work arrives from outside the runtime and takes
//! that work without being signalled; and yielding lets any other thread
//! that wants the core (the Python interpreter's, above all) have it, which
//! a plain spin would not (measured: a plain 100 µs spin cost the Python
//! single-session rate a third; the yielding one tripled it). The cost: an
//! idle worker keeps its core busy for up to one window after its last task
//! unless another thread wants it, and a task queued behind a busy worker
//! waits up to one window before the waiting worker steals it.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::runtime::{Builder, Handle, Runtime};

/// How to build the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// Worker threads; `None`: Tokio's default (`TOKIO_WORKER_THREADS`, or
    /// the cores this process may use).
    pub worker_threads: Option<usize>,
    /// How long a worker with nothing to do waits for work (yielding its
    /// core between looks) before it parks. Zero: park at once (Tokio's
    /// behaviour).
    pub spin_before_park: Duration,
}

/// The default wait: long enough to cover the gap between a Python
/// caller's events (measured on 2 cores, a Python session's event rate
/// against parking at once: 50 µs 2.9×, 100 µs 3.2×, 200 µs 3.6×, 500 µs
/// 3.1×; from Rust most of the gain is there by 100 µs), short enough that
/// an idle server's workers are parked a tenth of a millisecond after its
/// last event.
pub const DEFAULT_SPIN_BEFORE_PARK: Duration = Duration::from_micros(crate::settings::WORKER_SPIN_US);

/// The longest wait a setting may ask for, in µs: longer would be a busy
/// loop, not a wait.
pub const MAX_SPIN_BEFORE_PARK_US: u64 = 100_000;

impl Default for RuntimeConfig {
    fn default() -> Self {
        let cores = available_cores();
        RuntimeConfig {
            worker_threads: None,
            spin_before_park: default_spin(cores),
        }
    }
}

/// The cores this process may run on (affinity and cgroup aware), as at
/// the first call: asking reads the cgroup files, and callers ask per
/// request.
pub fn available_cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// No wait on one core: nothing else can run the work the worker waits
/// for while it holds the core.
fn default_spin(cores: usize) -> Duration {
    if cores < 2 {
        Duration::ZERO
    } else {
        DEFAULT_SPIN_BEFORE_PARK
    }
}

impl RuntimeConfig {
    /// Build a multi-thread runtime (I/O and time enabled) whose threads are
    /// named `thread_name`.
    pub fn build(&self, thread_name: &str) -> io::Result<Runtime> {
        let mut builder = Builder::new_multi_thread();
        builder.thread_name(thread_name).enable_all();
        if let Some(n) = self.worker_threads {
            builder.worker_threads(n.max(1));
        }
        if !self.spin_before_park.is_zero() {
            let window = self.spin_before_park;
            let waiters = Arc::new(AtomicUsize::new(0));
            builder.on_thread_park(move || {
                let Ok(handle) = Handle::try_current() else { return };
                let metrics = handle.metrics();
                // One idle worker always parks at once: a parked worker is
                // the one that waits on the I/O driver, and network events
                // must not wait for a window to end.
                if waiters.fetch_add(1, Ordering::AcqRel) + 1 >= metrics.num_workers() {
                    waiters.fetch_sub(1, Ordering::AcqRel);
                    return;
                }
                spin_until_work(window, || metrics.global_queue_depth() > 0);
                waiters.fetch_sub(1, Ordering::AcqRel);
            });
        }
        builder.build()
    }
}

/// Why a spin ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpinEnd {
    /// Work arrived.
    Work,
    /// The window passed.
    Window,
}

/// Look for work until `has_work` says so or `window` has passed,
/// yielding the core between looks.
pub(crate) fn spin_until_work(window: Duration, has_work: impl Fn() -> bool) -> SpinEnd {
    let started = Instant::now();
    loop {
        if has_work() {
            return SpinEnd::Work;
        }
        if started.elapsed() >= window {
            return SpinEnd::Window;
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spin_ends_when_work_arrives_or_the_window_passes() {
        let looks = AtomicUsize::new(0);
        let end = spin_until_work(Duration::from_secs(60), || looks.fetch_add(1, Ordering::Relaxed) == 100);
        assert_eq!((end, looks.load(Ordering::Relaxed)), (SpinEnd::Work, 101));

        let window = Duration::from_millis(2);
        let started = Instant::now();
        assert_eq!(spin_until_work(window, || false), SpinEnd::Window);
        assert!(started.elapsed() >= window);
    }

    #[test]
    fn one_core_gets_no_spin() {
        assert_eq!(default_spin(1), Duration::ZERO);
        assert_eq!(default_spin(2), DEFAULT_SPIN_BEFORE_PARK);
    }

    /// Two workers that wait a whole second before parking: a test that
    /// finishes within one window shows nothing waited for a window to end.
    fn two_workers_waiting_a_second() -> (Runtime, Duration) {
        let window = Duration::from_secs(1);
        let config = RuntimeConfig {
            worker_threads: Some(2),
            spin_before_park: window,
        };
        (config.build("spin-test").unwrap(), window)
    }

    /// Work sent from outside the runtime must not wait for a spinning
    /// worker's window: a thousand tasks spawned one after the other from a
    /// plain thread (each while the workers are idle, so spinning) finish
    /// within one window, where waiting would take a thousand.
    #[test]
    fn a_spinning_runtime_takes_work_from_outside_at_once() {
        let (runtime, window) = two_workers_waiting_a_second();
        let done = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        for i in 0..1_000 {
            let done = done.clone();
            let task = runtime.spawn(async move { done.fetch_add(1, Ordering::Relaxed) + 1 });
            assert_eq!(runtime.block_on(task).unwrap(), i + 1);
        }
        assert!(started.elapsed() < window, "a spinning worker held outside work for its window");
        runtime.shutdown_timeout(window * 2);
    }

    /// The last idle worker must park at once, on the I/O driver: a hundred
    /// messages through a socket, each sent from a plain thread while the
    /// workers are idle, are all read within one window.
    #[test]
    fn an_idle_runtime_still_sees_network_events_at_once() {
        use std::io::{Read, Write};
        let (runtime, window) = two_workers_waiting_a_second();
        let (mut ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        theirs.set_nonblocking(true).unwrap();
        let echo = runtime.spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut theirs = tokio::net::UnixStream::from_std(theirs).unwrap();
            let mut byte = [0u8; 1];
            while theirs.read_exact(&mut byte).await.is_ok() {
                theirs.write_all(&byte).await.unwrap();
            }
        });
        let started = Instant::now();
        for i in 0..100u8 {
            // Let the workers go idle before each message.
            std::thread::sleep(Duration::from_micros(200));
            ours.write_all(&[i]).unwrap();
            let mut back = [0u8; 1];
            ours.read_exact(&mut back).unwrap();
            assert_eq!(back[0], i);
        }
        assert!(started.elapsed() < window, "network events waited for a worker's window");
        drop(ours);
        runtime.block_on(echo).unwrap();
        runtime.shutdown_timeout(window * 2);
    }

    /// The point of the wait: two tasks handing a message back and forth
    /// keep the other worker awake instead of parking and signalling it
    /// every few hand-offs.
    #[test]
    fn hand_offs_do_not_park_a_waiting_worker() {
        let parks_during_ping_pong = |config: RuntimeConfig| {
            let runtime = config.build("spin-test").unwrap();
            let metrics = runtime.metrics();
            let parks = move || (0..metrics.num_workers()).map(|w| metrics.worker_park_count(w)).sum::<u64>();
            let (before, after) = runtime.block_on(async {
                let (to_pong, mut pongs) = tokio::sync::mpsc::channel::<tokio::sync::oneshot::Sender<()>>(1);
                tokio::spawn(async move {
                    while let Some(reply) = pongs.recv().await {
                        // A few microseconds of work, like a render.
                        let started = Instant::now();
                        while started.elapsed() < Duration::from_micros(5) {}
                        let _ = reply.send(());
                    }
                });
                let ping = tokio::spawn(async move {
                    let before = parks();
                    for _ in 0..5_000 {
                        let (reply, answer) = tokio::sync::oneshot::channel();
                        to_pong.send(reply).await.unwrap();
                        answer.await.unwrap();
                    }
                    (before, parks())
                });
                ping.await.unwrap()
            });
            runtime.shutdown_timeout(Duration::from_secs(2));
            after - before
        };
        let waiting = parks_during_ping_pong(RuntimeConfig {
            worker_threads: Some(2),
            spin_before_park: Duration::from_secs(1),
        });
        let parking = parks_during_ping_pong(RuntimeConfig {
            worker_threads: Some(2),
            spin_before_park: Duration::ZERO,
        });
        assert!(waiting * 10 < parking, "parks while waiting {waiting}, while parking at once {parking}");
    }
}
