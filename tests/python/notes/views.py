"""LiveViews backed by the database: the issue's NotesView, a QuerySet and
model instances in the context, the async ORM, transactions, the logged-in
user, and failures a developer must see."""

import threading
import time

from django.db import transaction

from wasmlive import LiveComponent, LiveView, event_handler, push_render

from .models import Note


class NotesView(LiveView):
    template_name = "notes/notes.html"

    def mount(self, request, **kwargs):
        self.notes = list(Note.objects.values("id", "text"))

    @event_handler
    def add(self, text="", **kwargs):
        Note.objects.create(text=text)
        self.notes = list(Note.objects.values("id", "text"))

    @event_handler
    def add_then_fail(self, text="", **kwargs):
        with transaction.atomic():
            Note.objects.create(text=text)
            raise ValueError("refused after writing")

    @event_handler
    def slow_add(self, text="slow", seconds="1.0", **kwargs):
        # Holds a write transaction open while it sleeps.
        with transaction.atomic():
            Note.objects.create(text=text)
            time.sleep(float(seconds))
        self.notes = list(Note.objects.values("id", "text"))


class QuerySetView(LiveView):
    """A QuerySet, a model instance and a related instance, straight into the template."""

    template = (
        "<ul>{% for n in notes %}<li>{{ n.text }} by {{ n.author.username|default:'nobody' }} ({{ n.shout }})</li>{% endfor %}</ul>"
        "<p>{{ first }}|{{ first.pk }}|{{ first.author_id|default:'-' }}|{{ notes|length }}|{% if empty %}rows{% else %}none{% endif %}</p>"
    )

    def mount(self, request, **kwargs):
        self.filter = kwargs.get("filter", "")

    @event_handler
    def search(self, q="", **kwargs):
        self.filter = q

    def get_context_data(self, **kwargs):
        notes = Note.objects.select_related("author").filter(text__contains=self.filter)
        return {"notes": notes, "first": notes.first(), "empty": Note.objects.none()}


class AsyncNotesView(LiveView):
    template = "<p>{{ count }} notes, last {{ last }}</p>"

    async def mount(self, request, **kwargs):
        self.count = await Note.objects.acount()
        self.last = ""

    @event_handler
    async def add(self, text="", **kwargs):
        note = await Note.objects.acreate(text=text)
        self.count = await Note.objects.acount()
        self.last = note.text


class WhoAmIView(LiveView):
    """request.user (database sessions) in mount, over HTTP and the socket."""

    template = '<p class="who">{% if user.is_authenticated %}Hello {{ user.username }}{% else %}Hello stranger{% endif %}</p><p class="visits">{{ visits }}</p>'

    def mount(self, request, **kwargs):
        self.user = request.user
        self.visits = request.session.get("visits", 0)


class FailingMountView(LiveView):
    template = "<p>never</p>"

    def mount(self, request, **kwargs):
        Note.objects.get(text="there is no such note")


class FailingHandlerView(LiveView):
    template = '<p class="n">{{ n }}</p><button @click="explode">explode</button>'

    def mount(self, request, **kwargs):
        self.n = 0

    @event_handler
    def explode(self, **kwargs):
        self.n += 1
        return self.helper_that_fails()

    def helper_that_fails(self):
        return {}["no such key"]


class NoteCounter(LiveComponent):
    """A component whose handler writes and reads through the ORM."""

    template = '<span class="notecount">{{ count }} <button @click="add">+</button></span>'

    @event_handler
    def add(self, **kwargs):
        Note.objects.create(text="from a component")
        self.count = Note.objects.count()
        self.send_parent("changed", count=self.count)


class NotesDashboardView(LiveView):
    template = '<div><p class="total">{{ total }}</p><div data-component-id="counter">{{ components.counter|safe }}</div></div>'

    def mount(self, request, **kwargs):
        self.total = Note.objects.count()

    @event_handler
    def changed(self, count=0, **kwargs):
        self.total = Note.objects.count()

    def get_context_data(self, **kwargs):
        return {"total": self.total}

    components = {"counter": (NoteCounter, {"count": 0})}


class PlainView(LiveView):
    """Only a template: the default ``mount`` (the issue's injection target)."""

    template_name = "notes/plain.html"


class RoomView(LiveView):
    """A client may choose the room, and nothing else."""

    template_name = "notes/plain.html"
    mount_params = ("room",)


class MissingEngineView(LiveView):
    """Names an engine file the server does not have: the client must not learn the path."""

    template = "<p>never</p>"
    template_engine = "/srv/secret-place/engine.wasm"


class TallyView(LiveView):
    """The protocol test's view: served by Django and, as the same class, by
    `python -m wasmlive serve` (test_protocol.py)."""

    template_name = "notes/tally.html"

    def mount(self, request, **kwargs):
        self.count = 0
        self.ticks = 0

    @event_handler
    def tick(self, times=1, **kwargs):
        """Push `times` renders from a thread of its own, one tick each (test_push.py)."""

        def run():
            for _ in range(times):
                self.ticks += 1
                push_render(self).result()

        threading.Thread(target=run, daemon=True).start()

    @event_handler
    def add(self, by=1, **kwargs):
        self.count += by

    @event_handler
    def explode(self, **kwargs):
        raise ValueError("no such luck")

    def helper(self, **kwargs):
        self.count = -1
