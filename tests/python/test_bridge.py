"""The asyncio ↔ Tokio bridge's fast path (docs/python.md): with a spare
core the loop thread waits a few microseconds for a quick answer, so the
awaitable is complete before Python awaits it; on one core it must not
(the answer comes from a Tokio worker that needs the very core the waiting
thread would hold), so requests park at once."""

import subprocess
import sys

# After 100 quick pings, how long the loop thread would wait for the next answer.
SCRIPT = r"""
import asyncio
import wasmlive
from wasmlive import _host

async def main():
    actor = await wasmlive.create_session_actor("bridge-probe")
    for _ in range(100):
        await actor.ping()
    await actor.shutdown()
    print(_host._bridge_spin_window_us())

asyncio.run(main())
"""


def spin_window_us(*pin):
    out = subprocess.run([*pin, sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def test_the_loop_thread_never_waits_for_answers_on_one_core():
    assert spin_window_us("taskset", "-c", "0") == 0


def test_with_a_spare_core_it_waits_for_quick_answers():
    assert spin_window_us() > 0
