"""The demo's pages, and:

- ``/two-views/``: a plain Django page holding two live views, a counter
  and one rendered by the faulty fixture guest (mounted over the socket);
- ``/slow/``: a view whose handler takes half a second;
- ``/fidelity/``: no view, just the JS client's ``applyPatches`` on
  ``window``, for the patch-fidelity test;
- ``/notes/…``: the database-backed views of ``notes/views.py``, and the
  views told from outside their requests of ``notes/live.py``.
"""

from django.http import HttpResponse
from django.template import engines
from django.urls import path

import views_for_tests
from demo.urls import urlpatterns as demo_urlpatterns
from notes import live as notes_live
from notes import views as notes

PAGE = """{% load wasmlive %}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>.wasmlive-error::before { content: attr(data-error); display: block; color: #b00020; }</style>
</head><body>{{ body|safe }}{% wasmlive_scripts %}{{ script|safe }}</body></html>"""


def page(title, body="", script=""):
    html = engines["django"].from_string(PAGE).render({"title": title, "body": body, "script": script})
    return lambda request: HttpResponse(html)


def root(view):
    return f'<div data-wasmlive-root data-view="{view}" data-params="{{}}"></div>'


two_views = page(
    "Two views",
    '<section class="counter">' + root("demo.views.CounterView") + '</section><section class="faulty">'
    + root("views_for_tests.FaultyEngineView") + "</section>",
)
fidelity = page(
    "Patch fidelity",
    '<div id="stage"></div><div id="fresh"></div>',
    '<script type="module">import { applyPatches } from "/static/wasmlive/client.js"; window.applyPatches = applyPatches;</script>',
)

urlpatterns = demo_urlpatterns + [
    path("two-views/", two_views),
    path("slow/", views_for_tests.SlowView.as_view()),
    path("fidelity/", fidelity),
    path("notes/", notes.NotesView.as_view()),
    path("notes/queryset/", notes.QuerySetView.as_view()),
    path("notes/async/", notes.AsyncNotesView.as_view()),
    path("notes/whoami/", notes.WhoAmIView.as_view()),
    path("notes/failing-mount/", notes.FailingMountView.as_view()),
    path("notes/failing-handler/", notes.FailingHandlerView.as_view()),
    path("notes/dashboard/", notes.NotesDashboardView.as_view()),
    path("notes/plain/", notes.PlainView.as_view()),
    path("notes/rooms/<slug:room>/", notes.PlainView.as_view()),
    path("notes/room/", notes.RoomView.as_view()),
    path("notes/tally/", notes.TallyView.as_view()),
    path("notes/add/", notes_live.add_note),
    path("notes/publish/", notes_live.publish_feed),
    path("notes/add-async/", notes_live.add_note_async),
    path("notes/live/", notes_live.LiveNotesView.as_view()),
    path("notes/clock/", notes_live.ClockView.as_view()),
    path("notes/events/", notes_live.EventsView.as_view()),
]
