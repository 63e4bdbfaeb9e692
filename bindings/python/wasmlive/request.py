"""What a LiveView's ``mount(request, ...)`` receives over a WebSocket."""

from urllib.parse import parse_qsl


class LiveRequest:
    """The parts of an HTTP request a view mounts from: ``user``,
    ``session``, ``path``, ``GET``, and the ASGI ``scope``."""

    def __init__(self, scope=None, user=None, session=None, path="/", GET=None):
        self.scope = scope or {}
        self.user = user
        self.session = session
        self.path = path
        self.GET = GET or {}

    @classmethod
    def from_scope(cls, scope, path=None):
        query = dict(parse_qsl((scope.get("query_string") or b"").decode("latin-1")))
        return cls(scope, scope.get("user"), scope.get("session"), path or scope.get("path", "/"), query)

    @classmethod
    def from_http(cls, request):
        return cls(getattr(request, "scope", None), getattr(request, "user", None), getattr(request, "session", None), request.path, request.GET)
