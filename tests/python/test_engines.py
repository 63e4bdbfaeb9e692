"""A view may name other guest engines; a guest fault costs one error."""

import pytest

import wasmlive
from wasmlive import LiveView, event_handler


def view_class(engine):
    class Swapped(LiveView):
        template = "<p>{{ n }}</p>"
        template_engine = engine

        def mount(self, request, **kwargs):
            self.n = 0
            self.fault = ""

        @event_handler
        def bump(self, **kwargs):
            self.n += 1

        @event_handler
        def misbehave(self, fault="panic", **kwargs):
            self.fault = fault

        @event_handler
        def behave(self, **kwargs):
            self.fault = ""

    return Swapped


async def mount(session, cls):
    view = cls()
    view.mount(None)
    return await session.mount(cls.view_path(), python_view=view)


async def test_a_view_with_another_engine_beside_a_default_one(session, fixture_guests):
    # The faulty fixture renders a template's source back unchanged.
    swapped = await mount(session, view_class(str(fixture_guests / "faulty.wasm")))
    default = await session.mount("demo.views.CounterView", {})
    assert swapped["html"] == "<p>{{ n }}</p>"
    assert "Counter: 0" in default["html"]
    r = await session.event("increment", {}, default["view_id"])
    assert r["patches"][0]["text"] == "Counter: 1"
    r = await session.event("bump", {}, swapped["view_id"])
    assert r["patches"] == [], "the source does not change"


@pytest.mark.parametrize("fault, kind", [("panic", "trap"), ("loop", "deadline"), ("grow", "memory-limit"), ("recurse", "stack-overflow")])
async def test_a_guest_fault_costs_one_error_and_the_view_carries_on(session, fixture_guests, fault, kind):
    swapped = await mount(session, view_class(str(fixture_guests / "faulty.wasm")))
    neighbour = await session.mount("demo.views.CounterView", {})
    restarts = wasmlive.get_actor_stats().guest_restarts
    with pytest.raises(wasmlive.GuestFaultError) as raised:
        await session.event("misbehave", {"fault": fault}, swapped["view_id"])
    assert raised.value.kind == kind
    assert wasmlive.get_actor_stats().guest_restarts == restarts + 1
    # The neighbour did not notice; the faulted view works with a fresh instance.
    r = await session.event("increment", {}, neighbour["view_id"])
    assert r["patches"][0]["text"] == "Counter: 1"
    r = await session.event("behave", {}, swapped["view_id"])
    assert r["version"] == 2 and r["patches"] == []
    full = await session.render(swapped["view_id"])
    assert full["html"] == "<p>{{ n }}</p>"


async def test_engines_that_cannot_be_used_are_refused_clearly(session, fixture_guests, tmp_path):
    with pytest.raises(wasmlive.EngineLoadError, match="No such file"):
        await mount(session, view_class(str(tmp_path / "missing.wasm")))
    (tmp_path / "junk.wasm").write_bytes(b"not a component")
    with pytest.raises(wasmlive.EngineLoadError, match="cannot use"):
        await mount(session, view_class(str(tmp_path / "junk.wasm")))
    with pytest.raises(wasmlive.EngineLoadError, match="secrets"):
        await mount(session, view_class(str(fixture_guests / "forbidden-import.wasm")))
    # A VDOM engine is not a template engine.
    with pytest.raises(wasmlive.EngineLoadError, match="templates"):
        await mount(session, view_class(str(fixture_guests / "vdom-html5ever.wasm")))
    assert session.view_ids() == []


async def test_a_vdom_engine_swap(session, fixture_guests):
    class Html5ever(LiveView):
        template = "<ul>{% for i in items %}<li>{{ i }}</li>{% endfor %}</ul>"
        vdom_engine = str(fixture_guests / "vdom-html5ever.wasm")

        def mount(self, request, **kwargs):
            self.items = [1, 2]

        @event_handler
        def add(self, **kwargs):
            self.items.append(len(self.items) + 1)

    m = await mount(session, Html5ever)
    assert m["html"] == "<ul><li>1</li><li>2</li></ul>"
    r = await session.event("add", {})
    assert r["patches"] == [{"op": "insert-child", "parent": [0], "index": 2, "html": "<li>3</li>", "count": 1}]
