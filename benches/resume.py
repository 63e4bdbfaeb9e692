#!/usr/bin/env python3
"""Resume against a fresh mount (host/examples/resume_bench.rs, Rust, at
the actor level): two actor systems on one redis-server stand for two
processes. Per view: a fresh mount; a resume in process (a parked
session taken back, the view reattached); a resume on the other system
(the snapshot claimed, the view started without mount, reattached). Then
100 clients sending events one after the other to their own views, with
snapshots on and off. A fresh redis-server per round.

    python3 benches/resume.py [--rounds 3] [--views 300] [--seconds 3] [--json OUT]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fanout import Redis  # noqa: E402
from render_table_peers import release_example  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--views", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    binary = release_example("resume_bench")
    rounds = []
    for _ in range(args.rounds):
        redis = Redis()
        try:
            out = subprocess.run([binary, redis.url, str(args.views), str(args.seconds)], check=True, capture_output=True, text=True)
        finally:
            redis.stop()
        rounds.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(rounds[-1]), file=sys.stderr)

    def figure(get):
        values = [get(r) for r in rounds]
        return {"min": min(values), "median": statistics.median(values)}

    summary = {
        f"{what}_{q}_us": figure(lambda r, w=what, q=q: r[f"{w}_us"][q])
        for what in ("mount", "in_process", "across") for q in ("p50", "p99")
    }
    summary["events_off"] = figure(lambda r: r["events_per_second"]["off"])
    summary["events_on"] = figure(lambda r: r["events_per_second"]["on"])
    summary["events_on_share"] = figure(lambda r: r["events_per_second"]["on_share"])
    result = {"views": args.views, "seconds": args.seconds, "rounds": rounds, "summary": summary}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
