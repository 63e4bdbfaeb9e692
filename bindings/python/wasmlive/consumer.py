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

from . import conf
from ._bridge import mount_live
from ._host import create_session_actor
from .errors import error_frame, report
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
    session = None

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']!r}")
        config = getattr(self, "config", None) or conf.config()
        await DbCleanup.run_if_due(config["db_cleanup_interval"])
        await handler(message)

    async def connect(self):
        self.config = conf.config()
        await self.accept()
        session_id = uuid.uuid4().hex
        self.session = await create_session_actor(f"ws-{session_id}")
        await self.send_json({"type": "connected", "session_id": session_id})

    async def disconnect(self, code):
        if self.session is not None:
            session, self.session = self.session, None
            await session.shutdown()

    async def send_json(self, frame):
        await self.send(text_data=json.dumps(frame))

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            return await self.send_json(error_frame(ValueError("frames must be JSON text")))
        if len(text_data) > self.config["max_frame_bytes"]:
            return await self.send_json(error_frame(ValueError(f"frame larger than {self.config['max_frame_bytes']} bytes")))
        try:
            message = json.loads(text_data)
            if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                raise ValueError('a frame is a JSON object with a string "type"')
        except ValueError as e:
            return await self.send_json(error_frame(ValueError(f"invalid frame: {e}")))
        kind = message["type"]
        ref = message.get("ref")
        view_id = message.get("view_id")
        handler = {"mount": self.on_mount, "event": self.on_event, "resync": self.on_resync, "ping": self.on_ping}.get(kind)
        if handler is None:
            return await self.send_json(error_frame(ValueError(f"unknown frame type {kind!r}"), ref, view_id))
        try:
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
        params = message.get("params") or {}
        if not isinstance(params, dict):
            raise ValueError("mount params must be an object")
        request = LiveRequest.from_scope(self.scope, message.get("url"))
        mounted = await mount_live(self.session, views[path](), request, params, path)
        await self.send_json({"type": "mounted", "ref": ref, **mounted})

    async def on_event(self, message, ref, view_id):
        name = message.get("event")
        if not isinstance(name, str):
            raise ValueError('an event frame needs a string "event"')
        params = message.get("params") or {}
        component = message.get("component_id")
        if component is not None:
            frames = await self.session.component_event(view_id, component, name, params, True, ref)
            for frame in frames if isinstance(frames, list) else [frames]:
                await self.send(text_data=frame)
            return
        else:
            frame = await self.session.event_frame(name, params, view_id, ref)
        await self.send(text_data=frame)

    async def on_resync(self, message, ref, view_id):
        await self.send(text_data=await self.session.render(view_id, True, ref))
