"""The state of one call's sandbox: its deadline, resource table and output.

Every call gets a fresh :class:`CallState` (and a fresh wasmtime ``Store``).
The host functions of :mod:`siptel_sms.imports` find it through
:data:`CURRENT`, a context variable, so concurrent calls on several threads
never see each other's state.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Any

from .errors import CallTimeout, Trap

#: Most resource handles (streams, requests, pollables ...) one call may hold.
#: The action needs a few dozen; the cap bounds host memory a guest can pin.
MAX_RESOURCES = 4096


class ResourceTable:
    """The host objects a guest holds handles to, by representation number."""

    def __init__(self, limit: int = MAX_RESOURCES) -> None:
        self._items: dict[int, Any] = {}
        self._next = 1
        self._limit = limit

    def push(self, item: Any) -> int:
        if len(self._items) >= self._limit:
            raise Trap(f"the guest holds more than {self._limit} resources")
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
    """A capped, in-memory sink for guest stdout or stderr. Past the cap the
    stream is closed to the guest (its writes fail); the call goes on."""

    def __init__(self, cap: int) -> None:
        self.data = bytearray()
        self.cap = cap

    def room(self) -> int:
        return max(0, self.cap - len(self.data))

    def write(self, chunk: bytes) -> bool:
        """Appends what fits; ``False`` when the cap cut ``chunk``."""
        fits = chunk[: self.room()]
        self.data += fits
        return len(fits) == len(chunk)

    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


class CallState:
    """One call: deadline (monotonic seconds), wall clock, table, outputs,
    egress, and the first exception a host function raised."""

    def __init__(
        self,
        *,
        timeout: float,
        output_bytes: int,
        egress: Any,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.wall_clock = wall_clock
        self.table = ResourceTable()
        self.stdout = Output(output_bytes)
        self.stderr = Output(output_bytes)
        self.egress = egress
        self.failure: BaseException | None = None

    def check_deadline(self) -> None:
        if time.monotonic() >= self.deadline:
            raise CallTimeout(self.timeout)

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


#: The call running on this thread (or task), for the host functions.
CURRENT: contextvars.ContextVar[CallState] = contextvars.ContextVar("siptel_sms_call")
