"""The WASI 0.2 interfaces the action imports, implemented in Python.

This is an independent WASI 0.2 implementation (wasmtime-py's own WASI,
``Linker.add_wasip2``/``add_wasi_http``, is wasmtime's Rust code, the same
the Rust host runs), so a component that runs here does not depend on
wasmtime's WASI.
"""

from .http import INTERFACES as _HTTP
from .interface import Interface
from .io import INTERFACES as _IO
from .system import INTERFACES as _SYSTEM

#: Every implemented interface, by name without version (``wasi:io/poll``).
INTERFACES: dict[str, Interface] = {**_IO, **_SYSTEM, **_HTTP}

__all__ = ["INTERFACES", "Interface"]
