"""BENCHMARKS.md from the raw results benches/run.py collects.

Kept apart from the running so the report can be rewritten from a JSON
file (`run.py --report-only`) and tested without running a benchmark: every
figure in the report comes from the JSON, every target is checked here,
and every missed target or figure where a peer wins is listed under "Where
wasmlive loses" with the reason we know of.
"""

import statistics

KIB = 1024

# Why wasmlive loses where it does, keyed by check. A reason states what
# was measured; where a figure of this run explains it, the text says so.
REASONS = {
    "actors.single_actor_events_per_s": (
        "A sequential event from Python is mostly hand-offs and Python: the asyncio thread hands the "
        "request to a Tokio worker and is woken with the answer, the caller's, session's and view's "
        "tasks wake one another, and the Python handler and `get_context_data` run on the view's "
        "handler thread (where Django allows the sync ORM): one more hand-off each way (24,398 events/s "
        "before it, at `ee0b8cb`; docs/performance-notes.md, \"view code on handler threads\"); the two guest calls are a small part since the counter's update skips the parse. "
        "Compare the Rust-only single actor (workload 5), the same actors and guests without Python. "
        "djust's event is one native call."),
    "actors.concurrent_events_per_s": (
        "Concurrent events overlap on the Tokio workers, but on 2 cores the guests' render and diff "
        "per event bound the rate as in the single-actor figure."),
    "actors.mount_p50_us": (
        "Every mount instantiates two WebAssembly instances (a linear memory each, a wasmtime store) "
        "and compiles the template in the guest; djust mounts a native struct."),
    "actors.mount_p99_us": (
        "As the median: two instantiations and a template compile per mount; the tail also carries "
        "page faults of fresh linear memories."),
    "render.vs_django": (
        "The template guest runs as WebAssembly: the same render executes about 2.8× the native "
        "instruction count (bounds and epoch checks, `memory.copy` calls out of compiled code), and "
        "the context crosses into the guest as JSON text, which the guest decodes (about a quarter "
        "of a render)."),
    "render.vs_djust": (
        "djust renders natively; the guest pays the WebAssembly overhead and the JSON decoding of the "
        "context described above."),
    "diff.vs_djust": (
        "The VDOM guest parses the new HTML in WebAssembly and diffs against its kept tree; djust "
        "parses both pages natively."),
    "diff.patches": "The differ emitted more patches than djust for the same update.",
    "memory.pss": (
        "A mounted wasmlive session holds two WebAssembly instances: their linear memories (touched "
        "heap and shadow-stack pages, written data pages), one wasmtime store "
        "and the actors; djust holds a native struct and the Python view. `docs/engine.md` (Memory per "
        "view) breaks the figure down, and `cargo run --release -p wasmlive --example memory_breakdown` measures "
        "it: about 28 KiB of host heap (the wasmtime store and instances ~18 KiB, the actors ~10 KiB), ~24 KiB of "
        "the guests' linear memories and 8 KiB of written image pages; the fiber stack's 8 KiB go back once a "
        "view has had no call for `release_memory_after`."),
    "memory.rss": (
        "RSS also counts the guests' read-only memory-image pages once per mapping: every instance "
        "maps the same copy-on-write image, which sits in RAM once (PSS divides it among its users), "
        "and the kernel maps a whole 64 KiB window of it at the first read: all of each guest's data "
        "(40 KiB for the VDOM guest, 52 KiB for the template guest) is resident in every instance, "
        "~92 KiB per view. The private part alone (PSS) is ~61 KiB, so below 64 KiB of RSS needs "
        "instances shared between views, which the sandbox's isolation rules out (`docs/engine.md`)."),
    "e2e.channels_rate": (
        "Through Channels most of the server's time per event is Django Channels, uvicorn's "
        "WebSocket protocol and the consumer's Python per frame, not the actors and guests: "
        "compare the server time per event through Channels and through `wasmlive serve` below."),
    "e2e.channels_p99": (
        "At 100 clients the events queue in one server process: p99 is about 100 × the server "
        "time per event, so it follows the throughput figure."),
    "e2e.orm_rate": (
        "With a database write and read per event, both servers spend most of an event in Django's ORM and "
        "sqlite, which serialises writers; wasmlive runs the handler on its handler threads, djust on "
        "asgiref's one thread-sensitive thread."),
    "e2e.serve_rate": (
        "`wasmlive serve` spends its time per event in the WebSocket frame handling (tungstenite), "
        "the session and view actors and the two guest calls; on one pinned core the guests' render "
        "and diff are most of it (workload 5's single-actor rate)."),
    "fanout.serve_p99": (
        "A broadcast costs each of a process's 5,000 views its own render and diff (two guest calls, "
        "~6 µs together in workload 5) and a frame on its socket: the \"core µs per view\" of section 7. `perf` on a server (WASMLIVE_PERFMAP=1 names the guests' functions) found a "
        "fifth of its CPU in tungstenite zero-filling a 128 KiB read buffer at every wake of a socket's "
        "loop (snapview/tungstenite-rs#547; now 8 KiB); what remains is flat: wasmtime's entry into each "
        "guest call (a fiber per call, the export's lookup), the guests' allocator, the hub's wake-up of "
        "each view, and the TCP sends."),
    "fanout.django_p99": (
        "Through Django each view also runs Python per message: the view's `handle_info` and "
        "`get_context_data` on its handler thread, and the consumer's Python per pushed frame through "
        "uvicorn's WebSocket protocol: about twice serve's core time per view (section 7)."),
    "fanout.vs_channels_redis": (
        "channels_redis sends one Redis message per process with the 5,000 member channels of that "
        "process and hands it to each consumer's asyncio queue, which then runs the consumer's Python and "
        "uvicorn's send: close to a millisecond of a core per member (section 7); wasmlive's "
        "Python per view (above) keeps it short of 10× faster."),
    "rust.single_actor_events_per_s": (
        "A sequential stream of events is a chain of hand-offs between the caller, session and view tasks; "
        "the guests take about 4 µs of each event (the counter's update skips the parse). The rest is Tokio "
        "moving the chain between the two workers: idle workers wait 100 µs before parking so most hand-offs "
        "stay on one thread, but the machine's noise moves this figure by a third between runs "
        "(docs/performance-notes.md). Compare the machine-speed line above before comparing days."),
    "rust.rss_per_session_bytes": (
        "As for memory: RSS counts the guests' shared read-only image pages once per mapping."),
    "rust.pss_per_session_bytes": "As for memory per session above (two guest instances per view).",
}


def med(values):
    return statistics.median(values)


def fmt(value, unit=""):
    if value >= 100:
        text = f"{value:,.0f}"
    elif value >= 10:
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.2f}"
    return f"{text}{unit}"


def times(ratio):
    return f"{ratio:.2f}×"


class Check:
    """One target: what was measured against what was aimed at."""

    def __init__(self, key, what, measured, target, met):
        self.key, self.what, self.measured, self.target, self.met = key, what, measured, target, met


def checks(w):
    out = []
    if "actors" in w:
        s = w["actors"]["summary"]
        names = {
            "single_actor_events_per_s": "single actor, events/s",
            "concurrent_events_per_s": "50 concurrent sessions, events/s",
            "mount_p50_us": "mount latency p50",
            "mount_p99_us": "mount latency p99",
        }
        for key, what in names.items():
            adv = s[key]["advantage"]
            out.append(Check(f"actors.{key}", f"seed benchmark from Python: {what}", f"{times(adv)} djust", "≥ 10× djust", adv >= 10))
    if "render" in w:
        r = w["render"]
        ours = med(r["wasmlive"]["per_call_us"])
        dj, dt = med(r["django"]["per_call_us"]) / ours, med(r["djust"]["per_call_us"]) / ours
        same = all(v["same_output"] for v in r.values() if isinstance(v, dict) and "same_output" in v)
        out.append(Check("render.vs_django", "100-row table render vs Django", f"{times(dj)} faster" + ("" if same else " (output differs!)"), "≥ 10× faster", dj >= 10 and same))
        out.append(Check("render.vs_djust", "100-row table render vs djust native", f"{times(dt)} faster", "faster (> 1×)", dt > 1 and same))
    if "diff" in w:
        d = w["diff"]
        ratio = med(d["djust"]["per_call_us"]) / med(d["wasmlive"]["per_call_us"])
        out.append(Check("diff.vs_djust", "100-row table diff vs djust native", f"{times(ratio)} faster", "faster (> 1×)", ratio > 1))
        out.append(Check("diff.patches", "patches for that update", f"{d['wasmlive']['patches']} vs djust {d['djust']['patches']}", "no more than djust", d["wasmlive"]["patches"] <= d["djust"]["patches"]))
    if "memory" in w:
        m = w["memory"]["summary"]
        for key, label in (("pss", "pss_kib_per_session"), ("rss", "rss_kib_per_session")):
            ours = m[label]["wasmlive"]["median"]
            out.append(Check(f"memory.{key}", f"memory per mounted session ({key.upper()}, {w['memory']['sessions']:,} sessions, from Python)",
                             f"{fmt(ours, ' KiB')} (djust {fmt(m[label]['djust']['median'], ' KiB')})", "≤ 64 KiB", ours <= 64))
    if "e2e" in w:
        s = w["e2e"]["summary"]
        at = "100"
        ch, dj, sv = s.get("wasmlive (Channels)", {}).get(at), s.get("djust (Channels)", {}).get(at), s.get("wasmlive serve", {}).get(at)
        if ch and dj:
            rate = ch["events_per_s"]["median"] / dj["events_per_s"]["median"]
            p99 = dj["p99_us"]["median"] / ch["p99_us"]["median"]
            out.append(Check("e2e.channels_rate", "100 WebSocket clients through Channels: events/s", f"{times(rate)} djust", "≥ 5× djust", rate >= 5))
            out.append(Check("e2e.channels_p99", "100 WebSocket clients through Channels: p99 latency", f"{fmt(ch['p99_us']['median'] / 1000, ' ms')} = 1/{p99:.1f} of djust's", "≤ 1/5 of djust's", p99 >= 5))
        orm, dj_orm = s.get("wasmlive ORM (Channels)", {}).get(at), s.get("djust ORM (Channels)", {}).get(at)
        if orm and dj_orm:
            rate = orm["events_per_s"]["median"] / dj_orm["events_per_s"]["median"]
            out.append(Check("e2e.orm_rate", "100 WebSocket clients, one ORM write and read per event (sqlite): events/s", f"{times(rate)} djust", "≥ djust", rate >= 1))
        if sv and dj:
            rate = sv["events_per_s"]["median"] / dj["events_per_s"]["median"]
            out.append(Check("e2e.serve_rate", "100 WebSocket clients through `wasmlive serve`: events/s", f"{times(rate)} djust", "≥ 20× djust", rate >= 20))
    if "fanout" in w:
        s, views = w["fanout"]["summary"], w["fanout"]["views"]
        goals = (("wasmlive serve", "fanout.serve_p99", 150), ("wasmlive (Channels)", "fanout.django_p99", 500))
        for name, key, goal in goals:
            if name in s:
                p99 = s[name]["p99_ms"]["median"]
                out.append(Check(key, f"one broadcast to {views:,} views on 2 processes, {name}: p99 to the last view", fmt(p99, " ms"), f"≤ {goal} ms", p99 <= goal))
        ours, theirs = s.get("wasmlive (Channels)"), s.get("channels_redis")
        if ours and theirs:
            ratio = theirs["p99_ms"]["median"] / ours["p99_ms"]["median"]
            out.append(Check("fanout.vs_channels_redis", f"that fan-out through Channels vs channels_redis's group_send, p99", f"1/{ratio:.1f} of channels_redis's",
                             "≤ 1/10 of channels_redis's", ratio >= 10))
        for name in ("wasmlive serve", "wasmlive (Channels)"):
            if name in s:
                lost = s[name]["lost"]["median"] + s[name]["burst_views_short"]["median"]
                out.append(Check(f"fanout.lost.{name}", f"fan-out, {name}: views that missed a broadcast", f"{int(lost):,}", "0", lost == 0))
    if "resume" in w:
        s = w["resume"]["summary"]
        mount, across, here = s["mount_p50_us"]["median"], s["across_p50_us"]["median"], s["in_process_p50_us"]["median"]
        out.append(Check("resume.across_p50", "resume on another process vs a fresh mount, p50 (actors, Redis on loopback)",
                         f"{fmt(across, ' µs')} (mount {fmt(mount, ' µs')})", "≤ a mount's + 200 µs", across <= mount + 200))
        out.append(Check("resume.in_process_p50", "resume in process, p50", fmt(here, " µs"), "≤ 50 µs", here <= 50))
        share = s["events_on_share"]["median"]
        out.append(Check("resume.snapshot_cost", "events/s at 100 clients with snapshots on, of off's", f"{share:.0%}", "≥ 80 %", share >= 0.8))
    if "rust" in w:
        s = w["rust"]["summary"]
        rate = s["single_actor_events_per_s"]["median"]
        out.append(Check("rust.single_actor_events_per_s", "Rust-only single actor, events/s", fmt(rate), "≥ 100,000", rate >= 100_000))
        trip = s["round_trip_us"]["median"]
        out.append(Check("rust.round_trip_us", "Rust-only message round trip", fmt(trip, " µs"), "< 5 µs", trip < 5))
        p99 = s["mount_p99_us"]["median"]
        out.append(Check("rust.mount_p99_us", "Rust-only mount p99", fmt(p99, " µs"), "< 1 ms", p99 < 1000))
        for key in ("pss_per_session_bytes", "rss_per_session_bytes"):
            kib = s[key]["median"] / KIB
            what = key.split("_")[0].upper()
            out.append(Check(f"rust.{key}", f"Rust-only memory per session ({what}, {w['rust']['sessions']:,} sessions)", fmt(kib, " KiB"), "≤ 64 KiB", kib <= 64))
    if "soak" in w:
        for name, r in w["soak"]["results"].items():
            growth = soak_growth(r)
            start = len(r["after_round_kib"]) // 2 + 1
            out.append(Check(f"soak.{name}", f"RSS over the soak's last rounds ({start} → {len(r['after_round_kib'])}), {name}", f"{growth:+.1%}", "flat: within ±2 %", abs(growth) <= 0.02))
    return out


def soak_growth(r):
    """RSS change over the second half of the soak's rounds, as a fraction:
    a leak keeps its slope, while the allocator's steps (a new arena, once)
    settle in the first rounds."""
    rounds = r["after_round_kib"]
    first = rounds[len(rounds) // 2]
    return (rounds[-1] - first) / first


# Django's median for the table render in the quickest session on record
# (docs/performance-notes.md): the same machines run up to ~4× slower on
# other days, which moves every absolute figure (never the same-run ratios).
REFERENCE_DJANGO_US = 1740


def machine_section(m, quick, machine_speed_us=None, earlier=()):
    lines = [
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| date | {m['date']} |",
        f"| commit | `{m['commit']}` |",
        f"| CPU | {m['cpu']}, {m['cores']} cores |",
        f"| memory | {m['memory_gib']} GiB |",
        f"| OS | {m['os']}, Linux {m['kernel']} |",
        f"| Python / rustc / wasmtime | {m['python']} / {m['rustc']} / {m['wasmtime']} |",
        f"| load average at start | {', '.join(f'{x:.2f}' for x in m['load_average'])} |",
    ]
    for key, label in (("wasmlive_venv", "wasmlive's virtualenv"), ("peers", "peers' virtualenv"), ("servers", "ASGI server (both)")):
        if key in m:
            lines.append(f"| {label} | {m[key]} |")
    if machine_speed_us:
        lines.append(f"| machine speed | Django renders the 100-row table in {fmt(machine_speed_us)} µs (median) in this run; "
                     f"{fmt(REFERENCE_DJANGO_US)} µs in the quickest session on record (docs/performance-notes.md): compare "
                     "absolute figures across runs only after scaling by this |")
    if earlier:
        lines += ["", "**Not one run**: " + "; ".join(f"{name} comes from the run of {run}" for name, run in earlier)
                  + " (`run.py --only`). Ratios within a workload still compare one run."]
    if quick:
        lines += ["", "**This was a `--quick` run** (fewer calls, 1-second end-to-end rounds): a smoke test of the suite, not figures to quote."]
    return lines


def targets_section(all_checks):
    lines = ["## Headline: the targets", "", "| target | measured (medians) | aimed at | met |", "|---|---|---|---|"]
    for c in all_checks:
        lines.append(f"| {c.what} | {c.measured} | {c.target} | {'yes' if c.met else '**no**'} |")
    met = sum(c.met for c in all_checks)
    lines += ["", f"{met} of {len(all_checks)} targets met in this run."]
    return lines


def actors_section(a):
    s = a["summary"]
    rounds = len(a["rounds"]["wasmlive"])
    labels = {
        "single_actor_events_per_s": "single actor, events/s (1,000 sequential `await event()`)",
        "concurrent_events_per_s": "50 sessions × 100 events, gathered, events/s",
        "mount_p50_us": "mount latency p50, µs (100 mounts)",
        "mount_p99_us": "mount latency p99, µs",
        "ping_round_trip_us": "`ping()` round trip, µs",
    }
    lines = [
        "## 1. The seed's actor benchmarks, from Python",
        "",
        "`benches/actors_peers.py`: the seed's `benchmark_actors.py` scenarios as one script text run against "
        "`wasmlive` and `djust._rust` through the seed's API (`create_session_actor`, `mount`, `event`), the "
        f"counter template and a Python `increment` handler; {rounds} rounds alternating between the systems, "
        "each in a fresh process.",
        "",
        "| figure | wasmlive min / median | djust 1.2.6 min / median | wasmlive's advantage (medians) |",
        "|---|---|---|---|",
    ]
    for key, label in labels.items():
        if key not in s:
            continue
        o, t = s[key]["wasmlive"], s[key]["djust"]
        lines.append(f"| {label} | {fmt(o['min'])} / {fmt(o['median'])} | {fmt(t['min'])} / {fmt(t['median'])} | "
                     f"{times(s[key]['advantage'])}{' (djust ahead)' if s[key]['advantage'] < 1 else ''} |")
    return lines


def render_section(r, d):
    lines = ["## 2. Render and diff of the 100-row table", ""]
    if r:
        ours = med(r["wasmlive"]["per_call_us"])
        lines += [
            "`benches/render_table_peers.py`: 100 rows, per row a `for` iteration, an `if`, `upper`, `floatformat:2` "
            "and `join|default`; wasmlive's template guest through wasmtime (compiled once, rendered from a JSON "
            "context, as a view does), Django 5.2.19's `Template.render(Context)`, djust's native `render_template`. "
            f"The three outputs are compared byte for byte; {len(r['wasmlive']['per_call_us'])} interleaved rounds.",
            "",
            "| engine | min µs/render | median µs/render | wasmlive is | same bytes |",
            "|---|---|---|---|---|",
        ]
        for name, label in (("wasmlive", "wasmlive (template guest)"), ("django", "Django 5.2.19"), ("djust", "djust 1.2.6 `render_template`")):
            calls = r[name]["per_call_us"]
            ratio = "—" if name == "wasmlive" else f"{times(med(calls) / ours)} faster"
            lines.append(f"| {label} | {fmt(min(calls))} | {fmt(med(calls))} | {ratio} | {'yes' if r[name]['same_output'] else '**no**'} |")
        lines.append("")
    if d:
        ours = med(d["wasmlive"]["per_call_us"])
        lines += [
            "`benches/diff_table_peers.py`: that table rendered by Django, then updated (every price changed, 10 rows "
            "reordered, 5 inserted, 5 removed) and diffed: wasmlive's VDOM guest parses the new page and diffs it "
            "against the tree it keeps (what a view does per event); djust's `diff_html` parses both pages per call. "
            f"{len(d['wasmlive']['per_call_us'])} interleaved rounds.",
            "",
            "| differ | min µs/diff | median µs/diff | patches | wasmlive is |",
            "|---|---|---|---|---|",
        ]
        for name, label in (("wasmlive", "wasmlive (VDOM guest)"), ("djust", "djust 1.2.6 `diff_html`")):
            calls = d[name]["per_call_us"]
            ratio = "—" if name == "wasmlive" else f"{times(med(calls) / ours)} faster"
            lines.append(f"| {label} | {fmt(min(calls))} | {fmt(med(calls))} | {d[name]['patches']} | {ratio} |")
        lines.append("")
    return lines[:-1]


def memory_section(m):
    s = m["summary"]
    lines = [
        "## 3. Memory per mounted session",
        "",
        f"`benches/memory_peers.py`: {m['sessions']:,} sessions, each with the counter view mounted through the seed's "
        "API and one event handled, one script text for both systems; growth of the process's PSS and RSS "
        "(`/proc/self/smaps_rollup`) divided by the sessions, after 50 warm-up sessions; "
        f"{len(m['rounds']['wasmlive'])} rounds, a fresh process each.",
        "",
        "| KiB per session | wasmlive min / median | djust 1.2.6 min / median | djust / wasmlive |",
        "|---|---|---|---|",
    ]
    for key, label in (("pss_kib_per_session", "PSS (what a session adds)"), ("rss_kib_per_session", "RSS")):
        o, t = s[key]["wasmlive"], s[key]["djust"]
        lines.append(f"| {label} | {fmt(o['min'])} / {fmt(o['median'])} | {fmt(t['min'])} / {fmt(t['median'])} | {times(s[key]['advantage'])} |")
    return lines


def e2e_section(e, plot):
    s = e["summary"]
    rounds = min(len(v) for by in e["raw"].values() for v in by.values())
    lines = [
        "## 4. End to end over WebSockets",
        "",
        "`benches/e2e.py`: 1, 10 and 100 concurrent clients send events to the counter view and wait for each "
        "patch, over loopback, from a separate load-generator process (`host/examples/ws_load.rs`, Rust, one thread; every client "
        "mounted before the clock starts). Systems: wasmlive through Channels (the example project under uvicorn, "
        "one worker), djust 1.2.6 through its own LiveView consumer in actor mode (rate limits raised, "
        "`benches/peers/djust_site`) under uvicorn, one worker, and `wasmlive serve` (a template-only counter: "
        f"no Python). Server {'pinned to core 0, load generator to core 1' if e.get('pinned') else 'and load generator not pinned'}; "
        f"{rounds} rounds alternating between the systems; events/s min / median, latencies median. "
        "Both Channels servers run uvicorn[standard] (uvloop, httptools) with its `websockets` protocol. "
        "wasmlive's per-connection frame rate limit (`max_frames_per_second`, `serve --max-frames-per-second`) is off there, as djust's rate limits are raised (`benches/peers/wasmlive_bench_settings.py`). wasmlive's consumer runs Django's `close_old_connections()` at most once a second "
        "(`db_cleanup_interval`) where Channels' base consumer, which djust's inherits, runs it through "
        "the thread pool before every frame. The ORM rows (`benches/peers/ormbench`): the same counter kept in "
        "the database, every event one `Hit.objects.create()` and one `Hit.objects.count()` in sqlite (a freshly "
        "migrated file per server); wasmlive runs the plain handler on its handler threads (a thread hop per "
        "event, since Django refuses the sync ORM on the event loop), djust through `sync_to_async`.",
        "",
        f"![p99 latency and throughput against concurrent clients]({plot})",
        "",
        "| system | clients | events/s min / median | p50 ms | p95 ms | p99 ms | server µs per event |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, by_clients in s.items():
        for clients in sorted(by_clients, key=int):
            x = by_clients[clients]
            rate = x["events_per_s"]["median"]
            lines.append(f"| {name} | {clients} | {fmt(x['events_per_s']['min'])} / {fmt(rate)} | {fmt(x['p50_us']['median'] / 1000)} | "
                         f"{fmt(x['p95_us']['median'] / 1000)} | {fmt(x['p99_us']['median'] / 1000)} | {fmt(1e6 / rate)} |")
    lines += ["", "Server µs per event is 10⁶ / events/s: once the server is saturated (many clients), the time each "
                  "event costs its one core; with one client it also includes the client's round trip."]
    return lines


def soak_section(sk):
    rows = []
    for name, r in sk["results"].items():
        rounds = r["after_round_kib"]
        rows.append(f"| {name} | {fmt(r['before_kib'] / KIB)} | " + " | ".join(fmt(x / KIB) for x in rounds) + f" | {soak_growth(r):+.1%} |")
    n = len(next(iter(sk["results"].values()))["after_round_kib"])
    return [
        "## 6. Memory over time: does it come back?",
        "",
        f"`benches/soak.py`: {sk['rounds']} rounds against one server process; each round {sk['clients']} WebSocket "
        f"clients connect at once, each mounts the counter and sends {sk['events']} events (waiting for each patch), "
        "then all disconnect; one second later the server's RSS. Growth round after round would be a leak or a cache "
        "without bound. The supervisor gives freed memory back to the OS (`malloc_trim`) once 32 sessions have ended "
        "since the last time: glibc keeps freed memory in per-thread arenas, and before it the Channels server's RSS "
        "crept up ~0.5 MiB a round while its Python heap and object count stayed flat (docs/performance-notes.md).",
        "",
        "| server | MiB before | " + " | ".join(f"round {i + 1}" for i in range(n)) + f" | round {n // 2 + 1} → {n} |",
        "|---|---|" + "---|" * n + "---|",
        *rows,
    ]


def rust_section(rs):
    s = rs["summary"]
    labels = [
        ("round_trip_us", "message round trip (ping through a session), µs", 1),
        ("single_actor_events_per_s", "single actor, events awaited one by one, events/s", 1),
        ("concurrent_events_per_s", "50 concurrent sessions, events/s", 1),
        ("mount_p50_us", "mount latency p50, µs", 1),
        ("mount_p99_us", "mount latency p99, µs", 1),
        ("pss_per_session_bytes", f"memory per mounted session, PSS, KiB ({rs['sessions']:,} sessions)", KIB),
        ("rss_per_session_bytes", "memory per mounted session, RSS, KiB", KIB),
    ]
    lines = [
        "## 5. The Rust-only path: `wasmlive bench`",
        "",
        "`wasmlive bench --json` (release build): the seed's CounterView with a Rust handler and the seed's counter "
        "template; every event goes through a session actor and a view actor, renders in the view's template guest "
        f"and diffs in its VDOM guest. {len(rs['rounds'])} runs, a fresh process each; within a run each rate is the "
        f"median of five rounds. The CLI's runtime: {rs['rounds'][0].get('worker_threads', '?')} Tokio workers whose "
        "idle workers wait up to 100 µs for work before parking (`--worker-spin-us`, host/src/runtime.rs).",
        "",
        "| figure | min | median |",
        "|---|---|---|",
    ]
    for key, label, scale in labels:
        lines.append(f"| {label} | {fmt(s[key]['min'] / scale)} | {fmt(s[key]['median'] / scale)} |")
    return lines


def fanout_section(f, cores):
    lines = [
        "## 7. Fan-out across processes: one broadcast, every view",
        "",
        f"`benches/fanout.py`: {f['views']:,} views on two server processes sharing one Redis (a fresh one per measurement); "
        f"{f['broadcasts']} broadcasts one at a time, each timed from just before it is published to the moment the client "
        f"(host/examples/ws_fanout.rs, Rust) has read the last view's frame; then {f['burst']} back to back, until the last view "
        "shows the last one. wasmlive's views hold 100 per connection (its `max_views_per_connection`); channels_redis has one "
        "group member per connection (a consumer that forwards `group_send`, posted to a Django view), at its default capacity. "
        f"Medians of the rounds; \"core µs per view\" is the p50 spread over the {cores} cores and the views (p50 × {cores} / views), "
        "the client's reading of every frame on the same cores included.",
        "",
        "| system | views | p50 ms | p99 ms | core µs per view | sustained broadcasts/s | views that missed a timed broadcast | views short after the burst | burst messages without a frame of their own | mount s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in f["summary"].items():
        per_view_us = s['p50_ms']['median'] * 1000 * cores / s['views']
        lines.append(f"| {name} | {s['views']:,} | {fmt(s['p50_ms']['median'])} | {fmt(s['p99_ms']['median'])} | {fmt(per_view_us)} | "
                     f"{fmt(s['burst_per_second']['median'])} | {int(s['lost']['median']):,} | {int(s['burst_views_short']['median']):,} | "
                     f"{int(s['burst_skipped']['median']):,} | "
                     f"{fmt(s['mount_seconds']['median'])} |")
    lines += ["", "\"Without a frame of their own\": wasmlive renders what a view was told since its last render once, so under "
                  "a burst a view skips straight to the latest state (every message still ran `handle_info`: nothing is lost); a "
                  "channels_redis member gets one frame per message, and a message it has no frame for was dropped (its "
                  "channel over capacity)."]
    return lines


def resume_section(r):
    s = r["summary"]
    row = lambda name, key: f"| {name} | {fmt(s[key + '_p50_us']['median'])} | {fmt(s[key + '_p99_us']['median'])} |"  # noqa: E731
    return [
        "## 8. Resume: in process, on another process, and what snapshots cost",
        "",
        f"`benches/resume.py` (host/examples/resume_bench.rs, Rust, at the actor level: no socket): two actor systems on one "
        f"redis-server stand for two processes; {r['views']:,} views of a 20-row page, medians of the rounds. A resume in "
        "process takes a parked session back and reattaches the view; a resume on the other system claims the view's "
        "snapshot (one Redis script), starts its guests, makes the stored HTML its tree and restores its state without "
        "`mount()`, then reattaches it. Both answer \"resumed\": the client is current.",
        "",
        "| per view | p50 µs | p99 µs |",
        "|---|---|---|",
        row("fresh mount", "mount"),
        row("resume in process", "in_process"),
        row("resume on another process", "across"),
        "",
        f"Events/s, 100 clients each sending to its own view one event after the other for {fmt(r['seconds'])} s: snapshots off "
        f"{fmt(s['events_off']['median'])}, on {fmt(s['events_on']['median'])} ({s['events_on_share']['median']:.0%}); a snapshot "
        "is written behind each render (saves of one view coalesce, all views share one pipeline).",
    ]


def losses_section(all_checks, w):
    lines = ["## Where wasmlive loses", ""]
    missed = [c for c in all_checks if not c.met]
    if not missed:
        lines.append("Every target was met in this run.")
    for c in missed:
        lines.append(f"- **{c.what}: {c.measured}, target {c.target}.** {REASONS.get(c.key, '')}".rstrip())
    e2e = w.get("e2e", {}).get("summary", {})
    ch, sv = e2e.get("wasmlive (Channels)", {}).get("100"), e2e.get("wasmlive serve", {}).get("100")
    if ch and sv:
        per_ch, per_sv = 1e6 / ch["events_per_s"]["median"], 1e6 / sv["events_per_s"]["median"]
        lines += ["", f"At 100 clients the server spends {fmt(per_ch)} µs per event through Channels and {fmt(per_sv)} µs "
                      f"through `wasmlive serve`, which runs the same actors and guests: {fmt(per_ch - per_sv)} µs "
                      f"({(per_ch - per_sv) / per_ch:.0%}) of every event through Channels is spent outside wasmlive's Rust "
                      "(ASGI server, Channels, the consumer's Python and the handler)."]
    if "actors" in w:
        slower = [k for k, v in w["actors"]["summary"].items() if v["advantage"] < 1]
        if slower:
            lines += ["", "djust is ahead on: " + ", ".join(f"`{k}` ({times(w['actors']['summary'][k]['advantage'])})" for k in slower) + "."]
    if "memory" in w:
        adv = w["memory"]["summary"]["pss_kib_per_session"]["advantage"]
        if adv < 1:
            lines += ["", f"A djust session costs {times(1 / adv)} less memory (PSS) than a wasmlive session (why: above)."]
    return lines


def render(results, plot, raw):
    w = results["workloads"]
    all_checks = checks(w)
    lines = [
        "# Benchmarks",
        "",
        "wasmlive measured side by side with djust 1.2.6 and Django 5.2.19, every figure on the same machine in "
        f"the same run. Generated by `python3 benches/run.py`; the raw results are in [`{raw}`]({raw}). Each "
        "figure is repeated at least 3 times and reported as min / median; ratios are of medians. Earlier "
        "measurements and what each optimization bought are in "
        "[`docs/performance-notes.md`](docs/performance-notes.md).",
        "",
        *machine_section(results["machine"], results.get("quick"), med(w["render"]["django"]["per_call_us"]) if "render" in w else None,
                         [(name, x["run"]) for name, x in w.items() if x.get("run", results["machine"]["date"]) != results["machine"]["date"]]),
        "",
        *targets_section(all_checks),
        "",
        *losses_section(all_checks, w),
    ]
    for key, section in (("actors", lambda: actors_section(w["actors"])),
                         ("render", lambda: render_section(w.get("render"), w.get("diff"))),
                         ("memory", lambda: memory_section(w["memory"])),
                         ("e2e", lambda: e2e_section(w["e2e"], plot)),
                         ("rust", lambda: rust_section(w["rust"])),
                         ("soak", lambda: soak_section(w["soak"])),
                         ("fanout", lambda: fanout_section(w["fanout"], results["machine"]["cores"])),
                         ("resume", lambda: resume_section(w["resume"]))):
        if key in w or (key == "render" and "diff" in w):
            lines += ["", *section()]
    return "\n".join(lines) + "\n"
