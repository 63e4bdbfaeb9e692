"""Render the 100-row table (for, if, three filters per row) with wasmlive's
template guest through wasmtime, Django's own engine and djust 1.2.6's native
`render_template`, in one run on one machine, and check all three print the
same bytes.

    python3 benches/render_table_peers.py [--calls N] [--repeats N] [--json FILE]

It makes a throwaway virtualenv with Django and djust (under target/, reused
between runs) and builds wasmlive's example runner in release mode.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "peer-venv")
PEERS = ["Django==5.2.19", "djust==1.2.6"]

TEMPLATE = """<table>{% for row in rows %}
<tr data-key="{{ row.id }}" class="{% if row.active %}on{% else %}off{% endif %}"><td>{{ row.name|upper }}</td><td>{{ row.price|floatformat:2 }}</td><td>{{ row.tags|join:", "|default:"none" }}</td></tr>{% endfor %}
</table>"""


def rows():
    return [{"id": i, "name": f"Item <{i}>", "price": i * 1.25, "tags": ["a", "b"] if i % 3 else [], "active": i % 2 == 0} for i in range(100)]


def release_build(*targets):
    """Build wasmlive's `targets` (e.g. `--example`, `render_table`) in release mode."""
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "wasmlive", *targets], cwd=ROOT, check=True)


def release_example(name):
    """Build the host example `name` in release mode; its path."""
    release_build("--example", name)
    return os.path.join(ROOT, "target", "release", "examples", name)


def table_arguments(doc):
    """The arguments both table benchmarks take."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="write the raw results here")
    return parser.parse_args()


def ensure_venv():
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *PEERS], check=True)
    return python


PEER_SCRIPT = r"""
import json, statistics, sys, time
import django
from django.conf import settings
settings.configure(USE_TZ=False, USE_I18N=False, INSTALLED_APPS=[])
django.setup()
from django.template import Context, Engine
import djust._rust as djust

template, context_file, calls, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
source = open(template).read()
context = json.load(open(context_file))

def timed(fn):
    out = fn()
    for _ in range(calls // 10):
        fn()
    per_call = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        per_call.append((time.perf_counter() - start) * 1e6 / calls)
    return {"per_call_us": per_call, "output": str(out)}

compiled = Engine(autoescape=True).from_string(source)
result = {
    "django": timed(lambda: compiled.render(Context(context))),
    "djust": timed(lambda: djust.render_template(source, context)),
    "versions": {"django": django.get_version(), "djust": __import__("importlib.metadata").metadata.version("djust")},
}
print(json.dumps(result))
"""


def main():
    args = table_arguments(__doc__)
    python = ensure_venv()
    runner = release_example("render_table")
    with tempfile.TemporaryDirectory() as tmp:
        template = os.path.join(tmp, "table.html")
        context = os.path.join(tmp, "context.json")
        with open(template, "w") as f:
            f.write(TEMPLATE)
        with open(context, "w") as f:
            json.dump({"rows": rows()}, f)
        # Rounds interleave the engines, so a slow spell of the machine
        # falls on all of them rather than on one.
        ours = {"per_call_us": []}
        peers = {"django": {"per_call_us": []}, "djust": {"per_call_us": []}}
        for _ in range(args.repeats):
            one = json.loads(subprocess.run([runner, template, context, str(args.calls), "1"], check=True, capture_output=True, text=True).stdout)
            ours["per_call_us"] += one["per_call_us"]
            ours["output"] = one["output"]
            one = json.loads(subprocess.run([python, "-c", PEER_SCRIPT, template, context, str(args.calls), "1"], check=True, capture_output=True, text=True).stdout)
            for name in ("django", "djust"):
                peers[name]["per_call_us"] += one[name]["per_call_us"]
                peers[name]["output"] = one[name]["output"]
            peers["versions"] = one["versions"]

    results = {"wasmlive": ours, "django": peers["django"], "djust": peers["djust"]}
    base = results["wasmlive"]["output"]
    print(f"100-row table, {args.repeats} interleaved rounds x {args.calls} calls; Django {peers['versions']['django']}, djust {peers['versions']['djust']}")
    print("| engine | min µs/render | median µs/render | wasmlive is | same bytes |")
    print("|---|---|---|---|---|")
    ours_median = statistics.median(ours["per_call_us"])
    for name, r in results.items():
        med = statistics.median(r["per_call_us"])
        ratio = "—" if name == "wasmlive" else f"{med / ours_median:.1f}× faster"
        print(f"| {name} | {min(r['per_call_us']):,.1f} | {med:,.1f} | {ratio} | {'yes' if r['output'] == base else 'NO'} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({k: {"per_call_us": v["per_call_us"], "same_output": v["output"] == base} for k, v in results.items()}, f, indent=2)
    if any(r["output"] != base for r in results.values()):
        for name, r in results.items():
            if r["output"] != base:
                print(f"{name} output differs; first 300 chars:\n{r['output'][:300]}\nwasmlive:\n{base[:300]}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
