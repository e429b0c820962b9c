"""The action component on wasmtime-py, with one of two WASI 0.2 implementations:

* ``"shim"``: the Python WASI of :mod:`bare_host.wasi` (io, clocks, random,
  cli stubs, wasi:http on h11), an implementation independent of wasmtime's;
* ``"wasmtime"``: wasmtime-py's own (``Linker.add_wasip2``,
  ``add_wasi_http``: wasmtime's Rust WASI behind its C API), through the
  public API only, with an empty ``WasiConfig`` (no environment, arguments,
  files or inherited stdio).

A portability proof, not a host to deploy: one engine, a fresh ``Store`` and
instance per call, WASI and nothing else. There is no sandbox policy here (no
egress scope, no secrets vault, no admission or slots, no input bounds, no
output redaction, no deadline or memory limit): the Rust host
(``host-harness/``) is the one place those live. See README.md.
"""

from __future__ import annotations

import os
from typing import Any

from wasmtime import Config, Engine, Store, WasiConfig, WasmtimeError
from wasmtime import component as wc

from .call import CURRENT, CallState, Hung, Trap
from .imports import link
from .native import engine_config
from .values import NO_RESOURCES, Signature

__all__ = ["BareComponent", "CallFailed", "Hung", "Trap", "WASIS"]

#: The WASI implementations a :class:`BareComponent` can link.
WASIS = ("shim", "wasmtime")

#: Seconds a call may run before the runner gives up on it (a test guard).
HANG_GUARD = 60.0


class CallFailed(Exception):
    """The call trapped or a host function failed; carries the guest's output."""

    def __init__(self, message: str, stdout: str, stderr: str) -> None:
        super().__init__(f"{message}\n--- guest stdout ---\n{stdout}\n--- guest stderr ---\n{stderr}")
        self.stdout, self.stderr = stdout, stderr


class BareComponent:
    """A compiled component, its linker and the functions of one exported interface."""

    def __init__(self, wasm: str | os.PathLike[str], interface: str, wasi: str = "shim") -> None:
        if wasi not in WASIS:
            raise ValueError(f"wasi is one of {WASIS}, not {wasi!r}")
        self.wasi = wasi
        if wasi == "shim":
            self.engine = Engine(engine_config())
        else:
            config = Config()
            config.wasm_component_model = True
            self.engine = Engine(config)
        self.component = wc.Component.from_file(self.engine, os.fspath(wasm))
        if wasi == "shim":
            self.linker = link(self.engine, self.component)
        else:
            self.linker = wc.Linker(self.engine)
            self.linker.add_wasip2()
            self.linker.add_wasi_http()
        self.exports = self._find_exports(interface)

    def _find_exports(self, interface: str) -> dict[str, tuple[Any, Signature]]:
        exports = self.component.type.exports(self.engine)
        name = next((n for n in exports if n.partition("@")[0] == interface), None)
        if name is None:
            raise ValueError(f"the component exports no `{interface}`")
        index = self.component.get_export_index(name)
        instance_type = exports[name].ty
        if not isinstance(instance_type, wc.ComponentInstanceType):
            raise ValueError(f"`{name}` is not an interface")
        return {
            func_name: (self.component.get_export_index(func_name, index), Signature(item.ty))
            for func_name, item in instance_type.exports(self.engine).items()
            if isinstance(item.ty, wc.FuncType)
        }

    def call(self, export: str, *args: Any) -> Any:
        """``export(*args)`` with plain values (see :mod:`bare_host.values`)
        in a fresh store and instance; answers the plain result."""
        index, signature = self.exports[export]
        params = zip(signature.params, args, strict=True)
        lowered = [schema.lower(value, name, NO_RESOURCES) for (name, schema), value in params]
        call = CallState(hang_guard=HANG_GUARD)
        store = Store(self.engine)
        if self.wasi == "wasmtime":
            store.set_wasi(WasiConfig())
            store.set_wasi_http()
        token = CURRENT.set(call)
        try:
            instance = self.linker.instantiate(store, self.component)
            func = instance.get_func(store, index)
            if func is None:
                raise ValueError(f"no function `{export}` in the instance")
            raw = func(store, *lowered)
        except WasmtimeError as error:
            cause = call.failure
            message = f"{export} failed: {error}"
            if cause is not None:
                message = f"{export} failed in the host: {type(cause).__name__}: {cause}"
            raise CallFailed(message, call.stdout.text(), call.stderr.text()) from (cause or error)
        finally:
            call.close()
            store.close()
            CURRENT.reset(token)
        return None if signature.result is None else signature.result.lift(raw, NO_RESOURCES)
