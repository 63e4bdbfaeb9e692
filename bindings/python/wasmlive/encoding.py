"""Python values to the JSON a wasmlive template engine takes as context.

Plain JSON carries None, bools, 64-bit ints, finite floats, str, lists and
string-keyed dicts. Everything else travels as an object with one `$` tag
(documented in wit/templates.wit):

    {"$safe": "..."}             a SafeString (mark_safe)
    {"$int": "123..."}           an int beyond 64 bits
    {"$float": "nan"|"inf"|"-inf"}
    {"$decimal": "1.50"}
    {"$date": "2026-11-30"}, {"$time": "14:05:00.000123"}
    {"$datetime": "2026-11-30T14:05:00", "offset": 3600, "tzname": "CET"}
    {"$tuple": [...]}
    {"$dict": [[key, value], ...]}   non-string keys, or keys starting with "$"
    {"$object": str(v), "repr": repr(v), "bool": bool(v), "attrs": {...}, "items": [...]}
"""

import datetime
import decimal
import json
import math

from django.utils.safestring import SafeData

INT64 = range(-(2**63), 2**63)


def encode(v):
    """The JSON-ready form of `v`."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v if v in INT64 else {"$int": str(v)}
    if isinstance(v, float):
        return v if math.isfinite(v) else {"$float": repr(v)}
    if isinstance(v, str):
        return {"$safe": str(v)} if isinstance(v, SafeData) else str(v)
    if isinstance(v, decimal.Decimal):
        return {"$decimal": str(v)}
    if isinstance(v, datetime.datetime):
        out = {"$datetime": v.replace(tzinfo=None).isoformat()}
        if v.utcoffset() is not None:
            out["offset"] = int(v.utcoffset().total_seconds())
            out["tzname"] = v.tzname()
        return out
    if isinstance(v, datetime.date):
        return {"$date": v.isoformat()}
    if isinstance(v, datetime.time):
        return {"$time": v.isoformat()}
    if isinstance(v, tuple):
        return {"$tuple": [encode(x) for x in v]}
    if isinstance(v, list):
        return [encode(x) for x in v]
    if isinstance(v, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in v):
            return {k: encode(x) for k, x in v.items()}
        return {"$dict": [[encode(k), encode(x)] for k, x in v.items()]}
    attrs = {}
    for name in dir(v):
        if name.startswith("_"):
            continue
        attr = getattr(v, name)
        if not callable(attr):
            attrs[name] = encode(attr)
    out = {"$object": str(v), "repr": repr(v), "bool": bool(v), "attrs": attrs}
    if hasattr(v, "__iter__"):
        out["items"] = [encode(x) for x in v]
    return out


def dumps(context):
    """A context dict as JSON text."""
    return json.dumps(encode(dict(context)))
