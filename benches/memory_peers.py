#!/usr/bin/env python3
"""Memory per mounted session, wasmlive against djust 1.2.6: one script
text mounts N sessions (the seed's counter view and template with a Python
handler, one event handled each) through the seed's API and reads what the
process grew by.

    python3 benches/memory_peers.py [--sessions 5000] [--rounds 3] [--json out.json]

Each round is a fresh process per system, rounds alternate between the
systems. Before the clock starts, 50 sessions are mounted and dropped so
one-time costs (the runtime, compiled guests and templates, imported
modules) are not charged to sessions. The sessions are measured at rest,
as most of a server's are: 2.5 s after the last event (wasmlive's views give
their guests' fiber stacks back after 1 s without a call; djust keeps what
it keeps), in both systems alike. The figure is the growth of the
process's PSS (proportional set size: a page shared by k mappings counts
1/k, so what a session really adds) and of its RSS, divided by N. Both
come from /proc/self/smaps_rollup, as `wasmlive bench` reads them.
"""

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from actors_peers import COUNTER, alternate  # noqa: E402

WORKLOAD = COUNTER + r"""
import gc, os

def memory_kib():
    fields = {}
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1])
    return fields["Rss"], fields["Pss"]

async def mounted_session(i):
    actor = await create_session_actor(f"memory-{i}")
    await mount(actor)
    await actor.event("increment", {})
    return actor

async def main(sessions):
    warm = [await mounted_session(f"warm-{i}") for i in range(50)]
    await asyncio.gather(*[a.shutdown() for a in warm])
    del warm
    gc.collect()
    await asyncio.sleep(0.2)
    rss0, pss0 = memory_kib()
    actors = [await mounted_session(i) for i in range(sessions)]
    gc.collect()
    await asyncio.sleep(2.5)
    rss1, pss1 = memory_kib()
    # Memory of sessions that died is no figure: a sample of them must still answer.
    for a in actors[:: max(1, sessions // 100)]:
        await a.ping()
    print(json.dumps({
        "sessions": sessions,
        "pss_kib_per_session": (pss1 - pss0) / sessions,
        "rss_kib_per_session": (rss1 - rss0) / sessions,
        "pss_total_mib": pss1 / 1024,
    }))
    # Exit without tearing N sessions down one by one: nothing is measured after.
    os._exit(0)

asyncio.run(main(int(sys.argv[2])))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", help="write the raw results here")
    args = ap.parse_args()
    rounds = alternate(WORKLOAD, args.rounds, str(args.sessions))
    summary = {}
    print(f"{args.sessions:,} mounted counter sessions, KiB per session (min / median of {args.rounds})")
    for key in ("pss_kib_per_session", "rss_kib_per_session"):
        summary[key] = {}
        for name in rounds:
            values = [x[key] for x in rounds[name]]
            summary[key][name] = {"min": min(values), "median": statistics.median(values)}
        ours, theirs = summary[key]["wasmlive"]["median"], summary[key]["djust"]["median"]
        summary[key]["advantage"] = theirs / ours
        print(f"{key:22} wasmlive {summary[key]['wasmlive']['min']:8.1f} / {ours:8.1f}   "
              f"djust {summary[key]['djust']['min']:8.1f} / {theirs:8.1f}   ratio {theirs / ours:.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"sessions": args.sessions, "rounds": rounds, "summary": summary}, f, indent=1)


if __name__ == "__main__":
    main()
