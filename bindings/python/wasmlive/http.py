"""The HTTP side of a LiveView: first paint (GET, works without
JavaScript) and the event fallback (POST) for clients without WebSockets.

Both use one session actor per browser, named by a signed cookie, so a
POSTed ``view_id`` is found only in the session that mounted it. A POST
never creates a session; a first paint's view lives only until a client
claims it or ``first_paint_seconds`` pass (``wasmlive.first_paint``).
"""

import uuid

from django.conf import settings
from django.core import signing
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseNotAllowed
from django.template.loader import render_to_string

from django.utils.safestring import mark_safe

from . import conf, first_paint, mount_params
from ._bridge import mount_live
from ._host import ActorShutdownError, create_session_actor, find_session_actor, not_in_session, read_frame
from .errors import error_frame, report, status_of
from .request import LiveRequest

COOKIE = "wasmlive_session"
# Views a browser session keeps from first paints (each reload mounts one);
# older ones are unmounted.
MAX_HTTP_VIEWS = 8
SALT = "wasmlive.session"


def session_name(cookies):
    """The browser's HTTP session actor named by its signed cookie, or None."""
    signed = cookies.get(COOKIE)
    if signed:
        try:
            return f"http-{signing.loads(signed, salt=SALT)}"
        except signing.BadSignature:
            pass
    return None


def live_view(cls, initkwargs):
    async def view(request, **kwargs):
        name = session_name(request.COOKIES)
        if request.method == "POST":
            return await _event(request, name)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "POST"])
        new = name is None
        if new:
            session_id = uuid.uuid4().hex
            name = f"http-{session_id}"
        try:
            response = await _first_paint(cls, initkwargs, request, await create_session_actor(name), kwargs, name)
        except ActorShutdownError:
            # The session's last first paint was dropped as this one mounted: once more, afresh.
            response = await _first_paint(cls, initkwargs, request, await create_session_actor(name), kwargs, name)
        if new:
            response.set_cookie(COOKIE, signing.dumps(session_id, salt=SALT), httponly=True, samesite="Lax")
        return response

    view.view_class = cls
    view.csrf_exempt = True  # events carry no cookies' authority: the view id is the capability
    return view


async def _first_paint(cls, initkwargs, request, session, kwargs, name):
    """Mount and paint on a handler thread (the page's own template may
    touch ``request.user`` too); a failing mount raises, for Django's usual
    500 handling."""
    live = cls(**initkwargs)
    params = dict(kwargs)
    config = conf.config()
    painted = {}

    def page(mounted):
        painted["view_id"] = mounted["view_id"]
        html = render_to_string(
            live.page_template_name,
            {
                "title": getattr(live, "title", cls.__name__),
                "view_path": cls.view_path(),
                "view_id": mounted["view_id"],
                "session_id": "",
                "signed_params": mount_params.sign(cls.view_path(), params),
                "liveview_html": mark_safe(mounted["html"]),
            },
            request=request,
        )
        return HttpResponse(html)

    response = await mount_live(session, live, LiveRequest.from_http(request), params, then=page)
    view_id = painted["view_id"]
    for evicted in first_paint.UNCLAIMED.add(name, view_id, config["first_paint_seconds"], config["max_unclaimed_first_paints"]):
        await first_paint.drop(*evicted)
    for old in session.view_ids()[:-MAX_HTTP_VIEWS]:
        await session.unmount(old)
    return response


async def _event(request, name):
    """A POSTed frame (``event``, ``resync`` or ``claim``, for a view of
    this browser's session), read and answered by the host's protocol."""
    frame = None
    try:
        try:
            data = request.body
        except RequestDataTooBig:
            error = ValueError(f"frame larger than DATA_UPLOAD_MAX_MEMORY_SIZE ({settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes)")
            error.status = 413
            raise error from None
        frame = read_frame(data or b"{}", conf.config()["max_frame_bytes"], post=True)
        session = await find_session_actor(name) if name else None
        if session is None or frame.view_id not in session.view_ids():
            raise not_in_session(frame.view_id)
        first_paint.UNCLAIMED.claim(name, frame.view_id)
        answer = frame.claimed() if frame.type == "claim" else await session.answer(frame)
    except Exception as e:
        report(e, "an HTTP event")
        return HttpResponse(error_frame(e, frame), status=status_of(e), content_type="application/json")
    text = "[" + ",".join(answer) + "]" if isinstance(answer, list) else answer
    return HttpResponse(text, content_type="application/json")
