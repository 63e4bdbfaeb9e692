from wasmlive import LiveView


class FanView(LiveView):
    """Shows the last broadcast it was told: a trivial handle_info."""

    template = "<p>{{ n }}</p>"

    def mount(self, request, **kwargs):
        self.n = 0
        self.subscribe("fan")

    def handle_info(self, message):
        self.n = message["n"]
