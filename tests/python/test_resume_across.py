"""A reconnect to another process resumes the view (`wasmlive serve
--redis`): two real `serve` processes share a real redis-server and a
secret key, behind a TCP proxy the test points at one or the other, as a
load balancer would. The process a view lived in is killed for real
(`kill -9`, SIGTERM) or cut off; the other carries the view on from its
snapshot without calling `mount()` and without sending HTML."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys

import pytest

from conftest import Proxy, start_serve
from test_browser import browser  # noqa: F401 (the fixture)
from test_resume import WITHOUT_DJANGO, Socket, browser_cookie, site

KEY = "resume-across-key"
LOGGED = {**WITHOUT_DJANGO, "WASMLIVE_LOG": "wasmlive=info"}


class Pair:
    """Two `serve` processes on one Redis, and a proxy in front of the first."""

    def __init__(self, tmp_path, redis_url, *extra):
        self.procs, self.addrs = [], []
        for _ in range(2):
            proc, addr = start_serve(tmp_path, "templates", LOGGED, "--redis", redis_url, "--secret-key", KEY, *extra)
            self.procs.append(proc)
            self.addrs.append(addr)
        self.proxy = Proxy(self.target(0))
        self.front = f"127.0.0.1:{self.proxy.port}"

    def target(self, i):
        host, port = self.addrs[i].split(":")
        return (host, int(port))

    def point_at(self, i):
        self.proxy.target = self.target(i)

    def kill(self, i, how=signal.SIGKILL):
        self.procs[i].send_signal(how)
        self.procs[i].wait(timeout=30)

    def log(self, i):
        """What process `i` logged (once it has ended)."""
        return self.procs[i].stderr.read()

    def close(self):
        self.proxy.close()
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture
def pair(tmp_path, redis_server):
    site(tmp_path)
    p = Pair(tmp_path, redis_server.url)
    yield p
    p.close()


def redis_cmd(url, *args):
    """One command to Redis (RESP over a socket): a status, integer or bulk reply as text, or None."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(f"*{len(args)}\r\n".encode() + b"".join(f"${len(a.encode())}\r\n{a}\r\n".encode() for a in args))
        data = b""
        while b"\r\n" not in data:
            data += s.recv(1 << 20)
        head, rest = data.split(b"\r\n", 1)
        if head.startswith(b"-"):
            raise AssertionError(head.decode())
        if not head.startswith(b"$"):
            return head[1:].decode()
        length = int(head[1:])
        if length < 0:
            return None
        while len(rest) < length + 2:
            rest += s.recv(1 << 20)
        return rest[:length].decode()


async def snapshot_at(url, view_id, version, topics=()):
    """The view's snapshot in Redis once it is at `version` with `topics`."""
    for _ in range(500):
        text = redis_cmd(url, "HGET", f"wl:v:{{{view_id}}}", "snap")
        if text and json.loads(text)["version"] == version and [t["topic"] for t in json.loads(text)["topics"]] == list(topics):
            return json.loads(text)
        await asyncio.sleep(0.01)
    raise AssertionError(f"no snapshot of version {version} for {view_id}: {text}")


async def test_after_kill_9_the_other_process_resumes_the_view_without_mount_or_html(pair, redis_server):
    # Two browsers' cookies, from the first process's pages (the second process serves no page: it never mounts).
    cookie, other_cookie = browser_cookie(pair.front), browser_cookie(pair.front)
    first = await Socket.open(pair.front, cookie)
    mounted = await first.ask({"type": "mount", "view": "counter"})
    assert "count=0 mounts=" in mounted["html"], mounted
    for n in range(1, 6):
        assert (await first.ask({"type": "event", "event": "increment", "view_id": mounted["view_id"]}))["version"] == n + 1
    stored = await snapshot_at(redis_server.url, mounted["view_id"], 6)
    assert stored["record"] == {"count": 5, "draft": ""} and stored["record_version"] == 0 and "count=5" in stored["html"], stored

    pair.kill(0)
    pair.point_at(1)
    # Another user's browser, a tampered token: refused like a missing view, and the view stays claimable.
    token = mounted["resume_token"]
    for cookie_used, frame in [(other_cookie, {}), (cookie, {"token": token[:-2] + ("00" if token[-2:] != "00" else "11")})]:
        other = await Socket.open(pair.front, cookie_used)
        refused = await other.resume(mounted, 6, **frame)
        assert refused["type"] == "resume_failed", refused
        await other.close()

    again = await Socket.open(pair.front, cookie)
    resumed = await again.resume(mounted, 6)
    assert resumed == {"type": "resumed", "view_id": mounted["view_id"], "version": 6, "ref": resumed["ref"]}
    patch = await again.ask({"type": "event", "event": "increment", "view_id": mounted["view_id"]})
    # Version 7, from the state of record; mount() never ran in this process (its count is 0 here).
    assert patch["type"] == "patch" and patch["version"] == 7, patch
    assert patch["patches"] == [{"op": "set-text", "path": [0, 0, 0], "text": "count=6 mounts=0"}], patch
    await again.close()
    # Back again on the same process: resumed in memory this time.
    third = await Socket.open(pair.front, cookie)
    assert (await third.resume(mounted, 7))["type"] == "resumed"
    assert (await third.ask({"type": "event", "event": "increment", "view_id": mounted["view_id"]}))["version"] == 8
    await third.close()


async def test_a_rolling_restart_by_sigterm_resumes_elsewhere(pair, redis_server):
    cookie = browser_cookie(pair.front)
    first = await Socket.open(pair.front, cookie)
    mounted = await first.ask({"type": "mount", "view": "counter"})
    await first.ask({"type": "event", "event": "increment", "view_id": mounted["view_id"]})
    pair.kill(0, signal.SIGTERM)
    assert pair.procs[0].returncode == 0
    pair.point_at(1)
    again = await Socket.open(pair.front, cookie)
    assert (await again.resume(mounted, 2))["type"] == "resumed"
    patch = await again.ask({"type": "event", "event": "increment", "view_id": mounted["view_id"]})
    assert patch["version"] == 3 and patch["patches"][0]["text"] == "count=2 mounts=0", patch
    await again.close()


async def test_split_brain_the_cut_off_owner_closes_its_copy_and_the_broadcasts_reach_the_new_one(pair, redis_server):
    cookie = browser_cookie(pair.front)
    first = await Socket.open(pair.front, cookie)
    mounted = await first.ask({"type": "mount", "view": "board"})
    await snapshot_at(redis_server.url, mounted["view_id"], 1, ["resume-news"])
    # The first process is cut off from its client (not killed): its view waits there, parked.
    pair.point_at(1)
    pair.proxy.cut()
    again = await Socket.open(pair.front, cookie)
    assert (await again.resume(mounted, 1))["type"] == "resumed"
    sent = subprocess.run(
        [sys.executable, "-m", "wasmlive", "broadcast", "resume-news", '{"headline": "after the move"}', "--redis", redis_server.url],
        capture_output=True, text=True, env=WITHOUT_DJANGO, timeout=60,
    )
    assert sent.returncode == 0, sent.stderr
    pushed = json.loads(await asyncio.wait_for(again.ws.recv(), 20))
    assert pushed["type"] == "patch" and pushed["version"] == 2 and pushed["patches"][0]["text"] == "board: after the move", pushed
    # Both processes heard it; the old owner's save of its render was refused, and it closed its copy.
    await snapshot_at(redis_server.url, mounted["view_id"], 2, ["resume-news"])
    await asyncio.sleep(0.5)
    pair.kill(0, signal.SIGTERM)
    log = pair.log(0)
    assert "resumed by another process: this copy closes" in log, log
    stored = json.loads(redis_cmd(redis_server.url, "HGET", f"wl:v:{{{mounted['view_id']}}}", "snap"))
    assert stored["version"] == 2 and redis_cmd(redis_server.url, "HGET", f"wl:v:{{{mounted['view_id']}}}", "gen") == "2", stored
    await again.close()


async def test_a_corrupt_snapshot_is_refused_and_the_client_mounts(pair, redis_server):
    cookie = browser_cookie(pair.front)
    first = await Socket.open(pair.front, cookie)
    mounted = await first.ask({"type": "mount", "view": "counter"})
    await snapshot_at(redis_server.url, mounted["view_id"], 1)
    pair.kill(0)
    redis_cmd(redis_server.url, "HSET", f"wl:v:{{{mounted['view_id']}}}", "snap", '{"format": 1, "record": "__import__(\'os\')"}')
    pair.point_at(1)
    again = await Socket.open(pair.front, cookie)
    refused = await again.resume(mounted, 1)
    assert refused["type"] == "resume_failed", refused
    # The connection goes on: the client mounts afresh.
    assert (await again.ask({"type": "mount", "view": "counter"}))["type"] == "mounted"
    await again.close()
    pair.kill(1, signal.SIGTERM)
    assert "a view's snapshot was refused" in pair.log(1)


async def test_a_state_that_a_snapshot_cannot_keep_fails_when_taken_naming_it(tmp_path, redis_server):
    site(tmp_path)
    (tmp_path / "handlers.py").write_text(
        (tmp_path / "handlers.py").read_text()
        + "\n\nclass Opaque(Counter):\n    def mount(self, request, **kwargs):\n        super().mount(request)\n        self.lock = object()\n"
    )
    views = json.loads((tmp_path / "views.json").read_text())
    views["views"].append({"name": "opaque", "route": "/opaque/", "template": "counter.html", "handler": "handlers:Opaque"})
    (tmp_path / "views.json").write_text(json.dumps(views))
    proc, addr = start_serve(tmp_path, "templates", LOGGED, "--redis", redis_server.url, "--secret-key", KEY)
    try:
        ws = await Socket.open(addr)
        mounted = await ws.ask({"type": "mount", "view": "opaque"})
        # The view works; it resumes in process only, and the log says why.
        assert (await ws.ask({"type": "event", "event": "increment", "view_id": mounted["view_id"]}))["version"] == 2
        await ws.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    log = proc.stderr.read()
    assert "Opaque.lock is of type object, which a resume snapshot cannot keep" in log and "resume_fields" in log, log
    assert redis_cmd(redis_server.url, "HGET", f"wl:v:{{{mounted['view_id']}}}", "snap") is None


async def test_in_chromium_kill_9_then_the_page_resumes_on_the_other_process(pair, redis_server, browser):
    page = await browser.new_page()
    errors, sent = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(json.loads(payload)["type"])))
    await page.goto(f"http://{pair.front}/")
    await page.wait_for_function("document.documentElement.dataset.wasmlive === 'connected' && window.wasmlive.views.every((v) => v.viewId)")
    for n in range(1, 6):
        await page.click("text=+")
        await page.wait_for_function(f"document.querySelector('p').textContent.startsWith('count={n} ')")
    view_id = await page.evaluate("window.wasmlive.views[0].viewId")
    await snapshot_at(redis_server.url, view_id, 6)
    await page.fill("#note", "typed, never sent")
    before = len(sent)
    pair.kill(0)
    # Nowhere to reconnect to for a while: what the user types into a bound input meanwhile cannot be sent.
    pair.proxy.target = ("127.0.0.1", 9)
    pair.proxy.cut()
    await page.wait_for_function("document.documentElement.dataset.wasmlive === 'reconnecting'")
    await page.fill("#draft", "typed while away")
    await page.wait_for_timeout(500)
    assert await page.text_content("s") == ""
    pair.point_at(1)
    await page.wait_for_function("document.documentElement.dataset.wasmlive === 'connected' && window.wasmlive.views.every((v) => v.viewId)", timeout=30000)
    # Resumed, not mounted: no mount frame, the DOM and what the user typed stayed.
    assert "mount" not in sent[before:] and "resume" in sent[before:], sent
    assert await page.input_value("#note") == "typed, never sent"
    # The bound input's event went once the view was back: version 7 carries it.
    await page.wait_for_function("document.querySelector('s').textContent === 'typed while away'")
    assert sent[sent.index("resume", before):].count("event") == 1, sent
    assert await page.evaluate("window.wasmlive.views[0].version") == 7
    await page.click("text=+")
    await page.wait_for_function("window.wasmlive.views[0].version === 8")
    # The right state, and mount() was never called on this process.
    assert await page.text_content("p") == "count=6 mounts=0"
    assert await page.input_value("#draft") == "typed while away"
    assert errors == []
