"""ASGI routing: ``application = wasmlive.routing.application()`` in asgi.py."""

from django.urls import path

from .consumer import LiveViewConsumer
from .origin import SameOriginValidator

websocket_urlpatterns = [path("ws/live/", LiveViewConsumer.as_asgi())]


def application(http_app=None, extra_websocket_urlpatterns=()):
    """HTTP through Django, WebSockets to the LiveView consumer behind
    ``AuthMiddlewareStack``, ``AllowedHostsOriginValidator`` and the exact
    same-origin check (``wasmlive.origin``)."""
    from channels.auth import AuthMiddlewareStack
    from channels.routing import ProtocolTypeRouter, URLRouter
    from channels.security.websocket import AllowedHostsOriginValidator

    if http_app is None:
        from django.core.asgi import get_asgi_application

        http_app = get_asgi_application()
    routes = URLRouter(list(extra_websocket_urlpatterns) + websocket_urlpatterns)
    websocket = SameOriginValidator(AllowedHostsOriginValidator(AuthMiddlewareStack(routes)))
    return ProtocolTypeRouter({"http": http_app, "websocket": websocket})
