"""The Channels consumer: the JSON protocol between the JS client and the
session actor (docs/protocol.md).

Client → server: ``mount``, ``event``, ``resync``, ``ping``.
Server → client: ``connected``, ``mounted``, ``patch``, ``html_update``,
``error``, ``pong``. Event replies are JSON frames built in Rust and sent
as they come: never parsed or serialized again in Python.
"""

import json
import time
import uuid

from channels.consumer import get_handler_name
from channels.db import aclose_old_connections
from channels.generic.websocket import AsyncWebsocketConsumer

from . import conf, first_paint, limits, mount_params
from ._bridge import mount_live
from ._host import LimitExceededError, create_session_actor
from .errors import error_frame, report
from .frames import FrameError, parse_frame
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
        await self.send_json({"type": "connected", "session_id": session_id})

    async def disconnect(self, code):
        await self._end_session()

    async def _end_session(self):
        if self.session is not None:
            session, self.session = self.session, None
            try:
                await session.shutdown()
            except Exception as e:
                report(e, "shutting a connection's session down")

    async def send_json(self, frame):
        await self.send(text_data=json.dumps(frame))

    async def receive(self, text_data=None, bytes_data=None):
        try:
            await self._frame_rate.take()
            if text_data is None:
                raise ValueError("frames must be JSON text")
            message = parse_frame(text_data, self.config["max_frame_bytes"])
        except FrameError as e:
            return await self.send_json(error_frame(e, e.ref))
        except ValueError as e:
            return await self.send_json(error_frame(e))
        kind = message["type"]
        ref = message.get("ref")
        view_id = message.get("view_id")
        try:
            handler = {"mount": self.on_mount, "event": self.on_event, "resync": self.on_resync, "ping": self.on_ping}.get(kind)
            if handler is None:
                raise ValueError(f"unknown frame type {kind!r}")
            await handler(message, ref, view_id)
        except Exception as e:
            # The client gets an error frame for its ref; the connection and its views carry on.
            report(e, f"the {kind} frame (view {view_id})")
            await self.send_json(error_frame(e, ref, view_id))

    async def on_ping(self, message, ref, view_id):
        await self.session.ping()
        await self.send_json({"type": "pong", "ref": ref})

    async def on_mount(self, message, ref, view_id):
        path = message.get("view")
        allowed = self.config["allowed_views"]
        views = registered_views()
        if not isinstance(path, str) or path not in views or (allowed and path not in allowed):
            raise LookupError(f"no LiveView may be mounted as {path!r}")
        cap = self.config["max_views_per_connection"]
        if len(self.session.view_ids()) >= cap:
            limits.COUNTS["refused_mounts"] += 1
            raise LimitExceededError(f"this connection already has {cap} views mounted (max_views_per_connection)")
        cls = views[path]
        params = mount_params.from_frame(cls, path, message)
        url = message.get("url")
        request = LiveRequest.from_scope(self.scope, url if isinstance(url, str) else None)
        mounted = await mount_live(self.session, cls(), request, params, path)
        await self.send_json({"type": "mounted", "ref": ref, **mounted})
        claim = message.get("claim")
        name = session_name(self.scope.get("cookies") or {})
        if isinstance(claim, str) and name and first_paint.UNCLAIMED.claim(name, claim):
            # The socket's view replaces the first paint's.
            await first_paint.drop(name, claim)

    async def on_event(self, message, ref, view_id):
        name = message.get("event")
        if not isinstance(name, str):
            raise ValueError('an event frame needs a string "event"')
        params = message.get("params")
        component = message.get("component_id")
        if component is not None:
            frames = await self.session.component_event(view_id, component, name, params, True, ref)
            for frame in frames if isinstance(frames, list) else [frames]:
                await self.send(text_data=frame)
            return
        frame = await self.session.event_frame(name, params, view_id, ref)
        await self.send(text_data=frame)

    async def on_resync(self, message, ref, view_id):
        await self.send(text_data=await self.session.render(view_id, True, ref))

