"""The WASI 0.2 interfaces the action imports, implemented in Python.

The component reaches the outside world only through these; none of
wasmtime-py's own WASI is linked, so this package decides every effect a
call may have.
"""

from .http import INTERFACES as _HTTP
from .interface import Interface
from .io import INTERFACES as _IO
from .system import INTERFACES as _SYSTEM

#: Every implemented interface, by name without version (``wasi:io/poll``).
INTERFACES: dict[str, Interface] = {**_IO, **_SYSTEM, **_HTTP}

__all__ = ["INTERFACES", "Interface"]
