from djust import LiveView, event_handler


class CounterView(LiveView):
    """The seed's counter, as the other systems in the benchmark render it."""

    template = '<div data-liveview-root><h1>Counter: {{ count }}</h1><button dj-click="increment">+</button><button dj-click="decrement">-</button></div>'

    def mount(self, request, **kwargs):
        self.count = 0

    @event_handler
    def increment(self, **kwargs):
        self.count += 1

    @event_handler
    def decrement(self, **kwargs):
        self.count -= 1


class HitCounterView(LiveView):
    """The database workload (benches/peers/ormbench): one write and one read per event."""

    template = '<div data-liveview-root><h1>Counter: {{ count }}</h1><button dj-click="increment">+</button></div>'

    def mount(self, request, **kwargs):
        from ormbench.models import Hit

        self.count = Hit.objects.count()

    @event_handler
    def increment(self, **kwargs):
        from ormbench.models import Hit

        Hit.objects.create()
        self.count = Hit.objects.count()
