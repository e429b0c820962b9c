"""The only module that reaches below wasmtime-py's public API (pinned 50.0.1).

Three things the public API cannot do well enough here:

* **Speed.** wasmtime-py re-reads a function's types through the C API on
  every call and every host call (each variant case, each record field), and
  recomputes how to map each variant; with ``wasi:http``'s 39-case
  ``error-code`` in many results a host call cost about 0.5 ms, a send
  17 ms. :func:`freeze` reads a type tree once; :func:`call` and
  :func:`define_function` convert with the frozen tree (wasmtime-py's own
  conversion code, unchanged).
* **Thread safety.** wasmtime-py's host-function callback keeps the last
  Python exception in one process-wide global; the callback here never
  raises through it (the caller keeps exceptions per call).
* **A wasmtime 50 bug.** With the component model's concurrency support on
  (wasmtime's default), a host function taking a ``list<borrow<T>>`` of two
  or more handles traps with "BUG: deferred host scope has no call context"
  before reaching Python; ``wasi:io/poll.poll`` is such a function.
  :func:`engine_config` turns concurrency support off through the C API,
  which wasmtime-py does not wrap (this host makes synchronous calls only).
"""

from __future__ import annotations

import ctypes
import itertools
from collections.abc import Callable
from typing import Any

from wasmtime import Config, StoreContext, WasmtimeError
from wasmtime import _ffi as ffi
from wasmtime import component as wc


def engine_config() -> Config:
    """Component model on, epoch interruption on, concurrency support off."""
    config = Config()
    config.wasm_component_model = True
    config.epoch_interruption = True
    ffi.wasmtime_config_concurrency_support_set(config.ptr(), False)
    return config


# -- frozen types -------------------------------------------------------------
# Subclasses whose introspection properties are plain attributes, filled once.
# A class attribute that is not a descriptor shadows the base class property,
# so the instance's attribute is what wasmtime-py's conversion code reads.


#: Bytes of one C ``wasmtime_component_val_t``, and where a ``u8`` sits in it.
_VAL_SIZE = ctypes.sizeof(ffi.wasmtime_component_val_t)
_U8_OFFSET = ffi.wasmtime_component_val_t.of.offset


class _FrozenList(wc.ListType):
    element: Any = None

    # A list<u8> is a C array of 32-byte values; wasmtime-py converts it one
    # Python call per byte (a request body, every header value). These copy
    # it with strided slices instead.
    def convert_from_c(self, c: Any) -> Any:
        if not isinstance(self.element, wc.U8):
            return super().convert_from_c(c)
        values = c.of.list
        try:
            if values.size == 0:
                return b""
            return ctypes.string_at(values.data, values.size * _VAL_SIZE)[_U8_OFFSET::_VAL_SIZE]
        finally:
            ffi.wasmtime_component_vallist_delete(ctypes.byref(values))

    def convert_to_c(self, store: Any, val: Any, ptr: Any) -> None:
        if not isinstance(self.element, wc.U8):
            return super().convert_to_c(store, val, ptr)
        if not isinstance(val, (bytes, bytearray)):
            raise TypeError("expected bytes value")
        count = len(val)
        values = ffi.wasmtime_component_vallist_t()
        ffi.wasmtime_component_vallist_new_uninit(values, count)
        if count:
            image = bytearray(count * _VAL_SIZE)
            image[0::_VAL_SIZE] = ffi.WASMTIME_COMPONENT_U8.value.to_bytes(1, "little") * count
            image[_U8_OFFSET::_VAL_SIZE] = val
            ctypes.memmove(values.data, bytes(image), len(image))
        ptr.contents.kind = ffi.WASMTIME_COMPONENT_LIST
        ptr.contents.of.list = values


class _FrozenRecord(wc.RecordType):
    fields: Any = None


class _FrozenTuple(wc.TupleType):
    elements: Any = None


class _FrozenTagging:
    tagged = False

    def _tagged(self) -> bool:
        return self.tagged


class _FrozenVariant(_FrozenTagging, wc.VariantType):
    cases: Any = None

    def _cases(self) -> Any:
        return self.cases


class _FrozenOption(_FrozenTagging, wc.OptionType):
    payload: Any = None


class _FrozenResult(_FrozenTagging, wc.ResultType):
    ok: Any = None
    err: Any = None


def _new(cls: Any, **attributes: Any) -> Any:
    frozen = cls.__new__(cls)
    for name, value in attributes.items():
        setattr(frozen, name, value)
    return frozen


def freeze(ty: Any) -> Any:
    """``ty`` with every type below it read once; other types are kept."""
    if ty is None:
        return None
    if isinstance(ty, wc.ListType):
        return _new(_FrozenList, element=freeze(ty.element))
    if isinstance(ty, wc.RecordType):
        return _new(_FrozenRecord, fields=[(name, freeze(t)) for name, t in ty.fields])
    if isinstance(ty, wc.TupleType):
        return _new(_FrozenTuple, elements=[freeze(t) for t in ty.elements])
    if isinstance(ty, wc.OptionType):
        frozen = _new(_FrozenOption, payload=freeze(ty.payload))
    elif isinstance(ty, wc.ResultType):
        frozen = _new(_FrozenResult, ok=freeze(ty.ok), err=freeze(ty.err))
    elif isinstance(ty, wc.VariantType):
        frozen = _new(_FrozenVariant, cases=[(name, freeze(t)) for name, t in ty.cases])
    else:
        return ty
    # wasmtime-py's own rule, computed once on the frozen children.
    frozen.tagged = _tagged(frozen._cases())
    return frozen


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
    """wasmtime-py's rule: a variant is passed as ``Variant`` when two cases
    share a Python class."""
    seen: set[type] = set()
    for _, ty in cases:
        classes = classes_of(ty)
        if seen & classes:
            return True
        seen |= classes
    return False


class FrozenFunc:
    """A function type read once: its parameter and result types."""

    def __init__(self, ty: wc.FuncType) -> None:
        self.params: list[tuple[str, Any]] = [(name, freeze(t)) for name, t in ty.params]
        self.result: Any = freeze(ty.result)


# -- calling an export ----------------------------------------------------------


def call(func: wc.Func, store: Any, ty: FrozenFunc, args: list[Any]) -> Any:
    """``func(*args)`` in ``store`` (args and result in wasmtime-py's form).
    Raises ``WasmtimeError`` when the guest traps."""
    params = (ffi.wasmtime_component_val_t * len(args))()
    lowered = 0
    try:
        for (_, param), value in zip(ty.params, args):
            param.convert_to_c(store, value, ctypes.pointer(params[lowered]))
            lowered += 1
        result = ffi.wasmtime_component_val_t() if ty.result is not None else None
        error = ffi.wasmtime_component_func_call(
            ctypes.byref(func._func),
            store._context(),
            params,
            lowered,
            None if result is None else ctypes.byref(result),
            0 if result is None else 1,
        )
        if error:
            raise WasmtimeError._from_ptr(error)
        return None if result is None else ty.result.convert_from_c(result)
    finally:
        for i in range(lowered):
            ffi.wasmtime_component_val_delete(ctypes.byref(params[i]))


# -- defining a host function ---------------------------------------------------

#: A host function: ``(store, *args) -> result``, values in wasmtime-py's form.
HostFunction = Callable[..., Any]

_FUNCTIONS: dict[int, tuple[FrozenFunc, HostFunction]] = {}
_ids = itertools.count(1)


def _error_pointer(error: WasmtimeError) -> int:
    return ctypes.cast(error._consume(), ctypes.c_void_p).value or 0


@ffi.wasmtime_component_func_callback_t
def _trampoline(data, context, _ty, args, nargs, results, nresults):  # type: ignore[no-untyped-def]
    store = StoreContext(context)
    try:
        ty, function = _FUNCTIONS[data or 0]
        values = [param.convert_from_c(args[i]) for i, (_, param) in enumerate(ty.params[:nargs])]
        answer = function(store, *values)
        if ty.result is not None:
            ty.result.convert_to_c(store, answer, results)
        return 0
    except WasmtimeError as error:
        return _error_pointer(error)
    except BaseException as error:  # never let anything unwind into C
        return _error_pointer(WasmtimeError(f"host function failed: {type(error).__name__}: {error}"))
    finally:
        store._invalidate()


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _finalize(data):  # type: ignore[no-untyped-def]
    _FUNCTIONS.pop(data or 0, None)


def define_function(instance: wc.LinkerInstance, name: str, ty: FrozenFunc, function: HostFunction) -> None:
    """Defines ``name`` in a linker instance. ``function`` should keep its
    own exceptions (a ``WasmtimeError`` it raises becomes the guest's trap)."""
    key = next(_ids)
    _FUNCTIONS[key] = (ty, function)
    encoded = name.encode("utf-8")
    error = ffi.wasmtime_component_linker_instance_add_func(
        instance.ptr(), ctypes.create_string_buffer(encoded), len(encoded), _trampoline, key, _finalize
    )
    if error:
        _FUNCTIONS.pop(key, None)
        raise WasmtimeError._from_ptr(error)
