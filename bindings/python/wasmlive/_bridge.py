"""Helpers the native module calls back into, and the Python half of
mounting (kept in Python on purpose: they await coroutines, which is
Python's job).

A view's own code — ``mount``, plain handlers, ``get_context_data``, the
encoding of its context, its components' handlers — runs on its lane of
handler threads (``session._run``; ``bindings/src/threads.rs``), where
Django allows the synchronous ORM. Coroutines (``async def`` mount and
handlers) are awaited on the caller's event loop, as Django awaits async
views; a coroutine that turns up on a handler thread is sent back there.
"""

import asyncio
import inspect
import json
import threading

from . import pubsub
from .errors import report
from .live import resolve

# The event loop that awaits the handler threads (the ASGI server's); a
# coroutine met on a handler thread runs there.
_loop = None


def _remember_loop():
    global _loop
    _loop = asyncio.get_running_loop()


def note_where(error, view, event):
    """Mark ``error`` as raised by a view's own code (see errors.rs `raised_in_view`)."""
    if getattr(error, "_wasmlive_where", None) is None:
        try:
            error._wasmlive_where = {"view": view, "event": event}
        except AttributeError:
            pass
    return error


def view_name(obj):
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def finish_in_thread(returned):
    """On a handler thread: run what view code returned to completion when
    it is awaitable (a coroutine from an ``async def``)."""
    if not inspect.isawaitable(returned):
        return returned
    loop = _loop
    if loop is not None and loop.is_running():
        return asyncio.run_coroutine_threadsafe(_awaited(returned), loop).result()
    # No loop is serving (``wasmlive serve``, a script): this thread's own.
    # (Not asyncio.run: a loop per call, and its executor's shutdown thread
    # keeps the interpreter from exiting when started on a handler thread.)
    own = getattr(_thread_loops, "loop", None)
    if own is None:
        own = _thread_loops.loop = asyncio.new_event_loop()
    return own.run_until_complete(_awaited(returned))


_thread_loops = threading.local()


async def _awaited(awaitable):
    return await awaitable


def instantiate(view_path, params, request=None):
    """A registered LiveView at ``view_path``, mounted with ``params`` (on a handler thread)."""
    view = resolve(view_path)()
    _call_mount(view, request, dict(params))
    return view


def _call_mount(view, request, params):
    # What it was given, to mount it again after a gap (LiveView.handle_gap).
    view.__dict__["_wasmlive_mounted_with"] = (request, params)
    try:
        finish_in_thread(view.mount(request, **params))
    except Exception as e:
        raise note_where(e, view_name(view), "mount")


def current_language():
    try:
        from django.conf import settings

        if settings.configured:
            from django.utils import translation

            return translation.get_language() or settings.LANGUAGE_CODE
    except ImportError:
        pass
    return "en-us"


async def after_coroutine(session, view_id, coroutine, view, event, frame, ref):
    """A coroutine handler's event: await it here, then sync the view (its
    context is taken on its lane)."""
    _remember_loop()
    try:
        await coroutine
    except Exception as e:
        raise note_where(e, view, event)
    return await session._sync(view_id, frame, ref)


async def after_component_coroutine(session, view_id, component_id, coroutine, component, event, frame, ref):
    """A component's coroutine handler: await it here, then the rest of
    its round (its messages to its parent, the syncs) on the view's lane."""
    _remember_loop()
    try:
        await coroutine
    except Exception as e:
        raise note_where(e, component, event)
    return await session._component_synced(view_id, component_id, frame, ref)


async def mount_live(session, view, request=None, params=None, view_path=None, then=None):
    """Mount a LiveView object: its ``mount(request, **params)``, then the
    live components it declares (``components = {id: (Class, props)}``);
    gives the mounted dict, whose HTML includes the components. ``then``
    (optional) is called with that dict on the same handler thread, and
    its result given instead."""
    _remember_loop()
    path = view_path or type(view).view_path()
    params = dict(params or {})
    language = current_language()
    if inspect.iscoroutinefunction(view.mount):
        view.__dict__["_wasmlive_mounted_with"] = (request, params)
        try:
            await view.mount(request, **params)
        except Exception as e:
            raise note_where(e, view_name(view), "mount")
        return await session._run(None, _mount_rest, session, view, path, language, then)
    return await session._run(None, _mount_in_thread, session, view, request, params, path, language, then)


def _mount_in_thread(session, view, request, params, path, language, then):
    _call_mount(view, request, params)
    return _mount_rest(session, view, path, language, then)


def _mount_rest(session, view, path, language, then):
    mounted = session.mount(path, python_view=view, language=language).result()
    try:
        # What mount asked for (subscriptions, timers) now that the actor is there.
        pubsub.start(view)
    except BaseException:
        session.unmount(mounted["view_id"]).result()
        raise
    declared = getattr(view, "components", None) or {}
    if declared:
        for component_id, (cls, props) in declared.items():
            component = cls(**props)
            session.create_component(mounted["view_id"], component_id, cls.template, props, component).result()
        full = session.render(mounted["view_id"]).result()
        mounted = {**mounted, "html": full["html"], "version": full["version"]}
    return then(mounted) if then is not None else mounted


def handle_infos(view, infos):
    """On the view's lane: what it was told, in order — ``(kind, topic,
    payload, missed)`` each — through ``handle_info(message)`` (a gap:
    ``handle_gap(topic, missed)``). One that raises is logged with its
    traceback and the rest still run: nobody awaits this work."""
    for kind, topic, payload, missed in infos:
        event = "handle_gap" if kind == "gap" else "handle_info"
        try:
            if kind == "gap":
                returned = view.handle_gap(topic, missed) if hasattr(view, "handle_gap") else None
            else:
                returned = view.handle_info(json.loads(payload))
            finish_in_thread(returned)
        except Exception as e:
            what = f"a message of {topic!r}" if kind == "message" else "a gap in {topic!r}" if kind == "gap" else "a timer's message"
            report(note_where(e, view_name(view), event), what)
