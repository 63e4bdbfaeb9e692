"""The Channels consumer's protocol, end to end through the demo's ASGI
application (routing, origin validation, auth middleware included)."""

import json

import pytest
from channels.testing import WebsocketCommunicator

import wasmlive
from demo.asgi import application

# The consumer runs Django's close_old_connections() (Channels does, on
# connect and disconnect), so its tests may reach the database.
pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]


async def connect():
    ws = WebsocketCommunicator(application, "/ws/live/", headers=ORIGIN)
    connected, _ = await ws.connect()
    assert connected
    hello = await ws.receive_json_from(timeout=5)
    assert hello["type"] == "connected" and hello["session_id"]
    return ws


async def mount(ws, view, params=None, ref=1):
    await ws.send_json_to({"type": "mount", "view": view, "params": params or {}, "ref": ref})
    mounted = await ws.receive_json_from(timeout=5)
    assert mounted["type"] == "mounted", mounted
    return mounted


async def test_mount_event_patch_versions_and_refs():
    ws = await connect()
    mounted = await mount(ws, "demo.views.CounterView")
    assert "Counter: 0" in mounted["html"] and mounted["version"] == 1 and mounted["ref"] == 1
    for i in range(1, 4):
        await ws.send_json_to({"type": "event", "event": "increment", "params": {}, "view_id": mounted["view_id"], "ref": 10 + i})
        patch = await ws.receive_json_from(timeout=5)
        assert patch == {
            "type": "patch",
            "patches": [{"op": "set-text", "path": [0, 1, 0], "text": f"Counter: {i}"}],
            "version": 1 + i,
            "view_id": mounted["view_id"],
            "ref": 10 + i,
        }
    await ws.send_json_to({"type": "resync", "view_id": mounted["view_id"], "ref": 99})
    full = await ws.receive_json_from(timeout=5)
    assert full["type"] == "html_update" and "Counter: 3" in full["html"] and full["version"] == 5 and full["ref"] == 99
    await ws.send_json_to({"type": "ping", "ref": 7})
    assert await ws.receive_json_from(timeout=5) == {"type": "pong", "ref": 7}
    await ws.disconnect()


@pytest.mark.parametrize(
    "frame, error, message",
    [
        ("{not json", "ValueError", "invalid frame"),
        ("[1, 2]", "ValueError", "JSON object"),
        ('{"type": "teleport"}', "ValueError", "unknown frame type"),
        ('{"type": "mount", "view": "os.system"}', "LookupError", "no view may be mounted"),
        ('{"type": "event", "event": "increment", "view_id": "nope", "ref": 3}', "ViewNotFoundError", "nope"),
        ('{"type": "event", "view_id": "x"}', "ValueError", 'string "event"'),
    ],
)
async def test_bad_frames_get_an_error_and_lose_nothing(frame, error, message):
    ws = await connect()
    mounted = await mount(ws, "demo.views.CounterView")
    await ws.send_to(text_data=frame)
    reply = await ws.receive_json_from(timeout=5)
    assert reply["type"] == "error" and reply["error"] == error, reply
    assert message in reply["message"]
    # The connection and the view still work.
    await ws.send_json_to({"type": "event", "event": "increment", "view_id": mounted["view_id"], "ref": 5})
    assert (await ws.receive_json_from(timeout=5))["patches"][0]["text"] == "Counter: 1"
    await ws.disconnect()


async def test_rejected_events_are_error_frames_with_their_ref():
    ws = await connect()
    mounted = await mount(ws, "demo.views.CounterView")
    for name, error in [("mount", "EventRejectedError"), ("_private", "EventRejectedError"), ("count", "EventRejectedError"), ("nothing", "HandlerNotFoundError")]:
        await ws.send_json_to({"type": "event", "event": name, "view_id": mounted["view_id"], "ref": name})
        reply = await ws.receive_json_from(timeout=5)
        assert reply["type"] == "error" and reply["error"] == error and reply["ref"] == name, reply
    await ws.send_json_to({"type": "event", "event": "increment", "params": {"deep": [[[[[[[[[[1]]]]]]]]]]}, "view_id": mounted["view_id"]})
    reply = await ws.receive_json_from(timeout=5)
    assert reply["error"] == "InvalidParamsError"
    await ws.disconnect()


async def test_oversized_frames_are_refused():
    ws = await connect()
    await ws.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * (1 << 20)}))
    reply = await ws.receive_json_from(timeout=5)
    assert reply["type"] == "error" and "larger than" in reply["message"]
    await ws.disconnect()


async def test_a_foreign_origin_is_refused():
    ws = WebsocketCommunicator(application, "/ws/live/", headers=[(b"origin", b"http://evil.example")])
    connected, _ = await ws.connect()
    assert not connected


async def test_disconnect_shuts_the_session_down():
    ws = await connect()
    await mount(ws, "demo.views.CounterView")
    during = wasmlive.get_actor_stats().active_views
    await ws.disconnect()
    after = wasmlive.get_actor_stats().active_views
    assert after == during - 1


async def answer_to(ws, ref):
    """The answer to ``ref``, past what the server pushed meanwhile (the
    chat's presence, its room's messages)."""
    while True:
        frame = await ws.receive_json_from(timeout=5)
        if frame.get("ref") == ref:
            return frame
        assert "ref" not in frame, frame


async def test_chat_form_submit_appends_keyed_messages():
    ws = await connect()
    m = await mount(ws, "demo.views.ChatView")
    assert "No messages yet" in m["html"] and "Anonymous" in m["html"]
    await ws.send_json_to({"type": "event", "event": "send_message", "params": {"message": "hello"}, "view_id": m["view_id"], "ref": 1})
    p = await answer_to(ws, 1)
    assert p["type"] == "patch" and any("hello" in json.dumps(x) for x in p["patches"])
    await ws.send_json_to({"type": "event", "event": "send_message", "params": {"message": "   "}, "view_id": m["view_id"], "ref": 2})
    assert (await answer_to(ws, 2))["patches"] == [], "blank messages change nothing"
    await ws.disconnect()


async def test_todo_reorder_moves_keyed_rows(todo_rows):
    ws = await connect()
    m = await mount(ws, "demo.views.TodoView")
    await ws.send_json_to({"type": "event", "event": "reverse", "view_id": m["view_id"], "ref": 1})
    p = await ws.receive_json_from(timeout=5)
    ops = [x["op"] for x in p["patches"]]
    assert "move-child" in ops and "replace-node" not in ops and "insert-child" not in ops, ops
    await ws.send_json_to({"type": "event", "event": "remove", "params": {"id": "2"}, "view_id": m["view_id"], "ref": 2})
    p = await ws.receive_json_from(timeout=5)
    assert [x["op"] for x in p["patches"]].count("remove-child") == 1
    await ws.send_json_to({"type": "event", "event": "add", "params": {"text": "New"}, "view_id": m["view_id"], "ref": 3})
    p = await ws.receive_json_from(timeout=5)
    assert any(x["op"] == "insert-child" and "New" in x["html"] for x in p["patches"])
    await ws.disconnect()


async def test_components_child_event_reaches_the_parent():
    ws = await connect()
    m = await mount(ws, "demo.views.DashboardView")
    assert "Apples: 0" in m["html"] and "Pears: 10" in m["html"] and "Changes: 0" in m["html"]
    await ws.send_json_to({"type": "event", "event": "bump", "component_id": "pears", "view_id": m["view_id"], "ref": 1})
    child = await ws.receive_json_from(timeout=5)
    parent = await ws.receive_json_from(timeout=5)
    assert child["component_id"] == "pears" and child["patches"][0]["text"].startswith("Pears: 15")
    assert parent.get("component_id") is None and parent["version"] == child["version"] + 1
    assert any("Changes: 1" in x.get("text", "") for x in parent["patches"]), parent
    await ws.disconnect()


async def test_a_components_coroutine_handler_messages_its_parent_and_a_bad_message_is_refused():
    import views_for_tests  # noqa: F401  (registers AsyncBumpView)

    ws = await connect()
    m = await mount(ws, "views_for_tests.AsyncBumpView")
    assert "<i>0</i>" in m["html"] and "<b>0</b>" in m["html"]
    bump = {"type": "event", "event": "bump", "component_id": "b", "view_id": m["view_id"]}
    for n in (1, 2):
        await ws.send_json_to({**bump, "ref": n})
        child = await ws.receive_json_from(timeout=5)
        parent = await ws.receive_json_from(timeout=5)
        assert child["component_id"] == "b" and child["patches"] == [{"op": "set-text", "path": [0, 0], "text": str(n)}], child  # within the component
        # The parent's diff is against the page as the client has it: only its own change.
        assert parent["patches"] == [{"op": "set-text", "path": [0, 0, 0], "text": str(n)}], parent
        assert (parent["ref"], parent["version"]) == (n, child["version"] + 1)
    # A message to a handler the parent does not declare: an error for the
    # client, and the parent is as it was.
    await ws.send_json_to({**bump, "event": "tell_nobody", "ref": 3})
    error = await ws.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["error"] == "HandlerNotFoundError" and "not_a_handler" in error["message"], error
    await ws.send_json_to({"type": "resync", "view_id": m["view_id"], "ref": 4})
    full = await ws.receive_json_from(timeout=5)
    assert "<i>2</i>" in full["html"], full
    await ws.disconnect()


async def test_a_handler_bug_is_an_error_frame_and_the_connection_lives_on(caplog):
    import views_for_tests  # noqa: F401  (registers Probe)

    ws = await connect()
    m = await mount(ws, "views_for_tests.Probe")
    await ws.send_json_to({"type": "event", "event": "break_context", "view_id": m["view_id"], "ref": 1})
    reply = await ws.receive_json_from(timeout=5)
    assert reply == {"type": "error", "error": "RuntimeError", "message": "context exploded", "ref": 1, "view_id": m["view_id"]}
    assert "context exploded" in caplog.text, "the traceback is logged"
    await ws.send_json_to({"type": "event", "event": "fail_custom", "view_id": m["view_id"], "ref": 2})
    assert (await ws.receive_json_from(timeout=5))["error"] == "Boom"
    await ws.disconnect()


async def test_a_guest_fault_is_an_error_frame_for_its_view_only(fixture_guests):
    import views_for_tests  # noqa: F401  (registers FaultyEngineView)

    ws = await connect()
    faulty = await mount(ws, "views_for_tests.FaultyEngineView", ref=1)
    counter = await mount(ws, "demo.views.CounterView", ref=2)
    await ws.send_json_to({"type": "event", "event": "misbehave", "params": {"fault": "loop"}, "view_id": faulty["view_id"], "ref": 3})
    reply = await ws.receive_json_from(timeout=10)
    assert (reply["type"], reply["error"], reply["kind"], reply["view_id"], reply["ref"]) == (
        "error", "GuestFaultError", "deadline", faulty["view_id"], 3
    ), reply
    # The other view of the same connection carries on, and so does the faulted one.
    await ws.send_json_to({"type": "event", "event": "increment", "params": {}, "view_id": counter["view_id"], "ref": 4})
    patch = await ws.receive_json_from(timeout=5)
    assert patch["type"] == "patch" and patch["patches"][0]["text"] == "Counter: 1"
    await ws.send_json_to({"type": "event", "event": "behave", "params": {}, "view_id": faulty["view_id"], "ref": 5})
    patch = await ws.receive_json_from(timeout=5)
    assert (patch["type"], patch["patches"], patch["version"]) == ("patch", [], 2)
    await ws.disconnect()


async def test_allowed_views_limit_what_a_client_may_mount(settings):
    settings.LIVEVIEW_CONFIG = {"allowed_views": ["demo.views.CounterView"]}
    ws = await connect()
    await mount(ws, "demo.views.CounterView")
    await ws.send_json_to({"type": "mount", "view": "demo.views.ChatView", "ref": 2})
    reply = await ws.receive_json_from(timeout=5)
    assert reply["type"] == "error" and reply["error"] == "LookupError" and reply["ref"] == 2
    await ws.disconnect()


def test_unknown_settings_keys_fail_loudly(settings):
    from django.core.exceptions import ImproperlyConfigured

    from wasmlive import conf

    settings.LIVEVIEW_CONFIG = {"actor_ttl_secs": 5}
    with pytest.raises(ImproperlyConfigured, match="actor_ttl_secs"):
        conf.config()
    settings.LIVEVIEW_CONFIG = {"actor_ttl_seconds": 5, "use_actors": True}
    assert conf.actor_options(conf.config())["actor_ttl_seconds"] == 5
    # There is no mode without actors: asking for one is an error, not ignored.
    settings.LIVEVIEW_CONFIG = {"use_actors": False}
    with pytest.raises(ImproperlyConfigured, match="use_actors"):
        conf.config()


def test_liveview_config_configures_the_actor_system():
    import subprocess
    import sys

    code = (
        "import django; from django.conf import settings; "
        "settings.configure(INSTALLED_APPS=['channels', 'wasmlive'], "
        "LIVEVIEW_CONFIG={'actor_ttl_seconds': 7, 'cleanup_interval': 2, 'view_channel_capacity': 9}); "
        "django.setup(); import wasmlive; s = wasmlive.get_actor_stats(); "
        "print(s.ttl_secs, s.cleanup_interval_secs, s.running)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["7", "2", "False"]


async def test_db_cleanup_runs_once_per_interval_not_per_frame(settings, monkeypatch):
    # Channels closes old database connections before every frame (a trip
    # through the thread pool); the consumer does it once per interval.
    import wasmlive.consumer as consumer

    calls = []
    real = consumer.aclose_old_connections

    async def counting():
        calls.append(1)
        await real()

    monkeypatch.setattr(consumer, "aclose_old_connections", counting)
    monkeypatch.setattr(consumer.DbCleanup, "last_at", None)
    settings.LIVEVIEW_CONFIG = {"db_cleanup_interval": 3600}
    ws = await connect()
    mounted = await mount(ws, "demo.views.CounterView")
    for ref in range(5):
        await ws.send_json_to({"type": "event", "event": "increment", "params": {}, "view_id": mounted["view_id"], "ref": ref})
        assert (await ws.receive_json_from(timeout=5))["type"] == "patch"
    assert len(calls) == 1, "one cleanup for the connect, none for the 6 frames within the interval"
    await ws.disconnect()

    settings.LIVEVIEW_CONFIG = {"db_cleanup_interval": 0}
    ws = await connect()
    for ref in range(3):
        await ws.send_json_to({"type": "ping", "ref": ref})
        assert await ws.receive_json_from(timeout=5) == {"type": "pong", "ref": ref}
    assert len(calls) == 1 + 4, "with 0, before the connect and before every frame, as Channels does"
    await ws.disconnect()


@pytest.mark.parametrize("bad", [-1, "1", None, True])
def test_db_cleanup_interval_must_be_seconds(settings, bad):
    from django.core.exceptions import ImproperlyConfigured

    from wasmlive import conf

    settings.LIVEVIEW_CONFIG = {"db_cleanup_interval": bad}
    with pytest.raises(ImproperlyConfigured, match="db_cleanup_interval"):
        conf.config()


async def test_the_demo_clock_ticks_on_its_own_and_stops():
    ws = await connect()
    m = await mount(ws, "demo.views.ClockView")
    assert "Stop" in m["html"]
    pushed = await ws.receive_json_from(timeout=5)
    assert pushed["type"] == "patch" and "ref" not in pushed and pushed["version"] == 2, pushed
    await ws.send_json_to({"type": "event", "event": "toggle", "view_id": m["view_id"], "ref": 1})
    answer = await answer_to(ws, 1)
    assert any("Start" in json.dumps(p) for p in answer["patches"]), answer
    # Stopped: nothing more is pushed (but a tick queued before the stop).
    late = []
    while not await ws.receive_nothing(timeout=1.5):
        late.append(await ws.receive_json_from())
        assert len(late) <= 1, late
    await ws.disconnect()


async def test_a_socket_does_not_join_the_projects_channel_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    ws = await connect()
    m = await mount(ws, "demo.views.CounterView")
    await ws.send_json_to({"type": "event", "event": "increment", "view_id": m["view_id"], "ref": 2})
    assert (await answer_to(ws, 2))["type"] == "patch"
    # Nothing registered a channel on the layer: the consumer never asked it for one.
    assert layer.channels == {} and layer.groups == {}
    await ws.disconnect()
