"""`python -m wasmlive serve`: the host's server with Python handler
classes (`"handler": "module:Class"`), over a real WebSocket."""

import json
import signal
import subprocess
import sys
import textwrap

import pytest
from websockets.asyncio.client import connect

HANDLERS = textwrap.dedent(
    """
    from wasmlive import event_handler

    class Counter:
        def mount(self, request, start=0, **kwargs):
            self.count = start

        @event_handler
        def increment(self, by=1, **kwargs):
            self.count += by

        @event_handler
        async def later(self, **kwargs):
            self.count += 100

        @event_handler
        def explode(self, **kwargs):
            raise ValueError("no such luck")

        def undecorated(self, **kwargs):
            self.count = -1

        def get_context_data(self):
            return {"count": self.count}
    """
)


@pytest.fixture
def served(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "counter.html").write_text("<div><h1>Count: {{ count }}</h1></div>")
    (tmp_path / "handlers.py").write_text(HANDLERS)
    views = {"views": [{"name": "counter", "route": "/", "template": "counter.html", "state": {"start": 5}, "handler": "handlers:Counter"}]}
    (tmp_path / "views.json").write_text(json.dumps(views))
    proc = subprocess.Popen(
        [sys.executable, "-m", "wasmlive", "serve", "--addr", "127.0.0.1:0", "--templates", "templates", "--views", "views.json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    assert "listening on http://" in line, line + proc.stderr.read()
    addr = line.split("http://")[1].split("/")[0]
    yield proc, addr
    if proc.poll() is None:
        proc.kill()
        proc.wait()


async def test_python_handlers_run_in_the_served_view(served):
    proc, addr = served
    async with connect(f"ws://{addr}/ws/live/") as ws:
        assert json.loads(await ws.recv())["type"] == "connected"
        await ws.send(json.dumps({"type": "mount", "view": "counter", "ref": 0}))
        mounted = json.loads(await ws.recv())
        assert mounted["html"] == "<div><h1>Count: 5</h1></div>", mounted
        vid = mounted["view_id"]

        async def event(name, params=None, ref=1):
            await ws.send(json.dumps({"type": "event", "event": name, "params": params or {}, "view_id": vid, "ref": ref}))
            return json.loads(await ws.recv())

        assert (await event("increment", {"by": 2}))["patches"][0]["text"] == "Count: 7"
        assert (await event("later"))["patches"][0]["text"] == "Count: 107"
        err = await event("explode")
        assert err["type"] == "error" and err["error"] == "ValueError" and err["message"] == "no such luck", err
        for name in ["undecorated", "mount", "get_context_data", "nothing"]:
            err = await event(name)
            assert err["type"] == "error" and err["error"] == "HandlerNotFoundError", err
        assert (await event("increment"))["patches"][0]["text"] == "Count: 108"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, proc.stderr.read()


def test_the_cli_runs_from_python_and_refuses_bad_handlers(tmp_path):
    out = subprocess.run([sys.executable, "-m", "wasmlive", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "serve" in out.stdout and "render" in out.stdout
    (tmp_path / "t.html").write_text("<p>{{ x }}</p>")
    (tmp_path / "views.json").write_text(json.dumps({"views": [{"name": "a", "route": "/", "template": "t.html", "handler": "nowhere:Nothing"}]}))
    out = subprocess.run(
        [sys.executable, "-m", "wasmlive", "serve", "--addr", "127.0.0.1:0", "--templates", ".", "--views", "views.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1 and "cannot import nowhere" in out.stderr, out.stderr
    out = subprocess.run([sys.executable, "-m", "wasmlive", "frobnicate"], capture_output=True, text=True)
    assert out.returncode == 2 and "frobnicate" in out.stderr
