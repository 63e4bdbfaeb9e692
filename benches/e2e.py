#!/usr/bin/env python3
"""End to end over real WebSockets: 1, 10 and 100 concurrent clients send
events to the counter view and wait for each patch, against

- wasmlive through Channels (the example project under uvicorn, one worker;
  uvicorn[standard] for both Channels servers),
- djust 1.2.6 through its own LiveViewConsumer (its actor mode, rate
  limits raised; benches/peers/djust_site) under uvicorn, one worker,
- `wasmlive serve` (the Rust server; a template-only counter whose events
  carry the new count, so no Python runs);

and the database workload, for wasmlive and djust through Channels: a
counter whose every event writes one row and reads the count back through
Django's ORM, in sqlite (benches/peers/ormbench; a freshly migrated file
per server).

The server is pinned to core 0 and the load generator (a separate process:
host/examples/ws_load.rs, Rust on one thread) to core 1 when the machine has two cores or more.
Rounds alternate between the systems; each figure is min/median over the
rounds.

    python3 benches/e2e.py [--rounds 3] [--seconds 5] [--clients 1 10 100] [--json out.json] [--plot out.png]
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from actors_peers import ensure_bench_venv  # noqa: E402
from render_table_peers import ensure_venv as ensure_peer_venv, release_build  # noqa: E402

SERVER_TOOLS = ["uvicorn[standard]==0.54.0", "websockets==17.4"]
LOAD_GENERATOR = os.path.join(ROOT, "target", "release", "examples", "ws_load")


def pin(core):
    """`taskset -c core` when there is a core of that number to pin to."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > core:
        return ["taskset", "-c", str(core)]
    return []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, proc, what):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited: {proc.stdout.read().decode()[-2000:]}")
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen within 60 s")


PEERS = os.path.join(ROOT, "benches", "peers")
DEMO = os.path.join(ROOT, "examples", "demo")


def systems(bench_python, peer_python):
    wasmlive_bin = os.path.join(ROOT, "target", "release", "wasmlive")
    return {
        "wasmlive (Channels)": {
            "cmd": lambda port: [bench_python, "-m", "uvicorn", "demo.asgi:application", "--port", str(port), "--ws", "websockets", "--log-level", "warning"],
            "cwd": os.path.join(ROOT, "examples", "demo"),
            "env": {"DJANGO_SETTINGS_MODULE": "wasmlive_bench_settings", "PYTHONPATH": os.pathsep.join([PEERS, DEMO])},
            "load": ["--view", "demo.views.CounterView"],
        },
        "djust (Channels)": {
            "cmd": lambda port: [peer_python, "-m", "uvicorn", "djust_site.asgi:application", "--port", str(port), "--ws", "websockets", "--log-level", "warning"],
            "cwd": os.path.join(PEERS, "djust_site"),
            # Its settings name the database workload's app too (benches/peers/ormbench).
            "env": {"DJANGO_SETTINGS_MODULE": "djust_site.settings", "PYTHONPATH": PEERS},
            "load": ["--view", "benchapp.views.CounterView", "--protocol", "djust", "--page", "/counter/"],
        },
        "wasmlive serve": {
            "cmd": lambda port: [wasmlive_bin, "serve", "--templates", "templates", "--views", "views.json", "--addr", f"127.0.0.1:{port}", "--max-frames-per-second", "0"],
            "cwd": os.path.join(ROOT, "benches", "peers", "serve"),
            "env": {},
            "load": ["--view", "counter", "--event", "set", "--counting"],
        },
        "wasmlive ORM (Channels)": {
            "cmd": lambda port: [bench_python, "-m", "uvicorn", "demo.asgi:application", "--port", str(port), "--ws", "websockets", "--log-level", "warning"],
            "cwd": DEMO,
            "env": {"DJANGO_SETTINGS_MODULE": "ormbench.wasmlive_settings", "PYTHONPATH": os.pathsep.join([PEERS, DEMO])},
            "migrate": bench_python,
            "load": ["--view", "ormbench.live.HitCounterView"],
        },
        "djust ORM (Channels)": {
            "cmd": lambda port: [peer_python, "-m", "uvicorn", "djust_site.asgi:application", "--port", str(port), "--ws", "websockets", "--log-level", "warning"],
            "cwd": os.path.join(PEERS, "djust_site"),
            "env": {"DJANGO_SETTINGS_MODULE": "djust_site.settings", "PYTHONPATH": os.pathsep.join([PEERS, os.path.join(PEERS, "djust_site")])},
            "migrate": peer_python,
            "load": ["--view", "benchapp.views.HitCounterView", "--protocol", "djust", "--page", "/hits/"],
        },
    }


def measure(system, clients, seconds):
    port = free_port()
    env = dict(os.environ, **system["env"])
    database = None
    if "migrate" in system:
        database = tempfile.NamedTemporaryFile(prefix="wasmlive-bench-", suffix=".sqlite3", delete=False).name
        env["BENCH_DB"] = database
        subprocess.run([system["migrate"], "-m", "django", "migrate", "--noinput", "-v", "0"], cwd=system["cwd"], env=env, check=True)
    server = subprocess.Popen(pin(0) + system["cmd"](port), cwd=system["cwd"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(port, server, system["cmd"](port)[0])
        out = subprocess.run(
            pin(1) + [LOAD_GENERATOR, "--url", f"ws://127.0.0.1:{port}/ws/live/",
                      "--clients", str(clients), "--seconds", str(seconds), *system["load"]],
            capture_output=True, text=True, timeout=seconds * 10 + 120,
        )
        if out.returncode != 0:
            raise RuntimeError(f"load generator failed: {out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.kill()
        server.wait()
        if database:
            os.unlink(database)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 10, 100])
    ap.add_argument("--json", help="write the raw results here")
    ap.add_argument("--plot", help="write a PNG of p99 latency and throughput against clients here")
    args = ap.parse_args()

    bench_python = ensure_bench_venv()
    peer_python = ensure_peer_venv()
    for python in (bench_python, peer_python):
        subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *SERVER_TOOLS], check=True)
    release_build("--bin", "wasmlive", "--example", "ws_load")
    chosen = systems(bench_python, peer_python)
    raw = {name: {str(c): [] for c in args.clients} for name in chosen}
    for r in range(args.rounds):
        for clients in args.clients:
            for name, system in chosen.items():
                result = measure(system, clients, args.seconds)
                if result["errors"]:
                    raise RuntimeError(f"{name}: {result['errors']} events failed, first: {result['first_error']}")
                raw[name][str(clients)].append(result)
                print(f"round {r + 1} {name} {clients} clients: {result['events_per_s']:,.0f} events/s, "
                      f"p99 {result['p99_us'] / 1000:,.1f} ms", file=sys.stderr)

    summary = {}
    for name, by_clients in raw.items():
        summary[name] = {}
        for clients, results in by_clients.items():
            rate = [x["events_per_s"] for x in results]
            summary[name][clients] = {
                "events_per_s": {"min": min(rate), "median": statistics.median(rate)},
                **{p: {"min": min(x[p] for x in results), "median": statistics.median(x[p] for x in results)} for p in ("p50_us", "p95_us", "p99_us")},
            }
    print("| system | clients | events/s min / median | p50 ms | p95 ms | p99 ms (medians) |")
    print("|---|---|---|---|---|---|")
    for name, by_clients in summary.items():
        for clients, s in by_clients.items():
            print(f"| {name} | {clients} | {s['events_per_s']['min']:,.0f} / {s['events_per_s']['median']:,.0f} | "
                  f"{s['p50_us']['median'] / 1000:,.2f} | {s['p95_us']['median'] / 1000:,.2f} | {s['p99_us']['median'] / 1000:,.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"raw": raw, "summary": summary, "cores": os.cpu_count(), "pinned": bool(pin(1))}, f, indent=1)
    if args.plot:
        plot(summary, args.plot, bench_python)


def plot(summary, path, python):
    """p99 latency and throughput against clients, one line per system (matplotlib, in the bench venv)."""
    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "matplotlib"], check=True)
    script = r"""
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
summary, path = json.loads(sys.argv[1]), sys.argv[2]
fig, (rate, p99) = plt.subplots(1, 2, figsize=(11, 4.2))
for name, by_clients in summary.items():
    clients = sorted(by_clients, key=int)
    xs = [int(c) for c in clients]
    rate.plot(xs, [by_clients[c]["events_per_s"]["median"] for c in clients], marker="o", label=name)
    p99.plot(xs, [by_clients[c]["p99_us"]["median"] / 1000 for c in clients], marker="o", label=name)
for ax, title, unit in ((rate, "throughput", "events/s"), (p99, "p99 latency", "ms")):
    ax.set_xscale("log"); ax.set_yscale("log"); ax.set_xlabel("concurrent clients"); ax.set_ylabel(unit)
    ax.set_title(title); ax.grid(True, which="both", alpha=.3)
rate.legend()
fig.tight_layout(); fig.savefig(path, dpi=110)
"""
    subprocess.run([python, "-c", script, json.dumps(summary), path], check=True)


if __name__ == "__main__":
    main()
