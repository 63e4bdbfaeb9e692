"""LiveViews told from outside their requests (wasmlive.pubsub): a feed
of broadcast messages, the notes table kept live by broadcasts from a
Django view, a clock on a timer, client events, and a view whose
handle_info fails."""

import threading
import time

from django.http import HttpResponseBadRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

import wasmlive
from wasmlive import LiveComponent, LiveView, event_handler

from .models import Note


#: A probe with `"hold": true` keeps its FeedView in handle_info until this is set.
HOLD = threading.Event()


class FeedView(LiveView):
    """A checker of what `feed:<topic>` brings: how many, their `n`s' sum,
    the last; each `n` met twice (`dups`) and each that came after a
    later one of the same source (`reordered`); gaps told; probes (`{"probe":
    …}`, not counted)."""

    template = (
        '<p id="feed">count={{ count }} total={{ total }} last={{ last }} gaps={{ gaps }}'
        " dups={{ dups }} reordered={{ reordered }} probes={{ probes }}</p>"
    )

    def mount(self, request, topic="feed", delay=0.0):
        self.count, self.total, self.last, self.gaps, self.dups, self.reordered, self.probes = 0, 0, None, 0, 0, 0, 0
        self._delay = float(delay)
        self._seen, self._latest = set(), {}
        self.subscribe(f"feed:{topic}")

    def handle_info(self, message):
        if self._delay:
            time.sleep(self._delay)
        if "probe" in message:
            self.probes += 1
            if message.get("hold"):
                HOLD.wait(30)
            return
        n, source = message["n"], message.get("src", "")
        if n in self._seen:
            self.dups += 1
            return
        self._seen.add(n)
        if n < self._latest.get(source, n):
            self.reordered += 1
        self._latest[source] = n
        self.count += 1
        self.total += n
        self.last = n

    def handle_gap(self, topic, missed):
        self.gaps += 1

    @event_handler
    def publish(self, topic="feed", n=0, **kwargs):
        wasmlive.broadcast(f"feed:{topic}", {"n": int(n), "src": "liveview"})

    @event_handler
    def leave(self, topic="feed", **kwargs):
        self.unsubscribe(f"feed:{topic}")


class LiveNotesView(LiveView):
    """The notes table, read again whenever a note is announced."""

    template = '<ul id="notes">{% for n in notes %}<li>{{ n.text }}</li>{% endfor %}</ul>'

    def mount(self, request, **kwargs):
        self.subscribe("notes")
        self.notes = list(Note.objects.values("text"))

    def handle_info(self, message):
        self.notes = list(Note.objects.values("text"))


@csrf_exempt
def add_note(request):
    """A plain Django view: write a note, tell every live notes view."""
    if request.method != "POST":
        return HttpResponseBadRequest("POST a text")
    note = Note.objects.create(text=request.POST.get("text", ""))
    wasmlive.broadcast("notes", {"id": note.id})
    return JsonResponse({"id": note.id})


@csrf_exempt
def publish_feed(request):
    """A plain Django view: broadcast `{"n": first..first+count-1}` on `feed:<topic>`."""
    topic, first, count = request.POST["topic"], int(request.POST["first"]), int(request.POST["count"])
    for n in range(first, first + count):
        wasmlive.broadcast(f"feed:{topic}", {"n": n, "src": "django-view"})
    return JsonResponse({"published": count})


@csrf_exempt
async def add_note_async(request):
    """The same from an async Django view, with abroadcast."""
    note = await Note.objects.acreate(text=request.POST.get("text", ""))
    await wasmlive.abroadcast("notes", {"id": note.id})
    return JsonResponse({"id": note.id})


class ClockView(LiveView):
    """A clock: `send_every` ticks, `send_after` once; `stop` cancels."""

    template = '<p id="clock">ticks={{ ticks }} alarm={{ alarm }}</p>'

    def mount(self, request, every=0.05):
        self.ticks, self.alarm = 0, False
        self._clock = self.send_every(float(every), {"tick": 1})
        self.send_after(float(every) * 3, {"alarm": True})

    def handle_info(self, message):
        if message.get("tick"):
            self.ticks += 1
        if message.get("alarm"):
            self.alarm = True
            self.push_event("alarm", {"ticks": self.ticks})

    @event_handler
    def stop(self, **kwargs):
        self.stopped = self._clock.cancel()


class EventsView(LiveView):
    """Client events from mount, a handler and handle_info."""

    template = '<p id="events">saved={{ saved }}</p>'

    def mount(self, request, **kwargs):
        self.saved = 0
        self.push_event("hello", {"from": "mount"})
        self.subscribe("events")

    @event_handler
    def save(self, **kwargs):
        self.saved += 1
        self.push_event("saved", {"count": self.saved})
        self.push_event("saved-again")

    def handle_info(self, message):
        self.push_event("told", message)


class FaultyInfoView(LiveView):
    """handle_info raises for a message with `fail`; the rest still count."""

    template = '<p id="faulty">count={{ count }}</p>'

    def mount(self, request, **kwargs):
        self.count = 0
        self.subscribe("faulty")

    def handle_info(self, message):
        if message.get("fail"):
            raise RuntimeError("handle_info refused this message")
        self.count += 1


class PresenceView(LiveView):
    """Who is in `room:<room>`: listed at mount, then kept by the joins and
    leaves the room's presence messages tell."""

    template = '<p id="who">members={{ names|join:"," }}</p>'

    def mount(self, request, room="lobby", name="anon"):
        self._topic = f"room:{room}"
        self.subscribe(self._topic)
        self.track(self._topic, {"name": name})
        self._members = {member: meta["name"] for member, meta in wasmlive.presence(self._topic).items()}

    def handle_info(self, message):
        diff = message["presence"]
        for member in diff["leaves"]:
            self._members.pop(member, None)
        for member, meta in diff["joins"].items():
            self._members[member] = meta["name"]

    def get_context_data(self, **kwargs):
        return {"names": sorted(self._members.values())}


class RemountingView(LiveView):
    """The default handle_gap: a gap mounts it again (its clock restarted, not doubled)."""

    template = '<p id="remounting">mounts={{ mounts }} timers={{ timers }}</p>'

    def mount(self, request, topic="feed"):
        self.mounts = getattr(self, "mounts", 0) + 1
        self.subscribe(f"feed:{topic}")
        self._clock = self.send_every(60, {"tick": True})
        self.timers = len(self.__dict__.get("_wasmlive_timers", []))

    def handle_info(self, message):
        pass


class PriceTag(LiveComponent):
    template = '<span class="tag">{{ symbol }}: {{ price }} ({{ bumps }} bumps)</span>'

    def __init__(self, **props):
        self.bumps = 0
        super().__init__(**props)

    @event_handler
    def bump(self, **kwargs):
        self.bumps += 1


class PricesView(LiveView):
    """Components do not subscribe; their view forwards what concerns them."""

    template = '<div><p>updates={{ updates }}</p><div data-component-id="acme">{{ components.acme|safe }}</div></div>'
    components = {"acme": (PriceTag, {"symbol": "ACME", "price": 0})}

    def mount(self, request, **kwargs):
        self.updates = 0
        self.subscribe("prices")

    def handle_info(self, message):
        self.updates += 1
        self.update_component(message["symbol"].lower(), price=message["price"])
