"""The seed's CounterView and ChatView (its Appendix A), a todo list with
keyed rows, and a view made of live components."""

import itertools

from wasmlive import LiveComponent, LiveView, event_handler


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
    template_name = "demo/chat.html"
    title = "Chat"

    def mount(self, request, **kwargs):
        self.messages = []
        user = getattr(request, "user", None) if request else None
        self.username = (user.get_username() if user is not None and user.is_authenticated else "") or "Anonymous"

    @event_handler
    def send_message(self, message: str = "", **kwargs):
        if message.strip():
            self.messages.append({"id": len(self.messages) + 1, "username": self.username, "message": message.strip()})

    def get_context_data(self, **kwargs):
        return {"messages": self.messages, "username": self.username}


class TodoView(LiveView):
    template_name = "demo/todo.html"
    title = "Todo"

    def mount(self, request, **kwargs):
        self._ids = itertools.count(4)
        self.items = [{"id": 1, "text": "Write the view"}, {"id": 2, "text": "Write the template"}, {"id": 3, "text": "Ship it"}]

    @event_handler
    def add(self, text: str = "", **kwargs):
        if text.strip():
            self.items.append({"id": next(self._ids), "text": text.strip()})

    @event_handler
    def remove(self, id: str = "", **kwargs):
        self.items = [i for i in self.items if str(i["id"]) != str(id)]

    @event_handler
    def move_up(self, id: str = "", **kwargs):
        for n, item in enumerate(self.items):
            if str(item["id"]) == str(id) and n > 0:
                self.items[n - 1], self.items[n] = self.items[n], self.items[n - 1]
                break

    @event_handler
    def reverse(self, **kwargs):
        self.items.reverse()

    def get_context_data(self, **kwargs):
        return {"items": self.items}


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
