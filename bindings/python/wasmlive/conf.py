"""``LIVEVIEW_CONFIG``: the seed's keys plus guest limits, with defaults.

Every key is optional. Unknown keys are an error at startup, so a typo
never silently falls back to a default.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS = {
    # The seed's keys.
    "use_actors": True,
    "actor_ttl_seconds": 3600,
    "cleanup_interval": 60,
    "health_check_interval": 30,
    "health_check_timeout": 5,
    "session_channel_capacity": 100,
    "view_channel_capacity": 50,
    "component_channel_capacity": 20,
    "message_timeout": 30,
    "shutdown_timeout": 10,
    # Seconds without a message after which a view gives back the memory its
    # guests only need during a call (their fiber stack); None: never.
    "release_memory_after": 1.0,
    # Guest limits, per instance.
    "guest_memory_bytes": 64 << 20,
    "guest_deadline": 1.0,
    "guest_output_bytes": 16 << 20,
    # Per engine file: {"path/engine.wasm": {"memory_bytes": …, "deadline": …, "output_bytes": …}};
    # missing keys take the guest_* values above.
    "engine_limits": {},
    # A view's guest faulting this many calls in a row is refused for
    # guest_quarantine_seconds, doubling up to guest_quarantine_max_seconds (0: never).
    "guest_quarantine_after": 3,
    "guest_quarantine_seconds": 5.0,
    "guest_quarantine_max_seconds": 60.0,
    # What a client may send.
    "max_param_depth": 8,
    "max_param_items": 1000,
    "max_param_bytes": 256 << 10,
    "max_frame_bytes": 1 << 20,
    # LiveView classes a client may mount by path; empty means every registered LiveView.
    "allowed_views": [],
    # Views one WebSocket connection may have mounted at once.
    "max_views_per_connection": 100,
    # Frames one connection may send per second, sustained (bursts of as many
    # pass); past it the server reads its next frame later. None: no limit.
    "max_frames_per_second": 200,
    # Seconds a first paint's view waits for a client to claim it (a WebSocket
    # mount or an HTTP-transport client's claim) before it is dropped.
    "first_paint_seconds": 30.0,
    # Unclaimed first paints a process keeps; past it the oldest are dropped.
    "max_unclaimed_first_paints": 10_000,
    # The asyncio bridge's wait before parking (microseconds).
    "bridge_spin_us": 200,
    # How long an idle Tokio worker spins before parking (microseconds);
    # None: 50, or 0 when the process may use one core only.
    "worker_spin_us": None,
    # Seconds between Django's close_old_connections() in the consumer (at most
    # once per interval per process); 0: before every frame, as Channels does.
    "db_cleanup_interval": 1.0,
    # Threads that run views' own code (mount, plain handlers, contexts), where
    # the synchronous ORM is allowed; None: min(32, cores + 4).
    "handler_threads": None,
}

# Keys the consumer uses itself, not the actor system.
LOCAL = {
    "max_frame_bytes",
    "allowed_views",
    "db_cleanup_interval",
    "handler_threads",
    "max_views_per_connection",
    "max_frames_per_second",
    "first_paint_seconds",
    "max_unclaimed_first_paints",
}


def config():
    user = getattr(settings, "LIVEVIEW_CONFIG", {}) or {}
    unknown = sorted(set(user) - set(DEFAULTS))
    if unknown:
        raise ImproperlyConfigured(f"LIVEVIEW_CONFIG has unknown keys: {', '.join(unknown)}; known: {', '.join(DEFAULTS)}")
    merged = dict(DEFAULTS)
    merged.update(user)
    if merged["use_actors"] is not True:
        raise ImproperlyConfigured("LIVEVIEW_CONFIG['use_actors'] must be True: wasmlive always keeps view state in Rust actors")
    interval = merged["db_cleanup_interval"]
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval >= 0:
        raise ImproperlyConfigured(f"LIVEVIEW_CONFIG['db_cleanup_interval'] must be a number of seconds >= 0, not {interval!r}")
    for key, minimum in (("max_views_per_connection", 1), ("max_unclaimed_first_paints", 1), ("max_frame_bytes", 64)):
        value = merged[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ImproperlyConfigured(f"LIVEVIEW_CONFIG[{key!r}] must be a whole number >= {minimum}, not {value!r}")
    for key, none_ok in (("max_frames_per_second", True), ("first_paint_seconds", False)):
        value = merged[key]
        if value is None and none_ok:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ImproperlyConfigured(f"LIVEVIEW_CONFIG[{key!r}] must be a number > 0{' or None' if none_ok else ''}, not {value!r}")
    threads = merged["handler_threads"]
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise ImproperlyConfigured(f"LIVEVIEW_CONFIG['handler_threads'] must be None or a whole number >= 1, not {threads!r}")
    return merged


def actor_options(cfg):
    """The keys ``wasmlive.configure()`` takes."""
    return {k: v for k, v in cfg.items() if k not in LOCAL}
