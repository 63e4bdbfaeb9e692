"""Frames a view sends on its own: `push_render` from a thread while the
client's own events are answered, on both servers (`python -m wasmlive
serve` and Django under a real uvicorn). The client applies every frame as
the JS client does: patches only at the next version, a pushed
`html_update` in place of its tree."""

import asyncio
import json
import re

from websockets.asyncio.client import connect

from test_protocol import VIEW, servers  # noqa: F401  (the fixture)

TIMES = 40


class Client:
    """The view as a client holds it: its version and its two texts."""

    def __init__(self, mounted):
        self.version = mounted["version"]
        self.tally, self.ticks = self.texts(mounted["html"])
        self.pushed = 0

    @staticmethod
    def texts(html):
        return re.search(r"Tally: (\d+)", html).group(1), re.search(r"Ticks: (\d+)", html).group(1)

    def apply(self, frame):
        if frame["type"] == "html_update":
            assert frame["version"] > self.version, (frame, self.version)
            self.tally, self.ticks = self.texts(frame["html"])
        else:
            assert frame["type"] == "patch" and frame["version"] == self.version + 1, (frame, self.version)
            for patch in frame["patches"]:
                assert patch["op"] == "set-text", patch
                if patch["text"].startswith("Tally: "):
                    self.tally = patch["text"].removeprefix("Tally: ")
                else:
                    self.ticks = patch["text"].removeprefix("Ticks: ")
        self.version = frame["version"]
        if "ref" not in frame:
            self.pushed += 1


async def pushes_between_answers(base):
    async with connect(f"ws://{base}/ws/live/", origin=f"http://{base}") as ws:
        assert json.loads(await ws.recv())["type"] == "connected"
        await ws.send(json.dumps({"type": "mount", "view": VIEW, "ref": "m"}))
        mounted = json.loads(await ws.recv())
        view_id, client = mounted["view_id"], Client(mounted)
        await ws.send(json.dumps({"type": "event", "event": "tick", "params": {"times": TIMES}, "view_id": view_id, "ref": "tick"}))
        answered = set()
        for n in range(TIMES):
            await ws.send(json.dumps({"type": "event", "event": "add", "view_id": view_id, "ref": n}))
            await asyncio.sleep(0.002)
        while len(answered) < TIMES + 1 or client.ticks != str(TIMES):
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert frame.get("view_id") == view_id, frame
            client.apply(frame)
            if "ref" in frame:
                answered.add(frame["ref"])
        assert client.tally == str(TIMES) and client.ticks == str(TIMES)
        assert client.pushed >= 1 and client.version == 1 + TIMES + 1 + client.pushed
        return client.pushed


async def test_pushed_renders_reach_the_client_in_version_order_between_answers(servers):  # noqa: F811
    django, serve = servers
    for base in (django, serve):
        pushed = await pushes_between_answers(base)
        # Each tick is one push (a stale view's pushes would be folded into one html_update).
        assert pushed == TIMES, (base, pushed)


async def test_a_view_without_a_connection_or_not_mounted_cannot_push(session):
    import pytest

    from notes.views import TallyView
    from wasmlive import NotConnectedError, push_render

    with pytest.raises(NotConnectedError, match="not mounted"):
        push_render(TallyView())
    view = TallyView()
    view.mount(None)
    # A session that never asked for its pushes (a first paint's, the POST fallback's).
    await session.mount(VIEW, python_view=view)
    with pytest.raises(NotConnectedError, match="no live connection"):
        await view.push_render()
    assert view.count == 0
