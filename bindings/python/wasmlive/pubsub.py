"""Live from the server: topics, broadcasts, timers and client events
(docs/pubsub.md).

``broadcast(topic, message)`` — from a LiveView, a Django view, a
management command, a Celery task or a script — reaches every view
subscribed to ``topic`` in every process on the same backplane
(``LIVEVIEW_CONFIG["pubsub"]["redis_url"]``; without it, this process
alone). Each such view runs ``handle_info(message)`` on its handler thread,
renders once for everything queued, and its patches are pushed.

A message is JSON: what ``json.dumps`` takes, received as ``json.loads``
gives it back. What cannot be published raises, and nothing was sent.

Presence: ``track(view, topic, meta)`` makes the view a member of
``topic``, listed by ``presence(topic)`` in every process until it leaves.

The ``LiveView`` methods (``subscribe``, ``track``, ``send_after``, ``push_event`` …)
call the functions here with the view; a ``wasmlive serve`` handler object
may call them directly.
"""

import json

from . import _host

#: Client events one view may queue before a render takes them.
MAX_QUEUED_EVENTS = 100

_configured = False


def message_text(message, what):
    """``message`` as JSON text, or a ``TypeError`` that says ``what`` it was."""
    try:
        return json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what} must be JSON (dicts, lists, strings, numbers, booleans, None): {e}") from None


def _ensure_configured():
    """Outside a server (a management command, a script with Django set
    up), the actor system takes ``LIVEVIEW_CONFIG`` before it starts."""
    global _configured
    if _configured or _host.get_actor_stats().running:
        return
    try:
        from django.conf import settings

        if settings.configured:
            from . import conf

            _host.configure(**conf.actor_options(conf.config()))
    except ImportError:
        pass
    _configured = True


def broadcast(topic, message):
    """Publish ``message`` (JSON) on ``topic`` to its subscribers in every
    process. Returns once the backplane took it. Raises ``TypeError`` (not
    JSON), ``MessageTooLargeError``, ``InvalidTopicError``, or
    ``BackplaneError`` (Redis unreachable: it names the URL); in every
    case nothing was published."""
    text = message_text(message, f"the message for {topic!r} (not published)")
    _ensure_configured()
    _host.publish(topic, text)


async def abroadcast(topic, message):
    """:func:`broadcast`, awaited without blocking the event loop."""
    text = message_text(message, f"the message for {topic!r} (not published)")
    _ensure_configured()
    await _host.apublish(topic, text)


def presence(topic):
    """Who is on ``topic`` in every process: ``{member: meta}`` (a view's
    member is its ``view_id``; the meta is what it tracked). Members of a
    process that died are gone within 15 s."""
    _ensure_configured()
    return {member: json.loads(meta) for member, meta in _host.presence(topic).items()}


async def apresence(topic):
    """:func:`presence`, awaited without blocking the event loop."""
    _ensure_configured()
    return {member: json.loads(meta) for member, meta in (await _host.apresence(topic)).items()}


class Timer:
    """A view's ``send_after`` / ``send_every``: ``cancel()`` stops it.
    Every timer stops when its view unmounts."""

    __slots__ = ("_native", "_cancelled")

    def __init__(self, native=None):
        self._native = native
        self._cancelled = False

    def cancel(self):
        """Stop it; whether it was still running."""
        if self._native is not None:
            return self._native.cancel()
        was_waiting = not self._cancelled
        self._cancelled = True
        return was_waiting

    def __repr__(self):
        return f"<wasmlive.Timer {'cancelled' if self._cancelled else 'running' if self._native else 'not running'}>"


def _pusher(view):
    return getattr(view, "_wasmlive_pusher", None)


def _before_mount(view):
    """What ``mount`` asked for before the view's actor existed: done once it does (:func:`start`)."""
    return view.__dict__.setdefault("_wasmlive_before_mount", [])


def _needs_handle_info(view, what):
    if not callable(getattr(type(view), "handle_info", None)):
        raise TypeError(f"{type(view).__qualname__} cannot {what}: it has no handle_info(self, message) to be told with")


def subscribe(view, topic):
    """Subscribe ``view`` to ``topic``: its messages reach
    ``view.handle_info``. In ``mount``, it takes effect once the view is
    mounted; later, at once (a first subscription to a topic in the process
    waits for Redis to confirm it). A view without a live connection (a
    first paint) does not subscribe: its socket's mount will."""
    _needs_handle_info(view, f"subscribe to {topic!r}")
    pusher = _pusher(view)
    if pusher is None:
        _host.check_topic(topic)
        if ("subscribe", topic) not in _before_mount(view):
            _before_mount(view).append(("subscribe", topic))
        return
    pusher.subscribe(topic)


def track(view, topic, meta=None):
    """Track ``view`` on ``topic`` with ``meta`` (JSON): :func:`presence`
    lists it in every process, and the topic's subscribers are told
    ``{"presence": {"joins": {view_id: meta}, "leaves": {}}}`` through
    ``handle_info``. It leaves (a ``leaves`` message) when untracked, when
    the view unmounts or its connection closes, or within 15 s of its
    process dying. Tracking again replaces the meta. In ``mount`` it takes
    effect once the view is mounted."""
    text = message_text({} if meta is None else meta, f"the meta tracked on {topic!r}")
    pusher = _pusher(view)
    if pusher is None:
        _host.check_topic(topic)
        pending = _before_mount(view)
        pending[:] = [p for p in pending if p[:2] != ("track", topic)]
        pending.append(("track", topic, text))
        return
    pusher.track(topic, text)


def untrack(view, topic):
    """Stop tracking ``view`` on ``topic`` (its leave is told); whether it was."""
    pusher = _pusher(view)
    if pusher is None:
        pending = _before_mount(view)
        kept = [p for p in pending if p[:2] != ("track", topic)]
        was = len(kept) != len(pending)
        pending[:] = kept
        return was
    return pusher.untrack(topic)


def unsubscribe(view, topic):
    """Stop ``topic``'s messages to ``view``; whether it was subscribed."""
    pusher = _pusher(view)
    if pusher is None:
        pending = _before_mount(view)
        if ("subscribe", topic) in pending:
            pending.remove(("subscribe", topic))
            return True
        return False
    return pusher.unsubscribe(topic)


def topics(view):
    """The topics ``view`` subscribes to, sorted."""
    pusher = _pusher(view)
    if pusher is None:
        return sorted(t for kind, t, *_ in _before_mount(view) if kind == "subscribe")
    return pusher.topics()


def send_after(view, seconds, message, repeat=False):
    """Tell ``view`` ``message`` (JSON) through ``handle_info`` in
    ``seconds`` (every ``seconds`` with ``repeat``; a tick the view is too
    busy for is skipped). Gives a :class:`Timer`."""
    _needs_handle_info(view, "start a timer")
    text = message_text(message, "a timer's message")
    pusher = _pusher(view)
    timer = Timer()
    if repeat:
        # Cancelled if the view starts over (remount).
        view.__dict__.setdefault("_wasmlive_timers", []).append(timer)
    if pusher is None:
        _before_mount(view).append(("timer", timer, seconds, text, repeat))
    else:
        timer._native = pusher.start_timer(seconds, text, repeat)
    return timer


def send_every(view, seconds, message):
    """:func:`send_after` with ``repeat``: ``handle_info(message)`` every ``seconds``."""
    return send_after(view, seconds, message, repeat=True)


def push_event(view, name, payload=None):
    """Send the client event ``name`` with ``payload`` (JSON) along with
    ``view``'s next render (the answer to the event being handled, or its
    next push): the JS client dispatches a ``CustomEvent`` named
    ``wasmlive:NAME`` on the view's root, ``payload`` as its ``detail``."""
    queued = view.__dict__.setdefault("_wasmlive_events", [])
    if len(queued) >= MAX_QUEUED_EVENTS:
        raise _host.LimitExceededError(
            f"{type(view).__qualname__} has {MAX_QUEUED_EVENTS} client events waiting for a render: render (push_render) to send them"
        )
    queued.append(_host.client_event(name, message_text({} if payload is None else payload, f"the payload of client event {name!r}")))


def start(view):
    """The view is mounted: do what its ``mount`` asked for (on its handler thread)."""
    pending = view.__dict__.pop("_wasmlive_before_mount", None)
    if not pending:
        return
    pusher = _pusher(view)
    for item in pending:
        if item[0] == "subscribe":
            pusher.subscribe(item[1])
        elif item[0] == "track":
            pusher.track(item[1], item[2])
        else:
            _, timer, seconds, text, repeat = item
            if not timer._cancelled:
                timer._native = pusher.start_timer(seconds, text, repeat)


def remount(view):
    """Start ``view`` over (on its handler thread): cancel its timers, run
    ``mount`` again with what it was first given; gives what ``mount``
    returned (an ``async def`` mount's coroutine, for the caller to run).
    Its subscriptions and presence stay (subscribing again changes
    nothing; tracking again replaces the meta)."""
    for timer in view.__dict__.pop("_wasmlive_timers", []):
        timer.cancel()
    request, params = view.__dict__.get("_wasmlive_mounted_with", (None, {}))
    return view.mount(request, **params)
