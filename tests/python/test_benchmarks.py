"""The benchmark report: BENCHMARKS.md is what benches/report.py makes of
the committed raw results, and its verdicts follow the figures.

The benchmarks themselves are not run here (they take ~10 minutes and
their figures are never asserted in tests); `python3 benches/run.py` runs
them and rewrites both files.
"""

import copy
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benches"))
import report  # noqa: E402

RESULTS = os.path.join(ROOT, "benches", "results", "benchmarks.json")


@pytest.fixture
def results():
    with open(RESULTS) as f:
        return json.load(f)


def render(results):
    return report.render(results, plot="benches/results/e2e.png", raw="benches/results/benchmarks.json")


def losses(text):
    return text.split("## Where wasmlive loses", 1)[1].split("\n## ", 1)[0]


def test_benchmarks_md_is_the_report_of_the_committed_results(results):
    with open(os.path.join(ROOT, "BENCHMARKS.md")) as f:
        assert f.read() == render(results), "BENCHMARKS.md is stale: run `python3 benches/run.py --report-only`"


def test_the_committed_results_are_a_full_run(results):
    assert not results["quick"], "the committed results come from a full run, not --quick"
    w = results["workloads"]
    assert set(w) == {"actors", "render", "diff", "memory", "e2e", "rust", "soak", "fanout"}
    assert w["soak"]["rounds"] >= 10 and w["soak"]["clients"] >= 300
    assert all(len(rounds) >= 3 for rounds in w["actors"]["rounds"].values())
    assert w["memory"]["sessions"] >= 5000 and all(len(r) >= 3 for r in w["memory"]["rounds"].values())
    assert all(len(runs) >= 3 for by in w["e2e"]["raw"].values() for runs in by.values())
    assert set(w["e2e"]["summary"]) == {"wasmlive (Channels)", "djust (Channels)", "wasmlive serve", "wasmlive ORM (Channels)", "djust ORM (Channels)"}
    assert all(set(by) == {"1", "10", "100"} for by in w["e2e"]["summary"].values())
    assert len(w["rust"]["rounds"]) >= 3
    assert os.path.exists(os.path.join(ROOT, "benches", "results", "e2e.png"))


def test_a_missed_target_is_listed_with_its_reason_and_a_met_one_is_not(results):
    results = copy.deepcopy(results)
    e2e = results["workloads"]["e2e"]["summary"]
    djust_rate = e2e["djust (Channels)"]["100"]["events_per_s"]["median"]
    djust_p99 = e2e["djust (Channels)"]["100"]["p99_us"]["median"]

    e2e["wasmlive (Channels)"]["100"]["events_per_s"]["median"] = djust_rate * 2
    e2e["wasmlive (Channels)"]["100"]["p99_us"]["median"] = djust_p99 / 2
    text = losses(render(results))
    assert "100 WebSocket clients through Channels: events/s: 2.00× djust, target ≥ 5× djust" in text
    assert report.REASONS["e2e.channels_rate"] in text
    assert "p99 latency" in text

    e2e["wasmlive (Channels)"]["100"]["events_per_s"]["median"] = djust_rate * 6
    e2e["wasmlive (Channels)"]["100"]["p99_us"]["median"] = djust_p99 / 6
    text = render(results)
    assert "through Channels: events/s | 6.00× djust | ≥ 5× djust | yes |" in text
    assert "through Channels: events/s:" not in losses(text)


def test_templates_that_disagree_fail_the_render_target(results):
    results = copy.deepcopy(results)
    render_ = results["workloads"]["render"]
    render_["django"]["per_call_us"] = [x * 1000 for x in render_["django"]["per_call_us"]]
    render_["djust"]["same_output"] = False
    text = render(results)
    assert "(output differs!)" in text
    assert "| djust 1.2.6 `render_template` |" in text and "| **no** |" in text.split("| djust 1.2.6 `render_template` |")[1].split("\n")[0]


def test_figures_from_an_earlier_run_are_flagged(results):
    results = copy.deepcopy(results)
    assert "Not one run" not in render(results)
    results["workloads"]["memory"]["run"] = "2026-01-01 00:00 UTC"
    assert "**Not one run**: memory comes from the run of 2026-01-01 00:00 UTC" in render(results)


def test_a_fanout_run_is_reported_and_checked_against_its_goals(results):
    results = copy.deepcopy(results)

    def system(views, p99, lost=0, short=0):
        figure = lambda x: {"min": x, "median": x}  # noqa: E731
        return {"views": views, "p50_ms": figure(p99 / 2), "p99_ms": figure(p99), "burst_per_second": figure(100.0), "lost": figure(lost),
                "burst_views_short": figure(short), "burst_skipped": figure(0), "mount_seconds": figure(10.0)}

    results["workloads"]["fanout"] = {
        "views": 10_000, "broadcasts": 10, "burst": 50,
        "summary": {"wasmlive serve": system(10_000, 120), "wasmlive (Channels)": system(10_000, 600, short=3), "channels_redis": system(10_000, 3000)},
    }
    text = render(results)
    assert "## 7. Fan-out across processes" in text and "| channels_redis | 10,000 | 1,500 | 3,000 |" in text
    assert "wasmlive serve: p99 to the last view | 120 ms | ≤ 150 ms | yes |" in text
    missed = losses(text)
    assert "wasmlive (Channels): p99 to the last view: 600 ms, target ≤ 500 ms." in missed
    assert "1/5.0 of channels_redis's, target ≤ 1/10 of channels_redis's" in missed
    assert "fan-out, wasmlive (Channels): views that missed a broadcast: 3, target 0." in missed
    assert "wasmlive serve: views that missed" not in missed
