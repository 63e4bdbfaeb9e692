"""The seed's Python integration tests, against wasmlive."""

import asyncio

import wasmlive
from conftest import configured
from wasmlive import create_session_actor, get_actor_stats

COUNTER = "demo.views.CounterView"


async def test_create_session_actor():
    actor = await create_session_actor("test-session")
    assert actor is not None
    assert actor.session_id == "test-session"
    await actor.ping()
    await actor.shutdown()


async def test_mount_from_python():
    actor = await create_session_actor("test-session")
    result = await actor.mount(COUNTER, {})
    assert "html" in result and "Counter: 0" in result["html"]
    assert result["session_id"] == "test-session"
    assert len(result["view_id"]) == 36 and result["version"] == 1
    await actor.shutdown()


async def test_event_from_python():
    actor = await create_session_actor("test-session")
    await actor.mount(COUNTER, {})
    result = await actor.event("increment", {})
    assert result["version"] == 2
    assert result["patches"] == [{"op": "set-text", "path": [0, 1, 0], "text": "Counter: 1"}]
    await actor.shutdown()


async def test_multiple_events():
    actor = await create_session_actor("test-session")
    mounted = await actor.mount(COUNTER, {"count": 5})
    assert "Counter: 5" in mounted["html"]
    for i in range(10):
        result = await actor.event("increment", {})
        assert result["patches"][0]["text"] == f"Counter: {6 + i}"
        assert result["version"] == 2 + i
    full = await actor.render()
    assert "Counter: 15" in full["html"]
    await actor.shutdown()


async def test_concurrent_sessions():
    actors = []
    for i in range(50):
        actor = await create_session_actor(f"session-{i}")
        await actor.mount(COUNTER, {})
        actors.append(actor)
    results = await asyncio.gather(*[actor.event("increment", {}) for actor in actors])
    assert all(r["patches"][0]["text"] == "Counter: 1" for r in results)
    # Each session kept its own state.
    results = await asyncio.gather(*[a.event("increment", {}) for a in actors[:10]])
    assert all(r["patches"][0]["text"] == "Counter: 2" for r in results)
    await asyncio.gather(*[actor.shutdown() for actor in actors])


async def test_concurrent_events_on_one_view_lose_no_update(session):
    await session.mount(COUNTER, {})
    results = await asyncio.gather(*[session.event("increment", {}) for _ in range(200)])
    assert sorted(r["version"] for r in results) == list(range(2, 202))
    assert "Counter: 200" in (await session.render())["html"]


def test_supervisor_stats():
    stats = get_actor_stats()
    assert hasattr(stats, "active_sessions")
    assert hasattr(stats, "ttl_secs")
    assert stats.ttl_secs == 3600


async def test_stats_count_sessions_views_and_messages():
    before = get_actor_stats()
    a = await create_session_actor("stats-a")
    await a.mount(COUNTER, {})
    await a.event("increment", {})
    during = get_actor_stats()
    assert during.active_sessions >= 1 and during.active_views >= 1
    assert during.messages_processed >= before.messages_processed + 2
    assert during.latency["event"]["count"] >= 1 and during.latency["event"]["p99_us"] > 0
    assert set(during.mailbox_high_water) == {"session", "view", "component"}
    await a.shutdown()
    after = get_actor_stats()
    assert after.active_views == during.active_views - 1


async def test_a_view_without_python_logic_merges_params(session):
    mounted = await session.mount("plain", {"greeting": "Hi", "name": "Ada"}, template="<p>{{ greeting }}, {{ name }}</p>")
    assert mounted["html"] == "<p>Hi, Ada</p>"
    r = await session.event("anything", {"name": "Grace"})
    assert r["patches"][0]["text"] == "Hi, Grace"


async def test_several_views_and_unmount(session):
    first = await session.mount(COUNTER, {})
    second = await session.mount(COUNTER, {"count": 100})
    assert session.view_ids() == [first["view_id"], second["view_id"]]
    r = await session.event("increment", {}, second["view_id"])
    assert r["patches"][0]["text"] == "Counter: 101"
    r = await session.event("increment", {})  # no id: the first view
    assert r["patches"][0]["text"] == "Counter: 1"
    await session.unmount(first["view_id"])
    r = await session.event("increment", {})  # now the second is first
    assert r["patches"][0]["text"] == "Counter: 102"
    assert session.handlers() == ["decrement", "increment"]


async def test_template_dirs_and_named_templates(session, tmp_path):
    (tmp_path / "base.html").write_text("<main>{% block body %}{% endblock %}</main>")
    (tmp_path / "page.html").write_text('{% extends "base.html" %}{% block body %}<b>{{ x }}</b>{% endblock %}')

    class Page(wasmlive.LiveView):
        template_name = "page.html"

        def mount(self, request, **kwargs):
            self.x = 1

        @wasmlive.event_handler
        def inc(self, **kwargs):
            self.x += 1

    view = Page()
    view.mount(None)
    mounted = await session.mount("page", python_view=view, template_dirs=[str(tmp_path)])
    assert mounted["html"] == "<main><b>1</b></main>"
    r = await session.event("inc", {})
    assert r["patches"][0]["text"] == "2"


async def test_a_frame_is_answered_with_ready_json(session):
    import json

    from wasmlive._host import read_frame

    mounted = await session.mount(COUNTER, {})
    text = await session.answer(read_frame('{"type": "event", "event": "increment", "ref": 41}', 1 << 20))
    frame = json.loads(text)
    assert frame == {
        "type": "patch",
        "patches": [{"op": "set-text", "path": [0, 1, 0], "text": "Counter: 1"}],
        "version": 2,
        "view_id": mounted["view_id"],
        "ref": 41,
    }


async def test_a_quiet_view_releases_its_idle_memory_once_and_carries_on():
    async with configured(release_memory_after=0.05):
        actor = await create_session_actor("quiet")
        await actor.mount(COUNTER, {})
        await asyncio.sleep(0.5)
        assert get_actor_stats().memory_releases == 1
        result = await actor.event("increment", {})
        assert result["patches"] == [{"op": "set-text", "path": [0, 1, 0], "text": "Counter: 1"}]
    async with configured(release_memory_after=None):
        actor = await create_session_actor("kept")
        await actor.mount(COUNTER, {})
        await asyncio.sleep(0.3)
        assert get_actor_stats().memory_releases == 0


async def test_a_session_owns_its_python_views_and_they_go_when_it_expires():
    import gc
    import weakref

    from notes.views import TallyView

    async with configured(actor_ttl_seconds=0.3, cleanup_interval=0.05):
        first = await create_session_actor("owned")
        view = TallyView()
        view.mount(None)
        mounted = await first.mount("notes.views.TallyView", python_view=view)
        # Another handle to the same session (an HTTP request's) finds the view's handlers.
        second = await create_session_actor("owned")
        assert second.handlers(mounted["view_id"]) == ["add", "explode", "tick"]
        assert (await second.event("add", {"by": 3}, mounted["view_id"]))["version"] == 2 and view.count == 3
        alive = weakref.ref(view)
        del view, first, second
        await asyncio.sleep(1.0)  # past its TTL: the supervisor ends it
        get_actor_stats()  # a call into the host: references it let go of while not holding the GIL are released
        gc.collect()
        assert alive() is None, "an expired session's Python views are released with it"
