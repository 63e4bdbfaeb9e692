"""`python -m wasmlive serve`: the host's server with Python handler
classes (`"handler": "module:Class"`), over a real WebSocket."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from websockets.asyncio.client import connect

from conftest import start_serve

# `serve` sets Django up when DJANGO_SETTINGS_MODULE is set (pytest-django sets it).
WITHOUT_DJANGO = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}

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
    proc, addr = start_serve(tmp_path, "templates", WITHOUT_DJANGO)
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
        for name, error in [("undecorated", "EventRejectedError"), ("nothing", "HandlerNotFoundError"), ("mount", "EventRejectedError"), ("get_context_data", "EventRejectedError")]:
            err = await event(name)
            assert err["type"] == "error" and err["error"] == error, err
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
        env=WITHOUT_DJANGO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1 and "cannot import nowhere" in out.stderr, out.stderr
    out = subprocess.run([sys.executable, "-m", "wasmlive", "frobnicate"], capture_output=True, text=True)
    assert out.returncode == 2 and "frobnicate" in out.stderr


def serve(tmp_path, handler, env):
    (tmp_path / "notes.html").write_text("<ul>{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>")
    (tmp_path / "views.json").write_text(json.dumps({"views": [{"name": "notes", "route": "/", "template": "notes.html", "handler": handler}]}))
    return subprocess.Popen(
        [sys.executable, "-m", "wasmlive", "serve", "--addr", "127.0.0.1:0", "--templates", ".", "--views", "views.json"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_serve_with_django_settings_runs_handlers_that_use_the_orm(tmp_path, migrated_db):
    import shutil
    import sqlite3

    from conftest import DEMO, HERE

    db = tmp_path / "serve.sqlite3"
    shutil.copyfile(migrated_db, db)
    with sqlite3.connect(db) as c:
        c.execute("INSERT INTO notes_note (text) VALUES ('from before')")
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="testsite.settings", WASMLIVE_DEMO_DB=str(db), PYTHONPATH=os.pathsep.join([str(HERE), str(DEMO)]))
    proc = serve(tmp_path, "notes.serving:Notes", env)
    try:
        line = proc.stdout.readline()
        assert "listening on http://" in line, line + proc.stderr.read()
        addr = line.split("http://")[1].split("/")[0]
        async with connect(f"ws://{addr}/ws/live/") as ws:
            assert json.loads(await ws.recv())["type"] == "connected"
            await ws.send(json.dumps({"type": "mount", "view": "notes", "ref": 0}))
            mounted = json.loads(await ws.recv())
            assert mounted["html"] == "<ul><li>from before</li></ul>", mounted
            vid = mounted["view_id"]

            async def event(name, **params):
                await ws.send(json.dumps({"type": "event", "event": name, "params": params, "view_id": vid, "ref": name}))
                return json.loads(await ws.recv())

            assert (await event("add", text="served"))["type"] == "patch"
            err = await event("add_then_fail", text="never")
            assert (err["type"], err["error"], err["message"]) == ("error", "RuntimeError", "rolled back"), err
            counted = await event("count")
            assert counted["type"] == "patch" and "2 notes" in json.dumps(counted), counted
        with sqlite3.connect(db) as c:
            assert [t for (t,) in c.execute("SELECT text FROM notes_note ORDER BY id")] == ["from before", "served"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert "rolled back" in proc.stderr.read(), "the handler's exception is logged with its traceback"


def test_serve_without_django_settings_says_how_to_use_a_projects_models(tmp_path):
    from conftest import DEMO, HERE

    env = dict(WITHOUT_DJANGO)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(DEMO)])
    proc = serve(tmp_path, "notes.serving:Notes", env)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "set DJANGO_SETTINGS_MODULE" in err, err
    # Settings that cannot be imported: one clear line, no traceback.
    proc = serve(tmp_path, "notes.serving:Notes", dict(env, DJANGO_SETTINGS_MODULE="no_such_settings"))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "DJANGO_SETTINGS_MODULE=no_such_settings" in err and "Traceback" not in err, err


TOLD = textwrap.dedent(
    """
    from wasmlive import event_handler, pubsub

    class Ticker:
        def mount(self, request, **kwargs):
            self.said = []
            self.clock = pubsub.send_every(self, 0.05, {"tick": True})
            self.ticks = 0

        def handle_info(self, message):
            if message.get("tick"):
                self.ticks += 1
                if self.ticks == 3:
                    self.clock.cancel()
                    pubsub.push_event(self, "three", {"ticks": 3})
            else:
                self.said.append(message["text"])

        def get_context_data(self):
            return {"said": ",".join(self.said), "ticks": self.ticks}
    """
)


async def test_serve_views_hear_their_topics_from_wasmlive_broadcast_on_redis(tmp_path, redis_server):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "board.html").write_text("<p>board: {{ headline }}</p>")
    (tmp_path / "templates" / "ticker.html").write_text("<p>said={{ said }} ticks={{ ticks }}</p>")
    (tmp_path / "told.py").write_text(TOLD)
    views = {
        "views": [
            {"name": "board", "route": "/", "template": "board.html", "state": {"headline": "none"}, "topics": ["news"]},
            {"name": "ticker", "route": "/ticker/", "template": "ticker.html", "handler": "told:Ticker", "topics": ["news-text"]},
        ]
    }
    (tmp_path / "views.json").write_text(json.dumps(views))
    procs = [start_serve(tmp_path, "templates", WITHOUT_DJANGO, "--redis", redis_server.url) for _ in range(2)]
    try:
        sockets = []
        for _, addr in procs:
            ws = await connect(f"ws://{addr}/ws/live/", origin=f"http://{addr}")
            assert json.loads(await ws.recv())["type"] == "connected"
            for name in ("board", "ticker"):
                await ws.send(json.dumps({"type": "mount", "view": name, "ref": name}))
                mounted = json.loads(await ws.recv())
                assert mounted["type"] == "mounted", mounted
            sockets.append(ws)

        def broadcast(topic, message):
            run = subprocess.run(
                [sys.executable, "-m", "wasmlive", "broadcast", topic, message, "--redis", redis_server.url], capture_output=True, text=True, env=WITHOUT_DJANGO, timeout=60
            )
            return run

        sent = broadcast("news", '{"headline": "hello both"}')
        assert sent.returncode == 0 and "published to news" in sent.stdout, sent.stderr
        assert broadcast("news-text", '{"text": "hi"}').returncode == 0
        for ws in sockets:
            seen, events = "", []
            while "hello both" not in seen or "said=hi" not in seen or "ticks=3" not in seen or not events:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 20))
                assert frame["type"] in ("patch", "html_update") and "ref" not in frame, frame
                seen += json.dumps(frame)
                events += frame.get("events", [])
            assert events == [{"name": "three", "payload": {"ticks": 3}}]
            await ws.close()
        # Refused before anything is sent, with a reason.
        for args, needle in [
            (("news", "{not json"), "not JSON"),
            (("has space", "{}"), "invalid topic"),
        ]:
            run = broadcast(*args)
            assert run.returncode != 0 and needle in run.stderr, run.stderr
        down = subprocess.run(
            [sys.executable, "-m", "wasmlive", "broadcast", "news", "{}", "--redis", "redis://127.0.0.1:1/0"], capture_output=True, text=True, env=WITHOUT_DJANGO, timeout=60
        )
        assert down.returncode != 0 and "redis://127.0.0.1:1/0" in down.stderr and "not published" in down.stderr, down.stderr
    finally:
        for proc, _ in procs:
            proc.kill()
            proc.wait()
