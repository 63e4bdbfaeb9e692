"""``LIVEVIEW_CONFIG``: the seed's keys plus guest limits, with defaults.

Every key is optional. Unknown keys are an error at startup, so a typo
never silently falls back to a default.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ._host import setting_defaults

# Every key's default is the host's (host/src/settings.rs), the one place
# it is written; what each means: docs/reference/settings.md.
DEFAULTS = setting_defaults()

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
