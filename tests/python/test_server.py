"""The demo project under a real ASGI server (uvicorn), driven by a real
WebSocket client over loopback."""

import json
import signal
import urllib.request

from websockets.asyncio.client import connect


async def mount(ws, view):
    assert json.loads(await ws.recv())["type"] == "connected"
    await ws.send(json.dumps({"type": "mount", "view": view, "ref": 0}))
    return json.loads(await ws.recv())


async def test_first_paint_then_live_events_over_a_real_socket(server):
    proc, port = server
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/counter/", timeout=10) as r:
        page = r.read().decode()
    assert "<h1>Counter: 0</h1>" in page
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/wasmlive/client.js", timeout=10) as r:
        assert "applyPatches" in r.read().decode()
    origin = f"http://127.0.0.1:{port}"
    async with connect(f"ws://127.0.0.1:{port}/ws/live/", origin=origin) as ws:
        m = await mount(ws, "demo.views.CounterView")
        for i in range(1, 6):
            await ws.send(json.dumps({"type": "event", "event": "increment", "view_id": m["view_id"], "ref": i}))
            frame = json.loads(await ws.recv())
            assert frame["ref"] == i and frame["version"] == 1 + i and frame["patches"][0]["text"] == f"Counter: {i}"
    # A new connection (a reconnect) mounts afresh and works.
    async with connect(f"ws://127.0.0.1:{port}/ws/live/", origin=origin) as ws:
        m = await mount(ws, "demo.views.CounterView")
        assert "Counter: 0" in m["html"]


async def test_sigterm_with_clients_connected_shuts_down_cleanly(server):
    proc, port = server
    origin = f"http://127.0.0.1:{port}"
    async with connect(f"ws://127.0.0.1:{port}/ws/live/", origin=origin) as ws:
        await mount(ws, "demo.views.CounterView")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    out = proc.stdout.read().decode()
    # uvicorn finishes its shutdown, then re-raises the signal it got.
    assert code in (0, -signal.SIGTERM), out[-2000:]
    assert "Finished server process" in out and "Traceback" not in out, out[-2000:]
