"""A reconnect resumes its views (`wasmlive serve`, in process): the same
view carries on — its state, its version, its subscriptions — without
`mount()` and, when the client is current, without HTML. Real `serve`
processes, real WebSockets, a real redis-server for the broadcasts."""

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import urllib.request

import pytest
from websockets.asyncio.client import connect

from conftest import Proxy, start_serve
from test_browser import browser  # noqa: F401 (the fixture)

WITHOUT_DJANGO = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}

HANDLERS = textwrap.dedent(
    """
    from wasmlive import event_handler

    MOUNTS = [0]

    class Counter:
        def mount(self, request, **kwargs):
            MOUNTS[0] += 1
            self.count = 0
            self.draft = ""

        @event_handler
        def increment(self, **kwargs):
            self.count += 1

        @event_handler
        def draft_changed(self, value="", **kwargs):
            self.draft = value

        def get_context_data(self):
            return {"count": self.count, "mounts": MOUNTS[0], "draft": self.draft}
    """
)


def site(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "counter.html").write_text(
        '<div><p>count={{ count }} mounts={{ mounts }}</p><button @click="increment">+</button><input id="note" name="note"><input id="draft" name="draft" @input="draft_changed"><s>{{ draft }}</s></div>'
    )
    (tmp_path / "templates" / "board.html").write_text("<p>board: {{ headline }}</p>")
    (tmp_path / "handlers.py").write_text(HANDLERS)
    views = {
        "views": [
            {"name": "counter", "route": "/", "template": "counter.html", "handler": "handlers:Counter"},
            {"name": "board", "route": "/board/", "template": "board.html", "state": {"headline": "none"}, "topics": ["resume-news"]},
        ]
    }
    (tmp_path / "views.json").write_text(json.dumps(views))


@pytest.fixture
def served(tmp_path):
    site(tmp_path)
    proc, addr = start_serve(tmp_path, "templates", WITHOUT_DJANGO, "--secret-key", "resume-test-key")
    yield addr
    proc.kill()
    proc.wait()


def browser_cookie(addr):
    """A signed session cookie of `serve`'s, as a browser gets with its first page."""
    with urllib.request.urlopen(f"http://{addr}/") as response:
        return response.headers["Set-Cookie"].split(";")[0]


class Socket:
    def __init__(self, ws):
        self.ws = ws
        self.ref = 0

    @classmethod
    async def open(cls, addr, cookie=None):
        ws = await connect(f"ws://{addr}/ws/live/", origin=f"http://{addr}", additional_headers={"Cookie": cookie} if cookie else None)
        assert json.loads(await ws.recv())["type"] == "connected"
        return cls(ws)

    async def ask(self, frame):
        self.ref += 1
        await self.ws.send(json.dumps({**frame, "ref": self.ref}))
        while True:
            answer = json.loads(await asyncio.wait_for(self.ws.recv(), 20))
            if answer.get("ref") == self.ref:
                return answer

    async def resume(self, mounted, version, token=None, view_id=None):
        return await self.ask({"type": "resume", "view_id": view_id or mounted["view_id"], "token": token or mounted["resume_token"], "version": version})

    async def close(self):
        await self.ws.close()


async def test_a_reconnect_resumes_the_view_without_mount_and_only_its_own_browser_can(served):
    cookie, other_cookie = browser_cookie(served), browser_cookie(served)
    first = await Socket.open(served, cookie)
    mounted = await first.ask({"type": "mount", "view": "counter"})
    assert mounted["type"] == "mounted" and mounted["resume_token"], mounted
    mounts = int(mounted["html"].split("mounts=")[1].split("<")[0])
    for n in range(1, 6):
        patch = await first.ask({"type": "event", "event": "increment", "view_id": mounted["view_id"]})
        assert patch["version"] == n + 1
    await first.close()

    # Refused alike, and the view is still there for its own browser afterwards.
    token = mounted["resume_token"]
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    for cookie_used, frame in [
        (other_cookie, {}),  # another browser's socket with this token
        (None, {}),  # no browser at all
        (cookie, {"token": tampered}),
        (cookie, {"token": "ws-0" + token[token.index("."):]}),  # the signature on another session
    ]:
        other = await Socket.open(served, cookie_used)
        answer = await other.resume(mounted, 6, **frame)
        assert answer["type"] == "resume_failed" and answer["view_id"] == mounted["view_id"], answer
        assert "mount" in answer["reason"], answer
        await other.close()

    again = await Socket.open(served, cookie)
    resumed = await again.resume(mounted, 6)
    assert resumed == {"type": "resumed", "view_id": mounted["view_id"], "version": 6, "ref": resumed["ref"]}
    patch = await again.ask({"type": "event", "event": "increment", "view_id": mounted["view_id"]})
    assert patch["type"] == "patch" and patch["version"] == 7, patch
    # The state carried on, and mount() did not run again.
    assert patch["patches"] == [{"op": "set-text", "path": [0, 0, 0], "text": f"count=6 mounts={mounts}"}], patch
    await again.close()

    # A socket with views of its own cannot take another session over.
    busy = await Socket.open(served, cookie)
    assert (await busy.ask({"type": "mount", "view": "counter"}))["type"] == "mounted"
    assert (await busy.resume(mounted, 7))["type"] == "resume_failed"
    await busy.close()
    # A client behind the view (its last patch lost) gets the whole HTML.
    late = await Socket.open(served, cookie)
    full = await late.resume(mounted, 6)
    assert full["type"] == "html_update" and full["version"] == 8 and f"count=6 mounts={mounts}" in full["html"], full
    assert (await late.ask({"type": "event", "event": "increment", "view_id": mounted["view_id"]}))["version"] == 9
    await late.close()


async def test_views_end_once_the_grace_runs_out(tmp_path):
    site(tmp_path)
    proc, addr = start_serve(tmp_path, "templates", WITHOUT_DJANGO, "--resume-grace", "0.5")
    try:
        first = await Socket.open(addr)
        mounted = await first.ask({"type": "mount", "view": "counter"})
        await first.close()
        await asyncio.sleep(1.5)
        later = await Socket.open(addr)
        assert (await later.resume(mounted, 1))["type"] == "resume_failed"
        await later.close()
    finally:
        proc.kill()
        proc.wait()
    refused = subprocess.run(
        [sys.executable, "-m", "wasmlive", "serve", "--templates", str(tmp_path / "templates"), "--views", str(tmp_path / "views.json"), "--resume-grace=-1"],
        capture_output=True, text=True, env=WITHOUT_DJANGO, timeout=60,
    )
    assert refused.returncode != 0 and "`-1` is not a number of seconds (0 or more)" in refused.stderr, refused.stderr


async def test_broadcasts_while_away_reach_the_resumed_view_as_its_whole_html(tmp_path, redis_server):
    site(tmp_path)
    proc, addr = start_serve(tmp_path, "templates", WITHOUT_DJANGO, "--redis", redis_server.url)
    try:
        first = await Socket.open(addr)
        mounted = await first.ask({"type": "mount", "view": "board"})
        await first.close()
        sent = subprocess.run(
            [sys.executable, "-m", "wasmlive", "broadcast", "resume-news", '{"headline": "while away"}', "--redis", redis_server.url],
            capture_output=True, text=True, env=WITHOUT_DJANGO, timeout=60,
        )
        assert sent.returncode == 0, sent.stderr
        back = await Socket.open(addr)
        # The broadcast arrives at the parked view a moment after it is published.
        for _ in range(100):
            answer = await back.resume(mounted, 1)
            if answer["type"] == "html_update":
                break
            assert answer["type"] == "resumed", answer
            await asyncio.sleep(0.05)
        assert answer["type"] == "html_update" and "board: while away" in answer["html"], answer
        # Still subscribed: the next broadcast is pushed to the new socket.
        subprocess.run([sys.executable, "-m", "wasmlive", "broadcast", "resume-news", '{"headline": "back"}', "--redis", redis_server.url], env=WITHOUT_DJANGO, check=True, timeout=60)
        pushed = json.loads(await asyncio.wait_for(back.ws.recv(), 20))
        assert pushed["type"] == "patch" and "ref" not in pushed and pushed["version"] == answer["version"] + 1, pushed
        assert pushed["patches"][0]["text"] == "board: back", pushed
        await back.close()
    finally:
        proc.kill()
        proc.wait()


async def test_in_chromium_a_dropped_connection_resumes_and_keeps_what_the_user_typed(served, browser):
    host, port = served.split(":")
    proxy = Proxy((host, int(port)))
    try:
        page = await browser.new_page()
        errors, sent = [], []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(json.loads(payload)["type"])))
        await page.goto(f"http://127.0.0.1:{proxy.port}/")
        await page.wait_for_function("document.documentElement.dataset.wasmlive === 'connected' && window.wasmlive.views.every((v) => v.viewId)")
        text = await page.text_content("p")
        mounts = text.split("mounts=")[1]
        for n in range(1, 6):
            await page.click("text=+")
            await page.wait_for_function(f"document.querySelector('p').textContent.startsWith('count={n} ')")
        await page.fill("#note", "typed, never sent")
        before = len(sent)
        proxy.cut()
        await page.wait_for_function("document.documentElement.dataset.wasmlive === 'reconnecting'")
        await page.wait_for_function("document.documentElement.dataset.wasmlive === 'connected' && window.wasmlive.views.every((v) => v.viewId)", timeout=30000)
        # Resumed, not mounted: the DOM stayed, with what the user typed.
        assert sent[before:] == ["resume"], sent
        assert await page.input_value("#note") == "typed, never sent"
        assert await page.evaluate("window.wasmlive.views[0].version") == 6
        await page.click("text=+")
        await page.wait_for_function("window.wasmlive.views[0].version === 7")
        assert await page.text_content("p") == f"count=6 mounts={mounts}"
        assert errors == []
    finally:
        proxy.close()
