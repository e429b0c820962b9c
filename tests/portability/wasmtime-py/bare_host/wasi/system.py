"""``wasi:clocks``, ``wasi:random`` and ``wasi:cli`` implemented in Python.

The least a WASI 0.2 host gives: an empty environment and argument list,
stdin at end of file, stdout and stderr into the call's buffers, no
terminal, the real clocks, and the operating system's randomness.
"""

from __future__ import annotations

import secrets
import time

from ..call import CallState, Trap
from .interface import Interface
from .io import Closed, InputStream, OutputStream, Pollable


def _wall_now(call: CallState) -> dict[str, int]:
    nanos = time.time_ns()
    return {"seconds": nanos // 1_000_000_000, "nanoseconds": nanos % 1_000_000_000}


def _subscribe_duration(call: CallState, nanos: int) -> Pollable:
    return Pollable.timer(time.monotonic() + nanos / 1e9)


def _subscribe_instant(call: CallState, instant: int) -> Pollable:
    return Pollable.timer(instant / 1e9)


def _exit(call: CallState, status: object) -> None:
    raise Trap(f"the guest called exit ({status!r})")


class TerminalInput:
    """Never handed out: the guest has no terminal."""


class TerminalOutput:
    """Never handed out: the guest has no terminal."""


INTERFACES = {
    "wasi:clocks/wall-clock": Interface(
        functions={
            "now": _wall_now,
            "resolution": lambda call: {"seconds": 0, "nanoseconds": 1000},
        }
    ),
    "wasi:clocks/monotonic-clock": Interface(
        functions={
            "now": lambda call: time.monotonic_ns(),
            "resolution": lambda call: 1000,
            "subscribe-duration": _subscribe_duration,
            "subscribe-instant": _subscribe_instant,
        }
    ),
    "wasi:random/random": Interface(
        functions={
            "get-random-u64": lambda call: secrets.randbits(64),
            "get-random-bytes": lambda call, length: secrets.token_bytes(length),
        }
    ),
    "wasi:cli/environment": Interface(
        functions={
            "get-environment": lambda call: [],
            "get-arguments": lambda call: [],
            "initial-cwd": lambda call: None,
        }
    ),
    "wasi:cli/exit": Interface(functions={"exit": _exit}),
    "wasi:cli/stdin": Interface(functions={"get-stdin": lambda call: InputStream(Closed())}),
    "wasi:cli/stdout": Interface(
        functions={"get-stdout": lambda call: OutputStream(call.stdout.write, call.stdout.room)}
    ),
    "wasi:cli/stderr": Interface(
        functions={"get-stderr": lambda call: OutputStream(call.stderr.write, call.stderr.room)}
    ),
    "wasi:cli/terminal-input": Interface(resources={"terminal-input": TerminalInput}),
    "wasi:cli/terminal-output": Interface(resources={"terminal-output": TerminalOutput}),
    "wasi:cli/terminal-stdin": Interface(functions={"get-terminal-stdin": lambda call: None}),
    "wasi:cli/terminal-stdout": Interface(functions={"get-terminal-stdout": lambda call: None}),
    "wasi:cli/terminal-stderr": Interface(functions={"get-terminal-stderr": lambda call: None}),
}
