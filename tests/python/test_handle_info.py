"""Views told from outside their requests, in this process: their topics'
messages and their timers through `handle_info` on the handler threads,
pushed once per batch; client events with renders; what is refused, and
what a failing `handle_info` leaves (a logged traceback, a view that goes
on). The connection is the session's queue of pushes, read as the
consumer reads it."""

import asyncio
import json
import logging
import re

import pytest
from django.contrib.auth.models import AnonymousUser

import wasmlive
from notes.live import HOLD, ClockView, EventsView, FaultyInfoView, FeedView, PricesView
from wasmlive import LiveView, event_handler
from wasmlive._bridge import mount_live
from wasmlive.request import LiveRequest

pytestmark = pytest.mark.django_db(transaction=True)


def request():
    return LiveRequest(user=AnonymousUser(), session={})


class Connection:
    """A session's pushes, as frames."""

    def __init__(self, session):
        self.pushes = session.pushes()
        self.frames = []

    async def until(self, done, timeout=20):
        """Read pushes until ``done(frames)``; the frames read."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not done(self.frames):
            left = deadline - loop.time()
            assert left > 0, f"gave up after {self.frames[-3:]}"
            await asyncio.wait_for(self.pushes.wait(), left)
            self.frames += [json.loads(t) for t in self.pushes.take()]
        return self.frames


def texts(frames, pattern):
    return [m for f in frames for m in re.findall(pattern, json.dumps(f))]


async def test_a_broadcast_runs_handle_info_and_pushes_one_render_per_batch(session):
    conn = Connection(session)
    view = FeedView()
    mounted = await mount_live(session, view, request(), {"topic": "batch"})
    assert wasmlive.pubsub.topics(view) == ["feed:batch"]
    for n in range(1, 51):
        await wasmlive.abroadcast("feed:batch", {"n": n})
    frames = await conn.until(lambda fs: "count=50" in json.dumps(fs))
    assert all(f["view_id"] == mounted["view_id"] and "ref" not in f for f in frames)
    assert texts(frames, r"total=(\d+)")[-1] == str(sum(range(1, 51)))
    # Fifty messages published back to back: handled in fewer renders.
    assert len(frames) < 50
    assert wasmlive.get_actor_stats().view_subscriptions >= 1
    # Unsubscribed: nothing more arrives, and the count stays.
    assert view.unsubscribe("feed:batch") is True and view.unsubscribe("feed:batch") is False
    await wasmlive.abroadcast("feed:batch", {"n": 1000})
    await asyncio.sleep(0.2)
    assert not conn.pushes.take() and view.count == 50


async def test_timers_tick_stop_when_cancelled_and_at_unmount(session):
    conn = Connection(session)
    before = wasmlive.get_actor_stats().timers
    view = ClockView()
    mounted = await mount_live(session, view, request(), {"every": 0.02})
    assert wasmlive.get_actor_stats().timers == before + 2
    frames = await conn.until(lambda fs: int((texts(fs, r"ticks=(\d+)") or ["0"])[-1]) >= 5 and "alarm=True" in json.dumps(fs))
    # send_after fired once: its handle_info pushed a client event.
    alarms = [e for f in frames for e in f.get("events", [])]
    assert [e["name"] for e in alarms] == ["alarm"] and alarms[0]["payload"]["ticks"] >= 1
    await session.event("stop", {}, mounted["view_id"])
    assert view.stopped is True
    assert wasmlive.get_actor_stats().timers == before
    conn.pushes.take()
    await asyncio.sleep(0.15)
    assert not conn.pushes.take(), "a cancelled timer went on"
    # A timer of a view that unmounts stops with it.
    other = ClockView()
    again = await mount_live(session, other, request(), {"every": 0.02})
    assert wasmlive.get_actor_stats().timers == before + 2
    await session.unmount(again["view_id"])
    assert wasmlive.get_actor_stats().timers == before
    assert other._clock.cancel() is False


async def test_ten_thousand_mounts_and_unmounts_leave_no_timer_or_subscription(session):
    Connection(session)
    stats = wasmlive.get_actor_stats()
    timers, subscriptions, views = stats.timers, stats.view_subscriptions, stats.active_views
    for i in range(10_000):
        view = ClockView() if i % 2 else FeedView()
        mounted = await mount_live(session, view, request(), {"every": 60} if i % 2 else {"topic": f"cycle-{i % 7}"})
        await session.unmount(mounted["view_id"])
    stats = wasmlive.get_actor_stats()
    assert (stats.timers, stats.view_subscriptions, stats.active_views) == (timers, subscriptions, views)


async def test_client_events_go_with_mount_answers_and_pushes(session):
    conn = Connection(session)
    mounted = await mount_live(session, EventsView(), request(), {})
    assert [e.name for e in mounted["events"]] == ["hello"]
    reply = await session.event("save", {}, mounted["view_id"])
    assert reply["events"] == [{"name": "saved", "payload": {"count": 1}}, {"name": "saved-again", "payload": {}}]
    # Taken with that render: the next one carries its own only.
    again = await session.event("save", {}, mounted["view_id"])
    assert [e["payload"] for e in again["events"]] == [{"count": 2}, {}]
    await wasmlive.abroadcast("events", {"x": [1, "two"]})
    frames = await conn.until(lambda fs: any(f.get("events") for f in fs))
    assert frames[-1]["events"] == [{"name": "told", "payload": {"x": [1, "two"]}}]


async def test_a_failing_handle_info_is_logged_and_the_view_goes_on(session, caplog):
    conn = Connection(session)
    view = FaultyInfoView()
    await mount_live(session, view, request(), {})
    with caplog.at_level(logging.ERROR, logger="wasmlive"):
        await wasmlive.abroadcast("faulty", {"fail": True})
        await wasmlive.abroadcast("faulty", {"ok": 1})
        await conn.until(lambda fs: "count=1" in json.dumps(fs))
    failed = [r for r in caplog.records if "handle_info refused this message" in r.getMessage()]
    assert failed and failed[0].exc_info and "FaultyInfoView.handle_info" in failed[0].getMessage()
    await wasmlive.abroadcast("faulty", {"ok": 2})
    await conn.until(lambda fs: "count=2" in json.dumps(fs))


class Untold(LiveView):
    template = "<p>{{ n }}</p>"

    def mount(self, request, **kwargs):
        self.n = 0


class BadTimer(LiveView):
    template = "<p>{{ n }}</p>"

    def mount(self, request, **kwargs):
        self.n = 0
        self.send_after(0, {"never": True})

    def handle_info(self, message):
        pass


class Talkative(LiveView):
    template = "<p>{{ n }}</p>"

    def mount(self, request, **kwargs):
        self.n = 0

    def handle_info(self, message):
        pass

    @event_handler
    def shout(self, name="ok", times=1, **kwargs):
        for _ in range(int(times)):
            self.push_event(name, {"n": 1})


async def test_what_a_view_may_not_ask_for_is_refused_clearly(session):
    Connection(session)
    untold = Untold()
    await mount_live(session, untold, request(), {})
    with pytest.raises(TypeError, match="no handle_info"):
        untold.subscribe("anything")
    with pytest.raises(TypeError, match="no handle_info"):
        untold.send_every(1, {})
    views = wasmlive.get_actor_stats().active_views
    # A bad interval fails the mount, and the view is not left behind.
    with pytest.raises(ValueError, match="interval"):
        await mount_live(session, BadTimer(), request(), {})
    assert wasmlive.get_actor_stats().active_views == views
    talk = Talkative()
    mounted = await mount_live(session, talk, request(), {})
    for topic, error in [("", wasmlive.InvalidTopicError), ("a b", wasmlive.InvalidTopicError), ("x" * 300, wasmlive.InvalidTopicError)]:
        with pytest.raises(error):
            talk.subscribe(topic)
    with pytest.raises(TypeError, match="JSON"):
        talk.send_after(1, {"s": {1}})
    with pytest.raises(wasmlive.MessageTooLargeError):
        talk.send_after(1, "x" * (1 << 20))
    for seconds in (0, -1, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="interval"):
            talk.send_after(seconds, {})
    with pytest.raises(ValueError, match="client event's name"):
        talk.push_event("has space")
    with pytest.raises(TypeError, match="JSON"):
        talk.push_event("ok", object())
    # An event that pushes more client events than a render may carry fails as a whole.
    with pytest.raises(wasmlive.LimitExceededError):
        await session.event("shout", {"times": 101}, mounted["view_id"])
    with pytest.raises(ValueError, match="client event's name"):
        await session.event("shout", {"name": "bad name"}, mounted["view_id"])
    reply = await session.event("shout", {"name": "fine"}, mounted["view_id"])
    assert reply["events"] == [{"name": "fine", "payload": {"n": 1}}]


async def test_a_view_without_a_connection_neither_subscribes_nor_ticks(session):
    # No pushes(): as a first paint's view, shown once.
    timers = wasmlive.get_actor_stats().timers
    view = ClockView()
    await mount_live(session, view, request(), {"every": 0.01})
    feed = FeedView()
    await mount_live(session, feed, request(), {"topic": "unconnected"})
    assert wasmlive.get_actor_stats().timers == timers
    assert wasmlive.pubsub.topics(feed) == []


async def test_a_slow_handle_info_lags_then_catches_up_losing_nothing(session):
    conn = Connection(session)
    lagged = wasmlive.get_actor_stats().views_lagged
    view = FeedView()
    mounted = await mount_live(session, view, request(), {"topic": "slow", "delay": 0.01})
    # The view held in its handle_info while 400 messages come: more than its inbox holds.
    HOLD.clear()
    await wasmlive.abroadcast("feed:slow", {"probe": True, "hold": True})
    for n in range(1, 401):
        await wasmlive.abroadcast("feed:slow", {"n": n})
    HOLD.set()
    frames = await conn.until(lambda fs: "count=400" in json.dumps(fs), timeout=120)
    assert texts(frames, r"total=(\d+)")[-1] == str(sum(range(1, 401))) and texts(frames, r"gaps=(\d+)")[-1] == "0"
    assert wasmlive.get_actor_stats().views_lagged > lagged
    # Handled in batches: far fewer renders than messages.
    assert len([f for f in frames if f["view_id"] == mounted["view_id"]]) < 10


async def test_a_thousand_views_with_a_50ms_handle_info_are_all_told(session):
    conn = Connection(session)
    views = [FeedView() for _ in range(1000)]
    for view in views:
        await mount_live(session, view, request(), {"topic": "thousand-slow", "delay": 0.05})
    await wasmlive.abroadcast("feed:thousand-slow", {"n": 7})
    frames = await conn.until(lambda fs: len({f["view_id"] for f in fs if "count=1" in json.dumps(f)}) == 1000, timeout=120)
    assert all(v.count == 1 and v.total == 7 for v in views)
    assert len(frames) == 1000


async def test_a_view_forwards_what_concerns_its_component(session):
    conn = Connection(session)
    view = PricesView()
    mounted = await mount_live(session, view, request(), {})
    assert "ACME: 0 (0 bumps)" in mounted["html"]
    await wasmlive.abroadcast("prices", {"symbol": "ACME", "price": 42})
    frames = await conn.until(lambda fs: "ACME: 42" in json.dumps(fs))
    # One push: the view's patches carry the component's new HTML.
    assert len(frames) == 1 and "updates=1" in json.dumps(frames) and "component_id" not in frames[0], frames
    # The component itself took the props: its own event renders from them.
    reply = await session.component_event(mounted["view_id"], "acme", "bump")
    assert reply["component_id"] == "acme" and "ACME: 42 (1 bumps)" in json.dumps(reply), reply
    await wasmlive.abroadcast("prices", {"symbol": "ACME", "price": 43})
    await conn.until(lambda fs: "ACME: 43 (1 bumps)" in json.dumps(fs))
    full = await session.render(mounted["view_id"])
    assert "ACME: 43 (1 bumps)" in full["html"] and "updates=2" in full["html"]
    with pytest.raises(wasmlive.ComponentNotFoundError):
        view.update_component("nope", price=1)
