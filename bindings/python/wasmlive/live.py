"""LiveView, LiveComponent and the ``@event_handler`` decorator."""

import functools
import inspect

_REGISTRY = {}


def event_handler(func=None, *, debounce=None):
    """Mark a method as callable by the client as an event.

    Only marked methods are: the host refuses every other name before any
    Python runs. ``debounce`` (milliseconds) is a hint the JS client reads
    for ``@input``/``@change`` bindings.
    """

    def mark(f):
        f._wasmlive_handler = True
        f._wasmlive_debounce = debounce
        return f

    return mark(func) if func is not None else mark


def registered_views():
    """Dotted path → LiveView class, for every LiveView subclass defined."""
    return dict(_REGISTRY)


def resolve(view_path):
    """The registered LiveView class at ``view_path``; never an arbitrary import."""
    try:
        return _REGISTRY[view_path]
    except KeyError:
        from ._host import ViewNotFoundError

        raise ViewNotFoundError(f"no LiveView is registered as {view_path!r}") from None


class LiveView:
    """A live view: state in attributes, handlers marked ``@event_handler``.

    Set ``template_name`` (loaded through Django's template loaders) or
    ``template`` (the source). ``mount(request, **kwargs)`` sets the
    initial state; ``get_context_data()`` gives the template context,
    by default every public instance attribute. ``template_engine`` and
    ``vdom_engine`` may name other guest components for this view.
    """

    template_name = None
    template = None
    template_engine = None
    vdom_engine = None
    #: Where the HTTP first paint puts the rendered view (a Django template).
    page_template_name = "wasmlive/page.html"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[f"{cls.__module__}.{cls.__qualname__}"] = cls

    @classmethod
    def view_path(cls):
        return f"{cls.__module__}.{cls.__qualname__}"

    def mount(self, request, **kwargs):
        """Set the initial state. Default: keyword arguments become attributes."""
        for key, value in kwargs.items():
            if not key.startswith("_"):
                setattr(self, key, value)

    def get_context_data(self, **kwargs):
        context = {k: v for k, v in vars(self).items() if not k.startswith("_")}
        context.update(kwargs)
        return context

    @classmethod
    def as_view(cls, **initkwargs):
        """A Django view: GET paints the page, POST is the HTTP event fallback."""
        from .http import live_view

        return live_view(cls, initkwargs)


class LiveComponent:
    """A live component inside a view: its own state, template and handlers.

    ``send_parent(event, **data)`` queues a message for the parent view's
    handler of that name; it runs after this component's handler returns.
    """

    template = ""

    def __init__(self, **props):
        self._wasmlive_outbox = []
        self.update_props(props)

    def update_props(self, props):
        for key, value in props.items():
            if not key.startswith("_"):
                setattr(self, key, value)

    def send_parent(self, event, **data):
        self._wasmlive_outbox.append((event, data))

    def get_context_data(self):
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}


def sync_to_async_if_needed(func):
    """Wrap a plain function so it can be awaited like a coroutine function."""
    if inspect.iscoroutinefunction(func):
        return func

    @functools.wraps(func)
    async def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper
