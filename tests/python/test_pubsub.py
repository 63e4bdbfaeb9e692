"""Live from the server across processes: two uvicorn processes of the
test site on one real `redis-server`, real WebSocket clients, and
messages broadcast from a Django view, a management command, a plain
script and a LiveView's handler. Redis killed (`kill -9`) and started
again; what cannot be published raises and is not sent."""

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from websockets.asyncio.client import connect

from conftest import DEMO, HERE, Server

FEED = "notes.live.FeedView"
FEED_TEXT = re.compile(r"count=(\d+) total=(\d+) last=(\S+) gaps=(\d+) dups=(\d+) reordered=(\d+) probes=(\d+)")


def env_for(redis):
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="testsite.settings",
        WASMLIVE_REDIS_URL=redis.url,
        PYTHONPATH=os.pathsep.join([str(HERE), str(DEMO)]),
    )


@contextlib.contextmanager
def sites(migrated_db, redis, count=2):
    """``count`` uvicorn processes of the test site on ``redis``, killed after."""
    running = []
    try:
        for _ in range(count):
            running.append(Server("testsite.settings", migrated_db, pythonpath=[HERE], env={"WASMLIVE_REDIS_URL": redis.url}).start())
        yield running
    finally:
        for site in running:
            site.stop()


class Feeds:
    """Views of FeedView on one connection, as their client sees them."""

    def __init__(self, ws, views):
        self.ws = ws
        self.state = views  # view_id -> the FEED_TEXT groups
        self.seen = ""  # every frame's text

    @classmethod
    async def open(cls, port, topic, views=5, params=None):
        ws = await connect(f"ws://127.0.0.1:{port}/ws/live/", origin=f"http://127.0.0.1:{port}", max_size=None)
        assert json.loads(await ws.recv())["type"] == "connected"
        state = {}
        for i in range(views):
            await ws.send(json.dumps({"type": "mount", "view": FEED, "params": {"topic": topic, **(params or {})}, "ref": f"m{i}"}))
            mounted = json.loads(await ws.recv())
            assert mounted["type"] == "mounted", mounted
            state[mounted["view_id"]] = FEED_TEXT.search(mounted["html"]).groups()
        return cls(ws, state)

    async def until(self, done, timeout=60):
        """Read pushed frames until ``done(state)`` holds for every view."""
        deadline = time.monotonic() + timeout
        while not all(done(s) for s in self.state.values()):
            left = deadline - time.monotonic()
            assert left > 0, f"views stuck at {sorted(set(self.state.values()))}"
            text = await asyncio.wait_for(self.ws.recv(), left)
            self.seen += text
            frame = json.loads(text)
            assert frame["type"] in ("patch", "html_update"), frame
            assert "ref" not in frame, frame
            found = FEED_TEXT.findall(text)
            if found:
                self.state[frame["view_id"]] = found[-1]


def post(port, path, fields):
    body = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", data=body, timeout=60) as r:
        return json.loads(r.read())


SCRIPT = """
import sys, django
django.setup()
import wasmlive
topic, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for n in range(first, first + count):
    wasmlive.broadcast(f"feed:{topic}", {"probe": True} if n == 0 else {"n": n, "src": "script"})
"""


def script(redis, *args, check=True):
    return subprocess.run([sys.executable, "-c", SCRIPT, *map(str, args)], cwd=DEMO, env=env_for(redis), capture_output=True, text=True, check=check, timeout=120)


def command(redis, *args):
    return subprocess.run([sys.executable, "manage.py", "announce", *map(str, args)], cwd=DEMO, env=env_for(redis), capture_output=True, text=True, check=True, timeout=120)


def test_a_thousand_messages_from_everywhere_reach_a_hundred_views_on_two_processes(migrated_db, redis_server):
    with sites(migrated_db, redis_server) as [a, b]:

        async def run():
            feeds = [await Feeds.open(site.port, "thousand", views=10) for site in (a, b) for _ in range(5)]
            assert sum(len(f.state) for f in feeds) == 100
            loop = asyncio.get_running_loop()
            # 1..400 from a Django view on process A, 401..700 from a
            # management command, 701..1000 from a plain script: at once.
            await asyncio.gather(
                loop.run_in_executor(None, post, a.port, "/notes/publish/", {"topic": "thousand", "first": 1, "count": 400}),
                loop.run_in_executor(None, command, redis_server, "thousand", 401, 300),
                loop.run_in_executor(None, script, redis_server, "thousand", 701, 300),
            )
            await asyncio.gather(*(f.until(lambda s: s[0] == "1000") for f in feeds))
            # Lost, duplicated, reordered: none, in every view.
            for f in feeds:
                for state in f.state.values():
                    assert state[:2] == ("1000", str(sum(range(1, 1001)))) and state[3:6] == ("0", "0", "0"), state
            # From a LiveView's own handler, on process B: everyone again.
            first = feeds[-1]
            view_id = next(iter(first.state))
            await first.ws.send(json.dumps({"type": "event", "event": "publish", "params": {"topic": "thousand", "n": 5000}, "view_id": view_id, "ref": "p"}))
            await asyncio.gather(*(f.until(lambda s: s[0] == "1001") for f in feeds[:-1]))
            for f in feeds:
                await f.ws.close()

        asyncio.run(run())


def test_redis_killed_and_back(migrated_db, own_redis):
    with sites(migrated_db, own_redis) as [a, b]:

        async def run():
            feeds = [await Feeds.open(site.port, "restart", views=3) for site in (a, b)]
            remounting = []
            for feed, site in zip(feeds, (a, b)):
                await feed.ws.send(json.dumps({"type": "mount", "view": "notes.live.RemountingView", "params": {"topic": "restart"}, "ref": "r"}))
                mounted = json.loads(await feed.ws.recv())
                assert "mounts=1 timers=1" in mounted["html"], mounted
                remounting.append(mounted["view_id"])
            script(own_redis, "restart", 1, 10)
            await asyncio.gather(*(f.until(lambda s: s[0] == "10") for f in feeds))

            own_redis.kill()
            down = script(own_redis, "restart", 11, 1, check=False)
            assert down.returncode != 0
            assert "BackplaneError" in down.stderr and own_redis.url.split("/0")[0] in down.stderr, down.stderr
            assert "not published" in down.stderr, down.stderr

            own_redis.start()
            # The servers reconnect and subscribe again on their own: probe
            # (n=0) until every view hears, then the real messages.
            deadline = time.monotonic() + 60
            while True:
                script(own_redis, "restart", 0, 1)
                try:
                    await asyncio.gather(*(f.until(lambda s: int(s[6]) > 0, timeout=1) for f in feeds))
                    break
                except (AssertionError, TimeoutError):
                    assert time.monotonic() < deadline, "the servers did not hear Redis again within 60 s"
            script(own_redis, "restart", 100, 5)
            expected = str(sum(range(1, 11)) + sum(range(100, 105)))
            await asyncio.gather(*(f.until(lambda s: s[1] == expected) for f in feeds))
            for f in feeds:
                for state in f.state.values():
                    # Redis lost its data: a gap each view was told of; nothing twice, nothing out of order.
                    assert state[0] == "15" and state[3] == "1" and state[4:6] == ("0", "0"), state
                # The default handle_gap mounted the other view again, its clock replaced.
                assert "mounts=2 timers=1" in f.seen, f.seen[-400:]
                await f.ws.close()

        asyncio.run(run())


def test_redis_restarted_mid_stream_loses_duplicates_and_reorders_nothing(migrated_db, persistent_redis):
    with sites(migrated_db, persistent_redis) as [a, b]:

        async def run():
            feeds = [await Feeds.open(site.port, "midstream", views=5) for site in (a, b)]
            script(persistent_redis, "midstream", 1, 150)
            # Stopped while the servers may still be reading those: they
            # catch up from the streams once it is back.
            persistent_redis.stop()
            persistent_redis.start()
            deadline = time.monotonic() + 30
            while script(persistent_redis, "midstream", 0, 1, check=False).returncode != 0:
                assert time.monotonic() < deadline, "Redis did not take a publish again"
                await asyncio.sleep(0.1)
            script(persistent_redis, "midstream", 151, 150)
            await asyncio.gather(*(f.until(lambda s: s[0] == "300") for f in feeds))
            for f in feeds:
                for state in f.state.values():
                    assert state[1] == str(sum(range(1, 301))) and state[3:6] == ("0", "0", "0"), state
                await f.ws.close()

        asyncio.run(run())


def test_redis_down_at_start_then_up(migrated_db, tmp_path):
    """Servers started before Redis: local events work, a broadcast raises
    the clear error, and delivery starts once Redis is up."""
    from conftest import Redis

    redis = Redis(tmp_path)
    with sites(migrated_db, redis, count=1) as [a], contextlib.ExitStack() as stack:
        stack.callback(redis.kill)

        async def run():
            feeds = await Feeds.open(a.port, "late", views=2)
            view_id = next(iter(feeds.state))
            # A local event is answered; a broadcast from it fails clearly.
            await feeds.ws.send(json.dumps({"type": "event", "event": "publish", "params": {"topic": "late", "n": 1}, "view_id": view_id, "ref": "p"}))
            answer = json.loads(await asyncio.wait_for(feeds.ws.recv(), 20))
            assert answer["type"] == "error" and answer["error"] == "BackplaneError", answer
            assert "127.0.0.1:" in answer["message"] and "not published" in answer["message"], answer
            await feeds.ws.send(json.dumps({"type": "event", "event": "leave", "params": {"topic": "other"}, "view_id": view_id, "ref": "l"}))
            assert json.loads(await asyncio.wait_for(feeds.ws.recv(), 20))["type"] == "patch"
            redis.start()
            deadline = time.monotonic() + 30
            while True:
                script(redis, "late", 0, 1)
                try:
                    await feeds.until(lambda s: int(s[6]) > 0, timeout=1)
                    break
                except (AssertionError, TimeoutError):
                    assert time.monotonic() < deadline, "delivery did not start once Redis was up"
            script(redis, "late", 1, 20)
            await feeds.until(lambda s: s[0] == "20")
            await feeds.ws.close()

        asyncio.run(run())


def test_a_django_view_keeps_database_views_live_on_both_processes(migrated_db, redis_server):
    with sites(migrated_db, redis_server) as [a, b]:
        # The two processes share one database here (each Server copies its
        # own): B reads the file A writes.
        b.stop()
        b.database.unlink()
        b.database, b.env["WASMLIVE_DEMO_DB"] = a.database, str(a.database)
        b.start()

        async def run():
            sockets = []
            for site in (a, b):
                ws = await connect(f"ws://127.0.0.1:{site.port}/ws/live/", origin=f"http://127.0.0.1:{site.port}")
                assert json.loads(await ws.recv())["type"] == "connected"
                await ws.send(json.dumps({"type": "mount", "view": "notes.live.LiveNotesView", "ref": "m"}))
                assert json.loads(await ws.recv())["type"] == "mounted"
                sockets.append(ws)
            post(a.port, "/notes/add/", {"text": "from a plain view"})
            post(b.port, "/notes/add-async/", {"text": "from an async view"})
            for ws in sockets:
                seen = ""
                while "from an async view" not in seen or "from a plain view" not in seen:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 20))
                    assert frame["type"] in ("patch", "html_update") and "ref" not in frame, frame
                    seen += json.dumps(frame)
                await ws.close()

        asyncio.run(run())


def test_what_cannot_be_published_raises_and_is_not_sent(redis_server):
    probe = """
import django, json
django.setup()
import wasmlive
from wasmlive import InvalidTopicError, MessageTooLargeError
results = {}
for name, call in [
    ("set", lambda: wasmlive.broadcast("feed:bad", {"s": {1, 2}})),
    ("nan", lambda: wasmlive.broadcast("feed:bad", float("nan"))),
    ("large", lambda: wasmlive.broadcast("feed:bad", "x" * (1 << 20))),
    ("topic", lambda: wasmlive.broadcast("has space", {})),
    ("empty", lambda: wasmlive.broadcast("", {})),
]:
    try:
        call()
        results[name] = "published"
    except Exception as e:
        results[name] = [type(e).__name__, str(e)]
print(json.dumps(results))
print(json.dumps(wasmlive.get_actor_stats().pubsub))
"""
    run = subprocess.run([sys.executable, "-c", probe], cwd=DEMO, env=env_for(redis_server), capture_output=True, text=True, check=True, timeout=60)
    results, stats = map(json.loads, run.stdout.strip().splitlines())
    assert results["set"][0] == "TypeError" and "not published" in results["set"][1] and "JSON" in results["set"][1]
    assert results["nan"][0] == "TypeError"
    assert results["large"][0] == "MessageTooLargeError" and "not published" in results["large"][1]
    assert results["topic"][0] == "InvalidTopicError" and results["empty"][0] == "InvalidTopicError"
    assert stats["published"] == 0 and stats["backplane"].startswith("redis://127.0.0.1:")


async def watch(ws, pattern, timeout=20):
    """Read frames until the view's text matches ``pattern``."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {pattern!r} within {timeout} s"
        frame = json.loads(await asyncio.wait_for(ws.recv(), left))
        if re.search(pattern, json.dumps(frame)):
            return frame


async def presence_view(port, room, name):
    ws = await connect(f"ws://127.0.0.1:{port}/ws/live/", origin=f"http://127.0.0.1:{port}")
    assert json.loads(await ws.recv())["type"] == "connected"
    await ws.send(json.dumps({"type": "mount", "view": "notes.live.PresenceView", "params": {"room": room, "name": name}, "ref": "m"}))
    mounted = json.loads(await ws.recv())
    assert mounted["type"] == "mounted", mounted
    return ws, mounted


LIST_PRESENCE = """
import sys, json, django
django.setup()
import wasmlive
print(json.dumps(sorted(m["name"] for m in wasmlive.presence(sys.argv[1]).values())))
"""


def listed(redis, topic):
    run = subprocess.run([sys.executable, "-c", LIST_PRESENCE, topic], cwd=DEMO, env=env_for(redis), capture_output=True, text=True, check=True, timeout=60)
    return json.loads(run.stdout)


def test_presence_across_processes_and_a_killed_process_leaves(migrated_db, redis_server):
    with sites(migrated_db, redis_server) as [a, b]:

        async def run():
            alice, _ = await presence_view(a.port, "p1", "alice")
            bob, _ = await presence_view(b.port, "p1", "bob")
            await watch(alice, r"members=alice,bob\b")
            assert listed(redis_server, "room:p1") == ["alice", "bob"]
            # A socket that closes leaves.
            await bob.close()
            await watch(alice, r'members=alice["<]')
            assert listed(redis_server, "room:p1") == ["alice"]
            # A process killed with its members: they leave within ALIVE_FOR + a beat.
            carol, mounted = await presence_view(b.port, "p1", "carol")
            assert "members=alice<" in mounted["html"], mounted["html"]
            await watch(alice, r"members=alice,carol\b")
            b.proc.kill()
            b.proc.wait()
            await watch(alice, r'members=alice["<]', timeout=20)
            assert listed(redis_server, "room:p1") == ["alice"]
            await alice.close()

        asyncio.run(run())
