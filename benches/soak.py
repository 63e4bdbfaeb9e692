#!/usr/bin/env python3
"""Does memory come back? Rounds of WebSocket clients against one server
process, every client gone between rounds; the server's RSS after each.

    python3 benches/soak.py                       # 10 rounds × 300 clients × 50 events, both servers
    python3 benches/soak.py --rounds 3 --json out.json
    python3 benches/soak.py --python .venv/bin/python   # an existing environment, no bench venv

Each round: 300 clients connect at once, each mounts the counter and sends
50 events one after the other (waiting for each patch), then all
disconnect; one second later the server's RSS is read from
/proc/PID/status. A leak, or a cache without bound, shows as RSS growing
round after round; allocator retention as a step after the first round
that stays flat. Servers: wasmlive through Channels (the example project
under uvicorn) and `wasmlive serve`, as in benches/e2e.py.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


async def one_client(url, origin, view, event, params, events):
    from websockets.asyncio.client import connect

    async with connect(url, origin=origin, compression=None) as ws:
        assert json.loads(await ws.recv())["type"] == "connected"
        await ws.send(json.dumps({"type": "mount", "view": view, "ref": 0}))
        view_id = json.loads(await ws.recv())["view_id"]
        for i in range(events):
            await ws.send(json.dumps({"type": "event", "event": event, "params": params(i), "view_id": view_id, "ref": i + 1}))
            answer = json.loads(await ws.recv())
            if answer["type"] != "patch":
                raise RuntimeError(f"event {i}: {answer}")


def client_round(port, view, event, counting, clients, events):
    """One round, run in the bench virtualenv (it has `websockets`)."""
    url, origin = f"ws://127.0.0.1:{port}/ws/live/", f"http://127.0.0.1:{port}"
    params = (lambda i: {"count": i}) if counting else (lambda i: {})

    async def main():
        await asyncio.gather(*[one_client(url, origin, view, event, params, events) for _ in range(clients)])

    asyncio.run(main())


def soak(system, python, rounds, clients, events):
    from e2e import free_port, pin, wait_for

    port = free_port()
    env = dict(os.environ, **system["env"])
    server = subprocess.Popen(pin(0) + system["cmd"](port), cwd=system["cwd"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    load = system["load"]
    view = load[load.index("--view") + 1]
    event = load[load.index("--event") + 1] if "--event" in load else "increment"
    try:
        wait_for(port, server, system["cmd"](port)[0])
        time.sleep(0.5)
        before = rss_kib(server.pid)
        after = []
        for r in range(rounds):
            subprocess.run(
                pin(1) + [python, os.path.abspath(__file__), "--client", str(port), view, event, "1" if "--counting" in load else "0", str(clients), str(events)],
                check=True, timeout=600,
            )
            time.sleep(1.0)
            after.append(rss_kib(server.pid))
            print(f"  round {r + 1}: RSS {after[-1] / 1024:,.1f} MiB", file=sys.stderr)
        return {"before_kib": before, "after_round_kib": after}
    finally:
        server.kill()
        server.wait()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        port, view, event, counting, clients, events = sys.argv[2:8]
        client_round(int(port), view, event, counting == "1", int(clients), int(events))
        return
    from e2e import SERVER_TOOLS, systems
    from actors_peers import ensure_bench_venv
    from render_table_peers import release_build

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--clients", type=int, default=300)
    ap.add_argument("--events", type=int, default=50)
    ap.add_argument("--python", help="a Python with wasmlive, uvicorn and websockets installed (default: the bench virtualenv)")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    python = args.python or ensure_bench_venv()
    if not args.python:
        subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *SERVER_TOOLS], check=True)
    release_build("--bin", "wasmlive")
    chosen = {k: v for k, v in systems(python, python).items() if k in ("wasmlive (Channels)", "wasmlive serve")}
    results = {}
    for name, system in chosen.items():
        print(f"== {name}: {args.rounds} rounds of {args.clients} clients × {args.events} events", file=sys.stderr)
        results[name] = soak(system, python, args.rounds, args.clients, args.events)
    for name, r in results.items():
        rounds = r["after_round_kib"]
        later = rounds[1:] or rounds
        print(f"{name}: RSS {r['before_kib'] / 1024:,.1f} MiB before, {rounds[0] / 1024:,.1f} after round 1, "
              f"{later[0] / 1024:,.1f} → {later[-1] / 1024:,.1f} MiB from round 2 to {len(rounds)} "
              f"({(later[-1] - later[0]) / 1024:+,.1f} MiB)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rounds": args.rounds, "clients": args.clients, "events": args.events, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
