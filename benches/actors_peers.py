#!/usr/bin/env python3
"""The seed's benchmarks/benchmark_actors.py scenarios, run by one script
against wasmlive's Python module and djust 1.2.6's, in one run.

Both expose the seed's API (`create_session_actor`, `mount(view_path,
params, python_view, template)`, `event`), so the workload below is the
same text for both: the counter template and a Python handler. Rounds
alternate between the two systems; each figure is reported as min/median
of the rounds, and the headline is the ratio.

    python3 benches/actors_peers.py [--rounds 5] [--json out.json]

wasmlive is installed with `pip install ./bindings` (a release build),
with Django, in target/bench-venv; djust in target/peer-venv (both
throwaway).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from render_table_peers import ensure_venv as ensure_peer_venv  # noqa: E402

BENCH_VENV = os.path.join(ROOT, "target", "bench-venv")

# The seed's counter view and template, the same text for both systems;
# every workload script (here and in memory_peers.py) starts with it.
COUNTER = r"""
import asyncio, importlib, json, statistics, sys, time
api = importlib.import_module(sys.argv[1])
create_session_actor = api.create_session_actor

TEMPLATE = '<div data-liveview-root><h1>Counter: {{ count }}</h1><button @click="increment">+</button><button @click="decrement">-</button></div>'

class CounterView:
    def __init__(self):
        self.count = 0
    def increment(self, **kwargs):
        self.count += 1
    def decrement(self, **kwargs):
        self.count -= 1
    def get_context_data(self, **kwargs):
        return {"count": self.count}
# wasmlive calls only methods marked like @event_handler does; djust ignores the mark.
CounterView.increment._wasmlive_handler = True
CounterView.decrement._wasmlive_handler = True

async def mount(actor):
    return await actor.mount("bench.CounterView", {}, CounterView(), TEMPLATE)
"""

WORKLOAD = COUNTER + r"""

async def single_actor(iterations=1000):
    actor = await create_session_actor("bench")
    await mount(actor)
    for _ in range(50):
        await actor.event("increment", {})
    start = time.perf_counter()
    for _ in range(iterations):
        await actor.event("increment", {})
    duration = time.perf_counter() - start
    await actor.shutdown()
    return iterations / duration

async def concurrent_sessions(num_sessions=50, events_per_session=100):
    actors = []
    for i in range(num_sessions):
        actor = await create_session_actor(f"session-{i}")
        await mount(actor)
        actors.append(actor)
    async def send_events(actor):
        for _ in range(events_per_session):
            await actor.event("increment", {})
    start = time.perf_counter()
    await asyncio.gather(*[send_events(a) for a in actors])
    duration = time.perf_counter() - start
    await asyncio.gather(*[a.shutdown() for a in actors])
    return num_sessions * events_per_session / duration

async def mount_latency(iterations=100):
    latencies = []
    for i in range(iterations):
        actor = await create_session_actor(f"bench-{i}")
        start = time.perf_counter()
        await mount(actor)
        latencies.append((time.perf_counter() - start) * 1e6)
        await actor.shutdown()
    latencies.sort()
    return statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]

async def ping_round_trip(iterations=2000):
    actor = await create_session_actor("ping")
    for _ in range(100):
        await actor.ping()
    start = time.perf_counter()
    for _ in range(iterations):
        await actor.ping()
    duration = time.perf_counter() - start
    await actor.shutdown()
    return duration / iterations * 1e6

async def main():
    out = {}
    out["single_actor_events_per_s"] = await single_actor()
    out["concurrent_events_per_s"] = await concurrent_sessions()
    out["mount_p50_us"], out["mount_p99_us"] = await mount_latency()
    out["ping_round_trip_us"] = await ping_round_trip()
    print(json.dumps(out))

asyncio.run(main())
"""


def ensure_bench_venv():
    python = os.path.join(BENCH_VENV, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", BENCH_VENV], check=True)
    if os.environ.get("WASMLIVE_BENCH_VENV_READY") == python:
        return python  # benches/run.py installed it once for every workload
    # The documented install: pip builds the package (release) from bindings/.
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "Django==5.2.19", "channels==4.3.2"], check=True)
    subprocess.run([*pip, "--force-reinstall", "--no-deps", os.path.join(ROOT, "bindings")], check=True)
    return python


def run(python, workload, *args):
    """One round: `workload` in a fresh process, its last line of output as JSON."""
    out = subprocess.run([python, "-c", workload, *args], capture_output=True, text=True, cwd="/tmp")
    if out.returncode != 0:
        raise SystemExit(f"a {args[0] if args else ''} round failed (exit {out.returncode}):\n{out.stderr}{out.stdout}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def alternate(workload, rounds, *args):
    """`workload` against wasmlive and djust, alternating round by round so
    the machine's slow spells fall on both: {system: [result per round]}."""
    systems = {"wasmlive": (ensure_bench_venv(), "wasmlive"), "djust": (ensure_peer_venv(), "djust._rust")}
    results = {name: [] for name in systems}
    for r in range(rounds):
        for name, (python, module) in systems.items():
            results[name].append(run(python, workload, module, *args))
            print(f"round {r + 1} {name}: {results[name][-1]}", file=sys.stderr)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", help="write the raw results here")
    args = ap.parse_args()
    rounds = alternate(WORKLOAD, args.rounds)
    keys = list(rounds["wasmlive"][0])
    higher_is_better = {"single_actor_events_per_s", "concurrent_events_per_s"}
    print(f"{'figure':28} {'wasmlive min/median':>24} {'djust min/median':>24} {'ratio (median)':>15}")
    summary = {}
    for key in keys:
        ours = [x[key] for x in rounds["wasmlive"]]
        theirs = [x[key] for x in rounds["djust"]]
        mo, mt = statistics.median(ours), statistics.median(theirs)
        ratio = mo / mt if key in higher_is_better else mt / mo
        summary[key] = {"wasmlive": {"min": min(ours), "median": mo}, "djust": {"min": min(theirs), "median": mt}, "advantage": ratio}
        print(f"{key:28} {min(ours):>11.1f} / {mo:>10.1f} {min(theirs):>11.1f} / {mt:>10.1f} {ratio:>14.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rounds": rounds, "summary": summary}, f, indent=1)


if __name__ == "__main__":
    main()
