"""Converting between plain Python values and WIT values, driven by WIT types.

Nothing here knows the action's fields: every conversion walks a
:class:`Schema` built once from the component's own types (wasmtime-py's
public ``ValType`` tree), so a WIT that gains fields or cases needs no
change here.

Plain values, both ways:

==================  ==========================================================
WIT                 Python
==================  ==========================================================
record              ``dict`` keyed by the WIT field names (kebab-case); on
                    input a missing ``option`` is ``None``, a missing ``list``
                    ``[]``, missing ``flags`` empty; unknown keys are refused
variant             :class:`Case` (``tag``, ``value``); input also takes the
                    tag alone as a ``str`` for a case without payload
enum                the case name, ``str``
flags               ``frozenset`` of names; input takes any iterable of names
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

A value that does not fit its type raises ``TypeError`` or ``ValueError``
naming where (``config.weekdays``): this runner feeds the component only
the conformance file's values, so there is no error type of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wasmtime import component as wc


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


def _wrong(path: str, expected: str, value: Any) -> TypeError:
    return TypeError(f"{path or 'value'}: expected {expected}, got {_kind(value)}")


def classes_of(ty: Any) -> frozenset[type]:
    """The Python classes wasmtime-py uses for values of ``ty`` (``object``
    for a variant case without payload)."""
    classes: set[type] = set()
    if ty is None:
        classes.add(object)
    else:
        ty.add_classes(classes)
    return frozenset(classes)


def _tagged(cases: list[tuple[str, Any]]) -> bool:
    """wasmtime-py's rule: a variant is passed as ``wc.Variant`` when two
    cases share a Python class."""
    seen: set[type] = set()
    for _, ty in cases:
        classes = classes_of(ty)
        if seen & classes:
            return True
        seen |= classes
    return False


class Schema:
    """One WIT type: converts plain Python values to wasmtime-py's and back."""

    #: The Python classes wasmtime-py uses for this type (to tell untagged
    #: variant cases apart); set by :func:`schema_of`.
    classes: frozenset[type] = frozenset()
    #: What a missing record field of this type becomes, if it may be missing.
    missing: Any = None

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        raise NotImplementedError

    def lift(self, value: Any, res: Resources) -> Any:
        raise NotImplementedError


class PlainSchema(Schema):
    """bool, floats, char, string: passed as they are, type-checked on input."""

    def __init__(self, types: tuple[type, ...], name: str) -> None:
        self.types, self.name = types, name

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if not isinstance(value, self.types) or (bool not in self.types and isinstance(value, bool)):
            raise _wrong(path, self.name, value)
        return float(value) if self.name == "float" else value

    def lift(self, value: Any, res: Resources) -> Any:
        return value


class IntSchema(Schema):

    def __init__(self, name: str, low: int, high: int) -> None:
        self.name, self.low, self.high = name, low, high

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong(path, f"an integer ({self.name})", value)
        if not self.low <= value <= self.high:
            raise ValueError(f"{path}: {value} is outside {self.name} ({self.low}..={self.high})")
        return value

    def lift(self, value: Any, res: Resources) -> Any:
        return value


class ListSchema(Schema):
    def __init__(self, element: Schema, is_bytes: bool) -> None:
        self.element, self.is_bytes = element, is_bytes
        self.missing = list

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if self.is_bytes:
            if not isinstance(value, (bytes, bytearray, memoryview)):
                raise _wrong(path, "bytes", value)
            return bytes(value)
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise _wrong(path, "a list", value)
        return [self.element.lower(v, f"{path}[{i}]", res) for i, v in enumerate(value)]

    def lift(self, value: Any, res: Resources) -> Any:
        if self.is_bytes:
            return value
        return [self.element.lift(v, res) for v in value]


class TupleSchema(Schema):

    def __init__(self, elements: list[Schema]) -> None:
        self.elements = elements

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if not isinstance(value, (tuple, list)) or len(value) != len(self.elements):
            raise _wrong(path, f"a tuple of {len(self.elements)}", value)
        return tuple(s.lower(v, f"{path}[{i}]", res) for i, (s, v) in enumerate(zip(self.elements, value)))

    def lift(self, value: Any, res: Resources) -> Any:
        return tuple(s.lift(v, res) for s, v in zip(self.elements, value))


class RecordSchema(Schema):

    def __init__(self, fields: list[tuple[str, Schema]]) -> None:
        self.fields = fields
        self.names = frozenset(name for name, _ in fields)

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if not isinstance(value, Mapping):
            raise _wrong(path, "a dict", value)
        unknown = sorted(str(key) for key in value if key not in self.names)
        if unknown:
            known = ", ".join(name for name, _ in self.fields)
            raise ValueError(f"{_path(path, unknown[0])}: no such field (fields: {known})")
        record = wc.Record()
        for name, schema in self.fields:
            where = _path(path, name)
            if name in value:
                item = schema.lower(value[name], where, res)
            elif schema.missing is not None:
                item = schema.lower(schema.missing(), where, res)
            else:
                raise ValueError(f"{where}: required")
            setattr(record, name, item)
        return record

    def lift(self, value: Any, res: Resources) -> Any:
        return {name: schema.lift(getattr(value, name), res) for name, schema in self.fields}


class VariantSchema(Schema):
    """A WIT ``variant``; also the base of ``option`` and ``result``."""

    def __init__(self, cases: list[tuple[str, Schema | None]], tagged: bool) -> None:
        self.cases, self.tagged = cases, tagged
        self.by_tag = dict(cases)

    def _lower_case(self, tag: str, payload: Any, path: str, res: Resources, name_case: bool = True) -> Any:
        if tag not in self.by_tag:
            raise ValueError(f"{path}: no case `{tag}` (cases: {', '.join(t for t, _ in self.cases)})")
        schema = self.by_tag[tag]
        if schema is None:
            if payload is not None:
                raise ValueError(f"{path}: case `{tag}` takes no value")
            return wc.Variant(tag) if self.tagged else None
        lowered = schema.lower(payload, _path(path, tag) if name_case else path, res)
        return wc.Variant(tag, lowered) if self.tagged else lowered

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if isinstance(value, str):
            return self._lower_case(value, None, path, res)
        if not isinstance(value, Case):
            raise _wrong(path, "a Case or a case name", value)
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


class EnumSchema(Schema):

    def __init__(self, names: list[str]) -> None:
        self.names = frozenset(names)

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if not isinstance(value, str):
            raise _wrong(path, "a case name", value)
        if value not in self.names:
            raise ValueError(f"{path}: `{value}` is not one of {', '.join(sorted(self.names))}")
        return value

    def lift(self, value: Any, res: Resources) -> Any:
        return value


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


class ResultSchema(VariantSchema):
    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if isinstance(value, Ok):
            return self._lower_case("ok", value.value, path, res, name_case=False)
        if isinstance(value, Err):
            return self._lower_case("err", value.value, path, res, name_case=False)
        raise _wrong(path, "Ok or Err", value)

    def lift(self, value: Any, res: Resources) -> Any:
        tag, payload = self._lift_case(value)
        schema = self.by_tag[tag]
        lifted = None if schema is None else schema.lift(payload, res)
        return Ok(lifted) if tag == "ok" else Err(lifted)


class FlagsSchema(Schema):
    missing = staticmethod(frozenset)

    def __init__(self, names: list[str]) -> None:
        self.names = frozenset(names)

    def lower(self, value: Any, path: str, res: Resources) -> Any:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise _wrong(path, "a list of flag names", value)
        chosen = set(value)
        unknown = sorted(str(name) for name in chosen - self.names)
        if unknown:
            raise ValueError(f"{path}: unknown flag {unknown[0]!r} (flags: {', '.join(sorted(self.names))})")
        return chosen

    def lift(self, value: Any, res: Resources) -> Any:
        return frozenset(value)


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


def _variant_cases(ty: Any) -> list[tuple[str, Any]]:
    """A variant-like type's cases as wasmtime-py orders them, read through
    the public properties."""
    if isinstance(ty, wc.OptionType):
        return [("none", None), ("some", ty.payload)]
    if isinstance(ty, wc.ResultType):
        return [("ok", ty.ok), ("err", ty.err)]
    return list(ty.cases)


def schema_of(ty: Any) -> Schema:
    """The :class:`Schema` of a wasmtime-py type."""
    kind = type(ty)
    if kind in _INTS:
        schema: Schema = IntSchema(*_INTS[kind])
    elif isinstance(ty, wc.Bool):
        schema = PlainSchema((bool,), "bool")
    elif isinstance(ty, (wc.F32, wc.F64)):
        schema = PlainSchema((int, float), "float")
    elif isinstance(ty, (wc.Char, wc.String)):
        schema = PlainSchema((str,), "str")
    elif isinstance(ty, wc.ListType):
        element = schema_of(ty.element)
        schema = ListSchema(element, isinstance(element, IntSchema) and element.name == "u8")
    elif isinstance(ty, wc.TupleType):
        schema = TupleSchema([schema_of(t) for t in ty.elements])
    elif isinstance(ty, wc.RecordType):
        schema = RecordSchema([(name, schema_of(t)) for name, t in ty.fields])
    elif isinstance(ty, wc.EnumType):
        schema = EnumSchema(ty.names)
    elif isinstance(ty, wc.FlagsType):
        schema = FlagsSchema(ty.names)
    elif isinstance(ty, (wc.OwnType, wc.BorrowType)):
        schema = ResourceSchema()
    elif isinstance(ty, (wc.OptionType, wc.ResultType, wc.VariantType)):
        cases = _variant_cases(ty)
        lifted = [(tag, None if t is None else schema_of(t)) for tag, t in cases]
        if isinstance(ty, wc.OptionType):
            schema = OptionSchema(lifted, _tagged(cases))
        elif isinstance(ty, wc.ResultType):
            schema = ResultSchema(lifted, _tagged(cases))
        else:
            schema = VariantSchema(lifted, _tagged(cases))
    else:
        raise TypeError(f"unsupported WIT type {kind.__name__}")
    schema.classes = classes_of(ty)
    return schema


class Signature:
    """A function's parameters and result, as schemas."""

    def __init__(self, ty: wc.FuncType) -> None:
        self.params = [(name, schema_of(t)) for name, t in ty.params]
        result = ty.result
        self.result = None if result is None else schema_of(result)
