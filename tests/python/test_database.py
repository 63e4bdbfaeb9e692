"""Views that use the database, as any Django view does: the synchronous ORM
in mount, plain handlers, get_context_data and components; the async ORM in
coroutine mount and handlers; transactions; the logged-in user with
database sessions; failures a developer can see. A real sqlite database
(pytest-django's), Django's test client and Channels' communicator through
the test site's ASGI application."""

import asyncio
import json
import logging

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import AsyncClient

import wasmlive
from demo.asgi import application
from notes.models import Note

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1")
HOST = (b"host", b"127.0.0.1")


async def connect(*headers):
    ws = WebsocketCommunicator(application, "/ws/live/", headers=[ORIGIN, HOST, *headers])
    connected, _ = await ws.connect()
    assert connected
    assert (await ws.receive_json_from(timeout=5))["type"] == "connected"
    return ws


async def mount(ws, view, params=None, ref=0):
    await ws.send_json_to({"type": "mount", "view": view, "params": params or {}, "ref": ref})
    frame = await ws.receive_json_from(timeout=10)
    assert frame["type"] == "mounted", frame
    return frame


async def event(ws, view_id, name, ref, **params):
    await ws.send_json_to({"type": "event", "event": name, "params": params, "view_id": view_id, "ref": ref})
    return await ws.receive_json_from(timeout=10)


def view_id_of(html):
    return html.split('data-view-id="', 1)[1].split('"', 1)[0]


async def texts():
    return [n.text async for n in Note.objects.all()]


async def test_the_notes_view_over_first_paint_the_post_fallback_and_the_websocket():
    first = await Note.objects.acreate(text="first")
    client = AsyncClient()
    page = await client.get("/notes/")
    assert page.status_code == 200, page.content[:2000]
    html = page.content.decode()
    assert f'<li data-key="{first.pk}">first</li>' in html and "1 notes" in html
    # The POST fallback runs the handler against the database.
    r = await client.post("/notes/", json.dumps({"event": "add", "params": {"text": "second"}, "view_id": view_id_of(html), "ref": 1}), content_type="application/json")
    frame = json.loads(r.content)
    assert r.status_code == 200 and frame["type"] == "patch" and frame["version"] == 2, frame
    assert await texts() == ["first", "second"]
    # And over the socket.
    ws = await connect()
    m = await mount(ws, "notes.views.NotesView")
    assert "first" in m["html"] and "second" in m["html"] and "2 notes" in m["html"]
    reply = await event(ws, m["view_id"], "add", 1, text="third")
    assert reply["type"] == "patch" and reply["version"] == 2, reply
    assert any("third" in p.get("html", "") for p in reply["patches"]), reply
    assert await texts() == ["first", "second", "third"]
    await ws.disconnect()


async def test_a_queryset_and_model_instances_in_the_context():
    ada = await sync_to_async(get_user_model().objects.create_user)("ada", password="pw")
    await Note.objects.acreate(text="hello", author=ada)
    await Note.objects.acreate(text="world")
    ws = await connect()
    m = await mount(ws, "notes.views.QuerySetView")
    assert "<li>hello by ada (HELLO)</li><li>world by nobody (WORLD)</li>" in m["html"], m["html"]
    first = await Note.objects.afirst()
    assert f"<p>hello|{first.pk}|{ada.pk}|2|none</p>" in m["html"], m["html"]
    reply = await event(ws, m["view_id"], "search", 1, q="wor")
    assert reply["type"] == "patch", reply
    await ws.send_json_to({"type": "resync", "view_id": m["view_id"], "ref": 2})
    full = await ws.receive_json_from(timeout=5)
    assert "<li>world by nobody (WORLD)</li></ul><p>world|" in full["html"] and "|1|none" in full["html"], full["html"]
    await ws.disconnect()


async def test_async_mount_and_an_async_handler_use_the_async_orm():
    await Note.objects.acreate(text="a")
    ws = await connect()
    m = await mount(ws, "notes.views.AsyncNotesView")
    assert "<p>1 notes, last </p>" in m["html"]
    reply = await event(ws, m["view_id"], "add", 1, text="b")
    assert reply["type"] == "patch" and reply["patches"][0]["text"] == "2 notes, last b", reply
    assert await texts() == ["a", "b"]
    await ws.disconnect()


async def test_a_failing_transaction_is_rolled_back_and_the_page_keeps_its_state(caplog):
    await Note.objects.acreate(text="kept")
    ws = await connect()
    m = await mount(ws, "notes.views.NotesView")
    with caplog.at_level(logging.ERROR, logger="wasmlive"):
        reply = await event(ws, m["view_id"], "add_then_fail", 7, text="rolled back")
    assert (reply["type"], reply["error"], reply["message"], reply["ref"]) == ("error", "ValueError", "refused after writing", 7)
    assert await texts() == ["kept"], "the transaction was rolled back"
    # A handler's own exception is logged with its traceback, naming the view and event.
    assert "notes.views.NotesView.add_then_fail" in caplog.text and 'raise ValueError("refused after writing")' in caplog.text
    await ws.send_json_to({"type": "resync", "view_id": m["view_id"], "ref": 8})
    full = await ws.receive_json_from(timeout=5)
    # A resync renders once more (version 2): the failed event rendered nothing and changed nothing.
    assert full["version"] == 2 and full["html"] == m["html"]
    # The view works on.
    reply = await event(ws, m["view_id"], "add", 9, text="next")
    assert reply["type"] == "patch" and reply["version"] == 3
    await ws.disconnect()


async def test_a_slow_database_handler_does_not_delay_another_sessions_events():
    slow, quick = await connect(), await connect()
    notes = await mount(slow, "notes.views.NotesView")
    counter = await mount(quick, "demo.views.CounterView")
    await slow.send_json_to({"type": "event", "event": "slow_add", "params": {"seconds": "3"}, "view_id": notes["view_id"], "ref": "slow"})
    for i in range(1, 6):
        reply = await event(quick, counter["view_id"], "increment", i)
        assert reply["type"] == "patch" and reply["patches"][0]["text"] == f"Counter: {i}"
    # Five events of the other session came back while the slow one still sleeps in its transaction.
    assert await slow.receive_nothing(timeout=0.05), "the slow handler answered before the other session's events"
    reply = await slow.receive_json_from(timeout=10)
    assert reply["ref"] == "slow" and reply["type"] == "patch", reply
    assert await texts() == ["slow"]
    await slow.disconnect()
    await quick.disconnect()


async def test_one_views_events_run_one_at_a_time_in_order(session):
    from notes.views import NotesView

    mounted = await session.mount("notes.views.NotesView", python_view=NotesView())
    replies = await asyncio.gather(*(session.event("add", {"text": f"n{i}"}, mounted["view_id"]) for i in range(20)))
    assert [r["version"] for r in replies] == list(range(2, 22))
    assert await texts() == [f"n{i}" for i in range(20)]


async def test_the_logged_in_user_in_mount_with_database_sessions():
    ada = await sync_to_async(get_user_model().objects.create_user)("ada", password="pw")
    client = AsyncClient()
    await client.aforce_login(ada)
    session = await sync_to_async(client.session.__getitem__)("_auth_user_id")
    assert session == str(ada.pk)
    page = await client.get("/notes/whoami/")
    assert '<p class="who">Hello ada</p>' in page.content.decode()
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    ws = await connect((b"cookie", cookie))
    m = await mount(ws, "notes.views.WhoAmIView")
    assert '<p class="who">Hello ada</p>' in m["html"]
    await ws.disconnect()
    stranger = await connect()
    m = await mount(stranger, "notes.views.WhoAmIView")
    assert '<p class="who">Hello stranger</p>' in m["html"]
    await stranger.disconnect()
    assert "Hello stranger" in (await AsyncClient().get("/notes/whoami/")).content.decode()


async def test_a_components_handler_uses_the_orm_and_messages_its_parent():
    ws = await connect()
    m = await mount(ws, "notes.views.NotesDashboardView")
    assert '<p class="total">0</p>' in m["html"] and '<span class="notecount">0 ' in m["html"]
    await ws.send_json_to({"type": "event", "event": "add", "params": {}, "view_id": m["view_id"], "component_id": "counter", "ref": 1})
    component = await ws.receive_json_from(timeout=10)
    parent = await ws.receive_json_from(timeout=10)
    assert component["component_id"] == "counter" and component["patches"][0]["text"].startswith("1"), component
    assert parent["type"] == "patch" and parent["patches"][0]["text"] == "1", parent
    assert await texts() == ["from a component"]
    await ws.disconnect()


async def test_a_failing_mount_is_djangos_500_over_http_and_an_error_frame_over_the_socket(caplog):
    with pytest.raises(Note.DoesNotExist):
        await AsyncClient().get("/notes/failing-mount/")
    r = await AsyncClient(raise_request_exception=False).get("/notes/failing-mount/")
    assert r.status_code == 500
    ws = await connect()
    with caplog.at_level(logging.ERROR, logger="wasmlive"):
        await ws.send_json_to({"type": "mount", "view": "notes.views.FailingMountView", "ref": 3})
        frame = await ws.receive_json_from(timeout=10)
    assert (frame["type"], frame["error"], frame["ref"]) == ("error", "DoesNotExist", 3), frame
    assert "debug" not in frame, "DEBUG is off: no traceback reaches the client"
    assert "notes.views.FailingMountView.mount" in caplog.text and "Note.objects.get" in caplog.text
    await ws.disconnect()


async def test_with_debug_an_error_frame_carries_the_traceback_and_without_it_none(settings):
    ws = await connect()
    m = await mount(ws, "notes.views.FailingHandlerView")
    reply = await event(ws, m["view_id"], "explode", 1)
    assert reply["error"] == "KeyError" and "debug" not in reply, reply
    settings.DEBUG = True
    reply = await event(ws, m["view_id"], "explode", 2)
    debug = reply["debug"]
    assert (debug["exception"], debug["view"], debug["event"]) == ("KeyError", "notes.views.FailingHandlerView", "explode")
    functions = [f["function"] for f in debug["traceback"]]
    assert functions[-2:] == ["explode", "helper_that_fails"], debug["traceback"]
    assert debug["traceback"][-1]["code"] == 'return {}["no such key"]'
    # Errors a client causes by what it sends get no traceback, DEBUG or not.
    reply = await event(ws, m["view_id"], "no_such_handler", 3)
    assert reply["error"] == "HandlerNotFoundError" and "debug" not in reply
    await ws.disconnect()


async def test_handler_threads_close_connections_as_django_does_around_a_request():
    ws = await connect()
    m = await mount(ws, "notes.views.NotesView")
    await event(ws, m["view_id"], "add", 1, text="one")
    await event(ws, m["view_id"], "add", 2, text="two")
    # CONN_MAX_AGE = 0 (Django's default): each job's connection is closed after it.
    stats = wasmlive.handler_thread_stats()
    assert stats["threads"] >= 1 and stats["jobs_run"] > 0 and stats["holding_connections"] == 0, stats
    # With a CONN_MAX_AGE, a thread keeps its connection, and an idle thread closes it once it is old.
    database = connections.settings["default"]
    database["CONN_MAX_AGE"] = 1
    try:
        await event(ws, m["view_id"], "add", 4, text="kept open")
        assert wasmlive.handler_thread_stats()["holding_connections"] >= 1
        for _ in range(100):
            if wasmlive.handler_thread_stats()["holding_connections"] == 0:
                break
            await asyncio.sleep(0.05)
        assert wasmlive.handler_thread_stats()["holding_connections"] == 0, "an idle thread closed its old connection"
    finally:
        database["CONN_MAX_AGE"] = 0
    await ws.disconnect()


async def test_lazy_objects_translations_iterators_and_cycles_encode_safely(session):
    import itertools

    from django.utils.functional import SimpleLazyObject
    from django.utils.translation import gettext_lazy

    class Node:
        def __init__(self, name):
            self.name, self.parent = name, None

        def __str__(self):
            return self.name

    root = Node("root")
    root.parent = root  # a cycle
    context = {
        "lazy": SimpleLazyObject(lambda: {"a": 1}),
        "label": gettext_lazy("Hello"),
        "counter": itertools.count(1),  # never iterated: it would never end
        "node": root,
    }
    class EncodingView(wasmlive.LiveView):
        template = "{{ lazy.a }}|{{ label }}|{{ counter }}|{{ node.name }}/{{ node.parent }}"

        def get_context_data(self, **kwargs):
            return context

    mounted = await session.mount(EncodingView.view_path(), python_view=EncodingView())
    assert mounted["html"] == "1|Hello|count(1)|root/root", mounted["html"]
    from wasmlive.encoding import encode

    encoded = encode(context)
    assert encoded["lazy"] == {"a": 1} and encoded["label"] == "Hello"
    assert "items" not in encoded["counter"] and encoded["counter"]["$object"] == "count(1)"
    assert encoded["node"]["attrs"]["parent"] == {"$object": "root", "repr": repr(root), "bool": True, "attrs": {}}
