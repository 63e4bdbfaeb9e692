"""First paints nobody has claimed yet, dropped after a short time.

A GET mounts a view for its page, in the browser's HTTP session: the HTTP
fallback sends its events there. A client on a WebSocket mounts a view of
its own and **claims** the first paint's, which is unmounted at once (the
socket's view replaces it); an HTTP-transport client claims it with a
``claim`` POST when it loads, or with its first event. A first paint
nobody claims within ``first_paint_seconds`` is unmounted, and its session
with it when that was its last view; past ``max_unclaimed_first_paints``
the oldest go first. So a flood of GETs from a script that never opens a
socket costs memory for seconds, not for the session TTL.
"""

import asyncio
import collections
import heapq
import logging
import time

from ._host import WasmliveError, find_session_actor

logger = logging.getLogger("wasmlive")


class Unclaimed:
    """The process's unclaimed first paints: view id → (session name, deadline)."""

    def __init__(self):
        self._views = collections.OrderedDict()  # oldest first, for eviction
        self._deadlines = []
        self._sweeper = None
        self.counts = {"claimed": 0, "expired": 0, "evicted": 0}

    def __len__(self):
        return len(self._views)

    def add(self, session_name, view_id, seconds, limit):
        """Note a first paint; gives the ones pushed out by ``limit``, oldest first."""
        deadline = time.monotonic() + seconds
        self._views[view_id] = (session_name, deadline)
        heapq.heappush(self._deadlines, (deadline, view_id))
        evicted = []
        while len(self._views) > limit:
            old, (name, _) = self._views.popitem(last=False)
            evicted.append((name, old))
        self.counts["evicted"] += len(evicted)
        self._ensure_sweeper(seconds)
        return evicted

    def claim(self, session_name, view_id):
        """Whether ``view_id`` was an unclaimed first paint of ``session_name`` (it no longer is)."""
        entry = self._views.get(view_id)
        if entry is None or entry[0] != session_name:
            return False
        del self._views[view_id]
        self.counts["claimed"] += 1
        return True

    def _due(self):
        now = time.monotonic()
        due = []
        # A heap by deadline (``first_paint_seconds`` may change at run time);
        # entries claimed or evicted meanwhile are skipped.
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, view_id = heapq.heappop(self._deadlines)
            entry = self._views.get(view_id)
            if entry is not None and entry[1] == deadline:
                del self._views[view_id]
                due.append((entry[0], view_id))
        if not self._views:
            self._deadlines.clear()
        self.counts["expired"] += len(due)
        return due

    def _ensure_sweeper(self, seconds):
        loop = asyncio.get_running_loop()
        task = self._sweeper
        if task is None or task.done() or task.get_loop() is not loop:
            self._sweeper = loop.create_task(self._sweep(max(0.05, min(1.0, seconds / 4))))

    async def _sweep(self, every):
        while self._views:
            await asyncio.sleep(every)
            for name, view_id in self._due():
                try:
                    await drop(name, view_id)
                except Exception:
                    # Logged, and the sweep goes on: one failure must not keep the rest.
                    logger.exception("wasmlive: dropping the unclaimed first paint %s of %s failed", view_id, name)


UNCLAIMED = Unclaimed()


async def drop(session_name, view_id):
    """Unmount ``view_id`` from ``session_name``, and the session if that was its last view."""
    try:
        session = await find_session_actor(session_name)
        if session is None:
            return
        if view_id in session.view_ids():
            await session.unmount(view_id)
        if not session.view_ids():
            await session.shutdown()
    except WasmliveError as e:
        # Gone meanwhile (shut down, expired): nothing is left to drop.
        logger.debug("wasmlive: dropping first paint %s: %s", view_id, e)


def stats():
    """``unclaimed`` now; ``claimed``, ``expired`` and ``evicted`` since the start."""
    return {"unclaimed": len(UNCLAIMED), **UNCLAIMED.counts}
