"""Every failure reaches the awaiting caller, as the exception raised, and
leaves the view as it was."""

import asyncio

import pytest

import wasmlive
from conftest import configured
from views_for_tests import BadTemplate, Boom, NotADict, Probe


async def mount_probe(session, n=0):
    view = Probe()
    view.mount(None, n=n)
    return await session.mount(Probe.view_path(), python_view=view)


@pytest.mark.parametrize(
    "event, kind, message",
    [
        ("fail_value", ValueError, "bad value"),
        ("fail_custom", Boom, "custom boom"),
        ("fail_later", KeyError, "async key"),
        ("break_context", RuntimeError, "context exploded"),
    ],
)
async def test_handler_exceptions_keep_their_type_and_message(session, event, kind, message):
    await mount_probe(session)
    with pytest.raises(kind) as raised:
        await session.event(event, {})
    assert type(raised.value) is kind
    assert message in str(raised.value)
    # The view still works, and its rendered state is the last good one.
    session_views = session.view_ids()
    assert len(session_views) == 1


async def test_the_view_keeps_working_after_a_failure(session):
    await mount_probe(session, n=1)
    with pytest.raises(ValueError):
        await session.event("fail_value", {})
    r = await session.event("bump", {"by": 2})
    assert r["patches"][0]["text"] == "3"
    assert r["version"] == 2, "a failed event does not render"


async def test_coroutine_handlers_are_awaited(session):
    await mount_probe(session)
    r = await session.event("later", {"by": 5})
    assert r["patches"][0]["text"] == "5"


async def test_missing_handler_is_an_attribute_error(session):
    await mount_probe(session)
    with pytest.raises(AttributeError) as raised:
        await session.event("no_such_thing", {})
    assert isinstance(raised.value, wasmlive.HandlerNotFoundError)
    assert "no_such_thing" in str(raised.value) and "bump" in str(raised.value)


async def test_template_errors_name_the_line(session):
    view = BadTemplate()
    view.mount(None)
    with pytest.raises(wasmlive.TemplateError) as raised:
        await session.mount("bad", python_view=view)
    assert raised.value.line == 1 and raised.value.column > 0
    assert "if" in str(raised.value)
    assert session.view_ids() == []


async def test_get_context_data_must_return_a_dict(session):
    view = NotADict()
    with pytest.raises(TypeError, match="must return a dict"):
        await session.mount("notadict", python_view=view)


async def test_unknown_view_path_is_not_found(session):
    with pytest.raises(wasmlive.ViewNotFoundError, match="no LiveView is registered"):
        await session.mount("demo.views.NoSuchView", {})
    with pytest.raises(LookupError):
        await session.event("increment", {}, "00000000-0000-4000-8000-000000000000")


async def test_events_without_any_view(session):
    with pytest.raises(wasmlive.ViewNotFoundError):
        await session.event("increment", {})


async def test_a_shut_down_session_says_so():
    s = await wasmlive.create_session_actor("gone")
    await s.mount("demo.views.CounterView", {})
    await s.shutdown()
    with pytest.raises((wasmlive.ActorShutdownError, wasmlive.ViewNotFoundError)):
        await s.event("increment", {})


async def test_guest_output_limit_is_a_guest_fault():
    # A system with a tiny output cap: the render's output exceeds it.
    async with configured(guest_output_bytes=64):
        s = await wasmlive.create_session_actor("tiny")
        with pytest.raises(wasmlive.GuestFaultError) as raised:
            await s.mount("big", {"x": "y" * 1000}, template="<p>{{ x }}</p>")
        assert raised.value.kind == "invalid-output"
        assert wasmlive.get_actor_stats().guest_restarts >= 1
        await s.shutdown()


async def test_an_expired_session_comes_back_empty():
    async with configured(ttl_secs=0.2, cleanup_interval=0.05):
        s = await wasmlive.create_session_actor("expiring")
        await s.mount("demo.views.CounterView", {})
        assert wasmlive.get_actor_stats().ttl_secs == 0
        await asyncio.sleep(0.6)
        assert wasmlive.get_actor_stats().sessions_expired >= 1
        again = await wasmlive.create_session_actor("expiring")
        assert again.view_ids() == []
        with pytest.raises((wasmlive.ActorShutdownError, wasmlive.ViewNotFoundError)):
            await s.event("increment", {})
        with pytest.raises(wasmlive.ViewNotFoundError):
            await again.event("increment", {})


def test_configure_refuses_unknown_keys_and_a_running_system():
    with pytest.raises(ValueError, match="unknown actor system setting"):
        wasmlive.configure(ttl_sec=5)
    with pytest.raises(ValueError):
        wasmlive.configure(session_mailbox=0)
    with pytest.raises(ValueError, match="release_memory_after must be a non-negative number of seconds"):
        wasmlive.configure(release_memory_after=-1)
