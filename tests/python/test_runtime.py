"""The Tokio runtime's idle workers wait a little before parking
(`worker_spin_us`, host/src/runtime.rs): on by default with a spare core,
off on one core (the waiting worker would hold the only core), validated,
and fixed once the runtime has started."""

import json
import subprocess
import sys

import pytest

import wasmlive

# Starts the runtime with the given setting, then tries to change it.
SCRIPT = r"""
import asyncio, sys
import wasmlive
from wasmlive import _host

async def main():
    if len(sys.argv) > 1:
        wasmlive.configure(worker_spin_us=int(sys.argv[1]))
    actor = await wasmlive.create_session_actor("runtime-probe")
    await actor.ping()
    print(_host._worker_spin_us())
    await wasmlive.shutdown_actor_system()
    wasmlive.configure(worker_spin_us=_host._worker_spin_us())  # the same value: fine
    try:
        wasmlive.configure(worker_spin_us=_host._worker_spin_us() + 1)
    except RuntimeError as e:
        print(e)

asyncio.run(main())
"""


def run(*argv, pin=()):
    out = subprocess.run([*pin, sys.executable, "-c", SCRIPT, *argv], capture_output=True, text=True, timeout=120, check=True)
    return out.stdout.strip().splitlines()


def test_workers_wait_with_a_spare_core_and_never_on_one():
    assert run()[0] == "100"
    assert run(pin=("taskset", "-c", "0"))[0] == "0"


def test_the_wait_is_fixed_once_the_runtime_has_started():
    spin, refusal = run("30")
    assert spin == "30"
    assert refusal == "worker_threads and worker_spin_us are fixed once the runtime has started"


@pytest.mark.parametrize("bad", [-1, 1.5, "50", 100_001])
async def test_a_bad_wait_is_refused(bad):
    await wasmlive.shutdown_actor_system()  # configure() refuses a running system first
    with pytest.raises(ValueError, match="worker_spin_us must be None or a whole number of microseconds from 0 to 100000"):
        wasmlive.configure(worker_spin_us=bad)


def test_the_command_line_from_python_takes_the_runtime_flags():
    argv = [sys.executable, "-m", "wasmlive", "bench", "--sessions", "20", "--events", "50", "--json", "--worker-threads", "1", "--worker-spin-us", "0"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=True)
    assert json.loads(out.stdout)["worker_threads"] == 1
