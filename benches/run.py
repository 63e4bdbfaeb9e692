#!/usr/bin/env python3
"""Run the whole benchmark suite side by side with the peers and write the
report: BENCHMARKS.md (tables), benches/results/benchmarks.json (raw
results) and benches/results/e2e.png (the end-to-end plot).

    python3 benches/run.py                 # the full suite: ~40 minutes on 2 cores (the fan-out ~20), plus release builds
    python3 benches/run.py --quick         # every workload, fewer repeats (a smoke run)
    python3 benches/run.py --report-only   # rewrite BENCHMARKS.md from the JSON

The peers are installed in throwaway virtualenvs under target/: djust 1.2.6
and Django 5.2.19 from PyPI (target/peer-venv), and wasmlive itself with
`pip install ./bindings`, a release build (target/bench-venv). Every
workload runs in this one invocation on this one machine, repeated at least
three times (min / median reported); the report's headline is the ratio
wasmlive / peer against the issue's targets.
"""

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import report  # noqa: E402
from actors_peers import ensure_bench_venv  # noqa: E402
from render_table_peers import ensure_venv as ensure_peer_venv, release_build  # noqa: E402

RESULTS = os.path.join(HERE, "results")
JSON_PATH = os.path.join(RESULTS, "benchmarks.json")
PLOT_PATH = os.path.join(RESULTS, "e2e.png")
REPORT_PATH = os.path.join(ROOT, "BENCHMARKS.md")

# name, script, arguments (full run), arguments (--quick); every script takes --json.
WORKLOADS = [
    ("actors", "actors_peers.py", ["--rounds", "5"], ["--rounds", "3"]),
    ("render", "render_table_peers.py", ["--repeats", "7"], ["--repeats", "3", "--calls", "200"]),
    ("diff", "diff_table_peers.py", ["--repeats", "7"], ["--repeats", "3", "--calls", "200"]),
    ("memory", "memory_peers.py", ["--sessions", "5000", "--rounds", "3"], ["--sessions", "5000", "--rounds", "3"]),
    ("e2e", "e2e.py", ["--rounds", "3", "--seconds", "5", "--plot", PLOT_PATH], ["--rounds", "3", "--seconds", "1", "--plot", PLOT_PATH]),
    ("soak", "soak.py", ["--rounds", "10"], ["--rounds", "3", "--clients", "100", "--events", "20"]),
    ("fanout", "fanout.py", ["--rounds", "3"], ["--rounds", "1", "--views", "1000", "--broadcasts", "5", "--burst", "50"]),
    ("resume", "resume.py", ["--rounds", "3"], ["--rounds", "1", "--views", "100", "--seconds", "1"]),
]


def first_line(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "unknown"


def machine():
    """What the figures were measured on: they mean little without it."""
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    os_name = "unknown"
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            match = re.search(r'PRETTY_NAME="([^"]+)"', f.read())
            os_name = match.group(1) if match else os_name
    with open(os.path.join(ROOT, "Cargo.lock")) as f:
        wasmtime = re.search(r'name = "wasmtime"\nversion = "([^"]+)"', f.read())
    commit = first_line(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", ROOT, "diff", "--quiet", "HEAD", "--", ".", ":!BENCHMARKS.md", ":!benches/results"]).returncode != 0
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "os": os_name,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "rustc": first_line(["rustc", "--version"]),
        "wasmtime": wasmtime.group(1) if wasmtime else "unknown",
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "load_average": os.getloadavg(),
    }


def versions(python, packages):
    """Installed versions of `packages` in the virtualenv of `python`."""
    script = "import sys, importlib.metadata as m; print(', '.join(f'{p} {m.version(p)}' for p in sys.argv[1:]))"
    out = subprocess.run([python, "-c", script, *packages], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def run_workload(name, script, args):
    out = os.path.join(RESULTS, f"{name}.json")
    print(f"== {name}: {script} {' '.join(args)}", file=sys.stderr, flush=True)
    start = time.monotonic()
    subprocess.run([sys.executable, os.path.join(HERE, script), *args, "--json", out], check=True, cwd=ROOT)
    with open(out) as f:
        result = json.load(f)
    os.remove(out)
    result["seconds"] = round(time.monotonic() - start, 1)
    return result


def run_rust_bench(rounds, sessions):
    """`wasmlive bench --json`, the Rust-only path, in a fresh process per round."""
    print(f"== rust: wasmlive bench --json x {rounds}", file=sys.stderr, flush=True)
    release_build("--bin", "wasmlive")
    binary = os.path.join(ROOT, "target", "release", "wasmlive")
    runs = []
    for _ in range(rounds):
        out = subprocess.run([binary, "bench", "--json", "--sessions", str(sessions)], check=True, capture_output=True, text=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    summary = {key: {"min": min(r[key] for r in runs), "median": statistics.median(r[key] for r in runs)}
               for key in runs[0] if key not in ("sessions", "worker_threads")}
    return {"rounds": runs, "summary": summary, "sessions": sessions}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="every workload with fewer calls and shorter end-to-end rounds")
    ap.add_argument("--report-only", action="store_true", help=f"only rewrite {os.path.relpath(REPORT_PATH, ROOT)} from {os.path.relpath(JSON_PATH, ROOT)}")
    ap.add_argument("--only", nargs="+", choices=[w[0] for w in WORKLOADS] + ["rust"], help="run these workloads, keep the others' last results")
    args = ap.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    if args.report_only:
        with open(JSON_PATH) as f:
            results = json.load(f)
    else:
        results = {"workloads": {}}
        if args.only and os.path.exists(JSON_PATH):
            with open(JSON_PATH) as f:
                results = json.load(f)
        bench_python = ensure_bench_venv()
        os.environ["WASMLIVE_BENCH_VENV_READY"] = bench_python
        results["machine"] = machine()
        results["machine"]["peers"] = versions(ensure_peer_venv(), ["djust", "Django", "channels"])
        results["machine"]["wasmlive_venv"] = versions(bench_python, ["wasmlive", "Django", "channels"])
        results["quick"] = args.quick
        for name, script, full, quick in WORKLOADS:
            if not args.only or name in args.only:
                results["workloads"][name] = run_workload(name, script, quick if args.quick else full)
                results["workloads"][name]["run"] = results["machine"]["date"]
        if "e2e" in results["workloads"]:
            # e2e.py installed the same server in both virtualenvs.
            results["machine"]["servers"] = versions(bench_python, ["uvicorn", "uvloop", "httptools", "websockets"])
        if not args.only or "rust" in args.only:
            results["workloads"]["rust"] = run_rust_bench(3 if args.quick else 5, 10_000)
            results["workloads"]["rust"]["run"] = results["machine"]["date"]
        with open(JSON_PATH, "w") as f:
            json.dump(results, f, indent=1)
    with open(REPORT_PATH, "w") as f:
        f.write(report.render(results, plot=os.path.relpath(PLOT_PATH, ROOT), raw=os.path.relpath(JSON_PATH, ROOT)))
    print(f"wrote {os.path.relpath(REPORT_PATH, ROOT)} and {os.path.relpath(JSON_PATH, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
