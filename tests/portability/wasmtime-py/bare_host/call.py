"""The state of one call: its resource table, captured output and hang guard.

Every call gets a fresh :class:`CallState` (and a fresh wasmtime ``Store``).
The host functions of :mod:`bare_host.imports` find it through
:data:`CURRENT`, a context variable.

This is not a sandbox: the table has no cap, output is kept whole, and
``hang_guard`` only stops a test from waiting forever on a guest that waits
on nothing that can happen (it is not a deadline a tenant could rely on).
"""

from __future__ import annotations

import contextvars
import time
from typing import Any


class Trap(Exception):
    """The host refuses what the guest asked (a WASI misuse): the guest traps."""


class Hung(Exception):
    """The guest waited past the runner's hang guard."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the guest waited more than {seconds} s (the runner's hang guard)")


class ResourceTable:
    """The host objects a guest holds handles to, by representation number."""

    def __init__(self) -> None:
        self._items: dict[int, Any] = {}
        self._next = 1

    def push(self, item: Any) -> int:
        rep = self._next
        self._next += 1
        self._items[rep] = item
        return rep

    def get(self, rep: int) -> Any:
        try:
            return self._items[rep]
        except KeyError:
            raise Trap(f"unknown resource handle {rep}") from None

    def remove(self, rep: int) -> Any:
        return self._items.pop(rep, None)

    def values(self) -> list[Any]:
        return list(self._items.values())


class Output:
    """An in-memory sink for guest stdout or stderr, kept whole."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, chunk: bytes) -> bool:
        self.data += chunk
        return True

    def room(self) -> int:
        return 1 << 16

    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


class CallState:
    """One call: table, outputs, the hang guard (monotonic seconds) and the
    first exception a host function raised."""

    def __init__(self, *, hang_guard: float) -> None:
        self.hang_guard = hang_guard
        self.deadline = time.monotonic() + hang_guard
        self.table = ResourceTable()
        self.stdout = Output()
        self.stderr = Output()
        self.failure: BaseException | None = None

    def check_deadline(self) -> None:
        if time.monotonic() >= self.deadline:
            raise Hung(self.hang_guard)

    def record(self, error: BaseException) -> None:
        """Keeps the first exception of a host function (later ones follow from it)."""
        if self.failure is None:
            self.failure = error

    def close(self) -> None:
        """Releases what the guest left open (sockets of unfinished exchanges)."""
        for item in self.table.values():
            close = getattr(item, "close", None)
            if close is not None:
                close()


#: The call running on this thread, for the host functions.
CURRENT: contextvars.ContextVar[CallState] = contextvars.ContextVar("bare_host_call")
