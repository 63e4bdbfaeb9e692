"""wasmlive: a LiveView engine for Django.

State lives in Rust actors, templates render and HTML diffs in sandboxed
WebAssembly guests, and Python event handlers stay ordinary methods.

The seed's API (``create_session_actor``, ``get_actor_stats``, …) comes
from the native module ``wasmlive._host``; ``LiveView``, ``LiveComponent``
and ``event_handler`` from ``wasmlive.live``.
"""

# Imported here, on the importing (main) thread: `threading` first imported
# on a handler thread would take that thread for the main one, and the
# interpreter would wait for it forever at exit.
import threading  # noqa: F401

from ._host import (
    ActorPanicError,
    BackplaneError,
    ActorShutdownError,
    ActorStats,
    ActorTimeoutError,
    ComponentNotFoundError,
    EngineLoadError,
    EventRejectedError,
    GuestFaultError,
    HandlerNotFoundError,
    InvalidParamsError,
    InvalidTopicError,
    LimitExceededError,
    MailboxFullError,
    MessageTooLargeError,
    NotConnectedError,
    SessionActorHandle,
    TemplateError,
    VdomError,
    ViewNotFoundError,
    WasmliveError,
    __version__,
    clear_caches,
    configure,
    create_session_actor,
    get_actor_stats,
    handler_thread_stats,
    set_services,
    shutdown_actor_system,
)
from .limits import limit_stats
from .live import LiveComponent, LiveView, event_handler, push_render, registered_views
from .pubsub import Timer, abroadcast, apresence, broadcast, presence

__all__ = [
    "ActorPanicError",
    "BackplaneError",
    "ActorShutdownError",
    "ActorStats",
    "ActorTimeoutError",
    "ComponentNotFoundError",
    "EngineLoadError",
    "EventRejectedError",
    "GuestFaultError",
    "HandlerNotFoundError",
    "InvalidParamsError",
    "InvalidTopicError",
    "LimitExceededError",
    "LiveComponent",
    "LiveView",
    "MailboxFullError",
    "MessageTooLargeError",
    "NotConnectedError",
    "SessionActorHandle",
    "Timer",
    "TemplateError",
    "VdomError",
    "ViewNotFoundError",
    "WasmliveError",
    "__version__",
    "abroadcast",
    "apresence",
    "broadcast",
    "clear_caches",
    "configure",
    "create_session_actor",
    "event_handler",
    "get_actor_stats",
    "handler_thread_stats",
    "limit_stats",
    "presence",
    "push_render",
    "registered_views",
    "set_services",
    "shutdown_actor_system",
]
