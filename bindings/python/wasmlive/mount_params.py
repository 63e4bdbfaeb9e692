"""What a mount frame may pass to a view's ``mount``: data, never configuration.

Two sources, checked differently (docs/guides/security.md):

- **The URL's arguments** (``path("notes/<int:pk>/", NotesView.as_view())``),
  chosen by the URLconf at the first paint. The page carries them signed
  (``data-signed-params``, Django's ``signing`` with the project's
  ``SECRET_KEY``); the client sends them back as ``signed_params`` and
  they count only when the signature holds and names the same view.
- **The frame's ``params``**, chosen by the client: only the names the
  view accepts (``LiveView.accepted_mount_params()``: its ``mount_params``,
  or ``mount``'s own keyword parameters) and within the ``max_param_*``
  limits, as event params are.

Nothing a client sends can set ``template``, ``template_name``, the
engines or any other configuration: such names are never accepted
(``live.CONFIGURATION``), and the default ``mount`` refuses them too.
"""

import json

from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder

from ._host import InvalidParamsError

SALT = "wasmlive.mount"


class _Serializer:
    """JSON that takes what URL converters give (UUIDs, dates, decimals)."""

    def dumps(self, obj):
        return json.dumps(obj, separators=(",", ":"), cls=DjangoJSONEncoder).encode("latin-1")

    def loads(self, data):
        return json.loads(data.decode("latin-1"))


def sign(view_path, params):
    """The token a first paint puts in the page for ``view_path``'s URL arguments."""
    return signing.dumps({"view": view_path, "params": params}, salt=SALT, serializer=_Serializer, compress=True)


def trusted(view_path, token):
    """The URL arguments signed into the page, or InvalidParamsError."""
    if token is None:
        return {}
    if not isinstance(token, str):
        raise InvalidParamsError("signed_params must be the page's data-signed-params string")
    try:
        data = signing.loads(token, salt=SALT, serializer=_Serializer)
    except (signing.BadSignature, ValueError):
        raise InvalidParamsError(
            "the page's signed mount params do not verify (changed in the browser, or signed with another SECRET_KEY): reload the page"
        ) from None
    if not isinstance(data, dict) or data.get("view") != view_path or not isinstance(data.get("params"), dict):
        raise InvalidParamsError(f"the page's signed mount params are for another view than {view_path!r}")
    return data["params"]


def from_client(cls, params):
    """The client's own mount params, checked against what ``cls`` accepts."""
    if not params:
        return {}
    accepted = cls.accepted_mount_params()
    refused = sorted(set(params) - accepted)
    if refused:
        takes = ", ".join(sorted(accepted)) or "none"
        raise InvalidParamsError(
            f"{cls.__qualname__} takes no mount param {refused[0]!r} from a client (it takes: {takes}); "
            "declare it in mount_params or as a keyword parameter of mount"
        )
    return params


def from_frame(cls, view_path, frame):
    """``mount``'s keyword arguments for a mount frame (read by the host's
    protocol, which checked its params' limits): the client's, then the URL's."""
    params = dict(from_client(cls, frame.params))
    params.update(trusted(view_path, frame.signed_params))
    return params
