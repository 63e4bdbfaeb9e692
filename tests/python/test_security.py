"""What a client can call: decided in Rust before any Python runs."""

import pytest

import wasmlive
from views_for_tests import Probe


async def mounted(session):
    view = Probe()
    view.mount(None)
    m = await session.mount(Probe.view_path(), python_view=view)
    return view, m


@pytest.mark.parametrize(
    "name, kind, why",
    [
        ("_hidden", wasmlive.EventRejectedError, "private"),
        ("__class__", wasmlive.EventRejectedError, "private"),
        ("mount", wasmlive.EventRejectedError, "lifecycle"),
        ("get_context_data", wasmlive.EventRejectedError, "lifecycle"),
        ("not_a_handler", wasmlive.EventRejectedError, "attribute"),
        ("undecorated", wasmlive.EventRejectedError, "not marked with @event_handler"),
        ("", wasmlive.EventRejectedError, "empty"),
        ("bump; drop", wasmlive.EventRejectedError, "not a valid event name"),
        ("x" * 101, wasmlive.EventRejectedError, "at most 100"),
        ("nothing_here", wasmlive.HandlerNotFoundError, "no event handler"),
    ],
)
async def test_only_declared_handlers_are_callable(session, name, kind, why):
    view, _ = await mounted(session)
    with pytest.raises(kind, match=why):
        await session.event(name, {})
    assert view.n == 0, "no Python ran"


@pytest.mark.parametrize(
    "params, why",
    [
        ({"a": [[[[[[[[[[1]]]]]]]]]]}, "deeper"),
        ({f"k{i}": i for i in range(1001)}, "more than 1000 values"),
        ({"s": "x" * (300 << 10)}, "bytes of text"),
        ({"f": float("nan")}, "finite"),
        ({"o": object()}, "JSON values"),
        ({"i": 2**70}, "64 bits"),
        (["not", "a", "dict"], "must be a dict"),
    ],
)
async def test_params_have_limits(session, params, why):
    view, _ = await mounted(session)
    with pytest.raises(wasmlive.InvalidParamsError, match=why):
        await session.event("echo", params)
    assert view.n == 0


async def test_params_reach_the_handler_as_plain_values(session):
    await mounted(session)
    r = await session.event("echo", {"a": 1, "b": [True, None, 1.5], "c": {"d": "e"}})
    assert r["patches"][0]["text"] == repr(sorted({"a": 1, "b": [True, None, 1.5], "c": {"d": "e"}}.items()))


async def test_a_view_id_belongs_to_its_session():
    a = await wasmlive.create_session_actor("owner")
    b = await wasmlive.create_session_actor("intruder")
    m = await a.mount("demo.views.CounterView", {})
    with pytest.raises(wasmlive.ViewNotFoundError):
        await b.event("increment", {}, m["view_id"])
    with pytest.raises(wasmlive.ViewNotFoundError):
        await b.render(m["view_id"])
    r = await a.event("increment", {}, m["view_id"])
    assert r["patches"][0]["text"] == "Counter: 1"
    await a.shutdown()
    await b.shutdown()


@pytest.mark.parametrize("path", ["os.system", "subprocess.Popen", "wasmlive.live.LiveView.mount", "demo.settings"])
async def test_view_paths_resolve_only_to_registered_live_views(session, path):
    with pytest.raises(wasmlive.ViewNotFoundError):
        await session.mount(path, {})
