"""The Channels consumer: a WebSocket transport for the host's protocol
(docs/reference/protocol.md).

Frames are read and checked by the host (``read_frame``) and answered by
the session (``answer``) or, for ``mount``, here: the view comes from
Django's registry, with the socket's scope as its request. Every frame
sent is built by the host and sent as it comes.
"""

import asyncio
import json
import time
import uuid

from channels.consumer import get_handler_name
from channels.db import aclose_old_connections
from channels.generic.websocket import AsyncWebsocketConsumer

from . import conf, first_paint, limits, mount_params
from ._bridge import mount_live
from ._host import LimitExceededError, connected_frame, create_session_actor, read_frame
from .errors import error_frame, report
from .http import session_name
from .live import registered_views
from .request import LiveRequest


class DbCleanup:
    """When Django's ``close_old_connections()`` is next due, for the process.

    Channels runs it before every message a consumer dispatches, through the
    sync thread pool: a thread hop per frame, which was 40 % of a frame's
    server time through Channels (benches/e2e.py: 100 clients, 1,979 →
    3,472 events/s without it). wasmlive never touches the database itself;
    coroutine handlers that do (through the async ORM or ``database_sync_to_async``)
    still get connections past ``CONN_MAX_AGE`` or broken by errors closed,
    within ``db_cleanup_interval`` seconds instead of before every frame.
    Plain handlers run on the handler threads, which clean up around each
    job themselves (``wasmlive.db``).
    """

    last_at = None

    @classmethod
    async def run_if_due(cls, interval):
        now = time.monotonic()
        if cls.last_at is not None and now - cls.last_at < interval:
            return
        cls.last_at = now
        await aclose_old_connections()


class LiveViewConsumer(AsyncWebsocketConsumer):
    """One WebSocket: one session actor, shut down when the socket goes,
    however it goes; every frame answered (an ``error`` frame when it
    fails), never an exception out of the consumer."""

    session = None
    config = None
    # wasmlive's messages never go through a Channels layer (PubSub is the
    # host's): a socket does not join the project's one, if it has one (with
    # channels_redis, each would hold a receive loop on Redis).
    channel_layer_alias = None

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._end_session()

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']!r}")
        config = self.config or conf.config()
        try:
            await DbCleanup.run_if_due(config["db_cleanup_interval"])
        except Exception as e:
            # A database that is down must not take the socket with it; the view's own code will say so.
            report(e, "close_old_connections() before a frame")
        await handler(message)

    async def connect(self):
        self.config = conf.config()
        self._frame_rate = limits.FrameRate(self.config["max_frames_per_second"])
        await self.accept()
        session_id = uuid.uuid4().hex
        self.session = await create_session_actor(f"ws-{session_id}")
        # Pushes (push_render) and answers leave through one lock, pushes
        # queued before an answer first: versions stay in order.
        self._pushes = self.session.pushes()
        self._sending = asyncio.Lock()
        self._pusher = asyncio.ensure_future(self._send_pushes())
        await self.send(text_data=connected_frame(session_id))

    async def _send_pushes(self):
        while True:
            await self._pushes.wait()
            async with self._sending:
                await self._send_in_order([])

    async def _send_in_order(self, answers):
        """``answers`` (this frame's, in order) with every push queued so
        far, by version. The caller holds ``_sending``."""
        if not answers:
            frames = self._pushes.take()
        else:
            frames = self._pushes.take(answers[-1])
            at = next(i for i, f in enumerate(frames) if f is answers[-1])
            frames[at:at] = answers[:-1]
        for text in frames:
            await self.send(text_data=text)

    async def disconnect(self, code):
        await self._end_session()

    async def _end_session(self):
        pusher = getattr(self, "_pusher", None)
        if pusher is not None:
            self._pusher = None
            pusher.cancel()
        if self.session is not None:
            session, self.session = self.session, None
            try:
                await session.shutdown()
            except Exception as e:
                report(e, "shutting a connection's session down")

    async def receive(self, text_data=None, bytes_data=None):
        await self._frame_rate.take()
        # Pushes wait while an answer is in flight: one rendered after it
        # must not reach the client first (Pushes.take orders them).
        async with self._sending:
            frame = None
            try:
                # A binary frame (text_data None) is refused as the protocol says.
                frame = read_frame(text_data, self.config["max_frame_bytes"])
                if frame.type == "mount":
                    answer = await self.mount(frame)
                else:
                    answer = await self.session.answer(frame)
            except Exception as e:
                # The client gets an error frame for its ref; the connection and its views carry on.
                report(e, f"the {frame.type} frame (view {frame.view_id})" if frame else "a frame")
                answer = error_frame(e, frame)
            await self._send_in_order(answer if isinstance(answer, list) else [answer])

    async def mount(self, frame):
        path = frame.view
        allowed = self.config["allowed_views"]
        views = registered_views()
        if path not in views or (allowed and path not in allowed):
            raise LookupError(f"no view may be mounted as {json.dumps(path, ensure_ascii=False)}")
        cap = self.config["max_views_per_connection"]
        if len(self.session.view_ids()) >= cap:
            limits.COUNTS["refused_mounts"] += 1
            raise LimitExceededError(f"this connection already has {cap} views mounted (max_views_per_connection)")
        cls = views[path]
        params = mount_params.from_frame(cls, path, frame)
        request = LiveRequest.from_scope(self.scope, frame.url)
        mounted = await mount_live(self.session, cls(), request, params, path)
        name = session_name(self.scope.get("cookies") or {})
        if frame.claim and name and first_paint.UNCLAIMED.claim(name, frame.claim):
            # The socket's view replaces the first paint's.
            await first_paint.drop(name, frame.claim)
        return frame.mounted(mounted)
