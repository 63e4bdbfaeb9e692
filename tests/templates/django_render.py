"""Render every case of cases.py with Django's own template engine.

Prints one JSON object per line: the case's name, template, extra templates,
context (encoded as the guest receives it), and Django's output or error.
The Rust differential tests run this and compare the guest's output.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import django  # noqa: E402
from django.conf import settings  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402


def view(request, **kwargs):
    return HttpResponse("")


# The same table as the Rust tests' stub host answers from.
urlpatterns = [
    path("", view, name="home"),
    path("items/<int:pk>/", view, name="item"),
    path("pair/<slug:a>/<slug:b>/", view, name="pair"),
]

settings.configure(
    DEBUG=False,
    SECRET_KEY="differential",
    USE_TZ=False,
    TIME_ZONE="UTC",
    USE_I18N=True,
    LANGUAGE_CODE="en-us",
    STATIC_URL="/static/",
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
)
django.setup()

from django.template import Context, Engine  # noqa: E402

from cases import CASES  # noqa: E402
from encode import dumps  # noqa: E402


def render(template, context, templates):
    engine = Engine(
        loaders=[("django.template.loaders.locmem.Loader", {"main.html": template, **templates})],
        string_if_invalid="",
        libraries={name: f"django.templatetags.{name}" for name in ("cache", "i18n", "l10n", "static", "tz")},
        autoescape=True,
    )
    try:
        compiled = engine.get_template("main.html")
    except Exception as e:  # noqa: BLE001 - every failure is data here
        return {"error": {"phase": "compile", "type": type(e).__name__, "message": str(e)}}
    try:
        return {"output": compiled.render(Context(context))}
    except Exception as e:  # noqa: BLE001
        return {"error": {"phase": "render", "type": type(e).__name__, "message": str(e)}}


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else None
    for name, template, context, templates in CASES:
        if only and only not in name:
            continue
        record = {"name": name, "template": template, "templates": templates, "context": dumps(context)}
        record.update(render(template, context, templates))
        print(json.dumps(record))


if __name__ == "__main__":
    main()
