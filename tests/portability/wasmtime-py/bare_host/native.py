"""The one call below wasmtime-py's public API (why wasmtime is pinned exactly).

wasmtime 50, with the component model's concurrency support on (its
default), traps a host function that takes a ``list<borrow<T>>`` of two or
more handles before it reaches Python: "BUG: deferred host scope has no
call context". ``wasi:io/poll.poll`` is such a function, and the action
polls a response and a timer together on every request. wasmtime's C API
has ``wasmtime_config_concurrency_support_set``; wasmtime-py 50.0.1 declares
it in its private ``_ffi`` module but does not wrap it in ``Config``. This
runner makes synchronous calls only, so turning it off changes nothing else.

Everything else (linking, value conversion, calls) goes through the public
API. When wasmtime-py wraps the setting or the bug is fixed, delete this
module and relax the pin in requirements.txt.
"""

from __future__ import annotations

from wasmtime import Config
from wasmtime import _ffi as ffi


def engine_config() -> Config:
    """Component model on, concurrency support off."""
    config = Config()
    config.wasm_component_model = True
    ffi.wasmtime_config_concurrency_support_set(config.ptr(), False)
    return config
