"""Linking the Python WASI of :mod:`bare_host.wasi` into a component linker,
through wasmtime-py's public API only.

The component's own import types drive the linking: for every interface it
imports that :data:`~bare_host.wasi.INTERFACES` implements, each resource
and function it names is defined, with the conversions of
:mod:`bare_host.values` built from its signature. Anything else it imports
is defined to trap.

A host function's exception is kept in the call's
:class:`~bare_host.call.CallState` (the first one) and the guest traps with
a ``WasmtimeError``; the call then raises what was kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wasmtime import Engine, WasmtimeError
from wasmtime import component as wc

from .call import CURRENT, CallState
from .values import Resources, Signature
from .wasi import INTERFACES


class _TableResources(Resources):
    """Resources as the Python objects in the call's table."""

    def __init__(self, store: Any, call: CallState, type_ids: dict[type, int]) -> None:
        self.store, self.call, self.type_ids = store, call, type_ids

    def lift(self, value: Any) -> Any:
        host = value.to_host(self.store) if isinstance(value, wc.ResourceAny) else value
        return self.call.table.get(host.rep)

    def lower(self, value: Any) -> Any:
        type_id = self.type_ids.get(type(value))
        if type_id is None:
            raise TypeError(f"{type(value).__name__} is not a resource of this host")
        return wc.ResourceHost.own(self.call.table.push(value), type_id)


def _current() -> CallState:
    call = CURRENT.get(None)
    if call is None:
        raise WasmtimeError("a host function ran outside a call")
    return call


def _host_function(
    name: str, implementation: Callable[..., Any], signature: Signature, type_ids: dict[type, int]
) -> Callable[..., Any]:
    params = [schema for _, schema in signature.params]
    result = signature.result

    def host_function(store: Any, *args: Any) -> Any:
        call = _current()
        try:
            resources = _TableResources(store, call, type_ids)
            plain = [schema.lift(arg, resources) for schema, arg in zip(params, args)]
            answer = implementation(call, *plain)
            return None if result is None else result.lower(answer, name, resources)
        except BaseException as error:
            call.record(error)
            raise WasmtimeError(f"host function {name}: {type(error).__name__}: {error}") from None

    return host_function


def _drop(store: Any, rep: int) -> None:
    """A guest dropped a handle: forget the object and close what it holds."""
    call = _current()
    try:
        item = call.table.remove(rep)
        close = getattr(item, "close", None)
        if close is not None:
            close()
    except BaseException as error:
        call.record(error)
        raise WasmtimeError(f"dropping a resource: {error}") from None


def link(engine: Engine, component: wc.Component) -> wc.Linker:
    """A linker that gives ``component`` the Python WASI and nothing else."""
    linker = wc.Linker(engine)
    type_ids: dict[type, int] = {}
    with linker.root() as root:
        for import_name, extern in component.type.imports(engine).items():
            interface = INTERFACES.get(import_name.partition("@")[0])
            instance_type = extern.ty
            if interface is None or not isinstance(instance_type, wc.ComponentInstanceType):
                continue
            with root.add_instance(import_name) as instance:
                for item_name, item in instance_type.exports(engine).items():
                    ty = item.ty
                    if isinstance(ty, wc.ResourceType) and item_name in interface.resources:
                        cls = interface.resources[item_name]
                        type_id = type_ids.setdefault(cls, len(type_ids) + 1)
                        instance.add_resource(item_name, wc.ResourceType.host(type_id), _drop)
                    elif isinstance(ty, wc.FuncType) and item_name in interface.functions:
                        implementation = interface.functions[item_name]
                        function = _host_function(item_name, implementation, Signature(ty), type_ids)
                        instance.add_func(item_name, function)
    linker.define_unknown_imports_as_traps(component)
    return linker
