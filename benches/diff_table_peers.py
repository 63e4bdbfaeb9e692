#!/usr/bin/env python3
"""Diff the 100-row table page into its update (every price changed, 10
rows reordered, 5 inserted, 5 removed) with wasmlive's VDOM guest through
wasmtime and djust 1.2.6's native `diff_html`, in one run on one machine:
time per diff and patch count.

    python3 benches/diff_table_peers.py [--calls N] [--repeats N] [--json FILE]

The pages are the table of benches/render_table_peers.py rendered by
Django; djust runs in the throwaway virtualenv that script makes.
"""

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from render_table_peers import TEMPLATE, ensure_venv, release_example, rows, table_arguments  # noqa: E402

PEER_SCRIPT = r"""
import json, sys, time
import django
from django.conf import settings
settings.configure(USE_TZ=False, USE_I18N=False, INSTALLED_APPS=[])
django.setup()
from django.template import Context, Engine
import djust._rust as djust

mode = sys.argv[1]
if mode == "render":
    template, old_rows, new_rows, out_old, out_new = sys.argv[2:7]
    compiled = Engine(autoescape=True).from_string(open(template).read())
    for rows_file, out in ((old_rows, out_old), (new_rows, out_new)):
        open(out, "w").write(compiled.render(Context({"rows": json.load(open(rows_file))})))
    sys.exit()
old, new, calls, repeats = open(sys.argv[2]).read(), open(sys.argv[3]).read(), int(sys.argv[4]), int(sys.argv[5])
patches = json.loads(djust.diff_html(old, new))
for _ in range(calls // 10):
    djust.diff_html(old, new); djust.diff_html(new, old)
per_call = []
for _ in range(repeats):
    start = time.perf_counter()
    for _ in range(calls // 2):
        djust.diff_html(old, new); djust.diff_html(new, old)
    per_call.append((time.perf_counter() - start) * 1e6 / (calls // 2 * 2))
print(json.dumps({"per_call_us": per_call, "patches": patches}))
"""


def updated(old_rows, seed=7):
    """Every price changed, 10 rows reordered, 5 inserted, 5 removed."""
    r = random.Random(seed)
    new = [dict(row, price=row["price"] + 0.5) for row in old_rows]
    for row in r.sample(new, 5):
        new.remove(row)
    moved = r.sample(range(len(new)), 10)
    picked = [new[i] for i in moved]
    r.shuffle(picked)
    for i, row in zip(sorted(moved), picked):
        new[i] = row
    for k in range(5):
        new.insert(r.randrange(len(new)), {"id": 1000 + k, "name": f"New <{k}>", "price": 9.99, "tags": ["n"], "active": True})
    return new


def main():
    args = table_arguments(__doc__)
    python = ensure_venv()
    runner = release_example("diff_table")
    with tempfile.TemporaryDirectory() as tmp:
        paths = {name: os.path.join(tmp, name) for name in ("table.html", "old.json", "new.json", "old.html", "new.html")}
        with open(paths["table.html"], "w") as f:
            f.write(TEMPLATE)
        old_rows = rows()
        json.dump(old_rows, open(paths["old.json"], "w"))
        json.dump(updated(old_rows), open(paths["new.json"], "w"))
        subprocess.run([python, "-c", PEER_SCRIPT, "render", paths["table.html"], paths["old.json"], paths["new.json"], paths["old.html"], paths["new.html"]], check=True)
        results = {"wasmlive": {"per_call_us": []}, "djust": {"per_call_us": []}}
        for _ in range(args.repeats):
            for name, cmd in (("wasmlive", [runner]), ("djust", [python, "-c", PEER_SCRIPT, "diff"])):
                one = json.loads(subprocess.run([*cmd, paths["old.html"], paths["new.html"], str(args.calls), "1"], check=True, capture_output=True, text=True).stdout)
                results[name]["per_call_us"] += one["per_call_us"]
                results[name]["patches"] = len(one["patches"])
    ours = statistics.median(results["wasmlive"]["per_call_us"])
    print(f"100-row table update, {args.repeats} interleaved rounds x {args.calls} diffs")
    print("| engine | min µs/diff | median µs/diff | patches | wasmlive is |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        med = statistics.median(r["per_call_us"])
        ratio = "—" if name == "wasmlive" else f"{med / ours:.1f}× faster"
        print(f"| {name} | {min(r['per_call_us']):,.1f} | {med:,.1f} | {r['patches']} | {ratio} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
