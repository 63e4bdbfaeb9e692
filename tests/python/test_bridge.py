"""The asyncio ↔ Tokio bridge's fast path (docs/python.md): with a spare
core the loop thread waits a few microseconds for a quick answer, so the
awaitable is complete before Python awaits it; on one core it must not
(the answer comes from a Tokio worker that needs the very core the waiting
thread would hold), so requests park at once."""

import subprocess
import sys

# After 100 quick pings, how long the loop thread would wait for the next
# answer. The budget is generous so that a slow, shared machine (a ping
# taking longer than the default 200 µs) still counts as "quick": the test is
# about cores, not about this machine's speed.
SCRIPT = r"""
import asyncio
import wasmlive
from wasmlive import _host

BUDGET_US = 1_000_000

async def main():
    wasmlive.configure(bridge_spin_us=BUDGET_US)
    actor = await wasmlive.create_session_actor("bridge-probe")
    for _ in range(100):
        await actor.ping()
    await actor.shutdown()
    window = _host._bridge_spin_window_us()
    assert window <= BUDGET_US, window
    print(window)

asyncio.run(main())
"""


def spin_window_us(*pin):
    out = subprocess.run([*pin, sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def test_the_loop_thread_never_waits_for_answers_on_one_core():
    assert spin_window_us("taskset", "-c", "0") == 0


def test_with_a_spare_core_it_waits_for_quick_answers():
    assert spin_window_us() > 0


# A connection's wait for pushes may last as long as the connection: it is
# not a request in flight, and how long it waited is not a latency, so it
# must leave the fast path on for the requests made meanwhile.
LISTENING = r"""
import asyncio
import wasmlive
from wasmlive import _host

async def main():
    wasmlive.configure(bridge_spin_us=1_000_000)
    actor = await wasmlive.create_session_actor("bridge-listener")
    listener = asyncio.ensure_future(actor.pushes().wait())
    await asyncio.sleep(0.2)
    for _ in range(100):
        await actor.ping()
    print(_host._bridge_in_flight(), _host._bridge_spin_window_us(), listener.done())
    listener.cancel()
    await actor.shutdown()

asyncio.run(main())
"""


def test_a_connection_waiting_for_pushes_leaves_the_fast_path_on():
    out = subprocess.run([sys.executable, "-c", LISTENING], capture_output=True, text=True, timeout=120, check=True)
    in_flight, window, done = out.stdout.split()
    assert (in_flight, done) == ("0", "False")
    # The spin window is still short: a 0.2 s+ wait was not taken as a request's latency.
    assert 0 < int(window) < 200_000
