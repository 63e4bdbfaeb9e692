"""LiveViews the tests mount: every way a handler can behave."""

import asyncio
import os
import pathlib

from wasmlive import LiveComponent, LiveView, event_handler


# Where the fixture guests are written (conftest's `fixture_guests` makes sure they are).
FIXTURE_GUESTS = pathlib.Path(
    os.environ.get("WASMLIVE_FIXTURE_GUESTS", pathlib.Path(__file__).resolve().parents[2] / "target" / "fixture-guests")
)


class Boom(Exception):
    """A user-defined exception type: must reach the caller as itself."""


class Probe(LiveView):
    template = "<p>{{ n }}</p>"
    not_a_handler = 5

    def mount(self, request, **kwargs):
        self.n = kwargs.get("n", 0)
        self._private_state = "hidden"
        self.broken_context = False

    @event_handler
    def bump(self, by=1, **kwargs):
        self.n += by

    @event_handler
    def fail_value(self, **kwargs):
        raise ValueError("bad value")

    @event_handler
    def fail_custom(self, **kwargs):
        raise Boom("custom boom")

    @event_handler
    async def later(self, by=1, **kwargs):
        await asyncio.sleep(0.005)
        self.n += by

    @event_handler
    async def fail_later(self, **kwargs):
        await asyncio.sleep(0)
        raise KeyError("async key")

    @event_handler
    def break_context(self, **kwargs):
        self.broken_context = True

    @event_handler
    def echo(self, **kwargs):
        self.n = repr(sorted(kwargs.items()))

    def undecorated(self, **kwargs):
        self.n = -1

    @event_handler
    def _hidden(self, **kwargs):
        self.n = -2

    def get_context_data(self, **kwargs):
        if self.broken_context:
            raise RuntimeError("context exploded")
        return {"n": self.n}


class BadTemplate(LiveView):
    template = "<p>{% if %}</p>"


class NotADict(LiveView):
    template = "<p></p>"

    def get_context_data(self, **kwargs):
        return ["not", "a", "dict"]


class FaultyEngineView(LiveView):
    """Rendered by the faulty fixture guest (tests/guests/faulty), which
    echoes the template's source unless the context names a fault.
    `test_engines.py` subclasses it with other engines and templates."""

    template = '<div class="faulty"><p>fine</p><button class="break" @click="misbehave" data-fault="panic">break</button><button class="mend" @click="behave">mend</button></div>'
    template_engine = str(FIXTURE_GUESTS / "faulty.wasm")

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


class SlowView(LiveView):
    """A handler that takes half a second, as a slow backend call would."""

    template = '<div class="slow"><p>Saved: {{ saved }}</p><button @click="save">Save</button></div>'

    def mount(self, request, **kwargs):
        self.saved = 0

    @event_handler
    async def save(self, **kwargs):
        await asyncio.sleep(0.5)
        self.saved += 1


class AsyncBump(LiveComponent):
    """A component with a coroutine handler that messages its parent, and
    one that messages a parent handler that does not exist."""

    template = "<b>{{ n }}</b>"

    @event_handler
    async def bump(self, **kwargs):
        await asyncio.sleep(0)
        self.n = self.n + 1
        self.send_parent("bumped", n=self.n)

    @event_handler
    def tell_nobody(self, **kwargs):
        self.n = -1
        self.send_parent("not_a_handler")


class AsyncBumpView(LiveView):
    template = '<div><i>{{ total }}</i><p data-component-id="b">{{ components.b|safe }}</p></div>'

    def mount(self, request, **kwargs):
        self.total = 0

    @event_handler
    def bumped(self, n=0, **kwargs):
        self.total = n

    components = {"b": (AsyncBump, {"n": 0})}
