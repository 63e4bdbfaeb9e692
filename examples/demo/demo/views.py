"""The seed's CounterView and ChatView (its Appendix A), a todo list stored
in the database with keyed rows, and a view made of live components."""

import uuid

from django.db import transaction
from django.db.models import Max

import wasmlive
from wasmlive import LiveComponent, LiveView, event_handler

from .models import Todo


class CounterView(LiveView):
    template_name = "demo/counter.html"
    title = "Counter"

    def mount(self, request, **kwargs):
        self.count = int(kwargs.get("count", 0))

    @event_handler
    def increment(self, **kwargs):
        self.count += 1

    @event_handler
    def decrement(self, **kwargs):
        self.count -= 1

    def get_context_data(self, **kwargs):
        return {"count": self.count}


class ChatView(LiveView):
    """Everyone on the page talks in one room, across every process on the
    same Redis (LIVEVIEW_CONFIG["pubsub"]): a message is shown to its sender
    by the answer to its event and broadcast to the others, who are told;
    "who's here" is the room's presence. `manage.py demo_broadcast "text"`
    posts to it from a shell."""

    template_name = "demo/chat.html"
    title = "Chat"
    topic = "chat:lobby"

    def mount(self, request, **kwargs):
        self.messages = []
        user = getattr(request, "user", None) if request else None
        self.username = (user.get_username() if user is not None and user.is_authenticated else "") or "Anonymous"
        self._me, self._shown = uuid.uuid4().hex, 0
        self.subscribe(self.topic)
        self.track(self.topic, {"username": self.username})
        self._here = {member: meta["username"] for member, meta in wasmlive.presence(self.topic).items()}

    @event_handler
    def send_message(self, message: str = "", **kwargs):
        if message.strip():
            said = {"username": self.username, "message": message.strip()}
            self._show(said)
            wasmlive.broadcast(self.topic, {**said, "from": self._me})

    def handle_info(self, message):
        if "presence" in message:
            for member in message["presence"]["leaves"]:
                self._here.pop(member, None)
            for member, meta in message["presence"]["joins"].items():
                self._here[member] = meta["username"]
        elif message.get("from") != self._me:
            self._show(message)
            # The page may listen: `wasmlive:chat-message` on the view's root.
            self.push_event("chat-message", {"username": message["username"]})

    def handle_gap(self, topic, missed):
        # Messages were lost (Redis restarted without its data): who is here is read again.
        self._here = {member: meta["username"] for member, meta in wasmlive.presence(self.topic).items()}

    def _show(self, said):
        self._shown += 1
        self.messages.append({"id": self._shown, "username": said["username"], "message": said["message"]})
        del self.messages[:-100]

    def get_context_data(self, **kwargs):
        return {"messages": self.messages, "username": self.username, "here": sorted(self._here.values())}


class ClockView(LiveView):
    """A clock driven by `send_every`: the server pushes the time each second."""

    template_name = "demo/clock.html"
    title = "Clock"

    def mount(self, request, **kwargs):
        self.now = _now()
        self.running = True
        self._clock = self.send_every(1, {"tick": True})

    def handle_info(self, message):
        self.now = _now()

    @event_handler
    def toggle(self, **kwargs):
        if self.running:
            self._clock.cancel()
        else:
            self._clock = self.send_every(1, {"tick": True})
        self.running = not self.running


def _now():
    from django.utils import timezone

    return timezone.localtime().strftime("%H:%M:%S")


class TodoView(LiveView):
    """The rows live in the database: mount and every handler use Django's
    ORM as any Django view would (they run on wasmlive's handler threads)."""

    template_name = "demo/todo.html"
    title = "Todo"

    def mount(self, request, **kwargs):
        self.load()

    def load(self):
        self.items = list(Todo.objects.values("id", "text"))

    @event_handler
    def add(self, text: str = "", **kwargs):
        if text.strip():
            last = Todo.objects.aggregate(last=Max("position"))["last"] or 0
            Todo.objects.create(text=text.strip(), position=last + 1)
        self.load()

    @event_handler
    def remove(self, id: str = "", **kwargs):
        Todo.objects.filter(pk=_pk(id)).delete()
        self.load()

    @event_handler
    def move_up(self, id: str = "", **kwargs):
        with transaction.atomic():
            rows = list(Todo.objects.select_for_update())
            for n, row in enumerate(rows):
                if row.pk == _pk(id) and n > 0:
                    rows[n - 1].position, row.position = row.position, rows[n - 1].position
                    Todo.objects.bulk_update([rows[n - 1], row], ["position"])
                    break
        self.load()

    @event_handler
    def reverse(self, **kwargs):
        with transaction.atomic():
            rows = list(Todo.objects.all())
            for position, row in enumerate(reversed(rows), start=1):
                row.position = position
            Todo.objects.bulk_update(rows, ["position"])
        self.load()

    def get_context_data(self, **kwargs):
        return {"items": self.items}


def _pk(value):
    """A row id from an event's params (a string from the page)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Stepper(LiveComponent):
    """A component: its own counter; tells its parent when it changes."""

    template = '<span class="stepper">{{ label }}: {{ value }} <button @click="bump">+{{ step }}</button></span>'

    @event_handler
    def bump(self, **kwargs):
        self.value += self.step
        self.send_parent("child_changed", label=self.label, value=self.value)


class DashboardView(LiveView):
    template_name = "demo/components.html"
    title = "Components"

    def mount(self, request, **kwargs):
        self.total_changes = 0
        self.last = "nothing yet"

    @event_handler
    def child_changed(self, label: str = "", value: int = 0, **kwargs):
        self.total_changes += 1
        self.last = f"{label} is now {value}"

    def get_context_data(self, **kwargs):
        return {"total_changes": self.total_changes, "last": self.last}

    components = {
        "apples": (Stepper, {"label": "Apples", "value": 0, "step": 1}),
        "pears": (Stepper, {"label": "Pears", "value": 10, "step": 5}),
    }
