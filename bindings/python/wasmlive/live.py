"""LiveView, LiveComponent and the ``@event_handler`` decorator."""

import functools
import inspect
import logging

from . import pubsub

logger = logging.getLogger("wasmlive")

_REGISTRY = {}

# What configures a view rather than holding its state: never set from a
# mount param (docs/guides/security.md).
CONFIGURATION = frozenset(
    {"template", "template_name", "template_engine", "vdom_engine", "page_template_name", "components", "mount_params"}
)


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

    ``mount_params`` names what a client may pass to ``mount`` (the mount
    frame's ``params``); by default, the keyword parameters ``mount``
    declares. The URL's arguments (``path("<int:pk>/", …)``) always reach
    ``mount``: the first paint signs them into the page.
    """

    template_name = None
    template = None
    template_engine = None
    vdom_engine = None
    #: Where the HTTP first paint puts the rendered view (a Django template).
    page_template_name = "wasmlive/page.html"
    #: The names a client may pass to ``mount``; None: ``mount``'s keyword parameters.
    mount_params = None
    # No client events queued (push_event gives the object a list of its own):
    # taking them after every event finds this instead of raising AttributeError.
    _wasmlive_events = ()
    _wasmlive_component_updates = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._wasmlive_mount_params = _accepted_mount_params(cls)
        _REGISTRY[f"{cls.__module__}.{cls.__qualname__}"] = cls

    @classmethod
    def accepted_mount_params(cls):
        """The names a client may pass to ``mount`` (a frozenset)."""
        if "_wasmlive_mount_params" in cls.__dict__:
            return cls._wasmlive_mount_params
        return _accepted_mount_params(cls)

    @classmethod
    def view_path(cls):
        return f"{cls.__module__}.{cls.__qualname__}"

    def mount(self, request, **kwargs):
        """Set the initial state. Default: keyword arguments (the URL's, and
        declared ``mount_params``) become attributes; never configuration."""
        for key, value in kwargs.items():
            if not is_state_name(type(self), key):
                raise TypeError(f"the mount param {key!r} would set {type(self).__qualname__}'s configuration or code; give it another name")
            setattr(self, key, value)

    def get_context_data(self, **kwargs):
        context = {k: v for k, v in vars(self).items() if not k.startswith("_")}
        context.update(kwargs)
        return context

    def push_render(self):
        """Render this view now and push its patches to its client: see
        :func:`push_render`."""
        return push_render(self)

    # Live from the server (wasmlive.pubsub; docs/pubsub.md).

    def subscribe(self, topic):
        """Subscribe to ``topic``: each message published on it
        (``wasmlive.broadcast``) runs ``handle_info(message)``, then the
        view renders and its patches are pushed."""
        pubsub.subscribe(self, topic)

    def unsubscribe(self, topic):
        """Stop ``topic``'s messages; whether the view was subscribed."""
        return pubsub.unsubscribe(self, topic)

    def track(self, topic, meta=None):
        """Be a member of ``topic`` with ``meta`` (JSON): ``wasmlive.presence(topic)``
        lists this view in every process, and the topic's subscribers are
        told ``{"presence": {"joins": …, "leaves": …}}`` through ``handle_info``."""
        pubsub.track(self, topic, meta)

    def untrack(self, topic):
        """Stop being a member of ``topic``; whether the view was."""
        return pubsub.untrack(self, topic)

    def send_after(self, seconds, message):
        """Run ``handle_info(message)`` in ``seconds``; gives a ``Timer``
        (``cancel()``). Stops when the view unmounts."""
        return pubsub.send_after(self, seconds, message)

    def send_every(self, seconds, message):
        """Run ``handle_info(message)`` every ``seconds`` (a clock, a poll);
        gives a ``Timer``. Stops when the view unmounts."""
        return pubsub.send_every(self, seconds, message)

    def push_event(self, name, payload=None):
        """Send the client event ``wasmlive:NAME`` (a DOM ``CustomEvent`` on
        the view's root, ``payload`` as its ``detail``) with the next render."""
        pubsub.push_event(self, name, payload)

    def update_component(self, component_id, **props):
        """Forward new props to one of this view's live components (a topic's
        message that concerns it, say: components do not subscribe, their
        view does). The component's ``update_props(props)`` runs now; its
        new HTML goes out with this view's next render, in its patches."""
        component = self.__dict__.get("_wasmlive_components", {}).get(component_id)
        if component is None:
            from ._host import ComponentNotFoundError

            raise ComponentNotFoundError(f"{type(self).__qualname__} has no live component {component_id!r}")
        component.update_props(props)
        queued = self.__dict__.setdefault("_wasmlive_component_updates", [])
        if component_id not in queued:
            queued.append(component_id)

    def handle_gap(self, topic, missed):
        """Messages of ``topic`` were lost before this view could have them
        (``missed``: how many, None when unknown). Default: the view starts
        over, as if mounted again — its timers are cancelled and ``mount``
        runs again with the request and params it was first given (its
        subscriptions and presence stay) — and a warning is logged.
        Override to reload only what the lost messages would have changed."""
        logger.warning("wasmlive: %s missed %s messages of %r; mounting it again", self.view_path(), "some" if missed is None else missed, topic)
        return pubsub.remount(self)

    @classmethod
    def as_view(cls, **initkwargs):
        """A Django view: GET paints the page, POST is the HTTP event fallback."""
        from .http import live_view

        return live_view(cls, initkwargs)


def push_render(view):
    """Render ``view`` now and push its patches to its client, without an
    event: from a thread, a task, a timer. ``view`` is a mounted LiveView
    (or a ``wasmlive serve`` handler object); its context is taken on its
    handler thread, as after an event. Gives an awaitable, done once the
    frame is queued for the connection (``.result()`` waits for it from a
    thread). A view mounted without a live connection (a first paint, the
    POST fallback) raises ``NotConnectedError``; one no longer mounted
    ``ActorShutdownError``."""
    pusher = getattr(view, "_wasmlive_pusher", None)
    if pusher is None:
        from ._host import NotConnectedError

        raise NotConnectedError(f"{type(view).__qualname__} is not mounted: only a mounted view can push")
    return pusher.push(view)


def is_state_name(cls, name):
    """Whether ``name`` may be state of ``cls`` set from a mount param: not
    private, not configuration, not code."""
    return not name.startswith("_") and name not in CONFIGURATION and not callable(getattr(cls, name, None))


def _accepted_mount_params(cls):
    declared = cls.mount_params
    if declared is None:
        signature = inspect.signature(cls.mount)
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        # (self, request, ...): what follows `request` by name.
        names = [p.name for p in signature.parameters.values() if p.kind in kinds][2:]
        return frozenset(n for n in names if not n.startswith("_"))
    if isinstance(declared, str) or not all(isinstance(n, str) for n in declared):
        raise TypeError(f"{cls.__qualname__}.mount_params must be a list or tuple of names, not {declared!r}")
    for name in declared:
        if not name.isidentifier() or not is_state_name(cls, name):
            raise TypeError(f"{cls.__qualname__}.mount_params cannot name {name!r}: a mount param is state, not private, configuration or code")
    return frozenset(declared)


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
