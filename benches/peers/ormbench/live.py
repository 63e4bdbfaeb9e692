from wasmlive import LiveView, event_handler

from .models import Hit


class HitCounterView(LiveView):
    """The counter, kept in the database: one write and one read per event."""

    template = "<div><h1>Counter: {{ count }}</h1><button @click=\"increment\">+</button></div>"

    def mount(self, request, **kwargs):
        self.count = Hit.objects.count()

    @event_handler
    def increment(self, **kwargs):
        Hit.objects.create()
        self.count = Hit.objects.count()
