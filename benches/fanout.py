#!/usr/bin/env python3
"""Fan-out across processes: one broadcast to 10,000 views on two server
processes sharing one Redis, timed from just before it is published to the
moment the last view's frame is read; then broadcasts back to back (the
sustained rate). Against

- `wasmlive serve` (two processes, `--redis`; a template-only view whose
  `topics` is the broadcast's: no Python runs),
- wasmlive through Channels (two uvicorn processes of benches/peers/fanout,
  a LiveView with a trivial `handle_info`; 100 views per connection),
- channels_redis (the same two processes: one consumer per connection joins
  a group and forwards what `group_send` sends it, posted to a Django view
  that calls `group_send`; one member per connection, at channels_redis's
  default capacity of 100 messages per channel).

Broadcasts to wasmlive are published through its PubSub on the same Redis
(what `wasmlive.broadcast` does from any process). The client is
host/examples/ws_fanout.rs (Rust, one process). A fresh Redis per
measurement; rounds alternate between the systems.

    python3 benches/fanout.py [--rounds 3] [--views 10000] [--broadcasts 10] [--burst 50] [--only NAME …] [--json out.json]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from actors_peers import ensure_bench_venv  # noqa: E402
from e2e import SERVER_TOOLS, free_port, wait_for  # noqa: E402
from render_table_peers import release_build  # noqa: E402

PEERS = os.path.join(ROOT, "benches", "peers")
DEMO = os.path.join(ROOT, "examples", "demo")
CLIENT = os.path.join(ROOT, "target", "release", "examples", "ws_fanout")
CHANNELS_REDIS = "channels_redis==4.3.0"
VIEWS_PER_CONNECTION = 100


class Redis:
    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="wasmlive-fanout-redis-")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        wait_for(self.port, self.proc, "redis-server")
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def systems(bench_python):
    serve = os.path.join(ROOT, "target", "release", "wasmlive")
    django_env = {"DJANGO_SETTINGS_MODULE": "fanout.settings", "PYTHONPATH": os.pathsep.join([PEERS, DEMO])}
    uvicorn = lambda port: [bench_python, "-m", "uvicorn", "fanout.asgi:application", "--port", str(port), "--ws", "websockets", "--log-level", "warning"]  # noqa: E731
    return {
        "wasmlive serve": {
            "cmd": lambda port, redis: [serve, "serve", "--templates", "templates", "--views", "views.json", "--addr", f"127.0.0.1:{port}",
                                        "--redis", redis, "--max-frames-per-second", "0"],
            "cwd": os.path.join(PEERS, "fanout_serve"), "env": {},
            "client": lambda ports, redis, views: ["--protocol", "wasmlive", "--view", "fan", "--publish", redis, *per_connection(ports, "/ws/live/", views)],
        },
        "wasmlive (Channels)": {
            "cmd": lambda port, redis: uvicorn(port), "cwd": DEMO, "env": django_env,
            "client": lambda ports, redis, views: ["--protocol", "wasmlive", "--view", "fanout.live.FanView", "--publish", redis,
                                                   *per_connection(ports, "/ws/live/", views)],
        },
        "channels_redis": {
            "cmd": lambda port, redis: uvicorn(port), "cwd": DEMO, "env": django_env,
            "client": lambda ports, redis, views: ["--protocol", "channels", "--publish", f"http://127.0.0.1:{ports[0]}/publish/",
                                                   "--connections", str(views), *urls(ports, "/ws/fan/")],
        },
    }


def urls(ports, path):
    return [arg for port in ports for arg in ("--url", f"ws://127.0.0.1:{port}{path}")]


def per_connection(ports, path, views):
    return ["--connections", str(max(1, views // VIEWS_PER_CONNECTION)), "--views", str(min(views, VIEWS_PER_CONNECTION)), *urls(ports, path)]


def measure(system, views, broadcasts, burst):
    redis = Redis()
    servers = []
    try:
        ports = [free_port(), free_port()]
        for port in ports:
            env = dict(os.environ, FANOUT_REDIS=redis.url, **system["env"])
            proc = subprocess.Popen(system["cmd"](port, redis.url), cwd=system["cwd"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            servers.append(proc)
            wait_for(port, proc, system["cmd"](port, redis.url)[0])
        out = subprocess.run(
            [CLIENT, *system["client"](ports, redis.url, views), "--broadcasts", str(broadcasts), "--burst", str(burst)],
            capture_output=True, text=True, timeout=900,
        )
        if out.returncode != 0 or not out.stdout.strip():
            for proc in servers:
                proc.kill()
            logs = "\n".join(proc.stdout.read().decode(errors="replace")[-2000:] for proc in servers)
            raise RuntimeError(f"the client failed: {out.stderr[-3000:]}\nthe servers said:\n{logs}")
        if out.stderr.strip():
            print(out.stderr[-1500:], file=sys.stderr)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        for proc in servers:
            proc.kill()
            proc.wait()
        redis.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--views", type=int, default=10_000)
    ap.add_argument("--broadcasts", type=int, default=10)
    ap.add_argument("--burst", type=int, default=50)
    ap.add_argument("--only", nargs="+", help="these systems only")
    ap.add_argument("--json", help="write the raw results here")
    args = ap.parse_args()

    bench_python = ensure_bench_venv()
    subprocess.run([bench_python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *SERVER_TOOLS, CHANNELS_REDIS], check=True)
    release_build("--bin", "wasmlive", "--example", "ws_fanout")
    chosen = {k: v for k, v in systems(bench_python).items() if not args.only or k in args.only}
    raw = {name: [] for name in chosen}
    for r in range(args.rounds):
        for name, system in chosen.items():
            result = measure(system, args.views, args.broadcasts, args.burst)
            raw[name].append(result)
            print(f"round {r + 1} {name}: {result['views']} views, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                  f"lost {result['lost']}, {result['burst_per_second']:,.1f} broadcasts/s, short {result['burst_views_short']}, "
                  f"skipped {result['burst_skipped']}", file=sys.stderr)
    summary = {}
    for name, results in raw.items():
        summary[name] = {
            key: {"min": min(x[key] for x in results), "median": statistics.median(x[key] for x in results)}
            for key in ("p50_ms", "p99_ms", "burst_per_second", "lost", "burst_views_short", "burst_skipped", "mount_seconds")
        }
        summary[name]["views"] = results[0]["views"]
    print("| system | views | p50 ms | p99 ms | broadcasts/s | lost (timed) | views short after the burst |")
    print("|---|---|---|---|---|---|---|")
    for name, s in summary.items():
        print(f"| {name} | {s['views']:,} | {s['p50_ms']['median']:,.1f} | {s['p99_ms']['median']:,.1f} | "
              f"{s['burst_per_second']['median']:,.1f} | {s['lost']['median']:,} | {s['burst_views_short']['median']:,} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"raw": raw, "summary": summary, "cores": os.cpu_count(), "views": args.views,
                       "broadcasts": args.broadcasts, "burst": args.burst}, f, indent=1)


if __name__ == "__main__":
    main()
