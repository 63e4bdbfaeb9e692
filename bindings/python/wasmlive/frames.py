"""Reading a client's frame: one JSON object, or a ``ValueError`` that says why.

The same rules over the WebSocket and the HTTP fallback
(docs/reference/protocol.md): at most ``max_frame_bytes`` bytes of UTF-8,
strict JSON (no ``NaN`` or ``Infinity``, which no JSON parser in a
browser would read back), nesting that Python's parser can take, an
object with a string ``type``, and a ``ref`` that is a string or an
integer (it is echoed in the answer), and string ``view_id`` and
``component_id`` when present.
"""

import json


class FrameError(ValueError):
    """A frame refused as written; ``ref`` is its ref when that one was valid (for the answer).
    Clients see it as a ``ValueError``, as ``wasmlive serve`` names it."""

    wire_name = "ValueError"

    def __init__(self, message, ref=None):
        super().__init__(message)
        self.ref = ref


class FrameTooLarge(FrameError):
    """A frame over ``max_frame_bytes`` (HTTP answers it 413)."""

# Fields that, when present, must be strings.
STRING_FIELDS = ("view_id", "component_id")


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


def parse_frame(data, limit=None, default_type=None):
    """The frame in ``data`` (text or bytes) as a dict."""
    size = len(data) if isinstance(data, bytes) else _utf8_len(data)
    if limit is not None and size > limit:
        raise FrameTooLarge(f"frame larger than {limit} bytes")
    try:
        frame = json.loads(data, parse_constant=_no_constants)
    except RecursionError:
        raise FrameError("invalid frame: it nests too deep") from None
    except UnicodeDecodeError as e:
        raise FrameError(f"invalid frame: not UTF-8 ({e.reason})") from None
    except ValueError as e:
        raise FrameError(f"invalid frame: {e}") from None
    if not isinstance(frame, dict):
        raise FrameError('invalid frame: a frame is a JSON object with a string "type"')
    if default_type is not None:
        frame.setdefault("type", default_type)
    if not isinstance(frame.get("type"), str):
        raise FrameError('invalid frame: a frame is a JSON object with a string "type"')
    ref = frame.get("ref")
    if ref is not None and (isinstance(ref, bool) or not isinstance(ref, (str, int)) or (isinstance(ref, str) and len(ref) > 64)):
        raise FrameError('invalid frame: "ref" must be an integer or a string of at most 64 characters')
    if isinstance(ref, int) and not -(2**53) <= ref <= 2**53:
        raise FrameError('invalid frame: an integer "ref" must be within ±2**53 (what JavaScript reads exactly)')
    for field in STRING_FIELDS:
        if frame.get(field) is not None and not isinstance(frame[field], str):
            raise FrameError(f'"{field}" must be a string', ref)
    return frame


def _utf8_len(text):
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
