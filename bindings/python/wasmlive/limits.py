"""What the per-connection and per-process limits did, counted
(``wasmlive.limit_stats()``; docs/guides/security.md)."""

from . import first_paint

# Since the process started: frames held back by max_frames_per_second,
# mounts refused by max_views_per_connection.
COUNTS = {"throttled_frames": 0, "refused_mounts": 0}


def limit_stats():
    """The counts above, and the first paints' (``unclaimed`` now, the rest since the start)."""
    return {**COUNTS, **{f"{k}_first_paints": v for k, v in first_paint.stats().items()}}
