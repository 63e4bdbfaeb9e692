import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fanout.settings")

import django  # noqa: E402

django.setup()

from django.urls import path  # noqa: E402

from wasmlive.routing import application as live_application  # noqa: E402

from .consumers import ForwardConsumer  # noqa: E402

application = live_application(extra_websocket_urlpatterns=[path("ws/fan/", ForwardConsumer.as_asgi())])
