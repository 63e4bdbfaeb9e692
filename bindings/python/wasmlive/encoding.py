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

Django's own values take the forms a template would see of them:

- a lazy object (``request.user``, ``SimpleLazyObject``) is what it wraps;
  a lazy translation (``gettext_lazy``) is its text;
- a QuerySet is evaluated once (one query, here, on a handler thread)
  and is an ``$object`` whose ``str`` is Django's ``<QuerySet [...]>`` and
  whose items are its rows; ``.values()`` rows are dicts;
- a model instance is an ``$object`` with its ``str``, ``pk``, every
  concrete field (by name and, for relations, by ``attname``: ``author``
  and ``author_id``), the properties its classes define
  (``user.is_authenticated``) and, for a foreign key, the related instance
  one level deep (that is one query per relation, as in a Django template:
  use ``select_related`` in the query). Managers and methods are not
  called: give the template a list (``list(note.tags.all())``).

Encoding never follows a cycle: an object met again on its own path is
its ``str`` only; attributes that raise are left out; only collections
(with a length) are iterated, never an iterator or generator.
"""

import datetime
import decimal
import json
import math

from django.utils.functional import LazyObject, Promise, empty
from django.utils.safestring import SafeData

INT64 = range(-(2**63), 2**63)

# Related instances followed from a model instance (a foreign key's target).
RELATION_DEPTH = 1


def encode(v, _path=None, _relations=0):
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
    if isinstance(v, Promise):
        return str(v)
    if isinstance(v, LazyObject):
        if v._wrapped is empty:
            v._setup()
        return encode(v._wrapped, _path, _relations)
    path = _path or set()
    if id(v) in path:
        return {"$object": str(v), "repr": repr(v), "bool": bool(v), "attrs": {}}
    path = path | {id(v)}
    if isinstance(v, tuple):
        return {"$tuple": [encode(x, path, _relations) for x in v]}
    if isinstance(v, list):
        return [encode(x, path, _relations) for x in v]
    if isinstance(v, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in v):
            return {k: encode(x, path, _relations) for k, x in v.items()}
        return {"$dict": [[encode(k, path, _relations), encode(x, path, _relations)] for k, x in v.items()]}
    django = _django_value(v, path, _relations)
    if django is not None:
        return django
    attrs = {}
    for name in dir(v):
        if name.startswith("_"):
            continue
        try:
            attr = getattr(v, name)
        except Exception:
            continue
        if not callable(attr):
            attrs[name] = encode(attr, path, _relations)
    out = {"$object": str(v), "repr": repr(v), "bool": bool(v), "attrs": attrs}
    # Collections only: iterating an iterator (a generator, `itertools.count()`)
    # would consume it, or never end.
    if hasattr(v, "__iter__") and hasattr(v, "__len__"):
        out["items"] = [encode(x, path, _relations) for x in v]
    return out


def _django_value(v, path, relations):
    """A QuerySet, model instance or manager in its template form; None for anything else."""
    from django.db.models import Manager, Model, QuerySet

    if isinstance(v, QuerySet):
        rows = list(v)  # one query; str(v) below reads the same result cache
        return {"$object": str(v), "repr": repr(v), "bool": bool(rows), "attrs": {}, "items": [encode(r, path, relations) for r in rows]}
    if isinstance(v, Model):
        return _model(v, path, relations)
    if isinstance(v, Manager):
        # A related manager (`note.tags`): iterating it would run a query per render; say what it is.
        return {"$object": str(v), "repr": repr(v), "bool": True, "attrs": {}}
    return None


def _model(instance, path, relations):
    attrs = {"pk": encode(instance.pk, path, relations)}
    for field in instance._meta.concrete_fields:
        attrs[field.attname] = encode(getattr(instance, field.attname), path, relations)
        if not field.is_relation:
            attrs[field.name] = attrs[field.attname]
        elif relations < RELATION_DEPTH or field.is_cached(instance):
            try:
                related = getattr(instance, field.name)
            except Exception:
                related = None
            attrs[field.name] = encode(related, path, relations + 1)
    for cls in type(instance).__mro__:
        for name, member in vars(cls).items():
            if isinstance(member, property) and not name.startswith("_") and name not in attrs:
                try:
                    attrs[name] = encode(getattr(instance, name), path, relations)
                except Exception:
                    pass
    return {"$object": str(instance), "repr": repr(instance), "bool": bool(instance), "attrs": attrs}


def dumps(context):
    """A context dict as JSON text."""
    return json.dumps(encode(dict(context)))
