"""A view may name other guest engines; a guest fault costs one error."""

import asyncio

import pytest

import wasmlive
from conftest import configured
from views_for_tests import FaultyEngineView
from wasmlive import LiveView, event_handler


def view_class(engine):
    """A view on `engine` that can be asked to fault (`misbehave`) and to stop (`behave`)."""
    return type("Swapped", (FaultyEngineView,), {"template": "<p>{{ n }}</p>", "template_engine": engine})


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


async def test_a_second_template_engine_and_the_default_in_one_session(session, fixture_guests):
    class Mustache(LiveView):
        template = "<ul>{{#items}}<li>{{name}}</li>{{/items}}{{^items}}<li>none</li>{{/items}}</ul>"
        template_engine = str(fixture_guests / "mustache.wasm")

        def mount(self, request, **kwargs):
            self.items = []

        @event_handler
        def add(self, name="", **kwargs):
            self.items.append({"name": name})

    m = await mount(session, Mustache)
    default = await session.mount("demo.views.CounterView", {})
    assert m["html"] == "<ul><li>none</li></ul>"
    r = await session.event("add", {"name": "<b>"}, m["view_id"])
    assert r["patches"] == [{"op": "set-text", "path": [0, 0, 0], "text": "<b>"}], "escaped by the engine, text to the DOM"
    r = await session.event("add", {"name": "c"}, m["view_id"])
    assert r["patches"] == [{"op": "insert-child", "parent": [0], "index": 1, "html": "<li>c</li>", "count": 1}]
    r = await session.event("increment", {}, default["view_id"])
    assert r["patches"][0]["text"] == "Counter: 1"
    # A Mustache syntax error is a TemplateError located in its source.
    class Broken(Mustache):
        template = "<ul>\n{{#items}}"

    with pytest.raises(wasmlive.TemplateError) as raised:
        await mount(session, Broken)
    assert (raised.value.kind, raised.value.line, raised.value.column) == ("syntax", 2, 1)


async def test_a_hundred_megabytes_of_output_is_a_fault_under_an_engines_own_limits(fixture_guests):
    faulty = fixture_guests / "faulty.wasm"
    limits = {str(faulty): {"memory_bytes": 256 << 20, "output_bytes": 1 << 20, "deadline": 10}}
    async with configured(engine_limits=limits):
        s = await wasmlive.create_session_actor("flood")
        try:
            view = await mount(s, view_class(str(faulty)))
            with pytest.raises(wasmlive.GuestFaultError) as raised:
                await s.event("misbehave", {"fault": "flood"}, view["view_id"])
            assert raised.value.kind == "invalid-output"
            assert "104857600" in str(raised.value)
            r = await s.event("behave", {}, view["view_id"])
            assert r["patches"] == []
        finally:
            await s.shutdown()


async def test_engine_limits_apply_to_the_engine_named_and_no_other(fixture_guests, tmp_path):
    faulty = fixture_guests / "faulty.wasm"
    # The same bytes under another file name: the limits belong to the file named.
    other = tmp_path / "faulty-copy.wasm"
    other.write_bytes(faulty.read_bytes())
    async with configured(engine_limits={str(faulty): {"deadline": 0.05}}, guest_deadline=0.5):
        s = await wasmlive.create_session_actor("limits")
        try:
            strict = await mount(s, view_class(str(faulty)))
            lenient = await mount(s, view_class(str(other)))
            with pytest.raises(wasmlive.GuestFaultError, match="50ms"):
                await s.event("misbehave", {"fault": "loop"}, strict["view_id"])
            with pytest.raises(wasmlive.GuestFaultError, match="500ms"):
                await s.event("misbehave", {"fault": "loop"}, lenient["view_id"])
        finally:
            await s.shutdown()


@pytest.mark.parametrize(
    "limits, message",
    [
        ("nope", "expected a dict"),
        ({"/no/such/engine.wasm": {}}, "No such file"),
        ({"FAULTY": {"deadline": -1}}, "deadline must be a positive"),
        ({"FAULTY": {"memory": 1}}, "unknown limit `memory`"),
    ],
)
async def test_bad_engine_limits_are_refused_at_configure(fixture_guests, limits, message):
    if isinstance(limits, dict):
        limits = {(str(fixture_guests / "faulty.wasm") if k == "FAULTY" else k): v for k, v in limits.items()}
    await wasmlive.shutdown_actor_system()
    with pytest.raises(ValueError, match=message):
        wasmlive.configure(engine_limits=limits)


async def test_a_view_that_keeps_faulting_is_quarantined(fixture_guests):
    async with configured(guest_quarantine_after=2, guest_quarantine_seconds=60):
        s = await wasmlive.create_session_actor("quarantine")
        try:
            view = await mount(s, view_class(str(fixture_guests / "faulty.wasm")))
            neighbour = await mount(s, view_class(str(fixture_guests / "faulty.wasm")))
            for _ in range(2):
                with pytest.raises(wasmlive.GuestFaultError):
                    await s.event("misbehave", {"fault": "panic"}, view["view_id"])
            with pytest.raises(wasmlive.GuestFaultError) as raised:
                await s.event("behave", {}, view["view_id"])
            assert raised.value.kind == "quarantined"
            assert wasmlive.get_actor_stats().guest_refusals == 1
            r = await s.event("bump", {}, neighbour["view_id"])
            assert r["version"] == 2
        finally:
            await s.shutdown()


async def test_a_wasi_guest_reaches_nothing(session, fixture_guests, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the host's secret")

    class Wasi(LiveView):
        template = ""
        template_engine = str(fixture_guests / "wasi-probe.wasm")

        def mount(self, request, **kwargs):
            self.read = str(secret)

    m = await mount(session, Wasi)
    report = dict(line.split("=", 1) for line in m["html"].strip().split("\n"))
    assert report == {
        "preopens": "",
        "read": "no preopened directory holds it",
        "environment": "0",
        "arguments": "0",
        "initial-cwd": "None",
        "wall-clock": "0",
        "monotonic-clock": "0",
        "tcp-socket": "access-denied",
    }


async def test_malformed_patches_from_a_vdom_engine_are_a_fault_and_the_view_carries_on(session, fixture_guests):
    class FullHtml(LiveView):
        template = "<p>{{ text }}</p>"
        vdom_engine = str(fixture_guests / "faulty-vdom.wasm")

        def mount(self, request, **kwargs):
            self.text = "a"

        @event_handler
        def say(self, text="", **kwargs):
            self.text = text

    m = await mount(session, FullHtml)
    with pytest.raises(wasmlive.GuestFaultError) as raised:
        await session.event("say", {"text": "fault:bad-attribute"}, m["view_id"])
    assert raised.value.kind == "invalid-output" and "attribute name" in str(raised.value)
    r = await session.event("say", {"text": "b"}, m["view_id"])
    # The failed render never reached the client: patches go from "a" to "b".
    assert r["patches"] == [{"op": "replace-node", "path": [0], "html": "<p>b</p>"}]


async def test_a_stuck_guest_does_not_stall_other_sessions(fixture_guests):
    async with configured(guest_deadline=1.0):
        stuck = await wasmlive.create_session_actor("stuck")
        busy = await wasmlive.create_session_actor("busy")
        try:
            view = await mount(stuck, view_class(str(fixture_guests / "faulty.wasm")))
            counter = await busy.mount("demo.views.CounterView", {})
            finished = []

            async def stuck_call():
                with pytest.raises(wasmlive.GuestFaultError) as raised:
                    await stuck.event("misbehave", {"fault": "loop"}, view["view_id"])
                assert raised.value.kind == "deadline"
                finished.append("stuck")

            async def busy_calls():
                await asyncio.sleep(0.05)  # the stuck call is running by now
                for i in range(1, 21):
                    r = await busy.event("increment", {}, counter["view_id"])
                    assert r["patches"][0]["text"] == f"Counter: {i}"
                finished.append("busy")

            await asyncio.gather(stuck_call(), busy_calls())
            # Every neighbour event completed while the stuck guest ran to its deadline.
            assert finished == ["busy", "stuck"]
        finally:
            await stuck.shutdown()
            await busy.shutdown()
