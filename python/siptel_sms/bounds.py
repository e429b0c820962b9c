"""The inputs of a call, cut to what the action can judge: ``bounded()`` of
``src/config.rs``, for the Python host.

Every text is cut one character past its field's longest length, entity
values one past the longest length of any field, names and lists one past
their limits. Whatever was too long or too many stays so (with the same
problems) and what fit is unchanged, so the outcome is the same; but what
the host copies into the sandbox is bounded (a few MB at most), so a 100 MB
entity is a ``too-long`` problem on the field that uses it, never a memory
failure.

The longest length of each field is the form's ``max-length``, read from
the loaded component's ``describe()`` once; the cut walks the component's own
types, so a config field added to the WIT is cut by its ``max-length`` with
no change here. The few limits the form does not give are below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wasmtime import component as wc

from .values import ListSchema, RecordSchema, Schema

# Limits the form does not give, as `src/config.rs` defines them (a test
# pins each against the component's answers):

#: ``MAX_CAMPAIGN_VARIABLES``: most campaign variables one config may give.
MAX_CAMPAIGN_VARIABLES = 100
#: ``CAMPAIGN_VARIABLE_NAME_CHARS``: longest campaign variable name.
CAMPAIGN_VARIABLE_NAME_CHARS = 64
#: ``MAX_ENTITIES``: most entities one call may pass.
MAX_ENTITIES = 256
#: ``ENTITY_NAME_CHARS``: longest entity name a placeholder can name.
ENTITY_NAME_CHARS = 128
#: ``MAX_PROBLEMS``: most problems one answer lists.
MAX_PROBLEMS = 50

#: The config field whose items are cut as campaign variables.
CAMPAIGN_VARIABLES = "campaign-variables"


@dataclass(frozen=True)
class Bounds:
    """The longest text of each config field (its form's ``max-length``),
    and of any field."""

    max_length: Mapping[str, int]

    @classmethod
    def from_form(cls, fields: list[Any]) -> Bounds:
        """From ``describe()``'s fields (each with ``id`` and ``max_length``)."""
        return cls({f.id: f.max_length for f in fields if isinstance(f.max_length, int)})

    @property
    def longest(self) -> int | None:
        """The longest text any field accepts (``LONGEST_TEXT_CHARS``)."""
        return max(self.max_length.values(), default=None)

    def config(self, schema: RecordSchema, config: Any) -> Any:
        """The lowered ``config`` with every text cut one past its field's length."""
        cut = {}
        for name, field in schema.fields:
            value = getattr(config, name)
            limit = self.max_length.get(name)
            if name == CAMPAIGN_VARIABLES and isinstance(field, ListSchema):
                names = {"name": CAMPAIGN_VARIABLE_NAME_CHARS + 1}
                value = _cut_items(field, value, MAX_CAMPAIGN_VARIABLES + 1, names, _past(limit))
            elif limit is not None:
                value = field.cut(value, limit + 1)
            cut[name] = value
        return _record(cut)

    def entities(self, schema: Schema, entities: list[Any]) -> list[Any]:
        """The lowered ``entities``: one past their count, names one past
        their length, values one past the longest field's (``kind``, which
        is informative, to the name's length, as ``bounded()`` does)."""
        assert isinstance(schema, ListSchema)
        limits = {"name": ENTITY_NAME_CHARS + 1, "kind": ENTITY_NAME_CHARS}
        return _cut_items(schema, entities, MAX_ENTITIES + 1, limits, _past(self.longest))


def _past(limit: int | None) -> int | None:
    return None if limit is None else limit + 1


def _cut_items(
    schema: ListSchema, items: list[Any], count: int, chars: Mapping[str, int], rest: int | None
) -> list[Any]:
    """The first ``count`` records of ``items``, with the strings of each
    field named in ``chars`` cut to that many characters, and the others to
    ``rest`` (kept whole when ``None``: a component without a form)."""
    kept = items[:count]
    element = schema.element
    if not isinstance(element, RecordSchema):
        return kept
    return [element.cut_fields(item, chars, rest) for item in kept]


def _record(fields: dict[str, Any]) -> Any:
    record = wc.Record()
    for name, value in fields.items():
        setattr(record, name, value)
    return record
