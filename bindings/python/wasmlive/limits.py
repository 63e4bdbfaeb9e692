"""What the per-connection and per-process limits did, counted
(``wasmlive.limit_stats()``; docs/guides/security.md)."""

import asyncio
import time

from . import first_paint

# Since the process started: frames held back by max_frames_per_second,
# mounts refused by max_views_per_connection.
COUNTS = {"throttled_frames": 0, "refused_mounts": 0}


def limit_stats():
    """The counts above, and the first paints' (``unclaimed`` now, the rest since the start)."""
    return {**COUNTS, **{f"{k}_first_paints": v for k, v in first_paint.stats().items()}}


class FrameRate:
    """``max_frames_per_second`` for one connection: a token bucket as deep
    as one second's frames. ``take()`` waits when it is empty, so the client
    is slowed, not refused, and the server's socket buffer pushes back on it."""

    def __init__(self, rate):
        self.rate = rate
        self.tokens = float(rate or 0)
        self.at = time.monotonic()

    async def take(self):
        if self.rate is None:
            return
        now = time.monotonic()
        self.tokens = min(float(self.rate), self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1.0:
            COUNTS["throttled_frames"] += 1
            await asyncio.sleep((1.0 - self.tokens) / self.rate)
            self.tokens, self.at = 1.0, time.monotonic()
        self.tokens -= 1.0
