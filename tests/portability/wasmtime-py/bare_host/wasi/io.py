"""``wasi:io`` (poll, error, streams) implemented in Python.

There is no event loop: :func:`poll` drives the one I/O source it waits on
(an HTTP exchange, see :mod:`bare_host.wasi.http`) in the calling thread,
blocking at most until the earliest timer among the pollables or the call's
hang guard, whichever comes first (:class:`~bare_host.call.Hung`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from ..call import CallState, Trap
from ..values import Case, Err, Ok
from .interface import Interface

#: ``blocking-write-and-flush`` takes at most this many bytes a call (WASI 0.2).
BLOCKING_WRITE_LIMIT = 4096


class Pollable:
    """Something the guest may wait for.

    ``ready`` tells whether it is; ``at`` is the monotonic instant a timer
    becomes ready by itself; ``drive(until)`` makes progress on the I/O behind
    it, blocking at most until ``until`` (after it returns, either ``ready()``
    or the time is up).
    """

    def __init__(
        self,
        ready: Callable[[], bool],
        at: float | None = None,
        drive: Callable[[float], None] | None = None,
    ) -> None:
        self.ready = ready
        self.at = at
        self.drive = drive

    @classmethod
    def always(cls) -> Pollable:
        return cls(lambda: True)

    @classmethod
    def timer(cls, at: float) -> Pollable:
        return cls(lambda: time.monotonic() >= at, at=at)


def poll(call: CallState, pollables: list[Pollable]) -> list[int]:
    """Indices of the ready pollables, waiting until at least one is."""
    if not pollables:
        raise Trap("poll of an empty list")
    while True:
        ready = [i for i, p in enumerate(pollables) if p.ready()]
        if ready:
            return ready
        call.check_deadline()
        until = min([p.at for p in pollables if p.at is not None] + [call.deadline])
        driver = next((p.drive for p in pollables if p.drive is not None), None)
        if driver is not None:
            driver(until)
        else:
            time.sleep(max(0.0, until - time.monotonic()))


class IoError:
    """A ``wasi:io/error``: what went wrong with a stream."""

    def __init__(self, message: str) -> None:
        self.message = message


class Reader(Protocol):
    """What an input stream reads from."""

    def take(self, limit: int) -> bytes:
        """Up to ``limit`` bytes that have arrived (``b""`` if none yet)."""

    def finished(self) -> bool:
        """Whether everything has been taken (the stream is closed)."""

    def error(self) -> str | None:
        """Why the source broke, if it did."""

    def pollable(self) -> Pollable:
        """Ready when ``take`` has bytes, or the source finished or broke."""


class InputStream:
    """A ``wasi:io/streams.input-stream`` over a :class:`Reader`."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def read(self, limit: int) -> Ok | Err:
        data = self.reader.take(limit)
        if data:
            return Ok(data)
        error = self.reader.error()
        if error is not None:
            return Err(Case("last-operation-failed", IoError(error)))
        if self.reader.finished():
            return Err(Case("closed"))
        return Ok(b"")

    def close(self) -> None:
        close = getattr(self.reader, "close", None)
        if close is not None:
            close()


class Closed:
    """A reader with nothing to read (stdin)."""

    def take(self, limit: int) -> bytes:
        return b""

    def finished(self) -> bool:
        return True

    def error(self) -> str | None:
        return None

    def pollable(self) -> Pollable:
        return Pollable.always()


class OutputStream:
    """A ``wasi:io/streams.output-stream`` into a sink that never blocks.

    ``sink(chunk)`` takes the bytes and answers ``False`` once it takes no
    more (the stream is then closed to the guest); ``room()`` is how much it
    still takes.
    """

    def __init__(self, sink: Callable[[bytes], bool], room: Callable[[], int]) -> None:
        self.sink = sink
        self.room = room
        self.closed = False

    def check_write(self) -> Ok | Err:
        room = 0 if self.closed else self.room()
        if room == 0:
            # The sink is full for good: waiting would never make room.
            self.closed = True
            return Err(Case("closed"))
        return Ok(room)

    def write(self, data: bytes) -> Ok | Err:
        if self.closed:
            return Err(Case("closed"))
        if not self.sink(data):
            self.closed = True
            return Err(Case("closed"))
        return Ok(None)


def _block(call: CallState, pollable: Pollable) -> None:
    poll(call, [pollable])


def _ready(call: CallState, pollable: Pollable) -> bool:
    return pollable.ready()


def _blocking_read(call: CallState, stream: InputStream, limit: int) -> Ok | Err:
    poll(call, [stream.reader.pollable()])
    return stream.read(limit)


def _blocking_write(call: CallState, stream: OutputStream, data: bytes) -> Ok | Err:
    if len(data) > BLOCKING_WRITE_LIMIT:
        raise Trap(f"blocking-write-and-flush of {len(data)} bytes (at most {BLOCKING_WRITE_LIMIT})")
    return stream.write(data)


def _flushed(call: CallState, stream: OutputStream) -> Ok | Err:
    return Err(Case("closed")) if stream.closed else Ok(None)


INTERFACES = {
    "wasi:io/poll": Interface(
        resources={"pollable": Pollable},
        functions={
            "[method]pollable.block": _block,
            "[method]pollable.ready": _ready,
            "poll": poll,
        },
    ),
    "wasi:io/error": Interface(
        resources={"error": IoError},
        functions={"[method]error.to-debug-string": lambda call, error: error.message},
    ),
    "wasi:io/streams": Interface(
        resources={"input-stream": InputStream, "output-stream": OutputStream},
        functions={
            "[method]input-stream.read": lambda call, stream, limit: stream.read(limit),
            "[method]input-stream.blocking-read": _blocking_read,
            "[method]input-stream.subscribe": lambda call, stream: stream.reader.pollable(),
            "[method]output-stream.check-write": lambda call, stream: stream.check_write(),
            "[method]output-stream.write": lambda call, stream, data: stream.write(data),
            "[method]output-stream.blocking-write-and-flush": _blocking_write,
            "[method]output-stream.flush": _flushed,
            "[method]output-stream.blocking-flush": _flushed,
            "[method]output-stream.subscribe": lambda call, stream: Pollable.always(),
        },
    ),
}
