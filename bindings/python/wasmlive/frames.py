"""Reading a client's frame: one JSON object, or a ``ValueError`` that says why.

The same rules over the WebSocket and the HTTP fallback
(docs/reference/protocol.md): at most ``max_frame_bytes`` bytes of UTF-8,
strict JSON (no ``NaN`` or ``Infinity``, which no JSON parser in a
browser would read back), nesting that Python's parser can take, an
object with a string ``type``, and a ``ref`` that is a string or an
integer (it is echoed in the answer).
"""

import json


class FrameTooLarge(ValueError):
    """A frame over ``max_frame_bytes`` (HTTP answers it 413)."""


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
        raise ValueError("invalid frame: it nests too deep") from None
    except UnicodeDecodeError as e:
        raise ValueError(f"invalid frame: not UTF-8 ({e.reason})") from None
    except ValueError as e:
        raise ValueError(f"invalid frame: {e}") from None
    if not isinstance(frame, dict):
        raise ValueError('invalid frame: a frame is a JSON object with a string "type"')
    if default_type is not None:
        frame.setdefault("type", default_type)
    if not isinstance(frame.get("type"), str):
        raise ValueError('invalid frame: a frame is a JSON object with a string "type"')
    ref = frame.get("ref")
    if ref is not None and (isinstance(ref, bool) or not isinstance(ref, (str, int)) or (isinstance(ref, str) and len(ref) > 64)):
        raise ValueError('invalid frame: "ref" must be an integer or a string of at most 64 characters')
    if isinstance(ref, int) and not -(2**53) <= ref <= 2**53:
        raise ValueError('invalid frame: an integer "ref" must be within ±2**53 (what JavaScript reads exactly)')
    return frame


def _utf8_len(text):
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
