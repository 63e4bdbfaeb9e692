"""How a failure reaches the client and the log.

Every failure of a frame becomes one ``error`` frame for its ``ref``
(docs/reference/protocol.md). Errors a client causes by what it sends (an
unknown handler, bad params) are answered and not logged; anything a
view's own code raised (``mount``, a handler, ``get_context_data``) or
that nobody expected is logged on the ``wasmlive`` logger with its
traceback. With ``DEBUG = True`` such error frames carry ``debug``: the
exception's class, the view and event, and the traceback's last frames,
which the JS client shows in an overlay. Without ``DEBUG`` nothing of the
traceback leaves the server.
"""

import logging
import traceback

from ._host import EngineLoadError, WasmliveError
from ._host import error_frame as _frame

logger = logging.getLogger("wasmlive")

# Errors a client can cause by what it sends.
CLIENT_ERRORS = (WasmliveError, LookupError, PermissionError, AttributeError, ValueError, TypeError)

# Errors whose message is for the server's log only: they name files on the
# server (an engine's path). The client is told where to look.
SERVER_ONLY = {EngineLoadError: "the view's engine could not be loaded (the server log says why)"}

# Traceback frames an error frame carries under DEBUG.
DEBUG_FRAMES = 8


def raised_by_view(error):
    """Where a view's own code raised ``error``: ``{"view", "event"}``, or None."""
    where = getattr(error, "_wasmlive_where", None)
    return where if isinstance(where, dict) else None


def expected(error):
    """Whether ``error`` is a client's doing rather than a bug to log."""
    return raised_by_view(error) is None and isinstance(error, CLIENT_ERRORS) and type(error) not in SERVER_ONLY


def report(error, what):
    """Log ``error`` with its traceback unless a client caused it."""
    if not expected(error):
        where = raised_by_view(error)
        place = f" in {where['view']}.{where['event']}" if where else ""
        logger.error("wasmlive: %s failed%s: %s: %s", what, place, type(error).__name__, error, exc_info=error)


def error_frame(error, frame=None):
    """The ``error`` frame's text for ``error`` answering ``frame`` (a
    ``Frame``; None when it could not be read, then the refusal's own
    ``ref`` and ``view_id`` are echoed). The host writes the frame."""
    source = frame if frame is not None else error
    ref, view_id = getattr(source, "ref", None), getattr(source, "view_id", None)
    name = type(error).__name__
    kind = getattr(error, "kind", None)  # GuestFaultError's fault kind, TemplateError's error kind
    debug = debug_details(error) if not expected(error) and _debug() else None
    message = SERVER_ONLY.get(type(error)) or str(error)
    return _frame(name, message, kind if isinstance(kind, str) else None, ref, view_id, debug)


def status_of(error):
    """The HTTP status the POST fallback answers ``error`` with."""
    status = getattr(error, "status", None)
    if isinstance(status, int):
        return status
    if expected(error):
        return 404 if isinstance(error, LookupError) else 400
    return 500


def debug_details(error):
    """What the DEBUG overlay shows of ``error``."""
    cls = type(error)
    where = raised_by_view(error) or {}
    frames = traceback.extract_tb(error.__traceback__)[-DEBUG_FRAMES:]
    return {
        "exception": f"{cls.__module__}.{cls.__qualname__}" if cls.__module__ != "builtins" else cls.__qualname__,
        "view": where.get("view"),
        "event": where.get("event"),
        "traceback": [{"file": f.filename, "line": f.lineno, "function": f.name, "code": f.line or ""} for f in frames],
    }


def _debug():
    try:
        from django.conf import settings

        return bool(settings.configured and settings.DEBUG)
    except ImportError:
        return False
