"""Converting between plain Python values and WIT values, driven by WIT types.

Nothing here knows the action's fields: every conversion walks a
:class:`Schema` built once from the component's own types (wasmtime-py's
``ValType`` tree), so a WIT that gains fields or cases needs no change here.

Plain values, both ways:

==================  ==========================================================
WIT                 Python
==================  ==========================================================
record              ``dict`` keyed by the WIT field names (kebab-case). Input
                    also takes snake_case keys and dataclass instances; a
                    missing ``option`` is ``None``, a missing ``list`` ``[]``,
                    missing ``flags`` empty; unknown keys are refused.
variant             :class:`Case` (``tag``, ``value``); input also takes the
                    tag alone as a ``str`` for a case without payload
enum                the case name, ``str``
flags               ``frozenset`` of names; input also takes any iterable of
                    names or a ``dict`` of name to ``bool``
option<T>           ``T`` or ``None``
result<T, E>        :class:`Ok` or :class:`Err`
list<u8>            ``bytes``
list<T>, tuple      ``list``, ``tuple``
integers            ``int`` (``bool`` refused), range-checked
==================  ==========================================================

wasmtime-py has its own, lossy mapping: a variant whose cases hold values of
distinct Python types is passed *untagged*, so ``window-status.open`` reaches
Python as a bare ``None`` and ``closed`` as a bare record. :meth:`Schema.lift`
recovers the case from the type; :meth:`Schema.lower` produces whichever form
wasmtime-py expects. Integers are range-checked here because wasmtime-py
stores them through ``ctypes``, which wraps silently (a ``u8`` of 257 would
arrive as 1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wasmtime import component as wc

from . import native
from .errors import InputError

@dataclass(frozen=True)
class Case:
    """A case of a WIT variant: its name and payload (``None`` when it has none)."""

    tag: str
    value: Any = None


@dataclass(frozen=True)
class Ok:
    """The ``ok`` side of a WIT ``result``."""

    value: Any = None


@dataclass(frozen=True)
class Err:
    """The ``err`` side of a WIT ``result``."""

    value: Any = None


class Resources:
    """How resources cross the boundary: ``lift`` a handle to the host's
    object, ``lower`` an object to a new handle. The default refuses both
    (the action's exports take and return no resources)."""

    def lift(self, value: Any) -> Any:
        raise TypeError("this function takes no resources")

    def lower(self, value: Any) -> Any:
        raise TypeError("this function returns no resources")


NO_RESOURCES = Resources()


def _path(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


def _kind(value: Any) -> str:
    return type(value).__name__


class Schema:
    """One WIT type: converts plain Python values to wasmtime-py's and back."""

    #: The Python classes wasmtime-py uses for this type (to tell untagged
    #: variant cases apart); set by :func:`schema_of`.
    classes: frozenset[type] = frozenset()
    #: What a missing record field of this type becomes, if it may be missing.
    missing: Callable[[], Any] | None = None

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        raise NotImplementedError

    def lift(self, value: Any, res: Resources) -> Any:
        raise NotImplementedError

    def cut(self, value: Any, chars: int) -> Any:
        """``value`` (lowered, wasmtime-py's form) with every string in it cut
        to at most ``chars`` characters; values without strings unchanged."""
        return value

    def describe(self) -> str:
        """A short name of the type for error messages."""
        return type(self).__name__.lower()


class BoolSchema(Schema):

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if not isinstance(value, bool):
            raise InputError(path, "wrong-type", f"expected a bool, got {_kind(value)}")
        return value

    def lift(self, value: Any, res: Resources) -> Any:
        return value

    def describe(self) -> str:
        return "bool"


class IntSchema(Schema):

    def __init__(self, name: str, low: int, high: int) -> None:
        self.name, self.low, self.high = name, low, high

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(path, "wrong-type", f"expected an integer ({self.name}), got {_kind(value)}")
        if not self.low <= value <= self.high:
            raise InputError(
                path, "out-of-range", f"{value} is outside {self.name} ({self.low}..={self.high})"
            )
        return value

    def lift(self, value: Any, res: Resources) -> Any:
        return value

    def describe(self) -> str:
        return self.name


class FloatSchema(Schema):

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(path, "wrong-type", f"expected a number, got {_kind(value)}")
        return float(value)

    def lift(self, value: Any, res: Resources) -> Any:
        return value


def _check_text(value: Any, path: str, what: str) -> str:
    if not isinstance(value, str):
        raise InputError(path, "wrong-type", f"expected {what}, got {_kind(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        # A lone surrogate: wasmtime-py would fail to encode it mid-call.
        raise InputError(
            path, "bad-string", f"not valid Unicode text (lone surrogate at index {e.start})"
        ) from None
    return value


class StringSchema(Schema):

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        return _check_text(value, path, "a str")

    def cut(self, value: Any, chars: int) -> Any:
        return value[:chars]

    def lift(self, value: Any, res: Resources) -> Any:
        return value

    def describe(self) -> str:
        return "string"


class CharSchema(Schema):

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        text = _check_text(value, path, "a one-character str")
        if len(text) != 1:
            raise InputError(path, "wrong-type", "expected exactly one character")
        return text

    def lift(self, value: Any, res: Resources) -> Any:
        return value


class ListSchema(Schema):
    def __init__(self, element: Schema, is_bytes: bool) -> None:
        self.element, self.is_bytes = element, is_bytes
        self.missing = list

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if self.is_bytes:
            if not isinstance(value, (bytes, bytearray, memoryview)):
                raise InputError(path, "wrong-type", f"expected bytes, got {_kind(value)}")
            return bytes(value)
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise InputError(path, "wrong-type", f"expected a list, got {_kind(value)}")
        return [self.element.lower(v, f"{path}[{i}]", res) for i, v in enumerate(value)]

    def lift(self, value: Any, res: Resources) -> Any:
        if self.is_bytes:
            return value
        return [self.element.lift(v, res) for v in value]

    def cut(self, value: Any, chars: int) -> Any:
        return value if self.is_bytes else [self.element.cut(v, chars) for v in value]

    def describe(self) -> str:
        return "bytes" if self.is_bytes else f"list<{self.element.describe()}>"


class TupleSchema(Schema):

    def __init__(self, elements: list[Schema]) -> None:
        self.elements = elements

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if not isinstance(value, (tuple, list)) or len(value) != len(self.elements):
            raise InputError(path, "wrong-type", f"expected a tuple of {len(self.elements)}")
        return tuple(s.lower(v, f"{path}[{i}]", res) for i, (s, v) in enumerate(zip(self.elements, value)))

    def lift(self, value: Any, res: Resources) -> Any:
        return tuple(s.lift(v, res) for s, v in zip(self.elements, value))

    def cut(self, value: Any, chars: int) -> Any:
        return tuple(s.cut(v, chars) for s, v in zip(self.elements, value))


class RecordSchema(Schema):

    def __init__(self) -> None:
        # Filled in by `schema_of` (records may be shared in the tree).
        self.fields: list[tuple[str, Schema]] = []
        self.by_name: dict[str, Schema] = {}

    def set_fields(self, fields: list[tuple[str, Schema]]) -> None:
        self.fields = fields
        self.by_name = dict(fields)

    @property
    def names(self) -> list[str]:
        """The WIT field names, in order."""
        return [name for name, _ in self.fields]

    def normalize(self, value: Any, path: str) -> dict[str, Any]:
        """``value``'s entries keyed by WIT field name; unknown or repeated keys refused."""
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        if not isinstance(value, Mapping):
            raise InputError(path, "wrong-type", f"expected a dict, got {_kind(value)}")
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(path, "unknown-field", f"field names are strings, got {key!r}")
            name = key if key in self.by_name else key.replace("_", "-")
            if name not in self.by_name:
                known = ", ".join(self.names)
                raise InputError(_path(path, key), "unknown-field", f"no field `{key}` (fields: {known})")
            if name in out:
                raise InputError(_path(path, name), "duplicate-field", f"`{name}` is given twice")
            out[name] = item
        return out

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        given = self.normalize(value, path)
        record = wc.Record()
        for name, schema in self.fields:
            where = _path(path, name)
            if name in given:
                item = schema.lower(given[name], where, res)
            elif schema.missing is not None:
                item = schema.lower(schema.missing(), where, res)
            else:
                raise InputError(where, "missing-field", f"`{name}` ({schema.describe()}) is required")
            setattr(record, name, item)
        return record

    def lift(self, value: Any, res: Resources) -> Any:
        return {name: schema.lift(getattr(value, name), res) for name, schema in self.fields}

    def cut(self, value: Any, chars: int) -> Any:
        return self.cut_fields(value, {}, chars)

    def cut_fields(self, value: Any, limits: Mapping[str, int], chars: int | None) -> Any:
        """A copy of the lowered record ``value`` whose strings are cut to
        ``limits[field]`` characters in the fields it names, and to ``chars``
        in the others (``None``: kept whole)."""
        record = wc.Record()
        for name, schema in self.fields:
            item = getattr(value, name)
            limit = limits.get(name, chars)
            setattr(record, name, item if limit is None else schema.cut(item, limit))
        return record

    def describe(self) -> str:
        return "record"


class VariantSchema(Schema):
    """A WIT ``variant``; also the base of ``option`` and ``result``."""

    def __init__(self) -> None:
        self.cases: list[tuple[str, Schema | None]] = []
        self.tagged = True

    def set_cases(self, cases: list[tuple[str, Schema | None]], tagged: bool, classes: frozenset[type]) -> None:
        self.cases, self.tagged, self.classes = cases, tagged, classes
        self.by_tag = dict(cases)

    def _lower_case(self, tag: str, payload: Any, path: str, res: Resources, name_case: bool = True) -> Any:
        if tag not in self.by_tag:
            known = ", ".join(t for t, _ in self.cases)
            raise InputError(path, "unknown-case", f"no case `{tag}` (cases: {known})")
        schema = self.by_tag[tag]
        if schema is None:
            if payload is not None:
                raise InputError(path, "wrong-type", f"case `{tag}` takes no value")
            return wc.Variant(tag) if self.tagged else None
        lowered = schema.lower(payload, _path(path, tag) if name_case else path, res)
        return wc.Variant(tag, lowered) if self.tagged else lowered

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if isinstance(value, str):
            return self._lower_case(value, None, path, res)
        if not isinstance(value, Case):
            raise InputError(path, "wrong-type", f"expected a Case or a case name, got {_kind(value)}")
        return self._lower_case(value.tag, value.value, path, res)

    def _lift_case(self, value: Any) -> tuple[str, Any]:
        """The case name and raw payload of a lifted wasmtime-py value."""
        if self.tagged:
            return value.tag, value.payload
        # Untagged: the cases' classes are disjoint; a payload-less case is
        # the one whose classes include `object` (it matches anything else).
        fallback = None
        for tag, schema in self.cases:
            if schema is None or object in schema.classes:
                fallback = tag
            elif type(value) in schema.classes:
                return tag, value
        for tag, schema in self.cases:
            if schema is not None and object not in schema.classes and isinstance(value, tuple(schema.classes)):
                return tag, value
        if fallback is None:
            raise TypeError(f"cannot tell which case {value!r} is")
        return fallback, value

    def lift(self, value: Any, res: Resources) -> Any:
        tag, payload = self._lift_case(value)
        schema = self.by_tag[tag]
        return Case(tag, None if schema is None else schema.lift(payload, res))

    def cut(self, value: Any, chars: int) -> Any:
        if self.tagged:
            schema = self.by_tag.get(value.tag)
            return value if schema is None else wc.Variant(value.tag, schema.cut(value.payload, chars))
        if value is None:  # an option's `none`, or a case without payload
            return None
        tag, payload = self._lift_case(value)
        schema = self.by_tag[tag]
        return payload if schema is None else schema.cut(payload, chars)

    def describe(self) -> str:
        return "variant"


class EnumSchema(Schema):

    def __init__(self, names: list[str]) -> None:
        self.names, self.known = names, frozenset(names)

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if not isinstance(value, str):
            raise InputError(path, "wrong-type", f"expected one of {', '.join(self.names)}, got {_kind(value)}")
        if value not in self.known:
            raise InputError(path, "unknown-case", f"`{value}` is not one of {', '.join(self.names)}")
        return value

    def lift(self, value: Any, res: Resources) -> Any:
        return value

    def describe(self) -> str:
        return "enum"


class OptionSchema(VariantSchema):
    missing = staticmethod(lambda: None)

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if value is None:
            return wc.Variant("none") if self.tagged else None
        return self._lower_case("some", value, path, res, name_case=False)

    def lift(self, value: Any, res: Resources) -> Any:
        tag, payload = self._lift_case(value)
        schema = self.by_tag["some"]
        return None if tag == "none" or schema is None else schema.lift(payload, res)

    def describe(self) -> str:
        inner = self.by_tag["some"]
        return f"option<{inner.describe() if inner else '_'}>"


class ResultSchema(VariantSchema):
    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if isinstance(value, Ok):
            return self._lower_case("ok", value.value, path, res, name_case=False)
        if isinstance(value, Err):
            return self._lower_case("err", value.value, path, res, name_case=False)
        raise InputError(path, "wrong-type", f"expected Ok or Err, got {_kind(value)}")

    def lift(self, value: Any, res: Resources) -> Any:
        tag, payload = self._lift_case(value)
        schema = self.by_tag[tag]
        lifted = None if schema is None else schema.lift(payload, res)
        return Ok(lifted) if tag == "ok" else Err(lifted)


def _no_flags() -> frozenset[str]:
    return frozenset()


class FlagsSchema(Schema):
    missing = staticmethod(_no_flags)

    def __init__(self, names: list[str]) -> None:
        self.names, self.known = names, frozenset(names)

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if isinstance(value, Mapping):
            for name, on in value.items():
                if not isinstance(on, bool):
                    raise InputError(_path(path, str(name)), "wrong-type", f"expected a bool, got {_kind(on)}")
            chosen = [name for name, on in value.items() if on]
            unknown = [name for name in value if name not in self.known]
        elif isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise InputError(path, "wrong-type", f"expected a set of names or a dict, got {_kind(value)}")
        else:
            chosen = list(value)
            unknown = [name for name in chosen if name not in self.known]
        if unknown:
            raise InputError(
                path, "unknown-case", f"unknown flag {unknown[0]!r} (flags: {', '.join(self.names)})"
            )
        return set(chosen)

    def lift(self, value: Any, res: Resources) -> Any:
        return frozenset(value)

    def describe(self) -> str:
        return "flags"


class ResourceSchema(Schema):

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        return res.lower(value)

    def lift(self, value: Any, res: Resources) -> Any:
        return res.lift(value)


_INTS: dict[type, tuple[str, int, int]] = {
    wc.U8: ("u8", 0, 2**8 - 1),
    wc.U16: ("u16", 0, 2**16 - 1),
    wc.U32: ("u32", 0, 2**32 - 1),
    wc.U64: ("u64", 0, 2**64 - 1),
    wc.S8: ("s8", -(2**7), 2**7 - 1),
    wc.S16: ("s16", -(2**15), 2**15 - 1),
    wc.S32: ("s32", -(2**31), 2**31 - 1),
    wc.S64: ("s64", -(2**63), 2**63 - 1),
}


def schema_of(ty: Any) -> Schema:
    """The :class:`Schema` of a frozen wasmtime-py type (see :func:`native.freeze`)."""
    kind = type(ty)
    if kind in _INTS:
        schema: Schema = IntSchema(*_INTS[kind])
    elif isinstance(ty, wc.Bool):
        schema = BoolSchema()
    elif isinstance(ty, (wc.F32, wc.F64)):
        schema = FloatSchema()
    elif isinstance(ty, wc.Char):
        schema = CharSchema()
    elif isinstance(ty, wc.String):
        schema = StringSchema()
    elif isinstance(ty, wc.ListType):
        element = schema_of(ty.element)
        schema = ListSchema(element, isinstance(element, IntSchema) and element.name == "u8")
    elif isinstance(ty, wc.TupleType):
        schema = TupleSchema([schema_of(t) for t in ty.elements])
    elif isinstance(ty, wc.RecordType):
        record = RecordSchema()
        record.set_fields([(name, schema_of(t)) for name, t in ty.fields])
        schema = record
    elif isinstance(ty, wc.EnumType):
        schema = EnumSchema(ty.names)
    elif isinstance(ty, wc.FlagsType):
        schema = FlagsSchema(ty.names)
    elif isinstance(ty, (wc.OwnType, wc.BorrowType)):
        schema = ResourceSchema()
    elif isinstance(ty, wc.OptionType):
        schema = OptionSchema()
    elif isinstance(ty, wc.ResultType):
        schema = ResultSchema()
    elif isinstance(ty, wc.VariantType):
        schema = VariantSchema()
    else:
        raise TypeError(f"unsupported WIT type {kind.__name__}")
    if isinstance(schema, VariantSchema):
        cases = [(tag, None if t is None else schema_of(t)) for tag, t in ty._cases()]
        schema.set_cases(cases, ty.tagged, native.classes_of(ty))
    else:
        schema.classes = native.classes_of(ty)
    return schema


class Signature:
    """A function's parameters and result: frozen types and schemas."""

    def __init__(self, ty: wc.FuncType) -> None:
        self.native = native.FrozenFunc(ty)
        self.params = [(name, schema_of(t)) for name, t in self.native.params]
        self.result = None if self.native.result is None else schema_of(self.native.result)
