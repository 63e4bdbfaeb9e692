"""A view's state of record, as its resume snapshot keeps it
(docs/guides/deployment.md).

A view that another process may resume is written down after each render
as **tagged JSON** of its fields — never pickle: whoever can write to Redis
must not be able to run code in the server. JSON values stay as they are;
what JSON has no type for is tagged ``{"$wl": kind, "v": ...}`` (tuples,
sets, dates and times, decimals, UUIDs, bytes, dicts whose keys are not
strings, Django model instances as their label and primary key, fetched
again on load). Anything else fails when it is taken, naming the attribute
and what to do.

Which fields: ``resume_fields`` (names) when the class declares them, else
every public instance attribute (not starting with ``_``). A class may
write its own with ``dump_state()`` (returning JSON-able data) and read it
back with ``load_state(data, version)``; ``state_version`` (default 0)
names the shape, and a snapshot of another version is loaded only by a
``load_state`` that migrates it. ``resumable = False`` opts a view out.
"""

import base64
import datetime
import decimal
import json
import uuid

TAG = "$wl"


class ResumeStateError(TypeError):
    """A view's state cannot be written to or read from its snapshot."""


def record(view):
    """The view's state of record as JSON text ``{"data", "version"}``, or
    None when it opts out (``resumable = False``)."""
    cls = type(view)
    if getattr(cls, "resumable", True) is False:
        return None
    version = state_version(cls)
    if callable(getattr(view, "dump_state", None)):
        data = encode(view.dump_state(), f"{cls.__qualname__}.dump_state()")
    else:
        data = {name: encode(value, f"{cls.__qualname__}.{name}") for name, value in fields(view)}
    return json.dumps({"data": data, "version": version}, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def restore(view, text):
    """Give ``view`` (made, not mounted) the state ``text`` (``record``'s JSON) recorded."""
    cls = type(view)
    saved = json.loads(text)
    data, version = saved["data"], saved["version"]
    if callable(getattr(view, "load_state", None)):
        view.load_state(decode(data), version)
        return
    if version != state_version(cls):
        raise ResumeStateError(
            f"the snapshot holds {cls.__qualname__}'s state of state_version {version}; the class is at "
            f"{state_version(cls)} and has no load_state(data, version) to migrate it: the view mounts afresh"
        )
    if not isinstance(data, dict):
        raise ResumeStateError(f"the snapshot's state of {cls.__qualname__} is not a dict of fields")
    for name, value in data.items():
        setattr(view, name, decode(value))


def state_version(cls):
    version = getattr(cls, "state_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ResumeStateError(f"{cls.__qualname__}.state_version must be a whole number ≥ 0, not {version!r}")
    return version


def fields(view):
    """The fields a snapshot records: ``resume_fields``, or the public instance attributes."""
    declared = getattr(type(view), "resume_fields", None)
    if declared is not None:
        missing = [n for n in declared if not hasattr(view, n)]
        if missing:
            raise ResumeStateError(f"{type(view).__qualname__}.resume_fields names {missing}, which the view does not have")
        return [(name, getattr(view, name)) for name in declared]
    return [(name, value) for name, value in vars(view).items() if not name.startswith("_")]


def _model_label(value):
    meta = getattr(type(value), "_meta", None)
    if meta is None or not hasattr(value, "pk") or not hasattr(meta, "label"):
        return None
    return meta.label


def encode(value, where):
    """``value`` as tagged JSON; ``where`` names it in the error."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else {TAG: "int", "v": str(value)}
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return {TAG: "float", "v": repr(value)}
        return value
    if isinstance(value, list):
        return [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return {TAG: "tuple", "v": [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, (set, frozenset)):
        kind = "set" if isinstance(value, set) else "frozenset"
        return {TAG: kind, "v": [encode(v, f"{where} item") for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and TAG not in value:
            return {k: encode(v, f"{where}[{k!r}]") for k, v in value.items()}
        return {TAG: "dict", "v": [[encode(k, f"{where} key"), encode(v, f"{where}[{k!r}]")] for k, v in value.items()]}
    if isinstance(value, datetime.datetime):
        return {TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, datetime.date):
        return {TAG: "date", "v": value.isoformat()}
    if isinstance(value, datetime.time):
        return {TAG: "time", "v": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {TAG: "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, decimal.Decimal):
        return {TAG: "decimal", "v": str(value)}
    if isinstance(value, uuid.UUID):
        return {TAG: "uuid", "v": str(value)}
    if isinstance(value, (bytes, bytearray)):
        return {TAG: "bytes", "v": base64.b64encode(bytes(value)).decode("ascii")}
    label = _model_label(value)
    if label is not None:
        if value.pk is None:
            raise ResumeStateError(f"{where} is an unsaved {label}: a snapshot keeps a model instance as its label and primary key")
        return {TAG: "model", "v": [label, encode(value.pk, f"{where}.pk")]}
    raise ResumeStateError(
        f"{where} is of type {type(value).__qualname__}, which a resume snapshot cannot keep (JSON, tuples, sets, dates, "
        "decimals, UUIDs, bytes and model instances it can): list the fields to keep in resume_fields, or write "
        "dump_state() and load_state(data, version), or set resumable = False"
    )


def decode(value):
    """What ``encode`` wrote, back as Python values."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if TAG not in value:
        return {k: decode(v) for k, v in value.items()}
    kind, v = value[TAG], value.get("v")
    if kind == "tuple":
        return tuple(decode(x) for x in v)
    if kind == "set":
        return {decode(x) for x in v}
    if kind == "frozenset":
        return frozenset(decode(x) for x in v)
    if kind == "dict":
        return {decode(k): decode(x) for k, x in v}
    if kind == "int":
        return int(v)
    if kind == "float":
        return float(v)
    if kind == "datetime":
        return datetime.datetime.fromisoformat(v)
    if kind == "date":
        return datetime.date.fromisoformat(v)
    if kind == "time":
        return datetime.time.fromisoformat(v)
    if kind == "timedelta":
        return datetime.timedelta(days=v[0], seconds=v[1], microseconds=v[2])
    if kind == "decimal":
        return decimal.Decimal(v)
    if kind == "uuid":
        return uuid.UUID(v)
    if kind == "bytes":
        return base64.b64decode(v, validate=True)
    if kind == "model":
        from django.apps import apps

        label, pk = v
        model = apps.get_model(label)
        return model._default_manager.get(pk=decode(pk))
    raise ResumeStateError(f"the snapshot holds a value tagged {kind!r}, which this version of wasmlive does not read")
