"""The HTTP side of a LiveView: first paint (GET, works without
JavaScript) and the event fallback (POST) for clients without WebSockets.

Both use one session actor per browser, named by a signed cookie, so a
POSTed ``view_id`` is found only in the session that mounted it.
"""

import json
import uuid

from django.core import signing
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.template.loader import render_to_string

from django.utils.safestring import mark_safe

from ._bridge import mount_live
from ._host import create_session_actor
from .errors import error_frame, expected, report
from .request import LiveRequest

COOKIE = "wasmlive_session"
# Views a browser session keeps from first paints (each reload mounts one);
# older ones are unmounted.
MAX_HTTP_VIEWS = 8
SALT = "wasmlive.session"


def _session_id(request):
    signed = request.COOKIES.get(COOKIE)
    if signed:
        try:
            return signing.loads(signed, salt=SALT), False
        except signing.BadSignature:
            pass
    return uuid.uuid4().hex, True


def live_view(cls, initkwargs):
    async def view(request, **kwargs):
        session_id, new = _session_id(request)
        session = await create_session_actor(f"http-{session_id}")
        if request.method == "GET":
            response = await _first_paint(cls, initkwargs, request, session, kwargs)
        elif request.method == "POST":
            response = await _event(request, session)
        else:
            return HttpResponseNotAllowed(["GET", "POST"])
        if new:
            response.set_cookie(COOKIE, signing.dumps(session_id, salt=SALT), httponly=True, samesite="Lax")
        return response

    view.view_class = cls
    view.csrf_exempt = True  # events carry no cookies' authority: the view id is the capability
    return view


async def _first_paint(cls, initkwargs, request, session, kwargs):
    """Mount and paint on a handler thread (the page's own template may
    touch ``request.user`` too); a failing mount raises, for Django's usual
    500 handling."""
    live = cls(**initkwargs)
    params = dict(kwargs)

    def page(mounted):
        html = render_to_string(
            live.page_template_name,
            {
                "title": getattr(live, "title", cls.__name__),
                "view_path": cls.view_path(),
                "view_id": mounted["view_id"],
                "session_id": "",
                "params_json": json.dumps(params),
                "liveview_html": mark_safe(mounted["html"]),
            },
            request=request,
        )
        return HttpResponse(html)

    response = await mount_live(session, live, LiveRequest.from_http(request), params, then=page)
    for old in session.view_ids()[:-MAX_HTTP_VIEWS]:
        await session.unmount(old)
    return response


async def _event(request, session):
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        if body.get("type") != "resync" and not isinstance(body.get("event"), str):
            raise ValueError('an event body needs a string "event"')
    except ValueError as e:
        return JsonResponse(error_frame(e), status=400)
    params = body.get("params") or {}
    view_id = body.get("view_id")
    try:
        if body.get("type") == "resync":
            frame = await session.render(view_id, True, body.get("ref"))
        elif body.get("component_id") is not None:
            frames = await session.component_event(view_id, body["component_id"], body["event"], params, True, body.get("ref"))
            frame = "[" + ",".join(frames) + "]" if isinstance(frames, list) else frames
        else:
            frame = await session.event_frame(body["event"], params, view_id, body.get("ref"))
    except Exception as e:
        report(e, "an HTTP event")
        status = (404 if isinstance(e, LookupError) else 400) if expected(e) else 500
        return JsonResponse(error_frame(e, body.get("ref"), view_id), status=status)
    return HttpResponse(frame, content_type="application/json")

