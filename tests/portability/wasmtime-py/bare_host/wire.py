"""The JSON of the conformance file to and from the action's WIT values.

Input is the shape the service and the Rust host's ``wire`` module take:
``{"config": {...}, "entities": ..., "at": "..."}`` where the config has the
WIT field names (kebab-case), ``weekdays`` is a list of names, ``entities``
an object of name to value or a list of ``{name, value, kind?}``, and ``at``
an RFC 3339 instant. Output is the shape the Rust model serializes to:
records with their kebab-case keys, a variant as ``{"type": case, ...}``
with its record's fields (``invalid``'s problems under ``problems``), enums
as their names, ``none`` as ``null``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from . import BareComponent
from .values import Case, Err, Ok

#: The key a variant case's non-record payload goes under (as the Rust model
#: names it), by case; other cases use ``value``.
PAYLOAD_KEYS = {"invalid": "problems"}


def entities(value: Any) -> list[dict[str, Any]]:
    """``entities`` as WIT ``entity`` records (an object's entries sorted by
    name, as the Rust host's ``BTreeMap`` reads them)."""
    if isinstance(value, Mapping):
        return [{"name": name, "value": value[name], "kind": None} for name in sorted(value)]
    return [{"kind": None, **entity} for entity in value]


def instant(text: str) -> dict[str, int]:
    """An RFC 3339 instant as a ``wasi:clocks/wall-clock.datetime``."""
    seconds = datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    whole = int(seconds // 1)
    return {"seconds": whole, "nanoseconds": round((seconds - whole) * 1e9)}


def to_json(value: Any) -> Any:
    """A plain WIT value (see :mod:`bare_host.values`) as the Rust model's JSON."""
    if isinstance(value, Case):
        out: dict[str, Any] = {"type": value.tag}
        payload = to_json(value.value)
        if isinstance(payload, dict):
            out.update(payload)
        elif value.value is not None:
            out[PAYLOAD_KEYS.get(value.tag, "value")] = payload
        return out
    if isinstance(value, (Ok, Err)):
        return {"ok" if isinstance(value, Ok) else "err": to_json(value.value)}
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


def call(component: BareComponent, export: str, body: Mapping[str, Any]) -> Any:
    """Runs ``export`` with the JSON ``body``; answers as the conformance file
    expects it: ``check``'s problems and ``preview``'s problems as
    ``{"problems": [...]}``, a preview as an object, an outcome as an object."""
    config = dict(body["config"])
    if export == "check":
        return {"problems": to_json(component.call("check", config))}
    if export == "send":
        return to_json(component.call("send", config, entities(body.get("entities", {}))))
    if export == "preview":
        text = body.get("at")
        at = None if text is None else instant(text)
        answer = component.call("preview", config, entities(body.get("entities", {})), at)
        if isinstance(answer, Ok):
            return to_json(answer.value)
        return {"problems": to_json(answer.value)}
    if export == "describe":
        return to_json(component.call("describe"))
    raise ValueError(f"unknown export {export!r}")
