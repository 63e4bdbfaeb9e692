"""The WebSocket handshake's Origin check: the page's own origin, exactly.

Channels' ``AllowedHostsOriginValidator`` (which stays in front) compares
only the Origin's host with ``ALLOWED_HOSTS``: a page on
``http://example.com:8080`` or on plain ``http://`` of a site served over
``https://`` passes it. A browser opening a socket from another origin is
how another site would act as the logged-in user (cross-site WebSocket
hijacking), so here, as Django's CSRF check does for POSTs, the Origin's
scheme, host and port must be the handshake's own (its ``Host`` header,
``wss`` ↔ ``https``, ``SECURE_PROXY_SSL_HEADER`` honoured), or be listed
in ``CSRF_TRUSTED_ORIGINS``. A handshake without Origin (not a browser)
is left to the validator behind.
"""

from urllib.parse import urlsplit

from django.conf import settings


class SameOriginValidator:
    """ASGI middleware: refuse a WebSocket whose Origin is not the site's own."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            headers = dict(scope.get("headers") or [])
            origin = headers.get(b"origin")
            if origin is not None and not allowed(origin.decode("latin-1"), scope, headers):
                # Refuse the handshake (an HTTP 403), as Channels' validators do.
                await receive()
                await send({"type": "websocket.close", "code": 4403})
                return
        return await self.application(scope, receive, send)


def allowed(origin, scope, headers):
    """Whether the Origin ``origin`` may open this WebSocket."""
    origin = origin.strip().lower()
    if origin in {o.lower().rstrip("/") for o in getattr(settings, "CSRF_TRUSTED_ORIGINS", [])}:
        return True
    host = headers.get(b"host", b"").decode("latin-1").strip().lower()
    if not host:
        return False
    return _normal(origin) == _normal(f"{_scheme(scope, headers)}://{host}")


def _scheme(scope, headers):
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name, value = proxy
        header = name.lower().removeprefix("http_").replace("_", "-").encode("latin-1")
        if headers.get(header, b"").decode("latin-1").split(",")[0].strip() == value:
            return "https"
    return "https" if scope.get("scheme") == "wss" else "http"


def _normal(url):
    """``scheme://host:port`` with the default port spelled out; None if unreadable."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None or parts.path not in ("", "/"):
        return None
    return f"{parts.scheme}://{parts.hostname}:{port}"
