#!/usr/bin/env python3
"""A WebSocket load generator for the end-to-end benchmark: N concurrent
clients, each mounting the counter view and then sending one event at a
time and waiting for its patch, for a fixed time. Prints one JSON object:
events, seconds, events/s and latency percentiles (µs).

    python benches/ws_load.py --url ws://127.0.0.1:8000/ws/live/ --view demo.views.CounterView \
        --clients 10 --seconds 5 [--event increment] [--counting] [--protocol wasmlive|djust]

Run it as its own process (pinned to a core of its own) so that the
server's figures are not the load generator's. `--counting` sends
`{"count": n}` params instead of relying on a handler (for template-only
views, whose events merge their params into the state). `--protocol
djust` speaks djust 1.2.6's frames (`connect`, `mount` with its `url`,
events without a view id); both answer an event with a frame carrying its
`ref`.
"""

import argparse
import asyncio
import json
import statistics
import time

from websockets.asyncio.client import connect


PROTOCOLS = {
    # greeting, mount frame, mounted type, event frame
    "wasmlive": ("connected", lambda a: {"type": "mount", "view": a.view, "params": {}, "ref": 0}, "mounted"),
    "djust": ("connect", lambda a: {"type": "mount", "view": a.view, "params": {}, "url": a.page, "has_prerendered": False}, "mount"),
}


async def answer(ws, ref):
    """The frame answering `ref` (a server may send others in between)."""
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("ref") == ref:
            return frame


async def client(args, mounted_all, go, clock, latencies, errors):
    greeting, mount_frame, mounted_type = PROTOCOLS[args.protocol]
    origin = args.url.replace("ws://", "http://").split("/ws/")[0]
    async with connect(args.url, origin=origin, max_size=None) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == greeting, hello
        await ws.send(json.dumps(mount_frame(args)))
        while True:
            mounted = json.loads(await ws.recv())
            if mounted["type"] == mounted_type:
                break
            assert mounted["type"] != "error", mounted
        view_id = mounted.get("view_id")
        mounted_all.release()
        await go.wait()
        n = 0
        while time.perf_counter() < clock["stop_at"]:
            n += 1
            params = {"count": n} if args.counting else {}
            frame = {"type": "event", "event": args.event, "params": params, "ref": n}
            if view_id:
                frame["view_id"] = view_id
            start = time.perf_counter()
            await ws.send(json.dumps(frame))
            reply = await answer(ws, n)
            latencies.append((time.perf_counter() - start) * 1e6)
            if reply.get("type") not in ("patch", "html_update"):
                errors.append(reply)


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--view", required=True)
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--event", default="increment")
    ap.add_argument("--counting", action="store_true")
    ap.add_argument("--protocol", choices=sorted(PROTOCOLS), default="wasmlive")
    ap.add_argument("--page", default="/", help="the page URL djust's mount frame names")
    args = ap.parse_args()
    latencies, errors = [], []
    # Every client connects and mounts first; the clock starts when all have.
    mounted_all = asyncio.Semaphore(0)
    go = asyncio.Event()
    clock = {}
    tasks = [asyncio.create_task(client(args, mounted_all, go, clock, latencies, errors)) for _ in range(args.clients)]
    for _ in range(args.clients):
        while True:
            try:
                await asyncio.wait_for(mounted_all.acquire(), 1.0)
                break
            except TimeoutError:
                failed = [t for t in tasks if t.done() and t.exception()]
                if failed:
                    raise failed[0].exception()
    start = time.perf_counter()
    clock["stop_at"] = start + args.seconds
    go.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] if latencies else None

    print(json.dumps({
        "clients": args.clients,
        "events": len(latencies),
        "seconds": elapsed,
        "events_per_s": len(latencies) / elapsed,
        "p50_us": pct(0.50),
        "p95_us": pct(0.95),
        "p99_us": pct(0.99),
        "mean_us": statistics.fmean(latencies) if latencies else None,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }))


if __name__ == "__main__":
    asyncio.run(main())
