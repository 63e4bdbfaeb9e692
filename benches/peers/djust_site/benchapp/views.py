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
